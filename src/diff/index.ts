/**
 * The semantic manifest diff: pair the entities of two manifests, run every
 * rule of the catalogue, then the catch-all, and order the changes
 * deterministically. Pure: no I/O, no clock.
 */
import type { Orders } from '../config/index.js';
import type { Manifest } from '../manifest/types.js';
import { EFFECT_RANK, type Change, type Effect } from './types.js';
import { makeContext, toChange, type GateInputs } from './rules/define.js';
import { RULES } from './rules/index.js';
import { pathKey, UNCLASSIFIED_CHANGE_ID } from './rules/unclassified.js';
import { FAIL_LEVELS, type FailLevel } from './levels.js';

export const DIFF_SCHEMA_VERSION = 1;

export interface DiffSide {
  manifestVersion: number;
  digest: string;
}

export interface DiffResult {
  schemaVersion: 1;
  base: DiffSide;
  head: DiffSide;
  changes: Change[];
  summary: Record<Effect, number>;
}

/** `--fail-on` levels (a leaf module, so the CLI reads them without loading the diff engine). */
export { FAIL_LEVELS, type FailLevel };

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Weakening first, then modified, strengthening, neutral; within an effect by category, rule, id, subject, fingerprint. */
export function compareChanges(a: Change, b: Change): number {
  return (
    EFFECT_RANK[b.effect] - EFFECT_RANK[a.effect] ||
    cmp(a.category, b.category) ||
    cmp(a.rule, b.rule) ||
    cmp(a.id, b.id) ||
    cmp(a.subject, b.subject) ||
    cmp(a.fingerprint, b.fingerprint)
  );
}

/**
 * Every change between two manifests. A gate (`policydrift check`) also passes what it knows beyond the
 * manifests: the governing files of both commits and the registry events the candidate appends.
 */
export function diffManifests(base: Manifest, head: Manifest, orders: Orders, gate: GateInputs = {}): DiffResult {
  const ctx = makeContext(base, head, orders, gate);
  const changes: Change[] = [];
  const catchAll = RULES.find((r) => r.id === UNCLASSIFIED_CHANGE_ID)!;
  for (const rule of RULES) {
    if (rule === catchAll) continue;
    for (const f of rule.find(ctx)) {
      for (const p of f.covers) ctx.covered.add(pathKey(p));
      changes.push(toChange(ctx, rule, f));
    }
  }
  for (const f of catchAll.find(ctx)) changes.push(toChange(ctx, catchAll, f));
  changes.sort(compareChanges);
  const summary: Record<Effect, number> = { weakening: 0, strengthening: 0, modified: 0, neutral: 0 };
  for (const c of changes) summary[c.effect]++;
  return {
    schemaVersion: DIFF_SCHEMA_VERSION,
    base: { manifestVersion: base.manifestVersion, digest: base.digest },
    head: { manifestVersion: head.manifestVersion, digest: head.digest },
    changes,
    summary,
  };
}

/**
 * Gating thresholds on EFFECT_RANK. Modified counts as a weakening, so
 * `weakening` (the default) and `modified` both fail on any weakening or
 * modified change; `any` also fails on strengthenings; `none` never fails.
 * Neutral changes never fail.
 */
export const FAIL_THRESHOLD: Record<FailLevel, number> = {
  weakening: EFFECT_RANK.modified,
  modified: EFFECT_RANK.modified,
  any: EFFECT_RANK.strengthening,
  none: Infinity,
};

export function failsAt(result: DiffResult, level: FailLevel): boolean {
  const t = FAIL_THRESHOLD[level];
  return result.changes.some((c) => EFFECT_RANK[c.effect] >= t);
}

export type { Change, Effect, RuleId } from './types.js';
export type { GateInputs, GoverningFile, RegistryAppend } from './rules/define.js';
