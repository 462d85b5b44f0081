/**
 * One Change type shared by diff, check, every report and the JSON contract
 * (`diff.schema.json`). Keep the two in step.
 */
import type { RuleId } from './rules/index.js';

export type { RuleId };
export type Effect = 'weakening' | 'strengthening' | 'modified' | 'neutral';
export type Category = 'le' | 'logging' | 'keygate' | 'privacy' | 'config' | 'location';

export interface Change {
  /** Stable rule id, e.g. `LE_RESPONSE_ADDED`. */
  rule: RuleId;
  category: Category;
  effect: Effect;
  /** The tracked entity: handler id, schema id, site key (`fn -> sink`), guard or sink id, invariant id. */
  id: string;
  /** What inside it changed: variant value, field path, guard id, argument name...; "" when the entity itself. */
  subject: string;
  /** JSON-able values before/after (null when absent). */
  before: unknown;
  after: unknown;
  /** One human sentence. */
  message: string;
  /** Relative paths (from the manifests' locations), head first then base; may be empty. */
  locations: string[];
  /** Short stable hash of (rule, id, subject, before, after). */
  fingerprint: string;
  /** At a workspace root: the package (package.json name) whose manifest changed. */
  package?: string;
}

/** Gating order: modified counts as a weakening. */
export const EFFECT_RANK: Record<Effect, number> = { weakening: 3, modified: 2, strengthening: 1, neutral: 0 };
