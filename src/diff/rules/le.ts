/** LE (law-enforcement) response rules: which handlers exist, what each can return, what each requires. */
import type { LeHandler } from '../../manifest/types.js';
import type { TypeComparison } from '../typeorder.js';
import { defineRule, has, q, type DiffContext, type Finding } from './define.js';
import { diffFieldMaps, diffTypeMaps, showField } from './fields.js';
import { keys } from '../../manifest/keys.js';

const H = (id: string) => ['le', 'handlers', id];
const hKey = keys.handler;
const vKeys = (id: string, v: string) => [keys.variant(id, v), keys.handler(id)];

function common(ctx: DiffContext): Array<{ id: string; before: LeHandler; after: LeHandler }> {
  return ctx.handlers.common.map((id) => ({ id, before: ctx.b.le.handlers[id]!, after: ctx.h.le.handlers[id]! }));
}

const boundedness = (h: LeHandler) => ({ unbounded: h.unbounded, unboundedReasons: h.unboundedReasons });

export const LE_HANDLER_ADDED = defineRule({
  id: 'LE_HANDLER_ADDED',
  category: 'le',
  effect: 'modified',
  summary: 'A new LE handler appeared.',
  description:
    'A function that answers law-enforcement requests was added (named `handle_le_request`, tagged `@leHandler`, or listed in `leHandlers`). It is a new disclosure channel: everything it can return is new, so it is reported as one modified change rather than field by field.',
  justifyHint:
    'List the handler and its response variants in the change set, and say which legal process authorizes the new channel.',
  find: (ctx) =>
    ctx.handlers.added.map((id) => ({
      id,
      subject: '',
      before: null,
      after: ctx.h.le.handlers[id],
      message: `new LE handler ${id} with ${Object.keys(ctx.h.le.handlers[id]!.variants).length} response variant(s)`,
      keys: [hKey(id)],
      covers: [H(id)],
    })),
});

export const LE_HANDLER_REMOVED = defineRule({
  id: 'LE_HANDLER_REMOVED',
  category: 'le',
  effect: 'weakening',
  summary: 'An LE handler is no longer recognized.',
  description:
    'A handler present in the base is gone from the head (and no identical handler appeared under another name). Either the code was deleted, or it lost its `@leHandler` tag / `leHandlers` entry and still runs unchecked. Policydrift cannot tell the two apart, so it assumes the worse.',
  justifyHint: 'Show that the handler was deleted (not merely untagged), or restore its `@leHandler` tag.',
  find: (ctx) =>
    ctx.handlers.removed.map((id) => ({
      id,
      subject: '',
      before: ctx.b.le.handlers[id],
      after: null,
      message: `LE handler ${id} is no longer checked (deleted or untagged)`,
      keys: [hKey(id)],
      covers: [H(id)],
    })),
});

export const LE_HANDLER_RENAMED = defineRule({
  id: 'LE_HANDLER_RENAMED',
  category: 'le',
  effect: 'neutral',
  summary: 'An LE handler was renamed with identical content.',
  description:
    'A handler disappeared and another one appeared whose variants, fields, request requirements and boundedness are byte-for-byte identical. Nothing that can be disclosed changed.',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    ctx.handlers.renamed.map(([from, to]) => ({
      id: to,
      subject: '',
      before: from,
      after: to,
      message: `LE handler ${from} renamed to ${to} (content unchanged)`,
      keys: [hKey(to), hKey(from)],
      covers: [H(from), H(to)],
    })),
});

export const LE_HANDLER_UNBOUNDED = defineRule({
  id: 'LE_HANDLER_UNBOUNDED',
  category: 'le',
  effect: 'weakening',
  summary: 'An LE handler can no longer be bounded (or gained a new reason to be unbounded).',
  description:
    'The set of responses the handler can return is no longer provably finite: it returns `any`/`unknown`, a cast, an unresolved call or a non-literal discriminant, a value wider than the declared response (extra properties, an undeclared getter, a computed key), an object with `toJSON`, or an object that `Object.defineProperty`, `Object.assign`, a class `prototype`, a `Proxy`, a write through a type-asserted view or an index signature and the like can change behind its type. Reported once when the handler becomes unbounded, and once per new reason when it already was.',
  justifyHint:
    'Remove the cast / `any` so the response type is a closed union again, or justify why an open response is acceptable.',
  find: (ctx) => {
    const out: Finding[] = [];
    for (const { id, before, after } of common(ctx)) {
      const covers = [
        [...H(id), 'unbounded'],
        [...H(id), 'unboundedReasons'],
      ];
      if (!before.unbounded && after.unbounded) {
        out.push({
          id,
          subject: '',
          before: boundedness(before),
          after: boundedness(after),
          message: `LE handler ${id} is now unbounded: ${after.unboundedReasons.join('; ') || 'no reason recorded'}`,
          keys: [hKey(id)],
          covers,
        });
      } else if (before.unbounded && after.unbounded) {
        for (const r of after.unboundedReasons.filter((x) => !before.unboundedReasons.includes(x))) {
          out.push({
            id,
            subject: r,
            before: null,
            after: r,
            message: `LE handler ${id} has a new reason to be unbounded: ${r}`,
            keys: [hKey(id)],
            covers,
          });
        }
      }
    }
    return out;
  },
});

export const LE_HANDLER_BOUNDED = defineRule({
  id: 'LE_HANDLER_BOUNDED',
  category: 'le',
  effect: 'strengthening',
  summary: 'An unbounded LE handler became bounded (or lost a reason to be unbounded).',
  description:
    "The handler's responses are now a closed set of variants. Also reported once per reason that no longer applies while the handler is still unbounded.",
  justifyHint: 'No justification needed.',
  find: (ctx) => {
    const out: Finding[] = [];
    for (const { id, before, after } of common(ctx)) {
      const covers = [
        [...H(id), 'unbounded'],
        [...H(id), 'unboundedReasons'],
      ];
      if (before.unbounded && !after.unbounded) {
        out.push({
          id,
          subject: '',
          before: boundedness(before),
          after: boundedness(after),
          message: `LE handler ${id} is now bounded`,
          keys: [hKey(id)],
          covers,
        });
      } else if (before.unbounded && after.unbounded) {
        for (const r of before.unboundedReasons.filter((x) => !after.unboundedReasons.includes(x))) {
          out.push({
            id,
            subject: r,
            before: r,
            after: null,
            message: `LE handler ${id} no longer unbounded because: ${r} (still unbounded)`,
            keys: [hKey(id)],
            covers,
          });
        }
      }
    }
    return out;
  },
});

export const LE_DISCRIMINANT_CHANGED = defineRule({
  id: 'LE_DISCRIMINANT_CHANGED',
  category: 'le',
  effect: 'modified',
  summary: "The property that keys an LE handler's response variants changed.",
  description:
    'The variants are now told apart by a different property (or by none). Variant keys before and after no longer mean the same thing, so the change cannot be ordered.',
  justifyHint: 'Explain the new discriminant and confirm the variant-by-variant changes reported alongside.',
  find: (ctx) =>
    common(ctx)
      .filter(({ before, after }) => before.discriminant !== after.discriminant)
      .map(({ id, before, after }) => ({
        id,
        subject: '',
        before: before.discriminant,
        after: after.discriminant,
        message: `LE handler ${id} now keys its responses by ${after.discriminant === null ? 'no discriminant' : q(after.discriminant)} (was ${before.discriminant === null ? 'none' : q(before.discriminant)})`,
        keys: [hKey(id)],
        covers: [[...H(id), 'discriminant']],
      })),
});

export const LE_RESPONSE_ADDED = defineRule({
  id: 'LE_RESPONSE_ADDED',
  category: 'le',
  effect: 'weakening',
  summary: 'An LE handler can return a new response variant.',
  description: "A new kind of answer can be disclosed to law enforcement (subject: the variant's discriminant value).",
  justifyHint: 'Name the variant in the change set with the legal basis for disclosing it.',
  find: (ctx) => {
    const out: Finding[] = [];
    for (const { id, before, after } of common(ctx)) {
      for (const v of Object.keys(after.variants).sort()) {
        if (has(before.variants, v)) continue;
        out.push({
          id,
          subject: v,
          before: null,
          after: after.variants[v],
          message: `LE handler ${id} can now return response variant ${q(v)}`,
          keys: vKeys(id, v),
          covers: [[...H(id), 'variants', v]],
        });
      }
    }
    return out;
  },
});

export const LE_RESPONSE_REMOVED = defineRule({
  id: 'LE_RESPONSE_REMOVED',
  category: 'le',
  effect: 'strengthening',
  summary: 'An LE handler can no longer return a response variant.',
  description: "A kind of answer was dropped from the handler's closed response set.",
  justifyHint: 'No justification needed.',
  find: (ctx) => {
    const out: Finding[] = [];
    for (const { id, before, after } of common(ctx)) {
      for (const v of Object.keys(before.variants).sort()) {
        if (has(after.variants, v)) continue;
        out.push({
          id,
          subject: v,
          before: before.variants[v],
          after: null,
          message: `LE handler ${id} no longer returns response variant ${q(v)}`,
          keys: vKeys(id, v),
          covers: [[...H(id), 'variants', v]],
        });
      }
    }
    return out;
  },
});

/** Field-level differences of every variant present on both sides. */
function variantFieldDiffs(ctx: DiffContext) {
  const out: Array<{ id: string; v: string; d: ReturnType<typeof diffFieldMaps> }> = [];
  for (const { id, before, after } of common(ctx)) {
    for (const v of Object.keys(before.variants).sort()) {
      if (!has(after.variants, v)) continue;
      out.push({ id, v, d: diffFieldMaps(before.variants[v]!.fields, after.variants[v]!.fields) });
    }
  }
  return out;
}

const fieldPath = (id: string, v: string, p: string) => [...H(id), 'variants', v, 'fields', p];

export const LE_RESPONSE_FIELD_ADDED = defineRule({
  id: 'LE_RESPONSE_FIELD_ADDED',
  category: 'le',
  effect: 'weakening',
  summary: 'A response variant discloses a new field.',
  description: 'Subject `<variant>.<field path>`. Nested object fields are dotted paths; array elements are `path[]`.',
  justifyHint: 'List the field in the change set and why the requesting authority may receive it.',
  find: (ctx) =>
    variantFieldDiffs(ctx).flatMap(({ id, v, d }) =>
      d.added.map((f) => ({
        id,
        subject: `${v}.${f.path}`,
        before: null,
        after: f.after,
        message: `response variant ${q(v)} of ${id} now discloses field ${q(f.path)} (${showField(f.after)})`,
        keys: vKeys(id, v),
        covers: [fieldPath(id, v, f.path)],
      })),
    ),
});

export const LE_RESPONSE_FIELD_REMOVED = defineRule({
  id: 'LE_RESPONSE_FIELD_REMOVED',
  category: 'le',
  effect: 'strengthening',
  summary: 'A response variant no longer discloses a field.',
  description: 'Subject `<variant>.<field path>`.',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    variantFieldDiffs(ctx).flatMap(({ id, v, d }) =>
      d.removed.map((f) => ({
        id,
        subject: `${v}.${f.path}`,
        before: f.before,
        after: null,
        message: `response variant ${q(v)} of ${id} no longer discloses field ${q(f.path)}`,
        keys: vKeys(id, v),
        covers: [fieldPath(id, v, f.path)],
      })),
    ),
});

function fieldTypeRule<const Id extends string>(
  id: Id,
  effect: 'weakening' | 'strengthening' | 'modified',
  cmp: TypeComparison,
  summary: string,
  description: string,
  justifyHint: string,
  verb: string,
) {
  return defineRule({
    id,
    category: 'le',
    effect,
    summary,
    description,
    justifyHint,
    find: (ctx) =>
      variantFieldDiffs(ctx).flatMap(({ id: h, v, d }) =>
        d.changed
          .filter((c) => c.cmp === cmp)
          .map((c) => ({
            id: h,
            subject: `${v}.${c.path}`,
            before: c.before,
            after: c.after,
            message: `field ${q(c.path)} of response variant ${q(v)} of ${h} ${verb}: ${showField(c.before)} -> ${showField(c.after)}`,
            keys: vKeys(h, v),
            covers: [fieldPath(h, v, c.path)],
          })),
      ),
  });
}

export const LE_RESPONSE_FIELD_WIDENED = fieldTypeRule(
  'LE_RESPONSE_FIELD_WIDENED',
  'weakening',
  'wider',
  'A response field can disclose more (wider type, or optional -> required).',
  "The field's type now admits values it did not before (a literal became its primitive, a union gained members, an object gained properties, `any`/`unknown`), or the field is now always present. Compared in the disclosure order (see Orders above).",
  'Explain what additional values can now reach the requester and why that is allowed.',
  'widened',
);

export const LE_RESPONSE_FIELD_NARROWED = fieldTypeRule(
  'LE_RESPONSE_FIELD_NARROWED',
  'strengthening',
  'narrower',
  'A response field can disclose less (narrower type, or required -> optional).',
  "The field's type admits only a subset of its previous values, or it is no longer always present.",
  'No justification needed.',
  'narrowed',
);

export const LE_RESPONSE_FIELD_CHANGED = fieldTypeRule(
  'LE_RESPONSE_FIELD_CHANGED',
  'modified',
  'incomparable',
  'A response field changed type in a way that is neither wider nor narrower.',
  'The before and after types are incomparable in the disclosure order (e.g. `string` -> `number`, two different opaque library types, or type text policydrift cannot parse). Fail closed: reported as modified.',
  'Describe what the field now carries.',
  'changed type',
);

function requestFindings(ctx: DiffContext): Array<{ kind: 'relaxed' | 'tightened' | 'changed'; f: Finding }> {
  const out: Array<{ kind: 'relaxed' | 'tightened' | 'changed'; f: Finding }> = [];
  for (const { id, before, after } of common(ctx)) {
    const R = [...H(id), 'request'];
    const keys = [hKey(id)];
    if (before.request.unbounded !== after.request.unbounded) {
      out.push({
        kind: after.request.unbounded ? 'relaxed' : 'tightened',
        f: {
          id,
          subject: '',
          before: { unbounded: before.request.unbounded },
          after: { unbounded: after.request.unbounded },
          message: after.request.unbounded
            ? `the request accepted by LE handler ${id} is no longer bounded`
            : `the request accepted by LE handler ${id} is now bounded`,
          keys,
          covers: [[...R, 'unbounded']],
        },
      });
    }
    const d = diffTypeMaps(before.request.requiredFields, after.request.requiredFields);
    for (const r of d.removed) {
      out.push({
        kind: 'relaxed',
        f: {
          id,
          subject: r.name,
          before: r.before,
          after: null,
          message: `LE handler ${id} no longer requires request field ${q(r.name)}`,
          keys,
          covers: [[...R, 'requiredFields', r.name]],
        },
      });
    }
    for (const a of d.added) {
      out.push({
        kind: 'tightened',
        f: {
          id,
          subject: a.name,
          before: null,
          after: a.after,
          message: `LE handler ${id} now requires request field ${q(a.name)} (${a.after})`,
          keys,
          covers: [[...R, 'requiredFields', a.name]],
        },
      });
    }
    for (const c of d.changed) {
      const kind = c.cmp === 'wider' ? 'relaxed' : c.cmp === 'narrower' ? 'tightened' : 'changed';
      out.push({
        kind,
        f: {
          id,
          subject: c.name,
          before: c.before,
          after: c.after,
          message: `request field ${q(c.name)} of LE handler ${id} ${kind === 'changed' ? 'changed type' : kind === 'relaxed' ? 'accepts more' : 'accepts less'}: ${c.before} -> ${c.after}`,
          keys,
          covers: [[...R, 'requiredFields', c.name]],
        },
      });
    }
  }
  return out;
}

export const LE_REQUEST_REQUIREMENT_RELAXED = defineRule({
  id: 'LE_REQUEST_REQUIREMENT_RELAXED',
  category: 'le',
  effect: 'weakening',
  summary:
    'An LE handler demands less of the request (a required field removed or widened, or the request became unbounded).',
  description:
    'Required request fields (warrant ids, case numbers, legal basis...) are what a handler insists on before it answers. Removing one, accepting a wider type for it, or accepting an unbounded request lets requests through that were rejected before. Subject: the field name ("" for the request as a whole).',
  justifyHint: 'Explain why the requirement is no longer needed, or restore it.',
  find: (ctx) =>
    requestFindings(ctx)
      .filter((x) => x.kind === 'relaxed')
      .map((x) => x.f),
});

export const LE_REQUEST_REQUIREMENT_TIGHTENED = defineRule({
  id: 'LE_REQUEST_REQUIREMENT_TIGHTENED',
  category: 'le',
  effect: 'strengthening',
  summary:
    'An LE handler demands more of the request (a required field added or narrowed, or the request became bounded).',
  description: 'Subject: the field name ("" for the request as a whole).',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    requestFindings(ctx)
      .filter((x) => x.kind === 'tightened')
      .map((x) => x.f),
});

export const LE_REQUEST_REQUIREMENT_CHANGED = defineRule({
  id: 'LE_REQUEST_REQUIREMENT_CHANGED',
  category: 'le',
  effect: 'modified',
  summary: 'A required request field changed type incomparably.',
  description:
    'The before and after types of a required request field are neither wider nor narrower (or cannot be parsed). Fail closed: modified.',
  justifyHint: 'Describe the new requirement.',
  find: (ctx) =>
    requestFindings(ctx)
      .filter((x) => x.kind === 'changed')
      .map((x) => x.f),
});

export const LE_RULES = [
  LE_HANDLER_ADDED,
  LE_HANDLER_REMOVED,
  LE_HANDLER_RENAMED,
  LE_HANDLER_UNBOUNDED,
  LE_HANDLER_BOUNDED,
  LE_DISCRIMINANT_CHANGED,
  LE_RESPONSE_ADDED,
  LE_RESPONSE_REMOVED,
  LE_RESPONSE_FIELD_ADDED,
  LE_RESPONSE_FIELD_REMOVED,
  LE_RESPONSE_FIELD_WIDENED,
  LE_RESPONSE_FIELD_NARROWED,
  LE_RESPONSE_FIELD_CHANGED,
  LE_REQUEST_REQUIREMENT_RELAXED,
  LE_REQUEST_REQUIREMENT_TIGHTENED,
  LE_REQUEST_REQUIREMENT_CHANGED,
];
