/** The rule catalogue: every rule policydrift diff runs, in reference order. */
import type { Rule } from './define.js';
import { LE_RULES } from './le.js';
import { LOGGING_RULES } from './logging.js';
import { KEYGATE_RULES } from './keygate.js';
import { PRIVACY_RULES } from './privacy.js';
import { LOCATION_RULES } from './location.js';
import { CONFIG_RULES } from './config.js';
import { WORKSPACE_RULES } from './workspace.js';
import { UNCLASSIFIED_CHANGE } from './unclassified.js';

export type { Rule, RuleMeta, Finding, DiffContext, GoverningFile, RegistryAppend, GateInputs } from './define.js';

const CATALOGUE = [
  ...LE_RULES,
  ...LOGGING_RULES,
  ...KEYGATE_RULES,
  ...PRIVACY_RULES,
  ...LOCATION_RULES,
  ...CONFIG_RULES,
  ...WORKSPACE_RULES,
  UNCLASSIFIED_CHANGE,
];

/** Every rule id of the catalogue: `Change.rule` is one of these, so a misspelt id does not compile. */
export type RuleId = (typeof CATALOGUE)[number]['id'];

/** Specific rules first; UNCLASSIFIED_CHANGE must stay last (it reports what the others did not cover). */
export const RULES: readonly Rule<RuleId>[] = CATALOGUE;

const byId = new Map<string, Rule<RuleId>>(RULES.map((r) => [r.id, r]));
if (byId.size !== RULES.length) throw new Error('duplicate rule id in the catalogue');

export function findRule(id: string): Rule<RuleId> | undefined {
  return byId.get(id);
}
