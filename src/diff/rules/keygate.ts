/** Key-gating rules: declared guards and sinks, the guards that dominate each sink call, and sinks that escape. */
import type { DominatingGuard, GatedSite, GuardArg } from '../../manifest/types.js';
import { compareGuardArg, type OrderComparison } from '../order.js';
import type { Effect } from '../types.js';
import { canon, defineRule, has, q, sortedKeys, type DiffContext, type Finding, type Rule } from './define.js';
import { keys, siteId } from '../../manifest/keys.js';

const siteKey = keys.site;
const sinkKey = keys.sink;
const guardKey = keys.guard;
const SITE = (k: string) => ['keygate', 'sites', k];

/** The site's path (entry -> helpers -> sink) from the locations, head first: ` (path: ...)` or ''. */
function pathOf(ctx: DiffContext, key: string, side: 'head' | 'base' | 'either' = 'either'): string {
  const loc = (m: DiffContext['head']) => m.locations[keys.via(key)];
  const via = side === 'base' ? loc(ctx.base) : side === 'head' ? loc(ctx.head) : (loc(ctx.head) ?? loc(ctx.base));
  return via ? ` (path: ${via})` : '';
}

// ---------------------------------------------------------------------------
// Declarations

export const KEYGATE_SINK_REMOVED = defineRule({
  id: 'KEYGATE_SINK_REMOVED',
  category: 'keygate',
  effect: 'weakening',
  summary: 'A key sink is no longer declared.',
  description:
    'A function tagged `@keySink` (or listed in `keySinks`) is no longer a sink, so its calls are no longer checked for guards. Its sites and escapes disappear with it and are accounted for by this change.',
  justifyHint: 'Show the sink was deleted and no longer returns key material, or restore its `@keySink` tag.',
  find: (ctx) =>
    sortedKeys(ctx.b.keygate.sinks)
      .filter((s) => !has(ctx.h.keygate.sinks, s))
      .map((s) => ({
        id: s,
        subject: '',
        before: ctx.b.keygate.sinks[s],
        after: null,
        message: `key sink ${s} is no longer declared; its calls are no longer checked`,
        keys: [sinkKey(s)],
        covers: [
          ['keygate', 'sinks', s],
          ...ctx.sites.removed.filter((k) => ctx.b.keygate.sites[k]!.sink === s).map(SITE),
          ...removedEscapes(ctx)
            .filter((k) => ctx.b.keygate.escapes[k]!.sink === s)
            .map((k) => ['keygate', 'escapes', k]),
        ],
      })),
});

export const KEYGATE_SINK_ADDED = defineRule({
  id: 'KEYGATE_SINK_ADDED',
  category: 'keygate',
  effect: 'strengthening',
  summary: 'A new key sink is declared.',
  description:
    'More calls are now checked for guards. Any unguarded call of the new sink is reported separately (KEYGATE_UNGUARDED_SINK_CALL).',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    sortedKeys(ctx.h.keygate.sinks)
      .filter((s) => !has(ctx.b.keygate.sinks, s))
      .map((s) => ({
        id: s,
        subject: '',
        before: null,
        after: ctx.h.keygate.sinks[s],
        message: `new key sink ${s}`,
        keys: [sinkKey(s)],
        covers: [['keygate', 'sinks', s]],
      })),
});

export const KEYGATE_GUARD_DECL_REMOVED = defineRule({
  id: 'KEYGATE_GUARD_DECL_REMOVED',
  category: 'keygate',
  effect: 'weakening',
  summary: 'A key guard is no longer declared.',
  description:
    'A function tagged `@keyGuard` (or listed in `keyGuards`) is no longer a guard. Calls of it no longer count as protection; sites that relied on it report KEYGATE_GUARD_REMOVED as well.',
  justifyHint: 'Show every site is protected by another guard, or restore the `@keyGuard` tag.',
  find: (ctx) =>
    sortedKeys(ctx.b.keygate.guards)
      .filter((g) => !has(ctx.h.keygate.guards, g))
      .map((g) => ({
        id: g,
        subject: '',
        before: ctx.b.keygate.guards[g],
        after: null,
        message: `key guard ${g} is no longer declared`,
        keys: [guardKey(g)],
        covers: [['keygate', 'guards', g]],
      })),
});

export const KEYGATE_GUARD_DECL_ADDED = defineRule({
  id: 'KEYGATE_GUARD_DECL_ADDED',
  category: 'keygate',
  effect: 'strengthening',
  summary: 'A new key guard is declared.',
  description:
    'A new assertion-style guard is available; where it dominates a sink call, KEYGATE_GUARD_ADDED is reported.',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    sortedKeys(ctx.h.keygate.guards)
      .filter((g) => !has(ctx.b.keygate.guards, g))
      .map((g) => ({
        id: g,
        subject: '',
        before: null,
        after: ctx.h.keygate.guards[g],
        message: `new key guard ${g}`,
        keys: [guardKey(g)],
        covers: [['keygate', 'guards', g]],
      })),
});

export const KEYGATE_GUARD_RENAMED = defineRule({
  id: 'KEYGATE_GUARD_RENAMED',
  category: 'keygate',
  effect: 'neutral',
  summary: 'A key guard was renamed.',
  description:
    'A guard is declared only before and another only after, with the same implementation digest (its own name does not count; its body, what it reads and every write to that do), the same parameters, `async` and kind. Every other rule compares the sites under the new name, so a site that lost the guard still reports KEYGATE_GUARD_REMOVED.',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    ctx.guardRenames.map(([from, to]) => ({
      id: to,
      subject: '',
      before: from,
      after: to,
      message: `key guard ${from} renamed to ${to} (same implementation and parameters)`,
      keys: [guardKey(to), guardKey(from)],
      covers: [['keygate', 'guards', to]],
    })),
});

export const KEYGATE_GUARD_IMPL_CHANGED = defineRule({
  id: 'KEYGATE_GUARD_IMPL_CHANGED',
  category: 'keygate',
  effect: 'modified',
  summary: 'The implementation of a key guard changed.',
  description:
    "The digest of the guard's normalized AST changed (comments and formatting do not count). Policydrift cannot tell whether the check became stricter or looser, so every such change needs review.",
  justifyHint: 'Explain what the guard now checks and why it is at least as strict.',
  find: (ctx) =>
    sortedKeys(ctx.b.keygate.guards)
      .filter(
        (g) =>
          has(ctx.h.keygate.guards, g) && ctx.b.keygate.guards[g]!.implDigest !== ctx.h.keygate.guards[g]!.implDigest,
      )
      .map((g) => ({
        id: g,
        subject: '',
        before: ctx.b.keygate.guards[g]!.implDigest,
        after: ctx.h.keygate.guards[g]!.implDigest,
        message: `the implementation of key guard ${g} changed`,
        keys: [guardKey(g)],
        covers: [['keygate', 'guards', g, 'implDigest']],
      })),
});

// ---------------------------------------------------------------------------
// Guards at sites

export type GuardDiff =
  | { kind: 'removed' | 'added'; guard: string; entry: DominatingGuard }
  | { kind: 'awaited'; guard: string; before: boolean; after: boolean }
  | {
      kind: 'arg';
      guard: string;
      param: string;
      before: GuardArg | null;
      after: GuardArg | null;
      cmp: OrderComparison;
    };

/**
 * Every difference between the dominating guards of one site. Identical
 * entries cancel first; the rest are matched by guard id (in recorded order
 * when a guard dominates more than once) and compared by awaited and by
 * argument name; whatever stays unmatched was removed or added.
 */
export function diffSiteGuards(ctx: DiffContext, before: DominatingGuard[], after: DominatingGuard[]): GuardDiff[] {
  const bRest = [...before];
  const aRest = [...after];
  for (let i = bRest.length - 1; i >= 0; i--) {
    const j = aRest.findIndex((x) => canon(x) === canon(bRest[i]));
    if (j >= 0) {
      bRest.splice(i, 1);
      aRest.splice(j, 1);
    }
  }
  const out: GuardDiff[] = [];
  const ids = [...new Set([...bRest, ...aRest].map((g) => g.guard))].sort();
  for (const g of ids) {
    const bs = bRest.filter((x) => x.guard === g);
    const as = aRest.filter((x) => x.guard === g);
    const n = Math.min(bs.length, as.length);
    for (let i = 0; i < n; i++) {
      const b = bs[i]!;
      const a = as[i]!;
      if (b.awaited !== a.awaited) out.push({ kind: 'awaited', guard: g, before: b.awaited, after: a.awaited });
      for (const p of [...new Set([...Object.keys(b.args), ...Object.keys(a.args)])].sort()) {
        const bv = has(b.args, p) ? b.args[p] : undefined;
        const av = has(a.args, p) ? a.args[p] : undefined;
        if (bv === av) continue;
        out.push({
          kind: 'arg',
          guard: g,
          param: p,
          before: bv ?? null,
          after: av ?? null,
          cmp: compareGuardArg(ctx.orders, g, p, bv, av),
        });
      }
    }
    for (const b of bs.slice(n)) out.push({ kind: 'removed', guard: g, entry: b });
    for (const a of as.slice(n)) out.push({ kind: 'added', guard: g, entry: a });
  }
  return out;
}

function siteGuardDiffs(ctx: DiffContext): Array<{ key: string; site: GatedSite; d: GuardDiff }> {
  const out: Array<{ key: string; site: GatedSite; d: GuardDiff }> = [];
  for (const k of ctx.sites.common) {
    const b = ctx.b.keygate.sites[k]!;
    const a = ctx.h.keygate.sites[k]!;
    for (const d of diffSiteGuards(ctx, b.guards, a.guards)) out.push({ key: k, site: a, d });
  }
  return out;
}

function siteGuardRule<const Id extends string>(
  meta: { id: Id; effect: Effect; summary: string; description: string; justifyHint: string },
  pick: (d: GuardDiff, site: GatedSite, path: string) => Omit<Finding, 'id' | 'keys' | 'covers'> | null,
): Rule<Id> {
  return defineRule({
    ...meta,
    category: 'keygate',
    find: (ctx) => {
      const out: Finding[] = [];
      for (const { key, site, d } of siteGuardDiffs(ctx)) {
        const f = pick(d, site, pathOf(ctx, key));
        if (!f) continue;
        out.push({
          ...f,
          id: key,
          keys: [siteKey(key), guardKey(d.guard), sinkKey(site.sink)],
          covers: [[...SITE(key), 'guards']],
        });
      }
      return out;
    },
  });
}

export const KEYGATE_GUARD_REMOVED = siteGuardRule(
  {
    id: 'KEYGATE_GUARD_REMOVED',
    effect: 'weakening',
    summary: 'A guard is no longer on every path from an entry point to a sink.',
    description:
      'Some path from the entry point to the sink call (through the project helpers it calls) no longer passes through the guard: it was deleted, moved after the sink, made conditional, removed from a guard wrapper, or a path that skips it was added; or its declaration was lost. When it was the last guard, the sink is now reachable unguarded. Id `<entry point> -> <sink>`, subject the guard; the message names the path.',
    justifyHint: 'Restore the guard before the sink call, or show another guard protects the same path.',
  },
  (d, site, path) =>
    d.kind === 'removed'
      ? {
          subject: d.guard,
          before: d.entry,
          after: null,
          message: `guard ${d.guard} is no longer on every path from entry point ${site.function} to key sink ${site.sink}${path}`,
        }
      : null,
);

export const KEYGATE_GUARD_ADDED = siteGuardRule(
  {
    id: 'KEYGATE_GUARD_ADDED',
    effect: 'strengthening',
    summary: 'A guard is now on every path from an entry point to a sink.',
    description: 'Every path from the entry point to the sink call (through helpers) now passes through the guard.',
    justifyHint: 'No justification needed.',
  },
  (d, site) =>
    d.kind === 'added'
      ? {
          subject: d.guard,
          before: null,
          after: d.entry,
          message: `guard ${d.guard} is now on every path from entry point ${site.function} to key sink ${site.sink}`,
        }
      : null,
);

export const KEYGATE_GUARD_NOT_AWAITED = siteGuardRule(
  {
    id: 'KEYGATE_GUARD_NOT_AWAITED',
    effect: 'weakening',
    summary: 'An async guard is no longer awaited before the sink call.',
    description:
      'An un-awaited assertion guard rejects too late: the sink runs before the check fails (a floating promise). Subject: the guard.',
    justifyHint: 'Add `await` to the guard call.',
  },
  (d, site, path) =>
    d.kind === 'awaited' && d.before && !d.after
      ? {
          subject: d.guard,
          before: true,
          after: false,
          message: `guard ${d.guard} is no longer awaited before key sink ${site.sink} on a path from entry point ${site.function}${path}`,
        }
      : null,
);

export const KEYGATE_GUARD_AWAITED = siteGuardRule(
  {
    id: 'KEYGATE_GUARD_AWAITED',
    effect: 'strengthening',
    summary: 'An async guard is now awaited before the sink call.',
    description: "The guard's rejection now stops the sink call.",
    justifyHint: 'No justification needed.',
  },
  (d) =>
    d.kind === 'awaited' && !d.before && d.after
      ? {
          subject: d.guard,
          before: false,
          after: true,
          message: `guard ${d.guard} is now awaited before the sink call`,
        }
      : null,
);

const argFinding = (d: Extract<GuardDiff, { kind: 'arg' }>, verb: string) => ({
  subject: `${d.guard}.${d.param}`,
  before: d.before,
  after: d.after,
  message: `argument ${q(d.param)} of guard ${d.guard} ${verb}: ${q(d.before)} -> ${q(d.after)}`,
});

export const KEYGATE_GUARD_ARG_WEAKENED = siteGuardRule(
  {
    id: 'KEYGATE_GUARD_ARG_WEAKENED',
    effect: 'weakening',
    summary: 'A guard argument demands less.',
    description:
      'The argument moved down the order configured in `orders.guardArgs["<guard>.<param>"]` (a list weakest -> strongest, or "higher-is-stronger" / "lower-is-stronger" for numbers). Subject `<guard>.<param>`.',
    justifyHint: 'Explain why the weaker requirement is sufficient.',
  },
  (d) => (d.kind === 'arg' && d.cmp === 'weaker' ? argFinding(d, 'weakened') : null),
);

export const KEYGATE_GUARD_ARG_STRENGTHENED = siteGuardRule(
  {
    id: 'KEYGATE_GUARD_ARG_STRENGTHENED',
    effect: 'strengthening',
    summary: 'A guard argument demands more.',
    description: 'The argument moved up its configured order. Subject `<guard>.<param>`.',
    justifyHint: 'No justification needed.',
  },
  (d) => (d.kind === 'arg' && d.cmp === 'stronger' ? argFinding(d, 'strengthened') : null),
);

export const KEYGATE_GUARD_ARG_CHANGED = siteGuardRule(
  {
    id: 'KEYGATE_GUARD_ARG_CHANGED',
    effect: 'modified',
    summary: 'A guard argument changed and cannot be ranked.',
    description:
      'No order is configured for `<guard>.<param>`, a value is outside the configured order, the argument is not a compile-time literal on either side (`<dynamic>`, `<param#i>`, `<var:x>`, `<expr:…>`: docs/annotations.md), or it is present on one side only. Fail closed: modified. Configure `orders.guardArgs` to have it ranked.',
    justifyHint: 'Explain the new argument, or add an order for `<guard>.<param>` to `orders.guardArgs`.',
  },
  (d) => (d.kind === 'arg' && (d.cmp === 'unknown' || d.cmp === 'same') ? argFinding(d, 'changed') : null),
);

// ---------------------------------------------------------------------------
// Sites

const siteKeys = (k: string, s: GatedSite) => [siteKey(k), sinkKey(s.sink)];

export const KEYGATE_UNGUARDED_SINK_CALL = defineRule({
  id: 'KEYGATE_UNGUARDED_SINK_CALL',
  category: 'keygate',
  effect: 'weakening',
  summary: 'An entry point reaches a key sink with no guard on the way.',
  description:
    'An entry point (a function no other project function calls, one referenced as a value, a module top level, or a declared entry point) now reaches a key sink, directly or through helpers, on a path that passes through no `@keyGuard`. A helper made callable from a new unguarded place shows up here. (An existing site that loses its last guard is reported as KEYGATE_GUARD_REMOVED.) Id `<entry point> -> <sink>`.',
  justifyHint: 'Call a guard (and await it if async) before the sink, on every path.',
  find: (ctx) =>
    ctx.sites.added
      .filter((k) => ctx.h.keygate.sites[k]!.guards.length === 0)
      .map((k) => {
        const s = ctx.h.keygate.sites[k]!;
        return {
          id: k,
          subject: '',
          before: null,
          after: s,
          message: `entry point ${s.function} reaches key sink ${s.sink} without any guard${pathOf(ctx, k, 'head')}`,
          keys: siteKeys(k, s),
          covers: [SITE(k)],
        };
      }),
});

export const KEYGATE_SITE_ADDED = defineRule({
  id: 'KEYGATE_SITE_ADDED',
  category: 'keygate',
  effect: 'modified',
  summary: 'A new entry point reaches a key sink behind guards.',
  description:
    "An entry point now reaches a key sink (directly or through helpers), behind at least one guard and behind every guard the sink's baseline entry points share. Key material is used in a new place; whether the guards suffice is a review question.",
  justifyHint: 'Confirm the guards listed are the right ones for this use of key material.',
  find: (ctx) =>
    ctx.sites.added
      .filter((k) => ctx.h.keygate.sites[k]!.guards.length > 0 && missingGuards(ctx, k).length === 0)
      .map((k) => {
        const s = ctx.h.keygate.sites[k]!;
        return {
          id: k,
          subject: '',
          before: null,
          after: s,
          message: `entry point ${s.function} now reaches key sink ${s.sink}, guarded by ${s.guards.map((g) => g.guard).join(', ')}${pathOf(ctx, k, 'head')}`,
          keys: siteKeys(k, s),
          covers: [SITE(k)],
        };
      }),
});

/**
 * Guards that every baseline site of the new site's sink has and the new
 * site lacks altogether (by guard; arguments are compared by the argument rules
 * only between sites with the same key).
 */
function missingGuards(ctx: DiffContext, key: string): string[] {
  const s = ctx.h.keygate.sites[key]!;
  const others = Object.values(ctx.b.keygate.sites).filter((o) => o.sink === s.sink);
  if (others.length === 0) return [];
  let common = [...new Set(others[0]!.guards.map((g) => g.guard))];
  for (const o of others.slice(1)) common = common.filter((g) => o.guards.some((x) => x.guard === g));
  return common.filter((g) => !s.guards.some((x) => x.guard === g)).sort();
}

export const KEYGATE_ENTRY_WEAKER = defineRule({
  id: 'KEYGATE_ENTRY_WEAKER',
  category: 'keygate',
  effect: 'weakening',
  summary: 'A new entry point reaches a sink with fewer guards than its other entry points.',
  description:
    'An entry point that is new to the manifest reaches a key sink (directly or through helpers) on a path that lacks a guard that every baseline entry point of that sink has: for example a new exported function calling a helper that was only reachable behind the guard. (No guard at all is KEYGATE_UNGUARDED_SINK_CALL.) Id `<entry point> -> <sink>`, subject the missing guards.',
  justifyHint:
    'Call the missing guards on the new path (or route it through the guarded entry point), or justify why this entry point needs less.',
  find: (ctx) =>
    ctx.sites.added
      .filter((k) => ctx.h.keygate.sites[k]!.guards.length > 0 && missingGuards(ctx, k).length > 0)
      .map((k) => {
        const s = ctx.h.keygate.sites[k]!;
        const missing = missingGuards(ctx, k);
        return {
          id: k,
          subject: missing.join(', '),
          before: null,
          after: s,
          message: `new entry point ${s.function} reaches key sink ${s.sink} without ${missing.join(', ')}, which every other entry point of the sink has${pathOf(ctx, k, 'head')}`,
          keys: siteKeys(k, s),
          covers: [SITE(k)],
        };
      }),
});

export const KEYGATE_SITE_REMOVED = defineRule({
  id: 'KEYGATE_SITE_REMOVED',
  category: 'keygate',
  effect: 'strengthening',
  summary: 'An entry point no longer reaches a key sink.',
  description:
    'Key material is used in one place fewer. (Sites that disappear because their sink is no longer declared are covered by KEYGATE_SINK_REMOVED instead.)',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    ctx.sites.removed
      .filter((k) => has(ctx.h.keygate.sinks, ctx.b.keygate.sites[k]!.sink))
      .map((k) => {
        const s = ctx.b.keygate.sites[k]!;
        return {
          id: k,
          subject: '',
          before: s,
          after: null,
          message: `entry point ${s.function} no longer reaches key sink ${s.sink}`,
          keys: siteKeys(k, s),
          covers: [SITE(k)],
        };
      }),
});

export const KEYGATE_SITE_RENAMED = defineRule({
  id: 'KEYGATE_SITE_RENAMED',
  category: 'keygate',
  effect: 'neutral',
  summary: 'An entry point was renamed with identical guards on its paths to a sink.',
  description:
    'A site disappeared and another appeared with the same sink and exactly the same guards, arguments and awaiting on every path.',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    ctx.sites.renamed.map(([from, to]) => ({
      id: to,
      subject: '',
      before: from,
      after: to,
      message: `sink call site ${from} renamed to ${to} (guards unchanged)`,
      keys: [siteKey(to), siteKey(from)],
      covers: [SITE(from), SITE(to)],
    })),
});

// ---------------------------------------------------------------------------
// Escapes

function removedEscapes(ctx: DiffContext): string[] {
  return sortedKeys(ctx.b.keygate.escapes).filter((k) => !has(ctx.h.keygate.escapes, k));
}

export const KEYGATE_SINK_ESCAPES = defineRule({
  id: 'KEYGATE_SINK_ESCAPES',
  category: 'keygate',
  effect: 'weakening',
  summary: 'A key sink leaves direct-call position.',
  description:
    'The sink is aliased, passed as a value, stored, or called through something the analysis cannot resolve. Its calls from there cannot be checked for guards. Id `<function> -> <sink> (<kind>)`.',
  justifyHint: 'Call the sink directly behind a guard, or justify the indirection.',
  find: (ctx) =>
    sortedKeys(ctx.h.keygate.escapes)
      .filter((k) => !has(ctx.b.keygate.escapes, k))
      .map((k) => {
        const e = ctx.h.keygate.escapes[k]!;
        return {
          id: k,
          subject: '',
          before: null,
          after: e,
          message: `key sink ${e.sink} escapes in ${e.function} (${e.kind}); its calls there cannot be checked`,
          keys: [siteKey(siteId(e)), sinkKey(e.sink)],
          covers: [['keygate', 'escapes', k]],
        };
      }),
});

export const KEYGATE_SINK_ESCAPE_REMOVED = defineRule({
  id: 'KEYGATE_SINK_ESCAPE_REMOVED',
  category: 'keygate',
  effect: 'strengthening',
  summary: 'A key sink no longer escapes.',
  description: 'An alias, value use or unresolved call of the sink is gone.',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    removedEscapes(ctx)
      .filter((k) => has(ctx.h.keygate.sinks, ctx.b.keygate.escapes[k]!.sink))
      .map((k) => {
        const e = ctx.b.keygate.escapes[k]!;
        return {
          id: k,
          subject: '',
          before: e,
          after: null,
          message: `key sink ${e.sink} no longer escapes in ${e.function} (${e.kind})`,
          keys: [siteKey(siteId(e)), sinkKey(e.sink)],
          covers: [['keygate', 'escapes', k]],
        };
      }),
});

export const KEYGATE_RULES = [
  KEYGATE_SINK_REMOVED,
  KEYGATE_SINK_ADDED,
  KEYGATE_GUARD_DECL_REMOVED,
  KEYGATE_GUARD_DECL_ADDED,
  KEYGATE_GUARD_RENAMED,
  KEYGATE_GUARD_IMPL_CHANGED,
  KEYGATE_GUARD_REMOVED,
  KEYGATE_GUARD_ADDED,
  KEYGATE_GUARD_NOT_AWAITED,
  KEYGATE_GUARD_AWAITED,
  KEYGATE_GUARD_ARG_WEAKENED,
  KEYGATE_GUARD_ARG_STRENGTHENED,
  KEYGATE_GUARD_ARG_CHANGED,
  KEYGATE_UNGUARDED_SINK_CALL,
  KEYGATE_ENTRY_WEAKER,
  KEYGATE_SITE_ADDED,
  KEYGATE_SITE_REMOVED,
  KEYGATE_SITE_RENAMED,
  KEYGATE_SINK_ESCAPES,
  KEYGATE_SINK_ESCAPE_REMOVED,
];
