/** Small helpers shared by the reports. */
import type { PositionResolver } from './positions.js';
import { failsAt, type DiffResult, type FailLevel } from '../diff/index.js';
import type { Change, Effect } from '../diff/types.js';

export interface ReportOptions {
  /** ANSI colour (text only); the caller decides from isTTY and NO_COLOR. */
  color?: boolean;
  /** The gate the verdict is worded for (default `weakening`). */
  failOn?: FailLevel;
  /** SARIF/GitHub: a path for changes that have no location (e.g. the head manifest). */
  fallbackUri?: string;
  /** SARIF/GitHub: the line and column of a change's declaration in a location (resolved at report time, never stored). */
  positions?: PositionResolver;
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

/** Beyond these sizes, text and markdown reports summarise (the manifest and the JSON/SARIF reports stay complete). */
export const SUMMARY_LIMITS = { unionMembers: 8, unionShown: 4, fields: 12, fieldsShown: 6 };

/** A member of a type union as it appears in text: a quoted literal, or a name with dots, brackets and generics. */
const UNION_MEMBER = String.raw`(?:"(?:[^"\\]|\\.)*"|-?[\w$.]+(?:<[^<>|]*>)?(?:\[\])*)`;
const LONG_UNION = new RegExp(`${UNION_MEMBER}(?: \\| ${UNION_MEMBER}){${SUMMARY_LIMITS.unionMembers},}`, 'g');

/** Long unions inside a text (`"a" | "b" | … 100 members`) shortened to their first members and their size. */
export function summarizeUnions(text: string): string {
  return text.replace(LONG_UNION, (u) => {
    const members = u.match(new RegExp(UNION_MEMBER, 'g')) ?? [];
    return `${members.slice(0, SUMMARY_LIMITS.unionShown).join(' | ')} | … (${members.length} members)`;
  });
}

/** Size and depth of a response variant or schema (`{ fields: { "a.b": … } }`); depth counts dotted path segments. */
export function fieldsSize(v: unknown): { fields: number; depth: number } | null {
  if (!isRecord(v) || !isRecord(v.fields)) return null;
  const paths = Object.keys(v.fields);
  return { fields: paths.length, depth: paths.reduce((d, p) => Math.max(d, p.split('.').length), 0) };
}

/** ` [227 fields, depth 3; all in the manifest]` for a before/after value too large to read in a report, else ''. */
export function sizeNote(c: { before: unknown; after: unknown }): string {
  const sizes = [fieldsSize(c.before), fieldsSize(c.after)].filter(
    (x): x is { fields: number; depth: number } => x !== null && x.fields > SUMMARY_LIMITS.fields,
  );
  if (sizes.length === 0) return '';
  const big = sizes.reduce((a, b) => (b.fields > a.fields ? b : a));
  return ` [${big.fields} fields, depth ${big.depth}; all in the manifest]`;
}

/** A before/after value in a few words: type texts as they are, fields as `type (optional)`, anything else compact JSON. */
export function showValue(v: unknown, max = 80): string {
  let s: string;
  if (v === null || v === undefined) s = '∅';
  else if (typeof v === 'string') s = /^sha256:[0-9a-f]{64}$/.test(v) ? `${v.slice(0, 19)}…` : v;
  else if (isRecord(v) && typeof v.unbounded === 'boolean' && Array.isArray(v.unboundedReasons) && !('variants' in v))
    s = v.unbounded ? `unbounded: ${v.unboundedReasons.join('; ') || '?'}` : 'bounded';
  else if (isRecord(v) && typeof v.open === 'boolean' && Array.isArray(v.openReasons) && !('fields' in v))
    s = v.open ? `open: ${v.openReasons.join('; ') || '?'}` : 'closed';
  else if (isRecord(v) && isRecord(v.variants))
    s = `variants: ${Object.keys(v.variants).join(', ') || 'none'}${v.unbounded === true ? ' (unbounded)' : ''}`;
  else if (isRecord(v) && isRecord(v.fields)) {
    const fields = Object.entries(v.fields).map(([k, f]) =>
      isRecord(f) ? `${k}${f.optional ? '?' : ''}: ${summarizeUnions(String(f.type))}` : k,
    );
    const size = fieldsSize(v)!;
    s =
      fields.length > SUMMARY_LIMITS.fields
        ? `{ ${size.fields} fields, depth ${size.depth}: ${fields.slice(0, SUMMARY_LIMITS.fieldsShown).join('; ')}; … }`
        : fields.length
          ? `{ ${fields.join('; ')} }`
          : '{}';
  } else if (isRecord(v) && typeof v.type === 'string' && typeof v.optional === 'boolean') {
    s = v.optional ? `${summarizeUnions(v.type)} (optional)` : summarizeUnions(v.type);
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
  const parts = (effects: Effect[]) =>
    effects
      .filter((e) => s[e] > 0)
      .map((e) => count(s[e], e))
      .join(', ');
  if (failsAt(result, failOn)) {
    const gated: Effect[] = failOn === 'any' ? ['weakening', 'modified', 'strengthening'] : ['weakening', 'modified'];
    return { ok: false, icon: '❌', text: `${parts(gated)} — justification required` };
  }
  if (s.weakening + s.modified > 0)
    return { ok: true, icon: '⚠️', text: `${parts(['weakening', 'modified'])} — not gated (--fail-on ${failOn})` };
  if (s.strengthening > 0)
    return { ok: true, icon: '✅', text: `no weakening — ${parts(['strengthening', 'neutral'])}` };
  if (s.neutral > 0) return { ok: true, icon: '✅', text: `no behaviour change (${count(s.neutral, 'neutral')})` };
  return { ok: true, icon: '✅', text: 'no behaviour change' };
}
