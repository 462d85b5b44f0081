/**
 * The policy drift gate: diff the baseline (the last active release, or the
 * merge-base with --against) and the candidate, both extracted from git
 * objects, and require every non-neutral change to be justified by a valid,
 * approved OpenSpec change set present at the candidate.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import stringify from 'json-stable-stringify';
import { ts } from 'ts-morph';
import { canonicalJson, differingEntries, parseManifestText } from '../manifest/index.js';
import { MANIFEST_SCHEMA_VERSION, type Manifest } from '../manifest/types.js';
import { diffManifests, compareChanges, type DiffResult } from '../diff/index.js';
import type { Change } from '../diff/types.js';
import { fingerprint } from '../diff/fingerprint.js';
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

function configChangeOf(id: string, what: string, before: unknown, after: unknown): Change | null {
  if (stringify(before) === stringify(after)) return null;
  return {
    rule: 'CONFIG_CHANGED',
    category: 'config',
    effect: 'modified',
    id,
    subject: '',
    before,
    after,
    message: `${id} changed; ${what}`,
    locations: [id],
    fingerprint: fingerprint('CONFIG_CHANGED', id, '', before, after),
  };
}

export { UNJUSTIFIABLE_RULES };

/** An event the candidate appends to the registry that no release signer of the trusted ref signed. */
export function registryAppendedChange(registryRel: string, trustedRef: string, a: AppendedEvent): Change {
  const e = a.event;
  const subject = `seq ${e.seq}`;
  const after = {
    seq: e.seq,
    type: e.type,
    version: e.version,
    ...(e.type === 'release' ? { git_commit: e.git_commit, manifestDigest: e.manifestDigest } : {}),
    signer: e.signer ?? null,
  };
  return {
    rule: 'REGISTRY_APPENDED',
    category: 'config',
    effect: 'modified',
    id: registryRel,
    subject,
    before: null,
    after,
    message: `the candidate appends ${describeEvent(e)} to the release registry, which ${a.problem}; only the release job appends events, each signed by a release signer of ${trustedRef}, so this one is never a release, a revocation or a baseline. Remove it from the change (\`git checkout ${trustedRef} -- ${registryRel}\`)`,
    locations: [registryRel],
    fingerprint: fingerprint('REGISTRY_APPENDED', registryRel, subject, null, after),
  };
}

/**
 * The files that decide what is extracted and who may approve are changes
 * that must be justified too: policydrift.config.json, the tsconfig (its
 * include/exclude decide which files are analysed), the allowed-signers
 * file (who can approve the next change) and the release signers file (who
 * can record the next release, i.e. the next baseline).
 */
export function configChanges(repo: string, base: ExtractAtRefResult, head: ExtractAtRefResult, sub: string): Change[] {
  const out: Array<Change | null> = [];
  const cfgId = join(sub, CONFIG_FILE);
  out.push(
    configChangeOf(
      cfgId,
      'the config decides what is extracted and how changes are ordered',
      jsonValue(base.configText, cfgId),
      jsonValue(head.configText, cfgId),
    ),
  );
  const tsIds = [...new Set([join(sub, base.config.tsconfig), join(sub, head.config.tsconfig)])];
  for (const id of tsIds) {
    const b = readFileAtRef(repo, base.commit, id);
    const h = readFileAtRef(repo, head.commit, id);
    out.push(configChangeOf(id, 'the tsconfig decides which files are analysed', jsonValue(b, id), jsonValue(h, id)));
  }
  const signers = [base.config.approvals.allowedSigners, head.config.approvals.allowedSigners].filter(
    (x): x is string => !!x,
  );
  for (const id of [...new Set(signers.map((f) => join(sub, f)))]) {
    const b = readFileAtRef(repo, base.commit, id);
    const h = readFileAtRef(repo, head.commit, id);
    out.push(
      configChangeOf(
        id,
        'the allowed signers decide who can approve the next change',
        signersValue(b),
        signersValue(h),
      ),
    );
  }
  const releaseSigners = [base.config.releaseSigners, head.config.releaseSigners].filter((x): x is string => !!x);
  for (const id of [...new Set(releaseSigners.map((f) => join(sub, f)))]) {
    const b = readFileAtRef(repo, base.commit, id);
    const h = readFileAtRef(repo, head.commit, id);
    out.push(
      configChangeOf(
        id,
        'the release signers decide who can record the next release (the next baseline)',
        signersValue(b),
        signersValue(h),
      ),
    );
  }
  return out.filter((c): c is Change => c !== null);
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

export function runCheck(opts: CheckOptions): CheckResult {
  const repo = repoRoot(opts.dir);
  const sub = repoPrefix(opts.dir);
  const warnings: string[] = [];
  const candidateCommit = resolveCommit(repo, opts.candidate);

  const { trusted, trustedRef, registryRel, appended, registryChanges } = trustedRegistryStep(
    repo,
    sub,
    candidateCommit,
    opts,
    warnings,
  );

  let baseCommit: string;
  let source: 'registry' | 'merge-base';
  let release: ReleaseEvent | null = null;
  if (opts.against === 'registry') {
    source = 'registry';
    release = trusted.registry ? lastActiveRelease(trusted.registry) : null;
    if (!release) {
      throw new UserError(`${registryRel}${trustedRef ? ` at ${trustedRef}` : ''}: no active release to compare with`, {
        hint: noReleaseHint(trusted.config, registryRel, trustedRef),
      });
    }
    baseCommit = resolveCommit(repo, release.git_commit);
  } else {
    source = 'merge-base';
    resolveCommit(repo, opts.against);
    baseCommit = mergeBase(repo, opts.against, candidateCommit);
  }

  const base = extractAtRef({ repoDir: repo, rev: baseCommit, root: sub });
  const olderBase = committedSchemaVersion(readFileAtRef(repo, baseCommit, join(sub, base.config.manifest)));
  if (olderBase !== null && olderBase < MANIFEST_SCHEMA_VERSION) {
    warnings.push(
      `the baseline's committed manifest has schema version ${olderBase} (an older policydrift); the baseline was re-extracted from its source with this version (schema ${MANIFEST_SCHEMA_VERSION}), so both sides are compared alike`,
    );
  }
  const head = extractAtRef({ repoDir: repo, rev: candidateCommit, root: sub });

  // The candidate's committed manifest must be what extraction gives.
  const manifestRel = join(sub, head.config.manifest);
  const committedText = readFileAtRef(repo, candidateCommit, manifestRel);
  const freshText = canonicalJson(head.manifest);
  let entries: string[] = [];
  const fresh = committedText === freshText;
  if (!fresh) {
    if (committedText === null) entries = ['(missing)'];
    else {
      let committed: Manifest | null = null;
      try {
        committed = parseManifestText(committedText, `${opts.candidate}:${manifestRel}`, { acceptOlder: true });
      } catch {
        entries = ['(invalid manifest file)'];
      }
      if (committed) entries = differingEntries(committed, head.manifest);
    }
  }

  const diff = diffManifests(base.manifest, head.manifest, base.config.orders);
  const cfgChanges = configChanges(repo, base, head, sub);
  for (const c of [...cfgChanges, ...registryChanges]) {
    diff.changes.push(c);
    diff.summary[c.effect]++;
  }
  diff.changes.sort(compareChanges);

  // Change sets at the candidate; approvals judged with the BASELINE's config and signers.
  const approvalsCfg = base.config.approvals;
  if (approvalsCfg.mode === 'listed') {
    warnings.push(
      'approvals are in "listed" mode: approver names are checked against a list, not cryptographically verified',
    );
  }
  const signersText = approvalsCfg.allowedSigners
    ? readFileAtRef(repo, baseCommit, join(sub, approvalsCfg.allowedSigners))
    : null;
  // Unjustifiable changes stay out of the matching: no declaration can justify them.
  const nonNeutral = diff.changes.filter((c) => c.effect !== 'neutral' && !UNJUSTIFIABLE_RULES.has(c.rule));
  const { statuses, gated, irrelevant } = evaluateChangeSets({
    repo,
    candidateCommit,
    sub,
    lo: base.manifest.manifestVersion,
    hi: head.manifest.manifestVersion,
    unit: 'manifest',
    nonNeutral,
    approvalsCfg,
    signersText,
  });

  const match = matchJustifications(nonNeutral, gated);
  const unjustified: Unjustified[] = match.unjustified.map((change) => {
    const blockedBy = match.blocked.filter((b) => b.change === change).map((b) => b.reason);
    for (const ir of irrelevant) {
      if (ir.set.policydrift?.justifies.some((d) => sameTarget(change, d))) blockedBy.push(ir.why);
    }
    return { change, declaration: declarationFor(change), blockedBy };
  });
  for (const change of registryChanges) {
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
  const ok = fresh && unjustified.length === 0 && (!opts.strict || (stale.length === 0 && invalid.length === 0));

  return {
    ok,
    baseline: {
      commit: base.commit,
      ref: source === 'registry' ? `release ${release!.version}` : `merge-base(${opts.against}, ${opts.candidate})`,
      manifestVersion: base.manifest.manifestVersion,
      digest: base.manifest.digest,
      source,
      release: release?.version ?? null,
      against: opts.against,
    },
    candidate: {
      commit: head.commit,
      ref: opts.candidate,
      manifestVersion: head.manifest.manifestVersion,
      digest: head.manifest.digest,
    },
    registry: {
      path: registryRel,
      trustedRef,
      trusted: !!trustedRef,
      appended,
      untrusted: registryChanges.length,
      legacy: trusted.legacy,
    },
    manifest: { path: manifestRel, fresh, entries },
    approvalsMode: approvalsCfg.mode,
    diff,
    justified: match.justified.map((j) => ({ change: j.change, changeSet: j.set.id })),
    unjustified,
    stale,
    invalid,
    changeSets: statuses.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    warnings,
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
export function trustedRegistryStep(
  repo: string,
  sub: string,
  candidateCommit: string,
  opts: CheckOptions,
  warnings: string[],
): {
  trusted: ReturnType<typeof readTrustedRegistry>;
  trustedRef: string | null;
  registryRel: string;
  appended: number;
  registryChanges: Change[];
} {
  // Registry: the baseline, bootstrap and revocations come from the trusted ref only (its
  // registry verified against its release signers); the candidate may only append to it.
  const trustedRef = opts.registryRef ?? null;
  if (trustedRef) resolveCommit(repo, trustedRef);
  const trusted = readTrustedRegistry(repo, trustedRef ?? candidateCommit, sub, trustedRef ?? opts.candidate);
  warnings.push(...trusted.warnings);
  const registryRel = trusted.rel;
  let appended = 0;
  const registryChanges: Change[] = [];
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
      for (const a of added)
        if (a.problem !== null) registryChanges.push(registryAppendedChange(registryRel, trustedRef, a));
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
  return { trusted, trustedRef, registryRel, appended, registryChanges };
}
