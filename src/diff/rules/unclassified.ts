/**
 * The catch-all. After every specific rule ran, any part of `invariants` that
 * differs between base and head and that no finding accounted for is reported
 * here as modified. This is what guarantees that no change is ever silent,
 * whatever a future manifest field or an incomplete rule may miss.
 */
import type { Category } from '../types.js';
import { canon, defineRule, has, type DiffContext, type Finding, type InvariantPath } from './define.js';
import { escapeSiteId, keys } from '../../manifest/keys.js';

export const UNCLASSIFIED_CHANGE_ID = 'UNCLASSIFIED_CHANGE';

interface Leaf {
  path: InvariantPath;
  before: unknown;
  after: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The smallest differing parts of two JSON values (arrays are compared whole). */
export function differingLeaves(a: unknown, b: unknown, path: InvariantPath = [], out: Leaf[] = []): Leaf[] {
  if (canon(a) === canon(b)) return out;
  if (isRecord(a) && isRecord(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      differingLeaves(has(a, k) ? a[k] : undefined, has(b, k) ? b[k] : undefined, [...path, k], out);
    }
    return out;
  }
  out.push({ path, before: a === undefined ? null : a, after: b === undefined ? null : b });
  return out;
}

export const pathKey = (p: InvariantPath): string => JSON.stringify(p);

export function isCovered(covered: Set<string>, path: InvariantPath): boolean {
  for (let n = 1; n <= path.length; n++) if (covered.has(pathKey(path.slice(0, n)))) return true;
  return false;
}

function describe(path: InvariantPath): { category: Category; id: string; subject: string; keys: string[] } {
  const [family, kind, id] = path;
  const subject = path.slice(3).join('/');
  if (id === undefined) return { category: 'config', id: path.join('/'), subject: '', keys: [] };
  switch (`${family}.${kind}`) {
    case 'le.handlers':
      return {
        category: 'le',
        id,
        subject,
        keys:
          path[3] === 'variants' && path[4] !== undefined
            ? [keys.variant(id, path[4]), keys.handler(id)]
            : [keys.handler(id)],
      };
    case 'logging.schemas':
      return { category: 'logging', id, subject, keys: [keys.schema(id)] };
    case 'keygate.guards':
      return { category: 'keygate', id, subject, keys: [keys.guard(id)] };
    case 'keygate.sinks':
      return { category: 'keygate', id, subject, keys: [keys.sink(id)] };
    case 'keygate.sites':
      return { category: 'keygate', id, subject, keys: [keys.site(id)] };
    case 'keygate.escapes':
      return { category: 'keygate', id, subject, keys: [keys.site(escapeSiteId(id))] };
    case 'privacy.invariants':
      return { category: 'privacy', id, subject, keys: [keys.invariant(id)] };
    default:
      return { category: 'config', id: path.slice(0, 3).join('/'), subject, keys: [] };
  }
}

export function unclassifiedFindings(ctx: DiffContext): Finding[] {
  return differingLeaves(ctx.b, ctx.h)
    .filter((l) => !isCovered(ctx.covered, l.path))
    .map((l) => {
      const d = describe(l.path);
      return {
        id: d.id,
        subject: d.subject,
        before: l.before,
        after: l.after,
        message: `${l.path.join('/')} changed in a way no specific rule classifies; review it as modified`,
        keys: d.keys,
        covers: [l.path],
        category: d.category,
      };
    });
}

export const UNCLASSIFIED_CHANGE = defineRule({
  id: UNCLASSIFIED_CHANGE_ID,
  category: 'any',
  effect: 'modified',
  summary: 'A manifest change that no specific rule classifies.',
  description:
    "Runs after every other rule: any part of the manifest's invariants that differs and that no other change accounts for (a guard's parameter list, an escape's recorded kind, a type whose text changed but compares equal, a field a future version adds...) is reported here, path by path. Fail closed: nothing changes silently.",
  justifyHint:
    'Describe the change in the change set; if it is common and harmless, report it so a specific rule can classify it.',
  find: unclassifiedFindings,
});
