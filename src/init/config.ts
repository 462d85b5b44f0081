/** The policydrift.config.json that `policydrift init` writes. */

export const SCHEMA_REF = './node_modules/policydrift/config.schema.json';

/**
 * The config is plain JSON, so its only comment is "$comment" (allowed at the top level): kept short,
 * it points at the reference rather than explaining every key on one very long line.
 */
export const COMMENT =
  'policydrift config: plain JSON, every key optional. Each setting is explained in node_modules/policydrift/docs/config.md. Editing this file is itself a change (CONFIG_CHANGED) that `policydrift check` wants an approved change set for.';

/** Where init points "releaseSigners": the keys that may sign registry events (the user adds theirs). */
export const RELEASE_SIGNERS = '.policydrift/release_signers';

/** A release profile to start from: `policydrift release --profile prod` records the first release with it. */
export interface StarterProfile {
  build: string[];
  outDir: string;
}

export interface InitConfigOptions {
  tsconfig: string;
  exclude: string[];
  profile: StarterProfile;
}

/** The config text: fixed key order for people (not canonical JSON), 2-space indent, trailing newline. */
export function renderInitConfig(opts: InitConfigOptions): string {
  const config = {
    $schema: SCHEMA_REF,
    $comment: COMMENT,
    manifest: 'invariants.manifest.json',
    tsconfig: opts.tsconfig,
    exclude: opts.exclude,
    leHandlers: [],
    logSchemas: [],
    logSinks: [],
    keyGuards: [],
    keySinks: [],
    entryPoints: [],
    orders: { guardArgs: {} },
    registry: 'release/registry.json',
    approvals: { mode: 'signed', minApprovals: 1 },
    releaseSigners: RELEASE_SIGNERS,
    profiles: { prod: opts.profile },
  };
  return JSON.stringify(config, null, 2) + '\n';
}
