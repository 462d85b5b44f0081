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
import { runCheck, materializeOpenspec, staleManifestProblem, type CheckResult } from '../check/index.js';
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
  type Registry,
  type ReleaseEvent,
  type SigningKey,
} from '../registry/index.js';
import { readTrustedRegistry, type TrustedRegistry } from '../registry/trust.js';
import { verifyBuild, type VerifyBuildResult } from '../build/verify.js';
import { commitTime } from '../build/worktree.js';
import { provenanceJson } from '../build/provenance.js';
import { canonicalJson } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { UserError, type SourcePos } from '../errors.js';
import { CONFIG_FILE, defaultConfig, parseConfigText, type ProfileConfig } from '../config/index.js';
import { sha256Hex, writeFileAtomic } from '../util/fs.js';
import type { FileLock } from '../registry/lock.js';
import { JOURNAL, acquireReleaseLock, assertStillHeld, journalText, recover, stagingPrefix } from './recovery.js';
import { deterministicTgz, type TarEntry } from './tar.js';
import { stripBom } from '../util/jsonpos.js';
import { GENERATOR } from '../version.js';
import { isWorkspaceCheck, runWorkspaceCheck } from '../workspace/check.js';
import { workspaceHead, type WorkspaceHead } from '../workspace/release.js';

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

/** Prepare (inputs checked, recovery), then run RELEASE_STEPS in order; the first failure skips the rest. */
async function releaseRun(opts: ReleaseOptions, lock: FileLock | null): Promise<ReleaseResult> {
  const ctx = prepareRelease(opts, lock);
  try {
    for (const s of RELEASE_STEPS) {
      const line = s.log(ctx);
      if (line !== null) ctx.log(line);
      const out = await s.run(ctx);
      ctx.result.steps.push({ step: s.step, ...out });
      if (out.status === 'failed') return failedAt(ctx.result, s.step);
      if (out.status === 'passed' && s.pausePoint) pauseAt(s.pausePoint);
    }
    ctx.result.ok = true;
    return ctx.result;
  } finally {
    cleanUp(ctx);
  }
}

/** Mark `step` failed and every later step skipped. */
export function failedAt<R extends Pick<ReleaseResult, 'steps' | 'failedStep'>>(result: R, step: Step): R {
  result.failedStep = step;
  for (const s of STEPS.slice(STEPS.indexOf(step) + 1))
    result.steps.push({ step: s, status: 'skipped', summary: `not run: ${step} failed`, details: [] });
  return result;
}

/** What every release step reads (set up by prepareRelease) and what earlier steps leave for later ones. */
export interface ReleaseContext {
  opts: ReleaseOptions;
  log: (line: string) => void;
  lock: FileLock | null;
  repo: string;
  sub: string;
  projectRoot: string;
  candidateRev: string;
  commit: string;
  profile: ProfileConfig;
  trustedRef: string;
  trusted: TrustedRegistry;
  signing: SigningKey | null;
  registryFile: string;
  registryRel: string;
  publishRoot: string;
  /** The last active release of the trusted registry (null: this release bootstraps it). */
  previous: ReleaseEvent | null;
  /** The workspace at the candidate when releasing a workspace root. */
  ws: WorkspaceHead | null;
  head: { manifest: Manifest };
  version: string;
  result: ReleaseResult;
  /** Left by verify-build. */
  build?: VerifyBuildResult & { outDirCopy: string; provenance: NonNullable<VerifyBuildResult['provenance']> };
  /** Left by package: the staging directory and the artifact in it. */
  staging?: string;
  packaged?: { name: string; sha: string; versionDir: string };
  /** Set by publish until the registry records it: removed again if the release does not complete. */
  published?: string | null;
}

export type StepRun = Omit<StepOutcome, 'step'>;

export interface ReleaseStep {
  step: Step;
  /** The line logged when the step starts, or null. */
  log(ctx: Pick<ReleaseContext, 'opts'>): string | null;
  /** The point `POLICYDRIFT_RELEASE_PAUSE` stops at once the step passed (the crash tests), or null. */
  pausePoint: Step | null;
  /**
   * What the step does to the recovery journal (`<publish dir>/.release-in-progress.json`): publish
   * writes it (naming the release) before renaming the artifact into place; registry removes it after
   * the append, the commit point. Recovery removes the artifact a journal names and the registry lacks.
   */
  journal: 'none' | 'written' | 'removed';
  run(ctx: ReleaseContext): Promise<StepRun>;
}

const passed = (summary: string, details: string[] = []): StepRun => ({ status: 'passed', summary, details });
const failed = (summary: string, details: string[] = [], pos?: SourcePos): StepRun => ({
  status: 'failed',
  summary,
  details,
  ...pos,
});
const skipped = (summary: string): StepRun => ({ status: 'skipped', summary, details: [] });

/** 1. openspec validate --all --strict (the candidate's change sets, through the real CLI). */
export function openspecStep(ctx: Pick<ReleaseContext, 'repo' | 'commit' | 'sub' | 'candidateRev'>): Promise<StepRun> {
  let v: ValidationResult;
  const tmp = materializeOpenspec(ctx.repo, ctx.commit, ctx.sub);
  try {
    if (!fs.existsSync(path.join(tmp, 'openspec'))) {
      return Promise.resolve(
        failed(`no openspec/ folder at ${ctx.candidateRev}`, [
          'initialise it with `npx openspec init --tools none --no-animation .` and commit it',
        ]),
      );
    }
    v = validateAll(tmp, { strict: true });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const vmsg = validationMessages(v);
  if (!v.ok) return Promise.resolve(failed(`openspec validate --all --strict failed`, vmsg));
  return Promise.resolve(passed(`${v.summary?.totals.items ?? 0} item(s) valid`, vmsg));
}

/** What the check step reports of a check: passed, or failed with one line per problem. */
export function checkOutcome(
  check: Pick<CheckResult, 'ok' | 'manifest' | 'justified' | 'unjustified' | 'warnings'>,
  release: { bootstrap: boolean; previous: string | null; registryRel: string; manifestVersion: number },
): StepRun {
  if (!check.ok) {
    const stale = staleManifestProblem(check.manifest);
    const details = [
      ...(stale ? [stale] : []),
      ...check.unjustified.map(
        (u) =>
          `${u.change.rule} (${u.change.effect}) ${u.change.id}${u.change.subject ? ` [${u.change.subject}]` : ''}: ${u.change.message}${u.blockedBy.length ? ` — ${u.blockedBy.join('; ')}` : ' — no OpenSpec change set declares it'}`,
      ),
    ];
    return failed(
      `drift check failed: ${check.unjustified.length} unjustified change(s)${check.manifest.fresh ? '' : ', stale manifest'}`,
      details,
    );
  }
  return passed(
    release.bootstrap
      ? `BOOTSTRAP: no active release in ${release.registryRel}; this release records the baseline (manifest v${release.manifestVersion}) without a drift check`
      : `no unjustified change since release ${release.previous} (${check.justified.length} justified)`,
    check.warnings,
  );
}

/** 2. The drift check against the last active release (bootstrap: against the candidate itself). */
function checkStep(ctx: ReleaseContext): Promise<StepRun> {
  const check = (ctx.ws ? runWorkspaceCheck : runCheck)({
    dir: ctx.opts.dir,
    against: ctx.previous ? 'registry' : ctx.commit,
    candidate: ctx.commit,
    registryRef: ctx.trustedRef,
  });
  ctx.result.check = check;
  return Promise.resolve(
    checkOutcome(check, {
      bootstrap: !ctx.previous,
      previous: ctx.previous?.version ?? null,
      registryRel: ctx.registryRel,
      manifestVersion: ctx.head.manifest.manifestVersion,
    }),
  );
}

/** 3. The release-build verification (a UserError of the build is this step's failure). */
async function verifyBuildStep(ctx: ReleaseContext): Promise<StepRun> {
  let build: VerifyBuildResult;
  try {
    build = await verifyBuild({
      repoDir: ctx.projectRoot,
      commit: ctx.commit,
      profileName: ctx.opts.profile,
      profile: ctx.profile,
      manifest: ctx.head.manifest,
      manifestDigestAtCommit: ctx.head.manifest.digest,
      log: ctx.log,
    });
  } catch (e) {
    if (e instanceof UserError) return failed(e.message, e.hint ? [e.hint] : [], e.pos);
    throw e;
  }
  const errors = build.findings.filter((f) => f.severity === 'error');
  if (!build.ok || !build.outDirCopy || !build.provenance) {
    if (build.outDirCopy) fs.rmSync(build.outDirCopy, { recursive: true, force: true });
    return failed(
      `release build verification failed (${errors.length} finding(s))`,
      errors.map(
        (f) =>
          `${f.rule}: ${f.file ? `${f.file}${f.line ? `:${f.line}` : ''}${f.column ? `:${f.column}` : ''}: ` : ''}${f.message}`,
      ),
    );
  }
  ctx.build = { ...build, outDirCopy: build.outDirCopy, provenance: build.provenance };
  return passed(
    `built ${build.outputs.length} file(s)${ctx.profile.reproducible ? ', reproducible' : ''}`,
    build.findings.map((f) => `${f.severity}: ${f.message}`),
  );
}

/** 4. The deterministic artifact, in a staging directory next to the publish location. */
function packageStep(ctx: ReleaseContext): Promise<StepRun> {
  const build = ctx.build!;
  const name = `${artifactBase(ctx.projectRoot)}-${ctx.version}.tgz`;
  fs.mkdirSync(ctx.publishRoot, { recursive: true });
  ctx.staging = fs.mkdtempSync(path.join(ctx.publishRoot, stagingPrefix()));
  const entries: TarEntry[] = listFiles(build.outDirCopy).map((rel) => ({
    path: `build/${rel}`,
    data: fs.readFileSync(path.join(build.outDirCopy, rel)),
  }));
  if (ctx.ws) entries.push(...ctx.ws.files);
  else entries.push({ path: 'invariants.manifest.json', data: Buffer.from(canonicalJson(ctx.head.manifest)) });
  entries.push({ path: 'provenance.intoto.json', data: Buffer.from(provenanceJson(build.provenance)) });
  const tgz = deterministicTgz(entries, commitTime(ctx.repo, ctx.commit));
  const sha = sha256Hex(tgz);
  const versionDir = path.join(ctx.staging, ctx.version);
  fs.mkdirSync(versionDir);
  writeFileAtomic(path.join(versionDir, name), tgz);
  writeFileAtomic(path.join(versionDir, 'provenance.intoto.json'), provenanceJson(build.provenance));
  writeFileAtomic(path.join(versionDir, `${name}.sha256`), `${sha}  ${name}\n`);
  ctx.packaged = { name, sha, versionDir };
  return Promise.resolve(passed(`${name} (sha256 ${sha.slice(0, 16)}…)`));
}

/** 5. Publish: journal first, then one rename into place, then the optional publish command. */
function publishStep(ctx: ReleaseContext): Promise<StepRun> {
  if (ctx.opts.dryRun) return Promise.resolve(skipped('dry run: nothing published'));
  const { name, versionDir } = ctx.packaged!;
  const target = path.join(ctx.publishRoot, ctx.version);
  if (fs.existsSync(target))
    throw new UserError(`${path.relative(process.cwd(), target)} already exists`, {
      hint: 'remove it or pick another --version',
    });
  assertStillHeld(ctx.lock);
  writeFileAtomic(
    path.join(ctx.publishRoot, JOURNAL),
    journalText({ version: ctx.version, staging: path.basename(ctx.staging!), published: ctx.version }),
  );
  fs.renameSync(versionDir, target);
  ctx.published = target;
  const publish = ctx.profile.publish;
  if (publish) {
    const r = spawnSync(publish[0]!, [...publish.slice(1), path.join(target, name)], {
      cwd: ctx.projectRoot,
      encoding: 'utf8',
      env: { ...process.env, POLICYDRIFT_RELEASE_VERSION: ctx.version },
    });
    if (r.status !== 0) {
      fs.rmSync(target, { recursive: true, force: true });
      ctx.published = null;
      return Promise.resolve(
        failed(
          `publish command failed (exit ${r.status ?? r.signal})`,
          (r.stderr || r.error?.message || '').trim().split('\n').slice(-10),
        ),
      );
    }
  }
  return Promise.resolve(passed(path.relative(ctx.projectRoot, target)));
}

/** 6. The registry event (the commit point), superseding the previous release. */
function registryStep(ctx: ReleaseContext): Promise<StepRun> {
  const { name, sha } = ctx.packaged!;
  const { result, version, previous } = ctx;
  if (ctx.opts.dryRun) {
    result.artifact = { path: path.join(path.relative(ctx.projectRoot, ctx.publishRoot), version, name), sha256: sha };
    return Promise.resolve(skipped('dry run: nothing appended'));
  }
  const target = ctx.published!;
  assertStillHeld(ctx.lock, { file: path.join(target, name), sha256: sha });
  appendEvent(
    ctx.registryFile,
    {
      type: 'release',
      version,
      git_commit: ctx.commit,
      profile: ctx.opts.profile,
      manifestVersion: ctx.head.manifest.manifestVersion,
      manifestDigest: ctx.head.manifest.digest,
      generator: { ...GENERATOR },
      artifact: { name, sha256: sha },
      ...(previous ? { supersedes: previous.version } : {}),
      ...(ctx.ws ? { packages: ctx.ws.packages } : {}),
    },
    { label: ctx.registryRel, sign: ctx.signing!, signers: ctx.trusted.signers },
  );
  fs.rmSync(path.join(ctx.publishRoot, JOURNAL), { force: true });
  ctx.published = null;
  result.artifact = { path: path.relative(ctx.projectRoot, path.join(target, name)), sha256: sha };
  return Promise.resolve(passed(`appended release ${version}${previous ? `, superseding ${previous.version}` : ''}`));
}

/** The release gate's steps, in order (STEPS names them). */
export const RELEASE_STEPS: readonly ReleaseStep[] = [
  {
    step: 'openspec',
    log: () => 'openspec validate --all --strict',
    pausePoint: 'openspec',
    journal: 'none',
    run: openspecStep,
  },
  { step: 'check', log: () => 'check', pausePoint: 'check', journal: 'none', run: checkStep },
  {
    step: 'verify-build',
    log: (ctx) => `verify-build --profile ${ctx.opts.profile}`,
    pausePoint: 'verify-build',
    journal: 'none',
    run: verifyBuildStep,
  },
  { step: 'package', log: () => null, pausePoint: 'package', journal: 'none', run: packageStep },
  { step: 'publish', log: () => null, pausePoint: 'publish', journal: 'written', run: publishStep },
  { step: 'registry', log: () => null, pausePoint: null, journal: 'removed', run: registryStep },
];

/** Whatever a run leaves behind: staging, the build copy, and a published artifact the registry does not record. */
function cleanUp(ctx: ReleaseContext): void {
  if (ctx.staging) fs.rmSync(ctx.staging, { recursive: true, force: true });
  if (ctx.build) fs.rmSync(ctx.build.outDirCopy, { recursive: true, force: true });
  if (ctx.published && !ctx.result.ok) {
    fs.rmSync(ctx.published, { recursive: true, force: true });
    fs.rmSync(path.join(ctx.publishRoot, JOURNAL), { force: true });
  }
}

/** The release profile of the candidate's config, or a user error naming the profiles there are. */
function releaseProfile(repo: string, sub: string, commit: string, opts: ReleaseOptions, candidateRev: string) {
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
  return { config, profile };
}

/** The trusted ref: --registry-ref, else the release branch, which HEAD must be on. */
function releaseTrustedRef(repo: string, opts: ReleaseOptions, releaseBranch: string): string {
  if (opts.registryRef) return opts.registryRef;
  const branch = currentBranch(repo);
  if (branch !== releaseBranch) {
    throw new UserError(
      `release reads the registry baseline from the release branch "${releaseBranch}", and HEAD is ${branch ? `on "${branch}"` : 'detached'}`,
      {
        hint: `run the release job on "${releaseBranch}" (config "releaseBranch"), or pass --registry-ref <protected branch> so the baseline, bootstrap and revocations come from it and not from this branch`,
      },
    );
  }
  return branch;
}

/** Every event is signed when written: the key must be a release signer of the trusted ref before anything is built. */
function releaseSigningKey(opts: ReleaseOptions, trusted: TrustedRegistry, trustedRef: string): SigningKey | null {
  const keyPath = opts.signingKey ?? (process.env[SIGNING_KEY_ENV] || undefined);
  if (keyPath) return { keyPath, identity: signingIdentity(keyPath, trusted.signers) };
  if (opts.dryRun) return null;
  throw new UserError('release needs a signing key: every registry event is signed by a release signer', {
    hint: `pass --signing-key <private key file> or set ${SIGNING_KEY_ENV} (in CI: a secret written to a file with mode 600); its public key must be in the release signers file (config "releaseSigners") at ${trustedRef}`,
  });
}

/** The registry we append to must be the candidate's committed one, untouched. */
function candidateRegistry(repo: string, commit: string, file: string, rel: string, candidateRev: string): Registry {
  const committed = readFileAtRef(repo, commit, rel);
  const working = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  if (committed !== null && working !== committed) {
    throw new UserError(`${rel}: the working tree copy differs from the one committed at ${candidateRev}`, {
      hint: 'commit or discard the change; the release appends to the committed registry',
    });
  }
  return committed !== null
    ? parseRegistryText(committed, `${candidateRev}:${rel}`)
    : readRegistryFile(file, rel, { allowMissing: true });
}

/**
 * Everything checked before the first step: input errors (profile, trusted registry, signing key) come
 * before extraction, which can take a while; then recovery (real runs), the candidate, and the version.
 */
function prepareRelease(opts: ReleaseOptions, lock: FileLock | null): ReleaseContext {
  const log = opts.log ?? (() => {});
  const repo = repoRoot(opts.dir);
  const sub = repoPrefix(opts.dir);
  const projectRoot = sub ? path.join(repo, sub) : repo;
  const candidateRev = opts.candidate ?? 'HEAD';
  const commit = resolveCommit(repo, candidateRev);
  const { config, profile } = releaseProfile(repo, sub, commit, opts, candidateRev);
  const trustedRef = releaseTrustedRef(repo, opts, config.releaseBranch);
  resolveCommit(repo, trustedRef);
  const trusted = readTrustedRegistry(repo, trustedRef, sub);
  for (const w of trusted.warnings) log(`warning: ${w}`);
  const signing = releaseSigningKey(opts, trusted, trustedRef);
  const registryFile = path.join(projectRoot, config.registry);
  const registryRel = sub ? path.posix.join(sub, config.registry) : config.registry;
  const publishRoot = path.join(projectRoot, opts.publishDir ?? 'release/artifacts');
  const recovered = lock ? recover(publishRoot, registryFile) : []; // a dry run recovers nothing
  for (const r of recovered) log(`recovered: ${r}`);
  const registry = candidateRegistry(repo, commit, registryFile, registryRel, candidateRev);
  // Baseline and bootstrap from the trusted registry only: what the candidate appends (a revoke, a
  // release) never moves them; the check step reports such events (REGISTRY_APPENDED).
  const previous = trusted.registry ? lastActiveRelease(trusted.registry) : null;
  // At a workspace root (docs/monorepo.md): every package, one event (src/workspace/release.ts).
  const ws = isWorkspaceCheck(opts.dir, candidateRev, opts.registryRef)
    ? workspaceHead(repo, commit, sub, candidateRev)
    : null;
  const head = ws ?? extractAtRef({ repoDir: repo, rev: commit, root: sub });
  const version =
    opts.version ??
    (opts.dryRun
      ? `dry-run-${commit.slice(0, 12)}`
      : defaultVersion(projectRoot, head.manifest.manifestVersion, commit));
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(version))
    throw new UserError(`invalid release version "${version}"`, { hint: 'use letters, digits and . _ + -' });
  if (findRelease(registry, version))
    throw new UserError(`release ${version} is already in ${registryRel}`, { hint: 'pass a new --version' });
  const result: ReleaseResult = {
    ok: false,
    version,
    commit,
    bootstrap: previous === null,
    dryRun: !!opts.dryRun,
    steps: [],
    failedStep: null,
    artifact: null,
    check: null,
    recovered,
  };
  // prettier-ignore
  return {
    opts, log, lock, repo, sub, projectRoot, candidateRev, commit, profile, trustedRef, trusted, signing,
    registryFile, registryRel, publishRoot, previous, ws, head, version, result,
  };
}
