/**
 * The policy drift gate: diff the baseline (the last active release, or the
 * merge-base with --against) and the candidate, both extracted from git
 * objects, and require every non-neutral change to be justified by a valid,
 * approved OpenSpec change set present at the candidate.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ts } from 'ts-morph';
import { canonicalJson, differingEntries, parseManifestText } from '../manifest/index.js';
import { MANIFEST_SCHEMA_VERSION, type Manifest } from '../manifest/types.js';
import { diffManifests, type DiffResult, type GoverningFile, type RegistryAppend } from '../diff/index.js';
import type { Change } from '../diff/types.js';
import { UNJUSTIFIABLE_RULES } from '../diff/rules/config.js';
import { extractAtRef, readFileAtRef, type ExtractAtRefResult } from '../extract/from-tree.js';
import { mergeBase, repoPrefix, repoRoot, resolveCommit } from '../git/run.js';
import { catFileBatch, listTree } from '../git/tree.js';
import {
  appendedEvents,
  describeEvent,
  lastActiveRelease,
  parseRegistryText,
  type AppendedEvent,
  type ReleaseEvent,
} from '../registry/index.js';
import { readTrustedRegistry } from '../registry/trust.js';
import { discoverChangeSets, type ChangeSet, type JustificationDecl } from '../openspec/changes.js';
import { changeItem, validateChange, validationMessages } from '../openspec/cli.js';
import { declarationFor, matchJustifications, sameTarget, type GatedChangeSet } from '../openspec/justify.js';
import { evaluateApprovals, type ApprovalEvaluation } from '../approvals/index.js';
import { findPlaceholders, placeholderMessages } from '../openspec/placeholders.js';
import { CONFIG_FILE, type ResolvedConfig } from '../config/index.js';
import { UserError } from '../errors.js';
import { progress } from '../util/progress.js';

export interface CheckOptions {
  /** A directory inside the repository (the cwd, or --root). */
  dir: string;
  /** `registry` (default) or a revision compared at its merge-base with the candidate. */
  against: string;
  candidate: string;
  /** Trusted ref the registry is read from (the protected branch). */
  registryRef?: string;
  /** Stale or invalid declarations fail too. */
  strict?: boolean;
}

export interface Side {
  commit: string;
  ref: string;
  manifestVersion: number;
  digest: string;
}

export interface ChangeSetStatus {
  id: string;
  path: string;
  archived: boolean;
  /** Declares a policydrift block whose version range lies inside this check's range. */
  relevant: boolean;
  from: number | null;
  to: number | null;
  valid: boolean;
  validation: string[];
  approved: boolean;
  approvals: Pick<ApprovalEvaluation, 'mode' | 'valid' | 'invalid' | 'required' | 'reason'> | null;
}

export interface Unjustified {
  change: Change;
  /** The exact `policydrift.justifies` entry that would justify it. */
  declaration: JustificationDecl;
  /** Why a declaration that names it does not count, when one exists. */
  blockedBy: string[];
}

export interface CheckResult {
  ok: boolean;
  baseline: Side & { source: 'registry' | 'merge-base'; release: string | null; against: string };
  candidate: Side;
  /** appended: events the candidate adds beyond the trusted registry; untrusted: those not validly signed (REGISTRY_APPENDED). */
  registry: {
    path: string;
    trustedRef: string | null;
    trusted: boolean;
    appended: number;
    untrusted: number;
    legacy: number;
  };
  manifest: { path: string; fresh: boolean; entries: string[] };
  approvalsMode: 'signed' | 'listed';
  diff: DiffResult;
  justified: Array<{ change: Change; changeSet: string }>;
  unjustified: Unjustified[];
  stale: Array<{ changeSet: string; declaration: JustificationDecl; reason: string }>;
  invalid: Array<{ changeSet: string; declaration: JustificationDecl; reason: string }>;
  changeSets: ChangeSetStatus[];
  warnings: string[];
}

const join = (sub: string, rel: string) => (sub ? path.posix.join(sub, rel) : rel);

/** A governing JSON(C) file as a value (null when absent); comments and formatting do not count. */
function jsonValue(text: string | null, file: string): unknown {
  if (text === null) return null;
  const parsed = ts.parseConfigFileTextToJson(file, text);
  if (parsed.error || typeof parsed.config !== 'object' || parsed.config === null) return text;
  const v = parsed.config as Record<string, unknown>;
  delete v.$schema;
  delete v.$comment;
  return v;
}

/** Non-empty, non-comment lines of an allowed-signers file, sorted (order does not matter to ssh-keygen). */
function signersValue(text: string | null): unknown {
  if (text === null) return null;
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .sort();
}

export { UNJUSTIFIABLE_RULES };

/** An event the candidate appends to the registry that no release signer of the trusted ref signed, for REGISTRY_APPENDED. */
export function registryAppendOf(registryRel: string, trustedRef: string, a: AppendedEvent): RegistryAppend {
  const e = a.event;
  return {
    registry: registryRel,
    trustedRef,
    seq: e.seq,
    event: {
      seq: e.seq,
      type: e.type,
      version: e.version,
      ...(e.type === 'release' ? { git_commit: e.git_commit, manifestDigest: e.manifestDigest } : {}),
      signer: e.signer ?? null,
    },
    description: describeEvent(e),
    problem: a.problem ?? '',
  };
}

/**
 * The files that decide what is extracted and who may approve are changes
 * that must be justified too (CONFIG_CHANGED): policydrift.config.json, the
 * tsconfig (its include/exclude decide which files are analysed), the
 * allowed-signers file (who can approve the next change) and the release
 * signers file (who can record the next release, i.e. the next baseline).
 * Each side is read from its commit and normalised (jsonValue, signersValue).
 */
export function governingFiles(
  repo: string,
  base: ExtractAtRefResult,
  head: ExtractAtRefResult,
  sub: string,
): GoverningFile[] {
  const out: GoverningFile[] = [];
  const cfgId = join(sub, CONFIG_FILE);
  out.push({
    id: cfgId,
    what: 'the config decides what is extracted and how changes are ordered',
    before: jsonValue(base.configText, cfgId),
    after: jsonValue(head.configText, cfgId),
  });
  const file = (id: string, what: string, value: (text: string | null) => unknown): GoverningFile => ({
    id,
    what,
    before: value(readFileAtRef(repo, base.commit, id)),
    after: value(readFileAtRef(repo, head.commit, id)),
  });
  const tsconfigs = [join(sub, base.config.tsconfig), join(sub, head.config.tsconfig)];
  for (const id of new Set(tsconfigs))
    out.push(file(id, 'the tsconfig decides which files are analysed', (t) => jsonValue(t, id)));
  // What a tsconfig `extends` is part of it (include, exclude, files, compiler options are inherited): each
  // file of the chain on either side, inside the repository, is governing too.
  const extended = new Set([
    ...extendsChain(repo, base.commit, join(sub, base.config.tsconfig)),
    ...extendsChain(repo, head.commit, join(sub, head.config.tsconfig)),
  ]);
  for (const id of [...extended].filter((x) => !tsconfigs.includes(x)).sort())
    out.push(file(id, 'a tsconfig the tsconfig extends decides which files are analysed too', (t) => jsonValue(t, id)));
  const repoPaths = (files: Array<string | null | undefined>) =>
    new Set(files.filter((x): x is string => !!x).map((f) => join(sub, f)));
  for (const id of repoPaths([base.config.approvals.allowedSigners, head.config.approvals.allowedSigners]))
    out.push(file(id, 'the allowed signers decide who can approve the next change', signersValue));
  for (const id of repoPaths([base.config.releaseSigners, head.config.releaseSigners]))
    out.push(file(id, 'the release signers decide who can record the next release (the next baseline)', signersValue));
  return out;
}

/**
 * The repository paths of the tsconfigs `id` extends at `commit`, transitively (`"extends"`: a path or, since
 * TypeScript 5.0, a list). Relative paths only: a package (`@tsconfig/node20/…`) comes from node_modules,
 * pinned by the lockfile, not from the repository.
 */
export function extendsChain(repo: string, commit: string, id: string): string[] {
  const out: string[] = [];
  const queue = [id];
  const seen = new Set<string>([id]);
  for (let cur = queue.shift(); cur !== undefined; cur = queue.shift()) {
    const value = jsonValue(readFileAtRef(repo, commit, cur), cur);
    if (typeof value !== 'object' || value === null) continue;
    const ext = (value as { extends?: unknown }).extends;
    for (const e of Array.isArray(ext) ? ext : [ext]) {
      if (typeof e !== 'string' || !(e.startsWith('./') || e.startsWith('../'))) continue;
      let target = path.posix.normalize(path.posix.join(path.posix.dirname(cur), e));
      if (target.startsWith('../')) continue;
      if (!target.endsWith('.json') && readFileAtRef(repo, commit, target) === null) target += '.json';
      if (seen.has(target)) continue;
      seen.add(target);
      out.push(target);
      queue.push(target);
    }
  }
  return out;
}

/** Write the candidate's openspec/ folder (from git objects) into a temp dir so OpenSpec can read it. */
export function materializeOpenspec(repo: string, commit: string, sub: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policydrift-openspec-'));
  const prefix = join(sub, 'openspec') + '/';
  const wanted: Array<[string, string]> = [];
  // Regular files only: a symlink in a change set could point outside it.
  for (const [rel, e] of listTree(repo, commit))
    if (rel.startsWith(prefix) && e.type === 'blob' && e.mode !== '120000') wanted.push([rel, e.oid]);
  const blobs = catFileBatch(
    repo,
    wanted.map(([, oid]) => oid),
  );
  wanted.forEach(([rel], i) => {
    const out = path.join(dir, ...rel.slice(sub ? sub.length + 1 : 0).split('/'));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, blobs[i]!);
  });
  return dir;
}

/** What to run when there is no baseline yet: the first (bootstrap) release, or a branch to compare with. */
function noReleaseHint(cfg: ResolvedConfig, registryRel: string, trustedRef: string | null): string {
  const profile = Object.keys(cfg.profiles).sort()[0];
  const signing = cfg.releaseSigners
    ? '--signing-key <key>'
    : '--signing-key <key>` (after listing that key in a release signers file named by "releaseSigners")';
  const release = profile
    ? `record the first release (the baseline): \`policydrift release --profile ${profile} ${signing}${cfg.releaseSigners ? '`' : ''}`
    : `add a release profile under "profiles" in ${CONFIG_FILE} (see docs/config.md), then record the first release (the baseline): \`policydrift release --profile <name> ${signing}${cfg.releaseSigners ? '`' : ''}`;
  const commit = `, then commit ${registryRel}${trustedRef ? ` and merge it into ${trustedRef.replace(/^origin\//, '')}` : ''}`;
  return `${release}${commit}; until then compare with a branch: \`policydrift check --against main\``;
}

/**
 * The drift gate of one project, as named steps: the trusted registry, the baseline, both sides
 * extracted, the committed manifest's freshness, the diff (with the governing files and the appended
 * registry events), the change sets, and the verdict.
 */
export function runCheck(opts: CheckOptions): CheckResult {
  const repo = repoRoot(opts.dir);
  const sub = repoPrefix(opts.dir);
  const warnings: string[] = [];
  const candidateCommit = resolveCommit(repo, opts.candidate);
  const reg = trustedRegistryStep(repo, sub, candidateCommit, opts, warnings);
  const baseline = resolveBaseline(
    repo,
    candidateCommit,
    opts,
    reg,
    noReleaseHint(reg.trusted.config, reg.registryRel, reg.trustedRef),
  );
  const { base, head } = extractSides(repo, sub, baseline.commit, candidateCommit, warnings);
  const manifest = manifestFreshnessStep(repo, candidateCommit, join(sub, head.config.manifest), head.manifest, {
    ref: opts.candidate,
    acceptOlder: true,
  });
  const diff = diffManifests(base.manifest, head.manifest, base.config.orders, {
    governing: governingFiles(repo, base, head, sub),
    registryAppends: reg.registryAppends,
  });
  const evaluation = changeSetStep({
    repo,
    sub,
    baseCommit: baseline.commit,
    candidateCommit,
    approvalsCfg: base.config.approvals,
    lo: base.manifest.manifestVersion,
    hi: head.manifest.manifestVersion,
    unit: 'manifest',
    changes: diff.changes,
    warnings,
  });
  const verdict = verdictStep({
    changes: diff.changes,
    unjustifiable: registryChangesOf(diff.changes, reg.registryAppends),
    evaluation,
    fresh: manifest.fresh,
    strict: opts.strict,
  });
  return {
    ok: verdict.ok,
    baseline: { ...sideOf(base), ...baseline.side, against: opts.against },
    candidate: { ...sideOf(head), ref: opts.candidate },
    registry: registrySummary(reg),
    manifest,
    approvalsMode: base.config.approvals.mode,
    diff,
    ...verdict.parts,
    changeSets: evaluation.statuses.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    warnings,
  };
}

/** The commit, version and digest of an extracted side, for CheckResult.baseline and .candidate. */
function sideOf(r: ExtractAtRefResult): Pick<Side, 'commit' | 'manifestVersion' | 'digest'> {
  return { commit: r.commit, manifestVersion: r.manifest.manifestVersion, digest: r.manifest.digest };
}

export interface Baseline {
  commit: string;
  /** What CheckResult.baseline says of it (its commit, version and digest come from extraction). */
  side: { ref: string; source: 'registry' | 'merge-base'; release: string | null };
  release: ReleaseEvent | null;
}

/**
 * The baseline step: the last active release of the trusted registry (`--against registry`), else
 * the merge-base of `--against` and the candidate. No active release is a user error with `hint`.
 */
export function resolveBaseline(
  repo: string,
  candidateCommit: string,
  opts: Pick<CheckOptions, 'against' | 'candidate'>,
  reg: { trusted: Pick<TrustedRegistryStep['trusted'], 'registry'> } & Pick<
    TrustedRegistryStep,
    'trustedRef' | 'registryRel'
  >,
  hint: string,
): Baseline {
  if (opts.against !== 'registry') {
    resolveCommit(repo, opts.against);
    return {
      commit: mergeBase(repo, opts.against, candidateCommit),
      side: { ref: `merge-base(${opts.against}, ${opts.candidate})`, source: 'merge-base', release: null },
      release: null,
    };
  }
  const release = reg.trusted.registry ? lastActiveRelease(reg.trusted.registry) : null;
  if (!release) {
    throw new UserError(
      `${reg.registryRel}${reg.trustedRef ? ` at ${reg.trustedRef}` : ''}: no active release to compare with`,
      { hint },
    );
  }
  return {
    commit: resolveCommit(repo, release.git_commit),
    side: { ref: `release ${release.version}`, source: 'registry', release: release.version },
    release,
  };
}

/** Both sides extracted from git objects; a baseline whose committed manifest is of an older schema is noted. */
export function extractSides(
  repo: string,
  sub: string,
  baseCommit: string,
  candidateCommit: string,
  warnings: string[],
): { base: ExtractAtRefResult; head: ExtractAtRefResult } {
  const base = extractAtRef({ repoDir: repo, rev: baseCommit, root: sub });
  const olderBase = committedSchemaVersion(readFileAtRef(repo, baseCommit, join(sub, base.config.manifest)));
  if (olderBase !== null && olderBase < MANIFEST_SCHEMA_VERSION) {
    warnings.push(
      `the baseline's committed manifest has schema version ${olderBase} (an older policydrift); the baseline was re-extracted from its source with this version (schema ${MANIFEST_SCHEMA_VERSION}), so both sides are compared alike`,
    );
  }
  const head = extractAtRef({ repoDir: repo, rev: candidateCommit, root: sub });
  return { base, head };
}

export type ManifestFreshness = CheckResult['manifest'];

/** What to run when a committed manifest is stale. */
export const STALE_MANIFEST_REMEDY = 'run `policydrift extract --write` and commit';

/**
 * The freshness step: the manifest committed at the candidate must be what extraction gives. When not,
 * `entries` names what differs (`(missing)`, `(invalid manifest file)`, or the differing entries).
 */
export function manifestFreshnessStep(
  repo: string,
  candidateCommit: string,
  manifestRel: string,
  extracted: Manifest,
  opts: { ref: string; acceptOlder: boolean },
): ManifestFreshness {
  const committedText = readFileAtRef(repo, candidateCommit, manifestRel);
  return { path: manifestRel, ...freshness(committedText, extracted, `${opts.ref}:${manifestRel}`, opts.acceptOlder) };
}

/** The pure part of the freshness step: a committed manifest's text against the extracted manifest. */
export function freshness(
  committedText: string | null,
  extracted: Manifest,
  label: string,
  acceptOlder: boolean,
): { fresh: boolean; entries: string[] } {
  if (committedText === canonicalJson(extracted)) return { fresh: true, entries: [] };
  if (committedText === null) return { fresh: false, entries: ['(missing)'] };
  let committed: Manifest;
  try {
    committed = parseManifestText(committedText, label, acceptOlder ? { acceptOlder: true } : undefined);
  } catch {
    return { fresh: false, entries: ['(invalid manifest file)'] };
  }
  return { fresh: false, entries: differingEntries(committed, extracted) };
}

/** A stale manifest as one line with its remedy (the release's check step), or null when fresh. */
export function staleManifestProblem(m: ManifestFreshness): string | null {
  return m.fresh ? null : `stale manifest ${m.path}: ${STALE_MANIFEST_REMEDY}`;
}

/** The changes a change set can justify: non-neutral, and not of an unjustifiable rule. */
export function justifiableChanges(changes: Change[]): Change[] {
  return changes.filter((c) => c.effect !== 'neutral' && !UNJUSTIFIABLE_RULES.has(c.rule));
}

/** The REGISTRY_APPENDED changes of a diff, in the order the candidate appends the events. */
export function registryChangesOf(changes: Change[], appends: RegistryAppend[]): Change[] {
  const bySubject = new Map(changes.filter((c) => c.rule === 'REGISTRY_APPENDED').map((c) => [c.subject, c]));
  return appends.map((a) => bySubject.get(`seq ${a.seq}`)).filter((c): c is Change => c !== undefined);
}

/**
 * The change-set step with its inputs read: approvals judged with the BASELINE's approvals config and
 * its allowed signers (read at the baseline commit); a "listed" mode is warned about.
 */
export function changeSetStep(opts: {
  repo: string;
  sub: string;
  baseCommit: string;
  candidateCommit: string;
  approvalsCfg: ResolvedConfig['approvals'];
  lo: number;
  hi: number;
  unit: 'manifest' | 'workspace';
  changes: Change[];
  warnings: string[];
}): ChangeSetEvaluation {
  const { repo, sub, approvalsCfg } = opts;
  if (approvalsCfg.mode === 'listed') {
    opts.warnings.push(
      'approvals are in "listed" mode: approver names are checked against a list, not cryptographically verified',
    );
  }
  const signersText = approvalsCfg.allowedSigners
    ? readFileAtRef(repo, opts.baseCommit, join(sub, approvalsCfg.allowedSigners))
    : null;
  return evaluateChangeSets({
    repo,
    candidateCommit: opts.candidateCommit,
    sub,
    lo: opts.lo,
    hi: opts.hi,
    unit: opts.unit,
    nonNeutral: justifiableChanges(opts.changes),
    approvalsCfg,
    signersText,
  });
}

export interface Verdict {
  ok: boolean;
  parts: Pick<CheckResult, 'justified' | 'unjustified' | 'stale' | 'invalid'>;
}

/**
 * The verdict step: every justifiable change must be justified by a valid, approved, relevant change
 * set; `unjustifiable` changes (an unsigned registry event) are always unjustified; the committed
 * manifest must be fresh; with `strict`, stale or invalid declarations fail too.
 */
export function verdictStep(opts: {
  changes: Change[];
  unjustifiable: Change[];
  evaluation: Pick<ChangeSetEvaluation, 'gated' | 'irrelevant'>;
  fresh: boolean;
  strict?: boolean;
}): Verdict {
  const { gated, irrelevant } = opts.evaluation;
  const match = matchJustifications(justifiableChanges(opts.changes), gated);
  const unjustified: Unjustified[] = match.unjustified.map((change) => {
    const blockedBy = match.blocked.filter((b) => b.change === change).map((b) => b.reason);
    for (const ir of irrelevant) {
      if (ir.set.policydrift?.justifies.some((d) => sameTarget(change, d))) blockedBy.push(ir.why);
    }
    return { change, declaration: declarationFor(change), blockedBy };
  });
  for (const change of opts.unjustifiable) {
    const named = gated.some((g) => g.policydrift?.justifies.some((d) => sameTarget(change, d)));
    unjustified.push({
      change,
      declaration: declarationFor(change),
      blockedBy: named
        ? ['no change set can justify an unsigned registry event: only the release job appends to the registry']
        : [],
    });
  }
  const stale = match.stale.map((s) => ({ changeSet: s.set.id, declaration: s.decl, reason: s.reason }));
  const invalid = match.invalid.map((s) => ({ changeSet: s.set.id, declaration: s.decl, reason: s.reason }));
  const ok = opts.fresh && unjustified.length === 0 && (!opts.strict || (stale.length === 0 && invalid.length === 0));
  return {
    ok,
    parts: {
      justified: match.justified.map((j) => ({ change: j.change, changeSet: j.set.id })),
      unjustified,
      stale,
      invalid,
    },
  };
}

/** CheckResult.registry of a registry step. */
export function registrySummary(reg: TrustedRegistryStep): CheckResult['registry'] {
  return {
    path: reg.registryRel,
    trustedRef: reg.trustedRef,
    trusted: !!reg.trustedRef,
    appended: reg.appended,
    untrusted: reg.registryAppends.length,
    legacy: reg.trusted.legacy,
  };
}

export type { ResolvedConfig };

/** The `schemaVersion` of a committed manifest's text, or null when absent or unreadable. */
function committedSchemaVersion(text: string | null): number | null {
  if (text === null) return null;
  try {
    const v = (JSON.parse(text) as { schemaVersion?: unknown }).schemaVersion;
    return typeof v === 'number' ? v : null;
  } catch {
    return null;
  }
}

export interface ChangeSetEvaluation {
  statuses: ChangeSetStatus[];
  gated: GatedChangeSet[];
  irrelevant: Array<{ set: ChangeSet; why: string }>;
}

/**
 * The change-set step of a gate (one project or a workspace root): the candidate's change sets, each
 * validated by OpenSpec (strict), refused while it still holds scaffold placeholders, and judged for
 * approvals with the BASELINE's approvals config and signers. Declarations outside lo→hi are irrelevant.
 */
export function evaluateChangeSets(opts: {
  repo: string;
  candidateCommit: string;
  sub: string;
  lo: number;
  hi: number;
  /** What lo and hi count, for messages: manifest or workspace versions. */
  unit: 'manifest' | 'workspace';
  nonNeutral: Change[];
  approvalsCfg: ResolvedConfig['approvals'];
  signersText: string | null;
}): ChangeSetEvaluation {
  const { repo, candidateCommit, sub, lo, hi, nonNeutral, approvalsCfg, signersText } = opts;
  const statuses: ChangeSetStatus[] = [];
  const gated: GatedChangeSet[] = [];
  const irrelevant: Array<{ set: ChangeSet; why: string }> = [];
  let tmp: string | null = null;
  try {
    progress('change sets: openspec validate, approvals');
    tmp = materializeOpenspec(repo, candidateCommit, sub);
    const sets = fs.existsSync(path.join(tmp, 'openspec')) ? discoverChangeSets(tmp) : [];
    for (const set of sets) {
      if (!set.policydrift) continue;
      const { from, to } = set.policydrift;
      const relevant = from >= lo && to <= hi && from <= to;
      const st: ChangeSetStatus = {
        id: set.id,
        path: join(sub, set.relDir),
        archived: set.archived,
        relevant,
        from,
        to,
        valid: false,
        validation: [],
        approved: false,
        approvals: null,
      };
      statuses.push(st);
      if (!relevant) {
        irrelevant.push({
          set,
          why: `change set ${set.id} declares ${opts.unit} versions ${from}→${to}, outside this check's ${lo}→${hi}`,
        });
        continue;
      }
      let invalidReason: string | undefined;
      if (set.archived) {
        // OpenSpec does not validate archived changes; they were validated while active.
        st.valid = true;
        st.validation = ['archived (validated while active)'];
      } else if (nonNeutral.length) {
        const v = validateChange(tmp, set.id, { strict: true });
        const item = changeItem(v, set.id);
        st.valid = v.ok && !!item?.valid;
        st.validation = validationMessages(v);
        // A scaffold that was never written (TODO lines) justifies nothing, whatever OpenSpec says.
        const todo = findPlaceholders(set.dir);
        if (todo.length) {
          st.valid = false;
          invalidReason = 'scaffold placeholders (TODO lines) in its proposal or spec';
          st.validation.push(...placeholderMessages(st.path, todo));
        }
      }
      const ev = evaluateApprovals(set.dir, approvalsCfg, signersText);
      st.approved = ev.approved;
      st.approvals = { mode: ev.mode, valid: ev.valid, invalid: ev.invalid, required: ev.required, reason: ev.reason };
      gated.push({ ...set, valid: st.valid, approved: st.approved, invalidReason });
    }
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { statuses, gated, irrelevant };
}

/**
 * The registry step of a gate (one project or a workspace root): the trusted registry at --registry-ref
 * (verified against its release signers), and the events the candidate appends to it that no release
 * signer of the trusted ref signed (REGISTRY_APPENDED). Without --registry-ref the registry is the candidate's own.
 */
export interface TrustedRegistryStep {
  trusted: ReturnType<typeof readTrustedRegistry>;
  trustedRef: string | null;
  registryRel: string;
  /** Events the candidate appends beyond the trusted registry. */
  appended: number;
  /** Those of them not validly signed (REGISTRY_APPENDED, through the diff). */
  registryAppends: RegistryAppend[];
}

export function trustedRegistryStep(
  repo: string,
  sub: string,
  candidateCommit: string,
  opts: CheckOptions,
  warnings: string[],
): TrustedRegistryStep {
  // Registry: the baseline, bootstrap and revocations come from the trusted ref only (its
  // registry verified against its release signers); the candidate may only append to it.
  const trustedRef = opts.registryRef ?? null;
  if (trustedRef) resolveCommit(repo, trustedRef);
  const trusted = readTrustedRegistry(repo, trustedRef ?? candidateCommit, sub, trustedRef ?? opts.candidate);
  warnings.push(...trusted.warnings);
  const registryRel = trusted.rel;
  let appended = 0;
  const registryAppends: RegistryAppend[] = [];
  if (trustedRef) {
    const candText = readFileAtRef(repo, candidateCommit, registryRel);
    const candidateRegistry =
      candText === null ? null : parseRegistryText(candText, `${opts.candidate}:${registryRel}`);
    if (candidateRegistry) {
      const added = appendedEvents(
        trusted.registry,
        candidateRegistry,
        trusted.signers,
        `${registryRel} at ${opts.candidate}`,
      );
      appended = added.length;
      for (const a of added) if (a.problem !== null) registryAppends.push(registryAppendOf(registryRel, trustedRef, a));
    } else if (trusted.registry && trusted.registry.events.length) {
      throw new UserError(`${registryRel}: the candidate deletes the release registry that ${trustedRef} has`, {
        exitCode: 1,
        hint: 'the registry is append-only; restore it',
      });
    }
  } else if (opts.against === 'registry') {
    warnings.push(
      `the release registry was read from the candidate itself; pass --registry-ref <protected branch> so a change cannot move its own baseline`,
    );
  }
  return { trusted, trustedRef, registryRel, appended, registryAppends };
}
