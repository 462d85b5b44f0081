/**
 * Options shared by several commands, defined once: the project root, the output format (validated by
 * commander's `choices`, so a wrong value is a usage error, exit 2, naming the allowed values) and the diff's
 * `--fail-on` level. Loads nothing heavy.
 */
import { Option } from 'commander';
import { FAIL_LEVELS } from '../diff/levels.js';

export const ROOT_HELP =
  'project root (default: the nearest folder upward with policydrift.config.json, else the current folder)';

export function rootOption(): Option {
  return new Option('--root <dir>', ROOT_HELP);
}

/** `--format <format>` limited to `formats`, `text` by default. */
export function formatOption(formats: readonly string[], help = 'output format'): Option {
  return new Option('--format <format>', help).choices(formats).default('text');
}

export function failOnOption(): Option {
  return new Option('--fail-on <level>', 'exit 1 on this level or worse (modified counts as a weakening)')
    .choices(FAIL_LEVELS)
    .default('weakening');
}
