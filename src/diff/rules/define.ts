/**
 * The shape of a diff rule and the context every rule reads. A rule is a small
 * pure comparison of the base and head manifests; its metadata is the source
 * of the rules reference (docs/rules.md), `policydrift explain` and SARIF.
 */
import stringify from 'json-stable-stringify';
import type { Orders } from '../../config/index.js';
import type { Manifest, ManifestInvariants } from '../../manifest/types.js';
import type { Category, Change, Effect, RuleId } from '../types.js';
import { fingerprint } from '../fingerprint.js';

export interface RuleMeta<Id extends string = string> {
  /** Stable id, e.g. `LE_RESPONSE_ADDED`. Never renamed. */
  id: Id;
  /** The category of the changes it reports (`any` for the catch-all). */
  category: Category | 'any';
  effect: Effect;
  /** One line. */
  summary: string;
  /** Why this is (or is not) a weakening, in a few sentences. */
  description: string;
  /** What a reviewer needs to approve it (or how to avoid it). */
  justifyHint: string;
}

/** A path inside `invariants`, e.g. ['le', 'handlers', 'handle_le_request', 'variants', 'X']. */
export type InvariantPath = string[];

/** What a rule finds; the engine turns it into a Change (effect, locations, fingerprint). */
export interface Finding {
  id: string;
  subject: string;
  before: unknown;
  after: unknown;
  message: string;
  /** Location keys (`le:<id>`, `keygate:site:<key>`...), most specific first. */
  keys: string[];
  /** The parts of `invariants` this finding accounts for; anything changed and not covered is UNCLASSIFIED_CHANGE. */
  covers: InvariantPath[];
  /** Only for rules whose catalogue category is `any`. */
  category?: Category;
  /** Repository paths used as the change's locations as they are (governing files), instead of `keys`. */
  paths?: string[];
}

export interface Rule<Id extends string = string> extends RuleMeta<Id> {
  find(ctx: DiffContext): Finding[];
}

/**
 * A file outside the manifests that governs the gate (policydrift.config.json, the tsconfig, an
 * allowed-signers or release-signers file), as compared values: the caller normalises each side
 * (JSON without comments and `$schema`/`$comment`, signer lines sorted; null when absent).
 */
export interface GoverningFile {
  /** Its path from the repository root. */
  id: string;
  /** Why it matters, for the message. */
  what: string;
  before: unknown;
  after: unknown;
}

/** An event the candidate appends to the trusted release registry that no release signer signed. */
export interface RegistryAppend {
  /** The registry's path from the repository root. */
  registry: string;
  trustedRef: string;
  seq: number;
  /** The event as recorded in the change (seq, type, version, commit and digest of a release, signer). */
  event: unknown;
  /** `describeEvent` of it, e.g. `release 1.2.0 (seq 3)`. */
  description: string;
  /** Why it does not count, e.g. `is unsigned`. */
  problem: string;
}

/** What a gate knows beyond the two manifests; `policydrift diff` has neither. */
export interface GateInputs {
  governing?: GoverningFile[];
  registryAppends?: RegistryAppend[];
}

export interface Pairing {
  /** [before key, after key] of entities that were renamed without any other change. */
  renamed: Array<[string, string]>;
  /** Present before only (renames excluded), sorted. */
  removed: string[];
  /** Present after only (renames excluded), sorted. */
  added: string[];
  /** Present on both sides, sorted. */
  common: string[];
}

export interface DiffContext {
  base: Manifest;
  head: Manifest;
  b: ManifestInvariants;
  h: ManifestInvariants;
  orders: Orders;
  handlers: Pairing;
  schemas: Pairing;
  sites: Pairing;
  /**
   * [before id, after id] of key guards renamed: declared only before and only after with the same
   * implementation digest, parameters, `async` and kind. `b` already uses the new ids (in `guards` and in every
   * site's guards), so every other rule compares the renamed guard with itself.
   */
  guardRenames: Array<[string, string]>;
  /** Filled by the engine with every path the specific rules covered (JSON of the path). */
  covered: Set<string>;
  /** Governing files compared by `policydrift check` (CONFIG_CHANGED); empty for a manifest diff. */
  governing: GoverningFile[];
  /** Registry events the candidate appends without a valid signature (REGISTRY_APPENDED). */
  registryAppends: RegistryAppend[];
}

export const canon = (v: unknown): string => stringify(v) ?? 'undefined';

export const sortedKeys = (r: Record<string, unknown>): string[] => Object.keys(r).sort();

export function has<T>(r: Record<string, T>, k: string): boolean {
  return Object.hasOwn(r, k);
}

/**
 * Pair the entities of two records. A key present on one side only is
 * a rename when the other side has a key present there only whose content
 * signature is identical (first match in sorted order, so deterministic).
 */
export function pairEntities<T>(
  before: Record<string, T>,
  after: Record<string, T>,
  signature: (key: string, value: T) => string,
): Pairing {
  const gone = sortedKeys(before).filter((k) => !has(after, k));
  const fresh = sortedKeys(after).filter((k) => !has(before, k));
  const common = sortedKeys(before).filter((k) => has(after, k));
  const used = new Set<string>();
  const renamed: Array<[string, string]> = [];
  const removed: string[] = [];
  for (const k of gone) {
    const sig = signature(k, before[k]!);
    const match = fresh.find((n) => !used.has(n) && signature(n, after[n]!) === sig);
    if (match === undefined) {
      removed.push(k);
    } else {
      used.add(match);
      renamed.push([k, match]);
    }
  }
  return { renamed, removed, added: fresh.filter((k) => !used.has(k)), common };
}

/** `inv` with each key guard `from` called `to`: its declaration and its entries at every site. */
function renameGuards(inv: ManifestInvariants, renames: Array<[string, string]>): ManifestInvariants {
  const to = new Map(renames);
  const guards: ManifestInvariants['keygate']['guards'] = {};
  for (const [g, v] of Object.entries(inv.keygate.guards)) guards[to.get(g) ?? g] = v;
  const sites: ManifestInvariants['keygate']['sites'] = {};
  for (const [k, site] of Object.entries(inv.keygate.sites))
    sites[k] = { ...site, guards: site.guards.map((e) => (to.has(e.guard) ? { ...e, guard: to.get(e.guard)! } : e)) };
  return { ...inv, keygate: { ...inv.keygate, guards, sites } };
}

export function makeContext(base: Manifest, head: Manifest, orders: Orders, gate: GateInputs = {}): DiffContext {
  const h = head.invariants;
  const guardRenames = pairEntities(base.invariants.keygate.guards, h.keygate.guards, (_k, v) => canon(v)).renamed;
  const b = guardRenames.length > 0 ? renameGuards(base.invariants, guardRenames) : base.invariants;
  return {
    guardRenames,
    base,
    head,
    b,
    h,
    orders,
    handlers: pairEntities(b.le.handlers, h.le.handlers, (_k, v) => canon(v)),
    schemas: pairEntities(b.logging.schemas, h.logging.schemas, (_k, v) => canon(v)),
    sites: pairEntities(b.keygate.sites, h.keygate.sites, (_k, v) => canon({ sink: v.sink, guards: v.guards })),
    covered: new Set(),
    governing: gate.governing ?? [],
    registryAppends: gate.registryAppends ?? [],
  };
}

/** Relative paths for a change: the keys looked up in head, then in base, de-duplicated. */
export function resolveLocations(ctx: Pick<DiffContext, 'base' | 'head'>, keys: string[]): string[] {
  const out: string[] = [];
  for (const locs of [ctx.head.locations, ctx.base.locations]) {
    for (const k of keys) {
      const p = has(locs, k) ? locs[k] : undefined;
      if (p !== undefined && !out.includes(p)) out.push(p);
    }
  }
  return out;
}

export function toChange(ctx: DiffContext, meta: RuleMeta<RuleId>, f: Finding): Change {
  const category: Category = f.category ?? (meta.category === 'any' ? 'config' : meta.category);
  const before = f.before === undefined ? null : f.before;
  const after = f.after === undefined ? null : f.after;
  return {
    rule: meta.id,
    category,
    effect: meta.effect,
    id: f.id,
    subject: f.subject,
    before,
    after,
    message: f.message,
    locations: f.paths ?? resolveLocations(ctx, f.keys),
    fingerprint: fingerprint(meta.id, f.id, f.subject, before, after),
  };
}

export function defineRule<const Id extends string>(
  spec: RuleMeta<Id> & { find(ctx: DiffContext): Finding[] },
): Rule<Id> {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- `find` is only dropped from `meta` here, never called unbound
  const { find: _find, ...meta } = spec;
  const find = (ctx: DiffContext): Finding[] => spec.find(ctx);
  return { ...meta, find };
}

/** `"x"` for messages. */
export const q = (s: unknown): string => (typeof s === 'string' ? JSON.stringify(s) : canon(s));
