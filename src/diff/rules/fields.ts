/** Shared comparison of flattened field maps (LE response variants, logging schemas). */
import type { FieldInfo } from '../../manifest/types.js';
import { compareFields, compareTypes, type TypeComparison } from '../typeorder.js';
import { has, sortedKeys } from './define.js';

export interface FieldMapDiff<F> {
  added: Array<{ path: string; after: F }>;
  removed: Array<{ path: string; before: F }>;
  /** Fields on both sides whose type or optionality differ (comparison `same` is kept out: nothing disclosed changed). */
  changed: Array<{ path: string; before: F; after: F; cmp: TypeComparison }>;
}

export function diffFieldMaps<F extends FieldInfo>(
  before: Record<string, F>,
  after: Record<string, F>,
): FieldMapDiff<F> {
  const out: FieldMapDiff<F> = { added: [], removed: [], changed: [] };
  for (const p of sortedKeys(before)) if (!has(after, p)) out.removed.push({ path: p, before: before[p]! });
  for (const p of sortedKeys(after)) {
    if (!has(before, p)) {
      out.added.push({ path: p, after: after[p]! });
      continue;
    }
    const b = before[p]!;
    const a = after[p]!;
    if (b.type === a.type && b.optional === a.optional) continue;
    const cmp = compareFields(b, a);
    // Texts differ yet compare `same` (e.g. `any` -> `unknown`): left uncovered, so the catch-all reports it as modified.
    if (cmp !== 'same') out.changed.push({ path: p, before: b, after: a, cmp });
  }
  return out;
}

export interface TypeMapDiff {
  added: Array<{ name: string; after: string }>;
  removed: Array<{ name: string; before: string }>;
  changed: Array<{ name: string; before: string; after: string; cmp: TypeComparison }>;
}

/** Compare two `name -> TypeText` maps (LE request required fields). */
export function diffTypeMaps(before: Record<string, string>, after: Record<string, string>): TypeMapDiff {
  const out: TypeMapDiff = { added: [], removed: [], changed: [] };
  for (const n of sortedKeys(before)) if (!has(after, n)) out.removed.push({ name: n, before: before[n]! });
  for (const n of sortedKeys(after)) {
    if (!has(before, n)) {
      out.added.push({ name: n, after: after[n]! });
      continue;
    }
    if (before[n] === after[n]) continue;
    const cmp = compareTypes(before[n]!, after[n]!);
    if (cmp !== 'same') out.changed.push({ name: n, before: before[n]!, after: after[n]!, cmp });
  }
  return out;
}

/** `string`, `string (optional)`. */
export function showField(f: FieldInfo): string {
  return f.optional ? `${f.type} (optional)` : f.type;
}
