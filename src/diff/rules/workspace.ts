/** Workspace rules: applied by `policydrift check` at a workspace root, which sees every package at both commits. */
import { defineRule } from './define.js';

export const WORKSPACE_PACKAGE_ADDED = defineRule({
  id: 'WORKSPACE_PACKAGE_ADDED',
  category: 'config',
  effect: 'strengthening',
  summary:
    'A package joined the gate at a workspace root (it has a policydrift.config.json or the root config lists it).',
  description:
    'More code is tracked than before. The new package is compared with an empty manifest, so whatever it discloses (LE handlers, log schemas, key sinks) is reported by the usual rules as well; this change only records that the gate now covers the package.',
  justifyHint:
    'Declare `rule: WORKSPACE_PACKAGE_ADDED`, `id: <package name>`, `subject: ""`, `package: <package name>` in an approved change set.',
  find: () => [],
});

export const WORKSPACE_PACKAGE_REMOVED = defineRule({
  id: 'WORKSPACE_PACKAGE_REMOVED',
  category: 'config',
  effect: 'weakening',
  summary:
    'A package that tracked invariants left the gate at a workspace root (deleted, renamed, or its policydrift.config.json removed).',
  description:
    'Every invariant the package tracked (LE response sets, log schemas, key-gating sites) is no longer checked: removing a package from the gate is how a weakening could be hidden, so it is a weakening. A removed package that tracked nothing is reported as neutral. A package renamed in its package.json is a removal plus an addition.',
  justifyHint:
    'Declare `rule: WORKSPACE_PACKAGE_REMOVED`, `id: <package name>`, `subject: ""`, `package: <package name>` in an approved change set and say in its proposal where the behaviour went.',
  find: () => [],
});

export const WORKSPACE_DECL_MOVED = defineRule({
  id: 'WORKSPACE_DECL_MOVED',
  category: 'location',
  effect: 'neutral',
  summary: 'A key guard or key sink declaration moved to another workspace package, unchanged.',
  description:
    "The declaration disappeared from one package's manifest and appeared, with the same id, parameters, async-ness and implementation digest, in another's, while every key-gating site keeps its guards. Nothing a caller can reach changed, so the pair of removal and addition is neutral. Any difference in the declaration keeps them reported by the keygate rules.",
  justifyHint: 'Nothing to justify.',
  find: () => [],
});

export const WORKSPACE_RULES = [WORKSPACE_PACKAGE_ADDED, WORKSPACE_PACKAGE_REMOVED, WORKSPACE_DECL_MOVED];
