/**
 * `policydrift check` at a workspace root: one gate for every package.
 *
 * The baseline (last active release of the root registry, or a merge-base)
 * and the candidate are both read from git objects. At each commit the
 * workspace is discovered from the tree; every covered package is extracted
 * with its own config and tsconfig (src/extract/from-tree.ts) and diffed with
 * the same package at the baseline. A package only at the candidate is
 * diffed with an empty manifest (WORKSPACE_PACKAGE_ADDED); a package only at
 * the baseline is WORKSPACE_PACKAGE_REMOVED (a weakening when it tracked
 * anything). A key guard or sink declaration that moved, unchanged, from one
 * package to another is neutral (WORKSPACE_DECL_MOVED). Every change names
 * its package; one set of OpenSpec change sets at the root justifies them
 * (declarations carry `package:`), approvals judged with the baseline's root
 * config. The result has the shape of a single check (every report renders
 * it) plus a per-package summary.
 */
import * as path from 'node:path';
import stringify from 'json-stable-stringify';
import {
  changeSetStep,
  runCheck,
  governingFiles,
  manifestFreshnessStep,
  registryChangesOf,
  registrySummary,
  resolveBaseline,
  trustedRegistryStep,
  verdictStep,
  type CheckOptions,
  type CheckResult,
} from '../check/index.js';
import { CONFIG_FILE, defaultConfig, parseConfigText, type ResolvedConfig } from '../config/index.js';
import { compareChanges, diffManifests, type DiffResult, type GoverningFile } from '../diff/index.js';
import { fingerprint } from '../diff/fingerprint.js';
import type { Change, Effect } from '../diff/types.js';
import { UserError } from '../errors.js';
import { extractAtRef, readFileAtRef, type ExtractAtRefResult } from '../extract/from-tree.js';
import { repoPrefix, repoRoot, resolveCommit } from '../git/run.js';
import { listTree } from '../git/tree.js';
import { buildManifest, canonicalJson } from '../manifest/index.js';
import { emptyInvariants, type Manifest } from '../manifest/types.js';
import {
  buildIndex,
  discoverWorkspace,
  indexEntry,
  parseIndexText,
  trackedCount,
  treeReader,
  WORKSPACE_INDEX_FILE,
  type IndexEntry,
  type Workspace,
  type WorkspacePackage,
  type WorkspaceIndex,
} from './index.js';
import { keys, parsePackageLocation } from '../manifest/keys.js';

export interface PackageCheck {
  name: string;
  dir: string;
  status: 'added' | 'removed' | 'changed' | 'unchanged';
  /** The committed manifest at the candidate (repository-relative) and whether it is what extraction gives. */
  manifest: { path: string; fresh: boolean; entries: string[] } | null;
  baseline: { manifestVersion: number; digest: string } | null;
  candidate: { manifestVersion: number; digest: string } | null;
  summary: Record<Effect, number>;
}

export interface WorkspaceCheckResult extends CheckResult {
  workspace: { index: string; indexFresh: boolean; packages: PackageCheck[] };
}

const join = (...parts: string[]) => path.posix.join(...parts.filter((p) => p !== ''));

/** The workspace at a commit (null when that commit's root declares none), read from git objects. */
export function workspaceAtCommit(repo: string, commit: string, sub: string, ref: string): Workspace | null {
  const prefix = sub ? `${sub}/` : '';
  const files: string[] = [];
  for (const [rel, e] of listTree(repo, commit))
    if (e.type === 'blob' && rel.startsWith(prefix)) files.push(rel.slice(prefix.length));
  const reader = treeReader(files, (rel) => readFileAtRef(repo, commit, join(sub, rel)), ref);
  return discoverWorkspace(reader);
}

function rootConfigAt(repo: string, commit: string, sub: string, ref: string): ResolvedConfig {
  const text = readFileAtRef(repo, commit, join(sub, CONFIG_FILE));
  return text === null ? defaultConfig() : parseConfigText(text, `${ref}:${join(sub, CONFIG_FILE)}`);
}

function indexPathAt(repo: string, commit: string, sub: string): string {
  const text = readFileAtRef(repo, commit, join(sub, CONFIG_FILE));
  if (text !== null) {
    try {
      const v = (JSON.parse(text) as { workspaceIndex?: unknown }).workspaceIndex;
      if (typeof v === 'string' && v) return path.posix.normalize(v);
    } catch {
      // the config parser reports it
    }
  }
  return WORKSPACE_INDEX_FILE;
}

/**
 * Is `check` in `dir` a workspace check? Yes when the candidate, the
 * trusted ref or the `--against` ref has a workspace index at the root, or the root config lists
 * `packages`: removing the index at the candidate cannot turn the gate off
 * while the trusted ref has one.
 */
export function isWorkspaceCheck(dir: string, candidate: string, registryRef?: string, against?: string): boolean {
  const repo = repoRoot(dir);
  const sub = repoPrefix(dir);
  const refs = [
    candidate,
    ...(registryRef ? [registryRef] : []),
    ...(against && against !== 'registry' ? [against] : []),
  ];
  for (const ref of refs) {
    let commit: string;
    try {
      commit = resolveCommit(repo, ref);
    } catch {
      continue; // runCheck reports a bad ref
    }
    if (readFileAtRef(repo, commit, join(sub, indexPathAt(repo, commit, sub))) !== null) return true;
    const cfg = readFileAtRef(repo, commit, join(sub, CONFIG_FILE));
    if (cfg !== null) {
      try {
        const p = (JSON.parse(cfg) as { packages?: unknown }).packages;
        if (Array.isArray(p) && p.length) return true;
      } catch {
        // not a workspace marker
      }
    }
  }
  return false;
}

/** Prefix a package-relative location with the package folder (locations in another package, `<name>:<path>`, stay). */
function repoLocation(sub: string, dir: string, loc: string): string {
  return parsePackageLocation(loc) ? loc : join(sub, dir, loc);
}

/** A package's change at the root: named by its package; CONFIG_CHANGED locations are repository paths already. */
function tag(c: Change, pkg: string, sub: string, dir: string): Change {
  return {
    ...c,
    package: pkg,
    message: `${pkg}: ${c.message}`,
    locations:
      c.rule === 'CONFIG_CHANGED' ? c.locations : [...new Set(c.locations.map((l) => repoLocation(sub, dir, l)))],
  };
}

function emptyManifest(): Manifest {
  return buildManifest(emptyInvariants(), {}, null);
}

/** A root governing file as a compared value: JSON (`$schema`/`$comment` ignored) or sorted signer lines; null when absent. */
function rootFileValue(id: string, text: string | null): unknown {
  if (text === null) return null;
  if (!id.endsWith('.json'))
    return text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .sort();
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (v && typeof v === 'object') {
      delete v.$schema;
      delete v.$comment;
    }
    return v;
  } catch {
    return text;
  }
}

/** The root's governing files (the root config, its allowed and release signers) at both commits. */
function rootGoverningFiles(
  repo: string,
  sub: string,
  baseCommit: string,
  candidateCommit: string,
  baseRoot: ResolvedConfig,
  headRoot: ResolvedConfig,
): GoverningFile[] {
  const file = (id: string, what: string): GoverningFile => ({
    id,
    what,
    before: rootFileValue(id, readFileAtRef(repo, baseCommit, id)),
    after: rootFileValue(id, readFileAtRef(repo, candidateCommit, id)),
  });
  const out = [
    file(join(sub, CONFIG_FILE), 'the root config decides the approvals, the registry and which packages are covered'),
  ];
  const paths = (files: Array<string | null | undefined>) => [...new Set(files.filter((x): x is string => !!x))];
  for (const f of paths([baseRoot.approvals.allowedSigners, headRoot.approvals.allowedSigners]))
    out.push(file(join(sub, f), 'the allowed signers decide who can approve the next change'));
  for (const f of paths([baseRoot.releaseSigners, headRoot.releaseSigners]))
    out.push(file(join(sub, f), 'the release signers decide who can record the next release (the next baseline)'));
  return out;
}

/** `keygate:guard:<id>` / `keygate:sink:<id>` -> package -> canonical declaration, over every package's manifest at one commit. */
type DeclIndex = Map<string, Map<string, string>>;

function addDecls(index: DeclIndex, pkg: string, m: Manifest): void {
  for (const [kind, table] of [
    ['guard', m.invariants.keygate.guards],
    ['sink', m.invariants.keygate.sinks],
  ] as const) {
    for (const [id, v] of Object.entries(table)) {
      const k = keys[kind](id);
      if (!index.has(k)) index.set(k, new Map());
      index.get(k)!.set(pkg, stringify(v) ?? '');
    }
  }
}

/**
 * A key guard or sink declaration that appears in a package, identical to
 * one another package had at the baseline (or that leaves a package while
 * another still has it, identical, at the candidate), moved: neutral.
 * Key-gating sites keep naming the guard by id, so they are unchanged.
 */
function neutralizeMoves(changes: Change[], base: DeclIndex, head: DeclIndex): Change[] {
  const kinds: Record<string, { kind: 'guard' | 'sink'; added: boolean }> = {
    KEYGATE_GUARD_DECL_ADDED: { kind: 'guard', added: true },
    KEYGATE_GUARD_DECL_REMOVED: { kind: 'guard', added: false },
    KEYGATE_SINK_ADDED: { kind: 'sink', added: true },
    KEYGATE_SINK_REMOVED: { kind: 'sink', added: false },
  };
  return changes.map((c) => {
    const k = kinds[c.rule];
    if (!k || c.package === undefined) return c;
    const value = stringify(k.added ? c.after : c.before) ?? '';
    const other = (k.added ? base : head).get(keys[k.kind](c.id));
    const peer = [...(other?.entries() ?? [])].find(([pkg, v]) => pkg !== c.package && v === value)?.[0];
    if (peer === undefined) return c;
    const [from, to] = k.added ? [peer, c.package] : [c.package, peer];
    return {
      rule: 'WORKSPACE_DECL_MOVED',
      category: 'location',
      effect: 'neutral',
      id: c.id,
      subject: k.added ? 'added' : 'removed',
      before: from,
      after: to,
      message: `${c.package}: key ${k.kind} ${c.id} ${k.added ? `declared here, unchanged from ${from}` : `no longer declared here; ${to} declares it unchanged`}`,
      locations: c.locations,
      fingerprint: fingerprint('WORKSPACE_DECL_MOVED', c.id, k.added ? 'added' : 'removed', from, to),
      package: c.package,
    };
  });
}

/**
 * One package of a workspace check: extracted at both commits (where it exists), its committed manifest's
 * freshness (the single check's step), and its changes, each named by the package: the single check's
 * diff with its governing files, a package that joined (diffed with an empty manifest), or one that left.
 */
function checkPackage(
  repo: string,
  sub: string,
  baseCommit: string,
  candidateCommit: string,
  candidateRef: string,
  name: string,
  bp: WorkspacePackage | undefined,
  hp: WorkspacePackage | undefined,
): {
  base: ExtractAtRefResult | null;
  head: ExtractAtRefResult | null;
  headEntry: IndexEntry | null;
  changes: Change[];
  check: PackageCheck;
} {
  const base: ExtractAtRefResult | null = bp
    ? extractAtRef({ repoDir: repo, rev: baseCommit, root: join(sub, bp.dir) })
    : null;
  const head: ExtractAtRefResult | null = hp
    ? extractAtRef({ repoDir: repo, rev: candidateCommit, root: join(sub, hp.dir) })
    : null;
  const mine: Change[] = [];
  let manifest: PackageCheck['manifest'] = null;
  let headEntry: IndexEntry | null = null;
  if (head && hp) {
    manifest = manifestFreshnessStep(repo, candidateCommit, join(sub, hp.dir, head.config.manifest), head.manifest, {
      ref: candidateRef,
      acceptOlder: false,
    });
    headEntry = indexEntry(hp, head.config.manifest, head.manifest);
  }
  if (base && head && bp && hp) {
    const d = diffManifests(base.manifest, head.manifest, base.config.orders, {
      governing: governingFiles(repo, base, head, join(sub, hp.dir)),
    });
    mine.push(...d.changes.map((c) => tag(c, name, sub, hp.dir)));
  } else if (head && hp) {
    const d = diffManifests(emptyManifest(), head.manifest, head.config.orders);
    mine.push(...d.changes.map((c) => tag(c, name, sub, hp.dir)));
    mine.push({
      rule: 'WORKSPACE_PACKAGE_ADDED',
      category: 'config',
      effect: 'strengthening',
      id: name,
      subject: '',
      before: null,
      after: { dir: hp.dir, tracked: trackedCount(head.manifest) },
      message: `${name}: package ${hp.dir} joined the gate (${trackedCount(head.manifest)} tracked invariants)`,
      locations: [join(sub, hp.dir)],
      fingerprint: fingerprint('WORKSPACE_PACKAGE_ADDED', name, '', null, { dir: hp.dir }),
      package: name,
    });
  } else if (base && bp) {
    const tracked = trackedCount(base.manifest);
    mine.push({
      rule: 'WORKSPACE_PACKAGE_REMOVED',
      category: 'config',
      effect: tracked > 0 ? 'weakening' : 'neutral',
      id: name,
      subject: '',
      before: { dir: bp.dir, tracked, digest: base.manifest.digest },
      after: null,
      message: `${name}: package ${bp.dir} left the gate${tracked > 0 ? `; its ${tracked} tracked invariants are no longer checked` : ' (it tracked nothing)'}`,
      locations: [join(sub, bp.dir)],
      fingerprint: fingerprint(
        'WORKSPACE_PACKAGE_REMOVED',
        name,
        '',
        { dir: bp.dir, digest: base.manifest.digest },
        null,
      ),
      package: name,
    });
  }
  const summary: Record<Effect, number> = { weakening: 0, modified: 0, strengthening: 0, neutral: 0 };
  for (const c of mine) summary[c.effect]++;
  const check: PackageCheck = {
    name,
    dir: (hp ?? bp)!.dir,
    status: !bp ? 'added' : !hp ? 'removed' : mine.length ? 'changed' : 'unchanged',
    manifest,
    baseline: base ? { manifestVersion: base.manifest.manifestVersion, digest: base.manifest.digest } : null,
    candidate: head ? { manifestVersion: head.manifest.manifestVersion, digest: head.manifest.digest } : null,
    summary,
  };
  return { base, head, headEntry, changes: mine, check };
}

/**
 * The workspace index step: the index the packages give (versions carried on from the committed one),
 * whether the committed index is exactly that, and the baseline's index (unparseable: version 0, warned).
 */
function workspaceIndexStep(
  repo: string,
  sub: string,
  baseCommit: string,
  candidateCommit: string,
  candidateRef: string,
  paths: { head: string; base: string },
  headEntries: Record<string, IndexEntry>,
  warnings: string[],
): {
  indexRel: string;
  indexMissing: boolean;
  indexFresh: boolean;
  freshIndex: WorkspaceIndex;
  baseIndex: WorkspaceIndex | null;
} {
  const indexRel = join(sub, paths.head);
  const indexText = readFileAtRef(repo, candidateCommit, indexRel);
  let committedIndex: WorkspaceIndex | null = null;
  if (indexText !== null) {
    try {
      committedIndex = parseIndexText(indexText, `${candidateRef}:${indexRel}`);
    } catch {
      committedIndex = null;
    }
  }
  const freshIndex = buildIndex(headEntries, committedIndex);
  const indexFresh = indexText !== null && indexText === canonicalJson(freshIndex);
  const baseIndexRel = join(sub, paths.base);
  const baseIndexText = readFileAtRef(repo, baseCommit, baseIndexRel);
  let baseIndex: WorkspaceIndex | null = null;
  if (baseIndexText !== null) {
    try {
      baseIndex = parseIndexText(baseIndexText, `baseline:${baseIndexRel}`);
    } catch {
      warnings.push(`${baseIndexRel} at the baseline does not parse; its workspace version counts as 0`);
    }
  }
  return { indexRel, indexMissing: indexText === null, indexFresh, freshIndex, baseIndex };
}

export function runWorkspaceCheck(opts: CheckOptions): WorkspaceCheckResult {
  const repo = repoRoot(opts.dir);
  const sub = repoPrefix(opts.dir);
  const warnings: string[] = [];
  const candidateCommit = resolveCommit(repo, opts.candidate);

  // Baseline selection: as a single check, with the root's registry verified at the trusted ref.
  const reg = trustedRegistryStep(repo, sub, candidateCommit, opts, warnings);
  const baseline = resolveBaseline(
    repo,
    candidateCommit,
    opts,
    reg,
    'bootstrap the registry with `policydrift release --profile <name>` at the workspace root, or compare with a branch: `policydrift check --against origin/main`',
  );
  const baseCommit = baseline.commit;
  const release = baseline.release;

  const baseWs = workspaceAtCommit(repo, baseCommit, sub, release ? `release ${release.version}` : 'baseline');
  const headWs = workspaceAtCommit(repo, candidateCommit, sub, opts.candidate);
  if (!headWs) {
    throw new UserError(
      `${opts.candidate}: ${sub || '.'} is no longer a workspace root (no workspaces, pnpm-workspace.yaml, tsconfig references or root "packages")`,
      {
        exitCode: 1,
        hint: 'restore the workspace declaration; removing it would take every package out of the gate',
      },
    );
  }
  const basePkgs = new Map((baseWs?.packages ?? []).map((p) => [p.name, p]));
  const headPkgs = new Map(headWs.packages.map((p) => [p.name, p]));
  const names = [...new Set([...basePkgs.keys(), ...headPkgs.keys()])].sort();

  const changes: Change[] = [];
  const packages: PackageCheck[] = [];
  const baseDecls: DeclIndex = new Map();
  const headDecls: DeclIndex = new Map();
  const headEntries: Record<string, IndexEntry> = {};
  let allFresh = true;
  const staleEntries: string[] = [];
  for (const name of names) {
    const one = checkPackage(
      repo,
      sub,
      baseCommit,
      candidateCommit,
      opts.candidate,
      name,
      basePkgs.get(name),
      headPkgs.get(name),
    );
    if (one.base) addDecls(baseDecls, name, one.base.manifest);
    if (one.head) addDecls(headDecls, name, one.head.manifest);
    if (one.headEntry) headEntries[name] = one.headEntry;
    const m = one.check.manifest;
    if (m && !m.fresh) {
      allFresh = false;
      staleEntries.push(`${m.path}${m.entries.length ? ` (${m.entries.join(', ')})` : ''}`);
    }
    changes.push(...one.changes);
    packages.push(one.check);
  }

  // Root governing files (the root config: approvals, registry, packages; its signers) and the unsigned
  // registry events, through the rules on the root's (empty) manifests.
  const baseRoot = rootConfigAt(repo, baseCommit, sub, 'baseline');
  const headRoot = rootConfigAt(repo, candidateCommit, sub, opts.candidate);
  const rootDiff = diffManifests(emptyManifest(), emptyManifest(), baseRoot.orders, {
    governing: rootGoverningFiles(repo, sub, baseCommit, candidateCommit, baseRoot, headRoot),
    registryAppends: reg.registryAppends,
  });
  changes.push(...rootDiff.changes);
  const registryChanges = registryChangesOf(rootDiff.changes, reg.registryAppends);

  const all = neutralizeMoves(changes, baseDecls, headDecls).sort(compareChanges);
  const summary: Record<Effect, number> = { weakening: 0, modified: 0, strengthening: 0, neutral: 0 };
  for (const c of all) summary[c.effect]++;
  for (const p of packages) {
    p.summary = { weakening: 0, modified: 0, strengthening: 0, neutral: 0 };
    for (const c of all) if (c.package === p.name) p.summary[c.effect]++;
  }

  // The workspace index: committed at the candidate, it must be what the packages give.
  const { indexRel, indexMissing, indexFresh, freshIndex, baseIndex } = workspaceIndexStep(
    repo,
    sub,
    baseCommit,
    candidateCommit,
    opts.candidate,
    { head: headWs.indexPath, base: baseWs?.indexPath ?? WORKSPACE_INDEX_FILE },
    headEntries,
    warnings,
  );
  if (!indexFresh) staleEntries.push(`${indexRel}${indexMissing ? ' (missing)' : ''}`);
  const lo = baseIndex?.workspaceVersion ?? 0;
  const hi = freshIndex.workspaceVersion;

  // Change sets at the candidate's root; approvals judged with the BASELINE's root config and signers.
  const approvalsCfg = baseRoot.approvals;
  const evaluation = changeSetStep({
    repo,
    sub,
    baseCommit,
    candidateCommit,
    approvalsCfg,
    lo,
    hi,
    unit: 'workspace',
    changes: all,
    warnings,
  });
  const fresh = allFresh && indexFresh;
  const verdict = verdictStep({ changes: all, unjustifiable: registryChanges, evaluation, fresh, strict: opts.strict });
  const diff: DiffResult = {
    schemaVersion: 1,
    base: { manifestVersion: lo, digest: baseIndex?.digest ?? `sha256:${'0'.repeat(64)}` },
    head: { manifestVersion: hi, digest: freshIndex.digest },
    changes: all,
    summary,
  };

  return {
    ok: verdict.ok,
    baseline: {
      commit: baseCommit,
      manifestVersion: lo,
      digest: diff.base.digest,
      ...baseline.side,
      against: opts.against,
    },
    candidate: { commit: candidateCommit, ref: opts.candidate, manifestVersion: hi, digest: freshIndex.digest },
    registry: registrySummary(reg),
    manifest: { path: indexRel, fresh, entries: staleEntries },
    approvalsMode: approvalsCfg.mode,
    diff,
    ...verdict.parts,
    changeSets: evaluation.statuses.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    warnings,
    workspace: { index: indexRel, indexFresh, packages },
  };
}

/** Per-package lines for the text report (appended after the single-check report). */
export function renderWorkspaceSummary(r: WorkspaceCheckResult): string {
  const out = [
    '',
    `Packages (${r.workspace.packages.length}; workspace index ${r.workspace.index}${r.workspace.indexFresh ? '' : ' — STALE'}):`,
  ];
  for (const p of r.workspace.packages) {
    const v = (s: { manifestVersion: number } | null) => (s ? `v${s.manifestVersion}` : '—');
    const counts = (['weakening', 'modified', 'strengthening', 'neutral'] as const)
      .filter((e) => p.summary[e])
      .map((e) => `${p.summary[e]} ${e}`)
      .join(', ');
    const stale = p.manifest && !p.manifest.fresh ? ` — stale manifest ${p.manifest.path}` : '';
    out.push(
      `  ${p.name} (${p.dir}): ${p.status} ${v(p.baseline)} → ${v(p.candidate)}${counts ? ` (${counts})` : ''}${stale}`,
    );
  }
  return out.join('\n') + '\n';
}

/** The gate for `dir`: at a workspace root one gate covers every package; elsewhere the single-project check. */
export function runAnyCheck(opts: CheckOptions): CheckResult {
  if (isWorkspaceCheck(opts.dir, opts.candidate, opts.registryRef, opts.against)) return runWorkspaceCheck(opts);
  return runCheck(opts);
}
