/** Privacy invariant rules: the `@invariant <id> <statement>` catalogue. */
import { defineRule, has, sortedKeys } from './define.js';
import { keys } from '../../manifest/keys.js';

const P = (id: string) => ['privacy', 'invariants', id];
const pKey = keys.invariant;

export const PRIVACY_INVARIANT_REMOVED = defineRule({
  id: 'PRIVACY_INVARIANT_REMOVED',
  category: 'privacy',
  effect: 'weakening',
  summary: 'A declared privacy invariant was removed.',
  description: 'An `@invariant` the team committed to is no longer stated anywhere in the source.',
  justifyHint: 'Record in the change set why the invariant no longer holds or is no longer needed, or restore the tag.',
  find: (ctx) =>
    sortedKeys(ctx.b.privacy.invariants)
      .filter((id) => !has(ctx.h.privacy.invariants, id))
      .map((id) => ({
        id,
        subject: '',
        before: ctx.b.privacy.invariants[id]!.statement,
        after: null,
        message: `privacy invariant ${id} was removed`,
        keys: [pKey(id)],
        covers: [P(id)],
      })),
});

export const PRIVACY_INVARIANT_ADDED = defineRule({
  id: 'PRIVACY_INVARIANT_ADDED',
  category: 'privacy',
  effect: 'strengthening',
  summary: 'A new privacy invariant is declared.',
  description: 'A new `@invariant <id> <statement>` appeared.',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    sortedKeys(ctx.h.privacy.invariants)
      .filter((id) => !has(ctx.b.privacy.invariants, id))
      .map((id) => ({
        id,
        subject: '',
        before: null,
        after: ctx.h.privacy.invariants[id]!.statement,
        message: `new privacy invariant ${id}`,
        keys: [pKey(id)],
        covers: [P(id)],
      })),
});

export const PRIVACY_INVARIANT_CHANGED = defineRule({
  id: 'PRIVACY_INVARIANT_CHANGED',
  category: 'privacy',
  effect: 'modified',
  summary: 'The statement of a privacy invariant changed.',
  description:
    'The words of a commitment changed under the same id. Policydrift cannot tell whether the new statement promises more or less.',
  justifyHint: 'Quote the old and new statement in the change set and say why the change is acceptable.',
  find: (ctx) =>
    sortedKeys(ctx.b.privacy.invariants)
      .filter(
        (id) =>
          has(ctx.h.privacy.invariants, id) &&
          ctx.b.privacy.invariants[id]!.statement !== ctx.h.privacy.invariants[id]!.statement,
      )
      .map((id) => ({
        id,
        subject: '',
        before: ctx.b.privacy.invariants[id]!.statement,
        after: ctx.h.privacy.invariants[id]!.statement,
        message: `the statement of privacy invariant ${id} changed`,
        keys: [pKey(id)],
        covers: [[...P(id), 'statement']],
      })),
});

export const PRIVACY_RULES = [PRIVACY_INVARIANT_REMOVED, PRIVACY_INVARIANT_ADDED, PRIVACY_INVARIANT_CHANGED];
