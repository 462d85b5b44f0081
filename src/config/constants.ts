/** Constants of the config that load nothing (no ajv): the CLI's startup and the pre-commit cache path import these. */
export const CONFIG_FILE = 'policydrift.config.json';
