/** Small helpers shared by the reports. */
import { failsAt, type DiffResult, type FailLevel } from '../diff/index.js';
import type { Change, Effect } from '../diff/types.js';

export interface ReportOptions {
  /** ANSI colour (text only); the caller decides from isTTY and NO_COLOR. */
  color?: boolean;
  /** The gate the verdict is worded for (default `weakening`). */
  failOn?: FailLevel;
  /** SARIF/GitHub: a path for changes that have no location (e.g. the head manifest). */
  fallbackUri?: string;
}

export const EFFECT_ORDER: Effect[] = ['weakening', 'modified', 'strengthening', 'neutral'];

export const EFFECT_TITLES: Record<Effect, [string, string]> = {
  weakening: ['weakening', 'weakenings'],
  modified: ['modified', 'modified'],
  strengthening: ['strengthening', 'strengthenings'],
  neutral: ['neutral', 'neutral'],
};

export function count(n: number, effect: Effect): string {
  return `${n} ${EFFECT_TITLES[effect][n === 1 ? 0 : 1]}`;
}

export function byEffect(result: DiffResult, effect: Effect): Change[] {
  return result.changes.filter((c) => c.effect === effect);
}

/** `id` or `id [subject]`. */
export function target(c: Change): string {
  return c.subject ? `${c.id} [${c.subject}]` : c.id;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A before/after value in a few words: type texts as they are, fields as `type (optional)`, anything else compact JSON. */
export function showValue(v: unknown, max = 80): string {
  let s: string;
  if (v === null || v === undefined) s = '∅';
  else if (typeof v === 'string') s = /^sha256:[0-9a-f]{64}$/.test(v) ? `${v.slice(0, 19)}…` : v;
  else if (isRecord(v) && typeof v.unbounded === 'boolean' && Array.isArray(v.unboundedReasons) && !('variants' in v))
    s = v.unbounded ? `unbounded: ${v.unboundedReasons.join('; ') || '?'}` : 'bounded';
  else if (isRecord(v) && typeof v.open === 'boolean' && Array.isArray(v.openReasons) && !('fields' in v)) s = v.open ? `open: ${v.openReasons.join('; ') || '?'}` : 'closed';
  else if (isRecord(v) && isRecord(v.variants)) s = `variants: ${Object.keys(v.variants).join(', ') || 'none'}${v.unbounded === true ? ' (unbounded)' : ''}`;
  else if (isRecord(v) && isRecord(v.fields)) {
    const fields = Object.entries(v.fields).map(([k, f]) => (isRecord(f) ? `${k}${f.optional ? '?' : ''}: ${String(f.type)}` : k));
    s = fields.length ? `{ ${fields.join('; ')} }` : '{}';
  }
  else if (isRecord(v) && typeof v.type === 'string' && typeof v.optional === 'boolean') {
    s = v.optional ? `${v.type} (optional)` : v.type;
    if (typeof v.classification === 'string') s += `, ${v.classification}`;
    if (typeof v.redaction === 'string') s += `, redact ${v.redaction}`;
  } else s = JSON.stringify(v);
  s = s.replace(/\s+/g, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export interface Verdict {
  ok: boolean;
  icon: string;
  text: string;
}

/** One line a reviewer can read in ten seconds. */
export function verdict(result: DiffResult, failOn: FailLevel = 'weakening'): Verdict {
  const s = result.summary;
  const parts = (effects: Effect[]) => effects.filter((e) => s[e] > 0).map((e) => count(s[e], e)).join(', ');
  if (failsAt(result, failOn)) {
    const gated: Effect[] = failOn === 'any' ? ['weakening', 'modified', 'strengthening'] : ['weakening', 'modified'];
    return { ok: false, icon: '❌', text: `${parts(gated)} — justification required` };
  }
  if (s.weakening + s.modified > 0) return { ok: true, icon: '⚠️', text: `${parts(['weakening', 'modified'])} — not gated (--fail-on ${failOn})` };
  if (s.strengthening > 0) return { ok: true, icon: '✅', text: `no weakening — ${parts(['strengthening', 'neutral'])}` };
  if (s.neutral > 0) return { ok: true, icon: '✅', text: `no behaviour change (${count(s.neutral, 'neutral')})` };
  return { ok: true, icon: '✅', text: 'no behaviour change' };
}
