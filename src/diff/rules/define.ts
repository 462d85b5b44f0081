/**
 * The shape of a diff rule and the context every rule reads. A rule is a small
 * pure comparison of the base and head manifests; its metadata is the source
 * of the rules reference (docs/rules.md), `policydrift explain` and SARIF.
 */
import stringify from 'json-stable-stringify';
import type { Orders } from '../../config/index.js';
import type { Manifest, ManifestInvariants } from '../../manifest/types.js';
import type { Category, Change, Effect } from '../types.js';
import { fingerprint } from '../fingerprint.js';

export interface RuleMeta {
  /** Stable id, e.g. `LE_RESPONSE_ADDED`. Never renamed. */
  id: string;
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
}

export interface Rule extends RuleMeta {
  find(ctx: DiffContext): Finding[];
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
  /** Filled by the engine with every path the specific rules covered (JSON of the path). */
  covered: Set<string>;
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

export function makeContext(base: Manifest, head: Manifest, orders: Orders): DiffContext {
  const b = base.invariants;
  const h = head.invariants;
  return {
    base,
    head,
    b,
    h,
    orders,
    handlers: pairEntities(b.le.handlers, h.le.handlers, (_k, v) => canon(v)),
    schemas: pairEntities(b.logging.schemas, h.logging.schemas, (_k, v) => canon(v)),
    sites: pairEntities(b.keygate.sites, h.keygate.sites, (_k, v) => canon({ sink: v.sink, guards: v.guards })),
    covered: new Set(),
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

export function toChange(ctx: DiffContext, meta: RuleMeta, f: Finding): Change {
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
    locations: resolveLocations(ctx, f.keys),
    fingerprint: fingerprint(meta.id, f.id, f.subject, before, after),
  };
}

export function defineRule(spec: RuleMeta & { find(ctx: DiffContext): Finding[] }): Rule {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- `find` is only dropped from `meta` here, never called unbound
  const { find: _find, ...meta } = spec;
  const find = (ctx: DiffContext): Finding[] => spec.find(ctx);
  return { ...meta, find };
}

/** `"x"` for messages. */
export const q = (s: unknown): string => (typeof s === 'string' ? JSON.stringify(s) : canon(s));
