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

/**
 * The release signers file that init creates: comments only (no signer yet), so a release fails with a clear
 * hint until the user lists a key. Its format is OpenSSH's allowed_signers (`man ssh-keygen`, ALLOWED SIGNERS).
 */
export const RELEASE_SIGNERS_TEXT = [
  '# policydrift release signers: the SSH keys that may sign release registry events (config "releaseSigners").',
  '# Format: OpenSSH allowed_signers, one signer a line: <identity> <key type> <public key>',
  '#   release@ci ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA...',
  '# Add a key:',
  "#   ssh-keygen -t ed25519 -N '' -f release_key        # a new key (in CI: keep the private key in a secret)",
  '#   echo "release@ci $(ssh-keygen -y -f release_key)" >> ' + RELEASE_SIGNERS,
  '# then commit this file and run `policydrift release --signing-key release_key` (or POLICYDRIFT_SIGNING_KEY).',
  '# Editing this file is a CONFIG_CHANGED that `policydrift check` wants an approved change set for.',
  '# Lines starting with # are comments. No signer listed: every release is refused.',
  '',
].join('\n');

/** Whether an allowed-signers text lists at least one signer (a line that is neither blank nor a comment). */
export function listsSigners(text: string): boolean {
  return text.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('#'));
}
