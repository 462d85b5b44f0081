/**
 * `policydrift init`: set a project up in one step. Detects the project
 * (tsconfig, package manager, openspec/, hook managers, CI), writes a
 * commented config, the first manifest and an empty release registry, and
 * says what to do next. Idempotent; never replaces a file without --force.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_FILE, parseConfigText, type ResolvedConfig } from '../config/index.js';
import { extractManifest } from '../extract/index.js';
import { canonicalJson, readManifestFile } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { emptyRegistry } from '../registry/index.js';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { detectProject, runner, starterProfile, type Detection } from './detect.js';
import { renderInitConfig } from './config.js';

export type FileAction = 'created' | 'replaced' | 'updated' | 'unchanged' | 'kept';

export interface FileOutcome {
  /** Relative to the project root (POSIX). */
  path: string;
  action: FileAction;
  note?: string;
  /** A file init never rewrites, not even with --force (the registry, the release signers). */
  permanent?: boolean;
}

export interface InitResult {
  detection: Detection;
  files: FileOutcome[];
  /** Whether any file was written. */
  changed: boolean;
  nextSteps: string[];
}

export interface InitOptions {
  root: string;
  force?: boolean;
}

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const posix = (p: string) => p.split(path.sep).join('/');

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export function runInit(opts: InitOptions): InitResult {
  const root = opts.root;
  const force = !!opts.force;
  const det = detectProject(root);
  const files: FileOutcome[] = [];

  // 1. The config. A kept config decides the rest (its tsconfig, manifest and registry paths).
  const cfgFile = path.join(root, CONFIG_FILE);
  const existingCfg = readText(cfgFile);
  let config: ResolvedConfig;
  let writeCfg: { text: string; action: FileAction } | null = null;
  if (existingCfg !== null && !force) {
    config = parseConfigText(existingCfg, CONFIG_FILE);
  } else {
    if (!det.tsconfig) throw noTsconfig(det);
    const text = renderInitConfig({
      tsconfig: det.tsconfig,
      exclude: det.testGlobs,
      profile: starterProfile(det, det.tsconfig),
    });
    config = parseConfigText(text, `${CONFIG_FILE} (generated)`);
    if (existingCfg !== text) writeCfg = { text, action: existingCfg === null ? 'created' : 'replaced' };
  }
  if (!fs.existsSync(path.join(root, config.tsconfig))) throw noTsconfig(det, config.tsconfig);
  // Written once the manifest has been extracted: a failed init leaves no config behind.
  if (writeCfg) {
    files.push({ path: CONFIG_FILE, action: writeCfg.action });
  } else if (
    existingCfg !== null &&
    existingCfg ===
      renderInitConfig({
        tsconfig: config.tsconfig,
        exclude: det.testGlobs,
        profile: starterProfile(det, config.tsconfig),
      })
  ) {
    files.push({ path: CONFIG_FILE, action: 'unchanged' });
  } else {
    files.push({
      path: CONFIG_FILE,
      action: existingCfg !== null && !force ? 'kept' : 'unchanged',
      note: 'your config; --force replaces it with the generated one',
    });
  }

  // 2. The first manifest, exactly as `extract --write` makes it.
  const mRel = posix(config.manifest);
  const mFile = path.resolve(root, config.manifest);
  const mText = readText(mFile);
  let previous: Manifest | null = null;
  let invalid = false;
  if (mText !== null) {
    try {
      previous = readManifestFile(mFile, mRel, { acceptOlder: true });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      invalid = true;
    }
  }
  const manifest = extractManifest({ root, config, previous, label: '.' });
  if (writeCfg) writeFileAtomic(cfgFile, writeCfg.text);
  const text = canonicalJson(manifest);
  const summary = describeManifest(manifest);
  if (mText === null) {
    writeFileAtomic(mFile, text);
    files.push({ path: mRel, action: 'created', note: summary });
  } else if (mText === text) {
    files.push({ path: mRel, action: 'unchanged', note: `version ${manifest.manifestVersion}` });
  } else if (force) {
    writeFileAtomic(mFile, text);
    files.push({
      path: mRel,
      action: 'updated',
      note: `${summary}${invalid ? '; the old file was not a valid manifest' : ''}`,
    });
  } else {
    files.push({
      path: mRel,
      action: 'kept',
      note: invalid
        ? 'not a valid manifest; `policydrift extract --write` or --force regenerates it'
        : 'stale; `policydrift extract --write` (or init --force) regenerates it',
    });
  }

  // 3. The release registry: never replaced, not even with --force (it is the release history).
  const rRel = posix(config.registry);
  const rFile = path.resolve(root, config.registry);
  const rText = readText(rFile);
  const empty = canonicalJson(emptyRegistry());
  if (rText === null) {
    writeFileAtomic(rFile, empty);
    files.push({ path: rRel, action: 'created', note: 'empty: no release recorded yet' });
  } else if (rText === empty) {
    files.push({ path: rRel, action: 'unchanged', note: 'empty' });
  } else {
    files.push({
      path: rRel,
      action: 'kept',
      permanent: true,
      note: 'existing release history; init never rewrites it, not even with --force',
    });
  }

  // 4. The release signers file the config names: created with a header that says how to list a key. Like the
  // registry it is never rewritten, not even with --force (it is a trust list; replacing it would drop keys).
  if (config.releaseSigners) {
    const sRel = posix(config.releaseSigners);
    const sFile = path.resolve(root, config.releaseSigners);
    const sText = readText(sFile);
    const header = releaseSignersHeader(sRel);
    if (sText === null) {
      writeFileAtomic(sFile, header);
      files.push({
        path: sRel,
        action: 'created',
        note: 'no signer yet: list the release key before the first release',
      });
    } else if (sText === header) {
      files.push({ path: sRel, action: 'unchanged', note: 'no signer yet' });
    } else {
      files.push({
        path: sRel,
        action: 'kept',
        permanent: true,
        note: 'existing release signers; init never rewrites them, not even with --force',
      });
    }
  }

  const changed = files.some((f) => f.action === 'created' || f.action === 'replaced' || f.action === 'updated');
  return { detection: det, files, changed, nextSteps: nextSteps(det, files, changed, config) };
}

/** What `init` writes to a new release signers file: OpenSSH allowed_signers format, no key yet. */
export const releaseSignersHeader = (
  rel: string,
): string => `# policydrift release signers: the keys that may sign release registry events (docs/registry.md).
# OpenSSH allowed_signers format, one key per line: <identity> <key type> <public key>
# Make a release key and list it (the private half is a CI secret, passed as --signing-key or
# POLICYDRIFT_SIGNING_KEY to \`policydrift release\`):
#   ssh-keygen -t ed25519 -N '' -C release@ci -f release_key
#   echo "release@ci $(cut -d' ' -f1,2 release_key.pub)" >> ${rel}
# \`check\` and \`release\` read this file from the trusted ref (the release branch), never from a candidate:
# commit it there. Changing it later is a CONFIG_CHANGED that needs an approved change set.
`;

function noTsconfig(det: Detection, configured?: string): UserError {
  if (configured && configured !== 'tsconfig.json') {
    return new UserError(`no ${configured} in ${det.root} (named by "tsconfig" in ${CONFIG_FILE})`, {
      hint: 'fix "tsconfig" in the config, or run init with --force to regenerate the config',
    });
  }
  const others = det.tsconfigCandidates.filter((f) => f !== 'tsconfig.json');
  return new UserError(`no tsconfig.json in ${det.root}: policydrift analyses a TypeScript program`, {
    hint: others.length
      ? `found ${others.join(', ')}: write ${CONFIG_FILE} with {"tsconfig": "${others[0]}"} and run init again, or run init from the project root`
      : 'run init in the project root (where tsconfig.json is), or pass --root DIR',
  });
}

function describeManifest(m: Manifest): string {
  const n = (o: object) => Object.keys(o).length;
  const inv = m.invariants;
  const count = (o: object, one: string, many = `${one}s`) => `${n(o)} ${n(o) === 1 ? one : many}`;
  return `version ${m.manifestVersion}: ${count(inv.privacy.invariants, 'invariant')}, ${count(inv.le.handlers, 'LE handler')}, ${count(inv.logging.schemas, 'log schema')}, ${count(inv.keygate.guards, 'key guard')}, ${count(inv.keygate.sites, 'gated site')}`;
}

/** Where a shipped file is, as the user would type it from the project root. */
function shipped(root: string, rel: string): string {
  const abs = path.join(PACKAGE_ROOT, rel);
  const r = path.relative(root, abs);
  return posix(r.startsWith('..') || path.isAbsolute(r) ? abs : r);
}

function nextSteps(det: Detection, files: FileOutcome[], changed: boolean, config: ResolvedConfig): string[] {
  const run = runner(det.packageManager);
  const hookCmd = `${run} extract --write --staged`;
  const steps: string[] = [];
  if (!det.gitTop)
    steps.push(
      'This folder is not in a git repository: `git init` first; hooks, `check` and `release` read git history.',
    );
  const written = files.filter((f) => f.action !== 'kept').map((f) => f.path);
  if (changed) steps.push(`Commit the setup: git add ${written.join(' ')} && git commit -m "policydrift: init"`);
  const kept = files.filter((f) => f.action === 'kept' && !f.permanent);
  if (kept.length)
    steps.push(
      `Kept ${kept.map((f) => f.path).join(', ')} as they were; run \`policydrift init --force\` to regenerate (the registry and the release signers are never rewritten).`,
    );
  steps.push(
    `Annotate your invariants (${shipped(det.root, 'docs/annotations.md')}), then \`${run} extract --write\` refreshes the manifest.`,
  );

  // The pre-commit hook, for the hook manager already in use.
  const managers = [...new Set(det.hooks.map((h) => h.manager))];
  const hookDoc = shipped(det.root, 'docs/hooks.md');
  if (managers.length === 0) {
    steps.push(
      `Pre-commit hook (no hook manager found; see ${hookDoc}): with husky, \`npm install --save-dev husky && npx husky init\`, then put \`${hookCmd}\` in .husky/pre-commit (template: ${shipped(det.root, 'templates/hooks/husky-pre-commit')}). Lefthook and pre-commit work too.`,
    );
  }
  for (const m of managers) {
    const where = det.hooks.find((h) => h.manager === m)!.file;
    if (m === 'husky')
      steps.push(
        `Pre-commit hook (husky, ${where}): add the line \`${hookCmd}\` to .husky/pre-commit (template: ${shipped(det.root, 'templates/hooks/husky-pre-commit')}).`,
      );
    if (m === 'lefthook')
      steps.push(
        `Pre-commit hook (lefthook, ${where}): merge ${shipped(det.root, 'templates/hooks/lefthook.yml')} into ${where}, then \`npx lefthook install\`.`,
      );
    if (m === 'pre-commit') {
      steps.push(
        `Pre-commit hook (pre-commit, ${where}): add a local hook: \`- repo: local\` / \`hooks: [{id: policydrift-extract, name: policydrift, entry: ${hookCmd}, language: system, pass_filenames: false}]\` (see ${hookDoc}).`,
      );
    }
  }

  // CI.
  const gh = shipped(det.root, 'templates/github/policydrift.yml');
  const gl = shipped(det.root, 'templates/gitlab-ci.yml');
  const ciDoc = shipped(det.root, 'docs/ci.md');
  if (det.ci.includes('github') || det.ci.length === 0)
    steps.push(
      `CI (GitHub Actions): copy ${gh} to .github/workflows/policydrift.yml; it checks out with fetch-depth: 0 (see ${ciDoc}).`,
    );
  if (det.ci.includes('gitlab') || det.ci.length === 0)
    steps.push(`CI (GitLab): include ${gl} in .gitlab-ci.yml (GIT_DEPTH: "0"; see ${ciDoc}).`);

  if (!det.openspec)
    steps.push(
      'OpenSpec change sets justify and approve drift: run `npx openspec init --tools none --no-animation .` to create openspec/, and commit it.',
    );
  const signers = config.releaseSigners ? posix(config.releaseSigners) : null;
  steps.push(
    `Release signing: every registry event is signed. Make a key (\`ssh-keygen -t ed25519 -N '' -f release_key\`; in CI a secret), ${signers ? `list it in ${signers} (its header shows how)` : 'list it in a release signers file and set "releaseSigners" to its path'} as \`release@ci <key type> <public key>\`, commit, and pass \`--signing-key release_key\` (or POLICYDRIFT_SIGNING_KEY) to release (docs/registry.md).`,
  );
  // The first release is the baseline every later `check` compares with.
  const profile = Object.keys(config.profiles).sort()[0];
  steps.push(
    profile
      ? `Your first release (the baseline \`check\` compares with): \`${run} release --profile ${profile} --signing-key <key>\` (profile "${profile}" in ${CONFIG_FILE}: ${config.profiles[profile]!.build.join(' ')} -> ${config.profiles[profile]!.outDir}; edit it to match your build), then commit ${posix(config.registry)}. Until then, \`${run} check --against main\` compares with a branch.`
      : `Your first release (the baseline \`check\` compares with): add a build profile under "profiles" in ${CONFIG_FILE} (docs/config.md), run \`${run} release --profile <name> --signing-key <key>\`, then commit ${posix(config.registry)}.`,
  );
  steps.push(
    'Approvals are "signed" by default: list the approvers\' SSH public keys in an allowed-signers file and set "approvals.allowedSigners" to its path.',
  );
  return steps;
}
