/** Logging schema rules: which schemas exist, their fields, redaction, classification, openness and retention. */
import type { LogField, LogSchema } from '../../manifest/types.js';
import { compareClassification, compareRedaction, type OrderComparison } from '../order.js';
import type { Effect } from '../types.js';
import type { TypeComparison } from '../typeorder.js';
import { defineRule, has, q, type DiffContext, type Finding, type Rule } from './define.js';
import { diffFieldMaps, showField } from './fields.js';
import { keys } from '../../manifest/keys.js';

const S = (id: string) => ['logging', 'schemas', id];
const sKey = keys.schema;

function common(ctx: DiffContext): Array<{ id: string; before: LogSchema; after: LogSchema }> {
  return ctx.schemas.common.map((id) => ({
    id,
    before: ctx.b.logging.schemas[id]!,
    after: ctx.h.logging.schemas[id]!,
  }));
}

const showLogField = (f: LogField) => `${showField(f)}, ${f.classification}, redact ${f.redaction}`;

export const LOG_SCHEMA_ADDED = defineRule({
  id: 'LOG_SCHEMA_ADDED',
  category: 'logging',
  effect: 'modified',
  summary: 'A new logging schema appeared.',
  description:
    'A type tagged `@logSchema` (or a parameter type of a `@logSink`) is new: a new kind of record is written to logs. Reported as one change for the whole schema.',
  justifyHint: 'List the schema, its fields with classification and redaction, and its retention in the change set.',
  find: (ctx) =>
    ctx.schemas.added.map((id) => ({
      id,
      subject: '',
      before: null,
      after: ctx.h.logging.schemas[id],
      message: `new logging schema ${id} with ${Object.keys(ctx.h.logging.schemas[id]!.fields).length} field(s)`,
      keys: [sKey(id)],
      covers: [S(id)],
    })),
});

export const LOG_SCHEMA_REMOVED = defineRule({
  id: 'LOG_SCHEMA_REMOVED',
  category: 'logging',
  effect: 'weakening',
  summary: 'A logging schema is no longer recognized.',
  description:
    'A schema present in the base is gone (and no identical schema appeared under another name). Either the type was deleted, or it lost its `@logSchema` tag and what it logs is no longer checked. Policydrift assumes the worse.',
  justifyHint: 'Show that the records are no longer written at all, or restore the `@logSchema` tag.',
  find: (ctx) =>
    ctx.schemas.removed.map((id) => ({
      id,
      subject: '',
      before: ctx.b.logging.schemas[id],
      after: null,
      message: `logging schema ${id} is no longer checked (deleted or untagged)`,
      keys: [sKey(id)],
      covers: [S(id)],
    })),
});

export const LOG_SCHEMA_RENAMED = defineRule({
  id: 'LOG_SCHEMA_RENAMED',
  category: 'logging',
  effect: 'neutral',
  summary: 'A logging schema was renamed with identical content.',
  description: 'A schema disappeared and another with identical fields, labels, openness and retention appeared.',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    ctx.schemas.renamed.map(([from, to]) => ({
      id: to,
      subject: '',
      before: from,
      after: to,
      message: `logging schema ${from} renamed to ${to} (content unchanged)`,
      keys: [sKey(to), sKey(from)],
      covers: [S(from), S(to)],
    })),
});

function fieldDiffs(ctx: DiffContext) {
  return common(ctx).map(({ id, before, after }) => ({
    id,
    before,
    after,
    d: diffFieldMaps(before.fields, after.fields),
  }));
}
const F = (id: string, p: string) => [...S(id), 'fields', p];

export const LOG_FIELD_ADDED = defineRule({
  id: 'LOG_FIELD_ADDED',
  category: 'logging',
  effect: 'weakening',
  summary: 'A logging schema records a new field.',
  description: 'Subject: the field path. More data is written to logs, whatever its redaction.',
  justifyHint: 'List the field with its classification, redaction and purpose in the change set.',
  find: (ctx) =>
    fieldDiffs(ctx).flatMap(({ id, d }) =>
      d.added.map((f) => ({
        id,
        subject: f.path,
        before: null,
        after: f.after,
        message: `logging schema ${id} now records field ${q(f.path)} (${showLogField(f.after)})`,
        keys: [sKey(id)],
        covers: [F(id, f.path)],
      })),
    ),
});

export const LOG_FIELD_REMOVED = defineRule({
  id: 'LOG_FIELD_REMOVED',
  category: 'logging',
  effect: 'strengthening',
  summary: 'A logging schema no longer records a field.',
  description: 'Subject: the field path.',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    fieldDiffs(ctx).flatMap(({ id, d }) =>
      d.removed.map((f) => ({
        id,
        subject: f.path,
        before: f.before,
        after: null,
        message: `logging schema ${id} no longer records field ${q(f.path)}`,
        keys: [sKey(id)],
        covers: [F(id, f.path)],
      })),
    ),
});

function fieldTypeRule<const Id extends string>(
  id: Id,
  effect: Effect,
  cmp: TypeComparison,
  summary: string,
  description: string,
  justifyHint: string,
  verb: string,
): Rule<Id> {
  return defineRule({
    id,
    category: 'logging',
    effect,
    summary,
    description,
    justifyHint,
    find: (ctx) =>
      fieldDiffs(ctx).flatMap(({ id: s, d }) =>
        d.changed
          .filter((c) => c.cmp === cmp)
          .map((c) => ({
            id: s,
            subject: c.path,
            before: { type: c.before.type, optional: c.before.optional },
            after: { type: c.after.type, optional: c.after.optional },
            message: `field ${q(c.path)} of logging schema ${s} ${verb}: ${showField(c.before)} -> ${showField(c.after)}`,
            keys: [sKey(s)],
            covers: [
              [...F(s, c.path), 'type'],
              [...F(s, c.path), 'optional'],
            ],
          })),
      ),
  });
}

export const LOG_FIELD_WIDENED = fieldTypeRule(
  'LOG_FIELD_WIDENED',
  'weakening',
  'wider',
  'A logged field can carry more (wider type, or optional -> required).',
  "The field's type admits values it did not before, or it is now always logged. Compared in the disclosure order.",
  'Explain what additional values now reach the logs and why that is allowed.',
  'widened',
);

export const LOG_FIELD_NARROWED = fieldTypeRule(
  'LOG_FIELD_NARROWED',
  'strengthening',
  'narrower',
  'A logged field can carry less (narrower type, or required -> optional).',
  "The field's type admits only a subset of its previous values.",
  'No justification needed.',
  'narrowed',
);

export const LOG_FIELD_TYPE_CHANGED = fieldTypeRule(
  'LOG_FIELD_TYPE_CHANGED',
  'modified',
  'incomparable',
  'A logged field changed type in a way that is neither wider nor narrower.',
  'The before and after types are incomparable in the disclosure order (or cannot be parsed). Fail closed: modified.',
  'Describe what the field now carries.',
  'changed type',
);

function labelRule<const Id extends string>(
  id: Id,
  effect: Effect,
  label: 'redaction' | 'classification',
  want: OrderComparison,
  summary: string,
  description: string,
  justifyHint: string,
  verb: string,
): Rule<Id> {
  return defineRule({
    id,
    category: 'logging',
    effect,
    summary,
    description,
    justifyHint,
    find: (ctx) => {
      const out: Finding[] = [];
      for (const { id: s, before, after } of common(ctx)) {
        for (const p of Object.keys(before.fields).sort()) {
          if (!has(after.fields, p)) continue;
          const b = before.fields[p]![label];
          const a = after.fields[p]![label];
          if (a === b) continue;
          const cmp =
            label === 'redaction' ? compareRedaction(ctx.orders, b, a) : compareClassification(ctx.orders, b, a);
          if (cmp !== want) continue;
          out.push({
            id: s,
            subject: p,
            before: b,
            after: a,
            message: `${label} of field ${q(p)} in logging schema ${s} ${verb}: ${b} -> ${a}`,
            keys: [sKey(s)],
            covers: [[...F(s, p), label]],
          });
        }
      }
      return out;
    },
  });
}

export const LOG_REDACTION_RELAXED = labelRule(
  'LOG_REDACTION_RELAXED',
  'weakening',
  'redaction',
  'weaker',
  'A logged field is redacted less.',
  'The redaction mode moved down `orders.redaction` (default `none < mask < truncate < hash < tokenize < drop`).',
  'Explain why the field may now be logged in a more readable form.',
  'relaxed',
);

export const LOG_REDACTION_TIGHTENED = labelRule(
  'LOG_REDACTION_TIGHTENED',
  'strengthening',
  'redaction',
  'stronger',
  'A logged field is redacted more.',
  'The redaction mode moved up `orders.redaction`.',
  'No justification needed.',
  'tightened',
);

export const LOG_REDACTION_CHANGED = labelRule(
  'LOG_REDACTION_CHANGED',
  'modified',
  'redaction',
  'unknown',
  "A logged field's redaction changed to or from a mode outside `orders.redaction`.",
  'A mode that is not listed in the configured order cannot be ranked. Fail closed: modified. Add the mode to `orders.redaction` in policydrift.config.json to have it ranked.',
  'Describe the new redaction mode, or add it to `orders.redaction`.',
  'changed',
);

export const LOG_CLASSIFICATION_LOWERED = labelRule(
  'LOG_CLASSIFICATION_LOWERED',
  'weakening',
  'classification',
  'weaker',
  'A logged field is classified as less sensitive.',
  'The level moved down `orders.classification` (default `unclassified < public < internal < pseudonymous < personal < sensitive < secret`; a field without `@classification` is `unclassified`). Downstream controls keyed on the level will treat it more loosely.',
  'Explain why the data is less sensitive than before.',
  'lowered',
);

export const LOG_CLASSIFICATION_RAISED = labelRule(
  'LOG_CLASSIFICATION_RAISED',
  'strengthening',
  'classification',
  'stronger',
  'A logged field is classified as more sensitive.',
  'The level moved up `orders.classification`.',
  'No justification needed.',
  'raised',
);

export const LOG_CLASSIFICATION_CHANGED = labelRule(
  'LOG_CLASSIFICATION_CHANGED',
  'modified',
  'classification',
  'unknown',
  "A logged field's classification changed to or from a level outside `orders.classification`.",
  'A level that is not listed in the configured order cannot be ranked. Fail closed: modified.',
  'Describe the new level, or add it to `orders.classification`.',
  'changed',
);

export const LOG_SCHEMA_OPENED = defineRule({
  id: 'LOG_SCHEMA_OPENED',
  category: 'logging',
  effect: 'weakening',
  summary: 'A logging schema became open (or gained a new reason to be open).',
  description:
    'An open schema can log fields nobody listed: an index signature, an `any`/`unknown` field, a spread of an unchecked object, or a `@logSink` call whose argument carries fields the schema does not declare (one reason per extra field, named by sink), is cast or `any`, defines `toJSON`, or a use of the sink other than a direct call. Reported once when the schema opens, and once per new reason when it already was open.',
  justifyHint: 'Close the schema (remove the index signature / `any`), or justify logging arbitrary data.',
  find: (ctx) => {
    const out: Finding[] = [];
    for (const { id, before, after } of common(ctx)) {
      const covers = [
        [...S(id), 'open'],
        [...S(id), 'openReasons'],
      ];
      if (!before.open && after.open) {
        out.push({
          id,
          subject: '',
          before: { open: false, openReasons: before.openReasons },
          after: { open: true, openReasons: after.openReasons },
          message: `logging schema ${id} is now open: ${after.openReasons.join('; ') || 'no reason recorded'}`,
          keys: [sKey(id)],
          covers,
        });
      } else if (before.open && after.open) {
        for (const r of after.openReasons.filter((x) => !before.openReasons.includes(x))) {
          out.push({
            id,
            subject: r,
            before: null,
            after: r,
            message: `logging schema ${id} has a new reason to be open: ${r}`,
            keys: [sKey(id)],
            covers,
          });
        }
      }
    }
    return out;
  },
});

export const LOG_SCHEMA_CLOSED = defineRule({
  id: 'LOG_SCHEMA_CLOSED',
  category: 'logging',
  effect: 'strengthening',
  summary: 'An open logging schema became closed (or lost a reason to be open).',
  description: 'Every field the schema can log is now listed.',
  justifyHint: 'No justification needed.',
  find: (ctx) => {
    const out: Finding[] = [];
    for (const { id, before, after } of common(ctx)) {
      const covers = [
        [...S(id), 'open'],
        [...S(id), 'openReasons'],
      ];
      if (before.open && !after.open) {
        out.push({
          id,
          subject: '',
          before: { open: true, openReasons: before.openReasons },
          after: { open: false, openReasons: after.openReasons },
          message: `logging schema ${id} is now closed`,
          keys: [sKey(id)],
          covers,
        });
      } else if (before.open && after.open) {
        for (const r of before.openReasons.filter((x) => !after.openReasons.includes(x))) {
          out.push({
            id,
            subject: r,
            before: r,
            after: null,
            message: `logging schema ${id} no longer open because: ${r} (still open)`,
            keys: [sKey(id)],
            covers,
          });
        }
      }
    }
    return out;
  },
});

/** null = kept forever. */
const longer = (b: number | null, a: number | null) => (b === null ? false : a === null ? true : a > b);
const days = (d: number | null) => (d === null ? 'unbounded' : `${d} day(s)`);

function retentionRule<const Id extends string>(
  id: Id,
  effect: Effect,
  increased: boolean,
  summary: string,
  description: string,
  justifyHint: string,
): Rule<Id> {
  return defineRule({
    id,
    category: 'logging',
    effect,
    summary,
    description,
    justifyHint,
    find: (ctx) =>
      common(ctx)
        .filter(
          ({ before, after }) =>
            before.retentionDays !== after.retentionDays &&
            longer(before.retentionDays, after.retentionDays) === increased,
        )
        .map(({ id: s, before, after }) => ({
          id: s,
          subject: '',
          before: before.retentionDays,
          after: after.retentionDays,
          message: `retention of logging schema ${s} ${increased ? 'increased' : 'decreased'}: ${days(before.retentionDays)} -> ${days(after.retentionDays)}`,
          keys: [sKey(s)],
          covers: [[...S(s), 'retentionDays']],
        })),
  });
}

export const LOG_RETENTION_INCREASED = retentionRule(
  'LOG_RETENTION_INCREASED',
  'weakening',
  true,
  'Records of a logging schema are kept longer.',
  '`@retentionDays` grew, or was removed (no retention = kept without bound).',
  'Explain why the records must be kept longer.',
);

export const LOG_RETENTION_DECREASED = retentionRule(
  'LOG_RETENTION_DECREASED',
  'strengthening',
  false,
  'Records of a logging schema are kept for less time.',
  '`@retentionDays` shrank, or a bound was set where there was none.',
  'No justification needed.',
);

/** Per common schema: the sinks that log it before and after (`undefined`: a manifest written before sinks were digested). */
function sinkDiffs(ctx: DiffContext) {
  return common(ctx).flatMap(({ id, before, after }) => {
    const b = before.sinks;
    const a = after.sinks ?? {};
    if (b === undefined) return [{ id, first: true, changed: [], added: [], removed: [], renamed: [] }];
    const changed = Object.keys(b).filter((n) => has(a, n) && a[n] !== b[n]);
    let added = Object.keys(a).filter((n) => !has(b, n));
    let removed = Object.keys(b).filter((n) => !has(a, n));
    // A sink renamed with the same body keeps its digest (only bodies are digested).
    const renamed: Array<[string, string]> = [];
    for (const n of [...added]) {
      const from = removed.find((r) => b[r] === a[n]);
      if (from === undefined) continue;
      renamed.push([from, n]);
      added = added.filter((x) => x !== n);
      removed = removed.filter((x) => x !== from);
    }
    return [{ id, first: false, changed, added, removed, renamed }];
  });
}
const SINK = (id: string, sink: string) => [...S(id), 'sinks', sink];

export const LOG_SINK_CHANGED = defineRule({
  id: 'LOG_SINK_CHANGED',
  category: 'logging',
  effect: 'modified',
  summary: 'A log sink that writes a schema changed its implementation, or a new one writes it.',
  description:
    "What a `@logSink` writes is its argument and whatever its body adds (`JSON.stringify({ ...event, at })`). The digest of the sink's body and of the project code it depends on changed (comments and formatting do not count), or a sink that was not writing the schema now does: policydrift cannot tell what it now writes besides the schema's fields. Reported per schema the sink logs.",
  justifyHint: 'Explain what the sink writes now besides the schema, and why no unlisted field reaches the log.',
  find: (ctx) =>
    sinkDiffs(ctx).flatMap(({ id, changed, added }) => [
      ...changed.map((sink) => ({
        id,
        subject: sink,
        before: ctx.b.logging.schemas[id]!.sinks![sink],
        after: ctx.h.logging.schemas[id]!.sinks![sink],
        message: `the implementation of log sink ${sink}, which writes logging schema ${id}, changed`,
        keys: [sKey(id)],
        covers: [SINK(id, sink)],
      })),
      ...added.map((sink) => ({
        id,
        subject: sink,
        before: null,
        after: ctx.h.logging.schemas[id]!.sinks![sink],
        message: `logging schema ${id} is now also written by log sink ${sink}`,
        keys: [sKey(id)],
        covers: [SINK(id, sink)],
      })),
    ]),
});

export const LOG_SINK_DROPPED = defineRule({
  id: 'LOG_SINK_DROPPED',
  category: 'logging',
  effect: 'neutral',
  summary: 'A log sink no longer writes a schema, or was renamed with the same body.',
  description:
    'A sink that wrote the schema no longer does (the schema itself is still checked), or a sink with the same implementation digest now has another name. Also reported once when the base manifest predates sink digests.',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    sinkDiffs(ctx).flatMap(({ id, first, removed, renamed }) => [
      ...(first && ctx.h.logging.schemas[id]!.sinks !== undefined
        ? [
            {
              id,
              subject: '',
              before: null,
              after: ctx.h.logging.schemas[id]!.sinks,
              message: `log sinks of logging schema ${id} are recorded for the first time (the base manifest predates them)`,
              keys: [sKey(id)],
              covers: [[...S(id), 'sinks']],
            },
          ]
        : []),
      ...removed.map((sink) => ({
        id,
        subject: sink,
        before: ctx.b.logging.schemas[id]!.sinks![sink],
        after: null,
        message: `logging schema ${id} is no longer written by log sink ${sink}`,
        keys: [sKey(id)],
        covers: [SINK(id, sink)],
      })),
      ...renamed.map(([from, to]) => ({
        id,
        subject: to,
        before: from,
        after: to,
        message: `log sink ${from} of logging schema ${id} renamed to ${to} (implementation unchanged)`,
        keys: [sKey(id)],
        covers: [SINK(id, from), SINK(id, to)],
      })),
    ]),
});

export const LOGGING_RULES = [
  LOG_SCHEMA_ADDED,
  LOG_SCHEMA_REMOVED,
  LOG_SCHEMA_RENAMED,
  LOG_FIELD_ADDED,
  LOG_FIELD_REMOVED,
  LOG_FIELD_WIDENED,
  LOG_FIELD_NARROWED,
  LOG_FIELD_TYPE_CHANGED,
  LOG_REDACTION_RELAXED,
  LOG_REDACTION_TIGHTENED,
  LOG_REDACTION_CHANGED,
  LOG_CLASSIFICATION_LOWERED,
  LOG_CLASSIFICATION_RAISED,
  LOG_CLASSIFICATION_CHANGED,
  LOG_SCHEMA_OPENED,
  LOG_SCHEMA_CLOSED,
  LOG_RETENTION_INCREASED,
  LOG_RETENTION_DECREASED,
  LOG_SINK_CHANGED,
  LOG_SINK_DROPPED,
];
