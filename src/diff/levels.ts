/**
 * The `--fail-on` levels of `policydrift diff`: a leaf module (no imports), so the CLI can list and validate
 * them without loading the diff engine.
 */
export const FAIL_LEVELS = ['weakening', 'modified', 'any', 'none'] as const;
export type FailLevel = (typeof FAIL_LEVELS)[number];
