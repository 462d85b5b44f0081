/**
 * The release gate: `openspec validate --all --strict`, the drift check of the
 * candidate against the last active release, and the release-build
 * verification. Only when all three pass is a deterministic artifact built,
 * published and recorded in the registry.
 *
 * Crash safety. The publish location only ever receives a complete artifact
 * (staged, then renamed into place), and the registry append is the commit
 * point. A journal next to the artifacts names the release in progress; every
 * run first recovers: a published artifact whose release the registry does not
 * record is removed, and staging directories are deleted. So after a run that
 * failed or was killed at any moment, the next run starts from "no artifact,
 * nothing appended".
 *
 * Concurrency. A real (not dry) run holds `<publish dir>/.release.lock` (owner
 * pid and host) from before recovery to the end; a second run in the same
 * checkout fails with exit 2 naming the owner. Recovery only touches what a
 * dead run owned: the journal and staging directory names carry their owner,
 * and only an owner on this host whose process is gone counts as dead. A dry
 * run takes no lock and recovers nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCheck, materializeOpenspec, type CheckResult } from '../check/index.js';
import { validateAll, validationMessages, type ValidationResult } from '../openspec/cli.js';
import { extractAtRef, readFileAtRef } from '../extract/from-tree.js';
import { repoPrefix, repoRoot, resolveCommit, runGit } from '../git/run.js';
import {
  appendEvent,
  findRelease,
  lastActiveRelease,
  readRegistryFile,
  parseRegistryText,
  signingIdentity,
  SIGNING_KEY_ENV,
  type SigningKey,
} from '../registry/index.js';
import { readTrustedRegistry } from '../registry/trust.js';
import { verifyBuild, type VerifyBuildResult } from '../build/verify.js';
import { commitTime } from '../build/worktree.js';
import { provenanceJson } from '../build/provenance.js';
import { canonicalJson } from '../manifest/index.js';
import { UserError, type SourcePos } from '../errors.js';
import { CONFIG_FILE, defaultConfig, parseConfigText } from '../config/index.js';
import { sha256Hex, writeFileAtomic } from '../util/fs.js';
import type { FileLock } from '../registry/lock.js';
import { JOURNAL, acquireReleaseLock, assertStillHeld, journalText, recover, stagingPrefix } from './recovery.js';
import { deterministicTgz, type TarEntry } from './tar.js';
import { stripBom } from '../util/jsonpos.js';
import { GENERATOR } from '../version.js';
import { isWorkspaceCheck, runWorkspaceCheck } from '../workspace/check.js';
import { workspaceHead } from '../workspace/release.js';

export const STEPS = ['openspec', 'check', 'verify-build', 'package', 'publish', 'registry'] as const;
export type Step = (typeof STEPS)[number];

export interface ReleaseOptions {
  dir: string;
  profile: string;
  version?: string;
  candidate?: string;
  registryRef?: string;
  /** Private key that signs the registry event (default: the file named by POLICYDRIFT_SIGNING_KEY). */
  signingKey?: string;
  dryRun?: boolean;
  /** Where artifacts are published, relative to the project root (default release/artifacts). */
  publishDir?: string;
  log?: (line: string) => void;
}

export interface StepOutcome {
  step: Step;
  status: 'passed' | 'failed' | 'skipped';
  summary: string;
  details: string[];
  /** A step failed by a user error located in a file: where (the error's `file`, `line`, `column`). */
  file?: string;
  line?: number;
  column?: number;
}

export interface ReleaseResult {
  ok: boolean;
  version: string;
  commit: string;
  bootstrap: boolean;
  dryRun: boolean;
  steps: StepOutcome[];
  failedStep: Step | null;
  artifact: { path: string; sha256: string } | null;
  check: CheckResult | null;
  recovered: string[];
}

/**
 * Test hook: stop after a step (until killed, or until the file named by
 * POLICYDRIFT_RELEASE_RESUME exists), to prove crash and concurrency safety.
 * Never set in production.
 */
function pauseAt(step: string): void {
  if (process.env.POLICYDRIFT_RELEASE_PAUSE !== step) return;
  process.stderr.write(`policydrift: paused after ${step}\n`);
  const sab = new Int32Array(new SharedArrayBuffer(4));
  const resume = process.env.POLICYDRIFT_RELEASE_RESUME;
  for (let waited = 0; waited < 120_000; waited += 50) {
    if (resume && fs.existsSync(resume)) return;
    Atomics.wait(sab, 0, 0, resume ? 50 : 120_000);
    if (!resume) return;
  }
}

function defaultVersion(projectRoot: string, manifestVersion: number, commit: string): string {
  const pkg = path.join(projectRoot, 'package.json');
  if (fs.existsSync(pkg)) {
    try {
      const v = (JSON.parse(stripBom(fs.readFileSync(pkg, 'utf8'))) as { version?: string }).version;
      if (v) return v;
    } catch {
      /* fall through */
    }
  }
  return `m${manifestVersion}-${commit.slice(0, 12)}`;
}

/** The artifact's base name: the package name (scope dropped) when there is a package.json, else the folder name. */
function artifactBase(projectRoot: string): string {
  try {
    const n = (
      JSON.parse(stripBom(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'))) as { name?: string }
    ).name;
    if (n) return n.replace(/^@[^/]+\//, '').replace(/[^A-Za-z0-9._-]/g, '-');
  } catch {
    /* no package.json */
  }
  return path.basename(projectRoot);
}

function listFiles(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, base), { withFileTypes: true })) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

/** The branch HEAD is on, or null when detached. */
function currentBranch(repo: string): string | null {
  const r = runGit(repo, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return r.status === 0 ? r.stdout.toString('utf8').trim() || null : null;
}

/** A real run holds the release lock of its publish directory throughout; a dry run takes none. */
export async function runRelease(opts: ReleaseOptions): Promise<ReleaseResult> {
  if (opts.dryRun) return releaseRun(opts, null);
  const repo = repoRoot(opts.dir);
  const sub = repoPrefix(opts.dir);
  const projectRoot = sub ? path.join(repo, sub) : repo;
  const lock = acquireReleaseLock(path.join(projectRoot, opts.publishDir ?? 'release/artifacts'));
  try {
    return await releaseRun(opts, lock);
  } finally {
    lock.release();
  }
}

async function releaseRun(opts: ReleaseOptions, lock: FileLock | null): Promise<ReleaseResult> {
  const log = opts.log ?? (() => {});
  const repo = repoRoot(opts.dir);
  const sub = repoPrefix(opts.dir);
  const projectRoot = sub ? path.join(repo, sub) : repo;
  const candidateRev = opts.candidate ?? 'HEAD';
  const commit = resolveCommit(repo, candidateRev);
  // Input errors (profile, registry) are found before extraction, which can take a while.
  const cfgRel = sub ? path.posix.join(sub, CONFIG_FILE) : CONFIG_FILE;
  const cfgText = readFileAtRef(repo, commit, cfgRel);
  const config = cfgText === null ? defaultConfig() : parseConfigText(cfgText, `${candidateRev}:${cfgRel}`);
  const profile = config.profiles[opts.profile];
  if (!profile) {
    const names = Object.keys(config.profiles).sort();
    throw new UserError(`unknown profile "${opts.profile}" in the config at ${candidateRev}`, {
      hint: names.length
        ? `profiles: ${names.join(', ')}`
        : `add one under "profiles" in ${CONFIG_FILE}, e.g. "profiles": { "${opts.profile}": { "build": ["npm", "run", "build"], "outDir": "dist" } } (see docs/config.md), and commit it`,
    });
  }
  // The trusted registry: at --registry-ref, else at the release branch, which HEAD must be on.
  let trustedRef = opts.registryRef;
  if (!trustedRef) {
    const branch = currentBranch(repo);
    if (branch !== config.releaseBranch) {
      throw new UserError(
        `release reads the registry baseline from the release branch "${config.releaseBranch}", and HEAD is ${branch ? `on "${branch}"` : 'detached'}`,
        {
          hint: `run the release job on "${config.releaseBranch}" (config "releaseBranch"), or pass --registry-ref <protected branch> so the baseline, bootstrap and revocations come from it and not from this branch`,
        },
      );
    }
    trustedRef = branch;
  }
  resolveCommit(repo, trustedRef);
  const trusted = readTrustedRegistry(repo, trustedRef, sub);
  for (const w of trusted.warnings) log(`warning: ${w}`);
  // Every event is signed when written: the key must be a release signer of the trusted ref before anything is built.
  const keyPath = opts.signingKey ?? (process.env[SIGNING_KEY_ENV] || undefined);
  let signing: SigningKey | null = null;
  if (keyPath) signing = { keyPath, identity: signingIdentity(keyPath, trusted.signers) };
  else if (!opts.dryRun) {
    throw new UserError('release needs a signing key: every registry event is signed by a release signer', {
      hint: `pass --signing-key <private key file> or set ${SIGNING_KEY_ENV} (in CI: a secret written to a file with mode 600); its public key must be in the release signers file (config "releaseSigners") at ${trustedRef}`,
    });
  }

  const registryFile = path.join(projectRoot, config.registry);
  const registryRel = sub ? path.posix.join(sub, config.registry) : config.registry;
  const publishRoot = path.join(projectRoot, opts.publishDir ?? 'release/artifacts');
  const recovered = lock ? recover(publishRoot, registryFile) : []; // a dry run recovers nothing
  for (const r of recovered) log(`recovered: ${r}`);

  // The registry we append to must be the candidate's committed one, untouched.
  const committedRegistry = readFileAtRef(repo, commit, registryRel);
  const workingRegistry = fs.existsSync(registryFile) ? fs.readFileSync(registryFile, 'utf8') : null;
  if (committedRegistry !== null && workingRegistry !== committedRegistry) {
    throw new UserError(`${registryRel}: the working tree copy differs from the one committed at ${candidateRev}`, {
      hint: 'commit or discard the change; the release appends to the committed registry',
    });
  }
  const registry =
    committedRegistry !== null
      ? parseRegistryText(committedRegistry, `${candidateRev}:${registryRel}`)
      : readRegistryFile(registryFile, registryRel, { allowMissing: true });
  // Baseline and bootstrap from the trusted registry only: what the candidate appends (a revoke, a
  // release) never moves them; the check step reports such events (REGISTRY_APPENDED).
  const previous = trusted.registry ? lastActiveRelease(trusted.registry) : null;
  // At a workspace root (docs/monorepo.md): every package, one event (src/workspace/release.ts).
  const ws = isWorkspaceCheck(opts.dir, candidateRev, opts.registryRef)
    ? workspaceHead(repo, commit, sub, candidateRev)
    : null;
  const head = ws ?? extractAtRef({ repoDir: repo, rev: commit, root: sub });
  const bootstrap = previous === null;
  const version =
    opts.version ??
    (opts.dryRun
      ? `dry-run-${commit.slice(0, 12)}`
      : defaultVersion(projectRoot, head.manifest.manifestVersion, commit));
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(version))
    throw new UserError(`invalid release version "${version}"`, { hint: 'use letters, digits and . _ + -' });
  if (findRelease(registry, version))
    throw new UserError(`release ${version} is already in ${registryRel}`, { hint: 'pass a new --version' });

  const steps: StepOutcome[] = [];
  const result: ReleaseResult = {
    ok: false,
    version,
    commit,
    bootstrap,
    dryRun: !!opts.dryRun,
    steps,
    failedStep: null,
    artifact: null,
    check: null,
    recovered,
  };
  const fail = (step: Step, summary: string, details: string[], pos?: SourcePos): ReleaseResult => {
    steps.push({ step, status: 'failed', summary, details, ...pos });
    result.failedStep = step;
    for (const s of STEPS.slice(STEPS.indexOf(step) + 1))
      steps.push({ step: s, status: 'skipped', summary: `not run: ${step} failed`, details: [] });
    return result;
  };

  // 1. openspec validate --all --strict (the candidate's change sets, through the real CLI)
  log('openspec validate --all --strict');
  let v: ValidationResult;
  const tmp = materializeOpenspec(repo, commit, sub);
  try {
    if (!fs.existsSync(path.join(tmp, 'openspec'))) {
      return fail('openspec', `no openspec/ folder at ${candidateRev}`, [
        'initialise it with `npx openspec init --tools none --no-animation .` and commit it',
      ]);
    }
    v = validateAll(tmp, { strict: true });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const vmsg = validationMessages(v);
  if (!v.ok) return fail('openspec', `openspec validate --all --strict failed`, vmsg);
  steps.push({
    step: 'openspec',
    status: 'passed',
    summary: `${v.summary?.totals.items ?? 0} item(s) valid`,
    details: vmsg,
  });
  pauseAt('openspec');

  // 2. the drift check against the last active release (bootstrap: none yet)
  log('check');
  const check = (ws ? runWorkspaceCheck : runCheck)({
    dir: opts.dir,
    against: bootstrap ? commit : 'registry',
    candidate: commit,
    registryRef: trustedRef,
  });
  result.check = check;
  if (!check.ok) {
    const details = [
      ...(!check.manifest.fresh
        ? [`stale manifest ${check.manifest.path}: run \`policydrift extract --write\` and commit`]
        : []),
      ...check.unjustified.map(
        (u) =>
          `${u.change.rule} (${u.change.effect}) ${u.change.id}${u.change.subject ? ` [${u.change.subject}]` : ''}: ${u.change.message}${u.blockedBy.length ? ` — ${u.blockedBy.join('; ')}` : ' — no OpenSpec change set declares it'}`,
      ),
    ];
    return fail(
      'check',
      `drift check failed: ${check.unjustified.length} unjustified change(s)${check.manifest.fresh ? '' : ', stale manifest'}`,
      details,
    );
  }
  steps.push({
    step: 'check',
    status: 'passed',
    summary: bootstrap
      ? `BOOTSTRAP: no active release in ${registryRel}; this release records the baseline (manifest v${head.manifest.manifestVersion}) without a drift check`
      : `no unjustified change since release ${previous.version} (${check.justified.length} justified)`,
    details: check.warnings,
  });
  pauseAt('check');

  // 3. the release-build verification
  log(`verify-build --profile ${opts.profile}`);
  let build: VerifyBuildResult;
  try {
    build = await verifyBuild({
      repoDir: projectRoot,
      commit,
      profileName: opts.profile,
      profile,
      manifest: head.manifest,
      manifestDigestAtCommit: head.manifest.digest,
      log,
    });
  } catch (e) {
    if (e instanceof UserError) return fail('verify-build', e.message, e.hint ? [e.hint] : [], e.pos);
    throw e;
  }
  const errors = build.findings.filter((f) => f.severity === 'error');
  if (!build.ok || !build.outDirCopy || !build.provenance) {
    if (build.outDirCopy) fs.rmSync(build.outDirCopy, { recursive: true, force: true });
    return fail(
      'verify-build',
      `release build verification failed (${errors.length} finding(s))`,
      errors.map(
        (f) =>
          `${f.rule}: ${f.file ? `${f.file}${f.line ? `:${f.line}` : ''}${f.column ? `:${f.column}` : ''}: ` : ''}${f.message}`,
      ),
    );
  }
  steps.push({
    step: 'verify-build',
    status: 'passed',
    summary: `built ${build.outputs.length} file(s)${profile.reproducible ? ', reproducible' : ''}`,
    details: build.findings.map((f) => `${f.severity}: ${f.message}`),
  });
  pauseAt('verify-build');

  // 4. the deterministic artifact, in a staging directory next to the publish location
  const name = `${artifactBase(projectRoot)}-${version}.tgz`;
  fs.mkdirSync(publishRoot, { recursive: true });
  const staging = fs.mkdtempSync(path.join(publishRoot, stagingPrefix()));
  let published: string | null = null;
  try {
    const entries: TarEntry[] = listFiles(build.outDirCopy).map((rel) => ({
      path: `build/${rel}`,
      data: fs.readFileSync(path.join(build.outDirCopy!, rel)),
    }));
    if (ws) entries.push(...ws.files);
    else entries.push({ path: 'invariants.manifest.json', data: Buffer.from(canonicalJson(head.manifest)) });
    entries.push({ path: 'provenance.intoto.json', data: Buffer.from(provenanceJson(build.provenance)) });
    const tgz = deterministicTgz(entries, commitTime(repo, commit));
    const sha = sha256Hex(tgz);
    const versionDir = path.join(staging, version);
    fs.mkdirSync(versionDir);
    writeFileAtomic(path.join(versionDir, name), tgz);
    writeFileAtomic(path.join(versionDir, 'provenance.intoto.json'), provenanceJson(build.provenance));
    writeFileAtomic(path.join(versionDir, `${name}.sha256`), `${sha}  ${name}\n`);
    steps.push({ step: 'package', status: 'passed', summary: `${name} (sha256 ${sha.slice(0, 16)}…)`, details: [] });
    pauseAt('package');

    if (opts.dryRun) {
      steps.push({ step: 'publish', status: 'skipped', summary: 'dry run: nothing published', details: [] });
      steps.push({ step: 'registry', status: 'skipped', summary: 'dry run: nothing appended', details: [] });
      result.ok = true;
      result.artifact = { path: path.join(path.relative(projectRoot, publishRoot), version, name), sha256: sha };
      return result;
    }

    // 5. publish: journal first, then one rename into place, then the optional publish command
    const target = path.join(publishRoot, version);
    if (fs.existsSync(target))
      throw new UserError(`${path.relative(process.cwd(), target)} already exists`, {
        hint: 'remove it or pick another --version',
      });
    assertStillHeld(lock);
    writeFileAtomic(
      path.join(publishRoot, JOURNAL),
      journalText({ version, staging: path.basename(staging), published: version }),
    );
    fs.renameSync(versionDir, target);
    published = target;
    if (profile.publish) {
      const r = spawnSync(profile.publish[0]!, [...profile.publish.slice(1), path.join(target, name)], {
        cwd: projectRoot,
        encoding: 'utf8',
        env: { ...process.env, POLICYDRIFT_RELEASE_VERSION: version },
      });
      if (r.status !== 0) {
        fs.rmSync(target, { recursive: true, force: true });
        published = null;
        return fail(
          'publish',
          `publish command failed (exit ${r.status ?? r.signal})`,
          (r.stderr || r.error?.message || '').trim().split('\n').slice(-10),
        );
      }
    }
    steps.push({ step: 'publish', status: 'passed', summary: path.relative(projectRoot, target), details: [] });
    pauseAt('publish');

    // 6. the registry event (the commit point), superseding the previous release
    assertStillHeld(lock, { file: path.join(target, name), sha256: sha });
    appendEvent(
      registryFile,
      {
        type: 'release',
        version,
        git_commit: commit,
        profile: opts.profile,
        manifestVersion: head.manifest.manifestVersion,
        manifestDigest: head.manifest.digest,
        generator: { ...GENERATOR },
        artifact: { name, sha256: sha },
        ...(previous ? { supersedes: previous.version } : {}),
        ...(ws ? { packages: ws.packages } : {}),
      },
      { label: registryRel, sign: signing!, signers: trusted.signers },
    );
    fs.rmSync(path.join(publishRoot, JOURNAL), { force: true });
    published = null;
    steps.push({
      step: 'registry',
      status: 'passed',
      summary: `appended release ${version}${previous ? `, superseding ${previous.version}` : ''}`,
      details: [],
    });
    result.ok = true;
    result.artifact = { path: path.relative(projectRoot, path.join(target, name)), sha256: sha };
    return result;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(build.outDirCopy, { recursive: true, force: true });
    if (published && !result.ok) {
      fs.rmSync(published, { recursive: true, force: true });
      fs.rmSync(path.join(publishRoot, JOURNAL), { force: true });
    }
  }
}
