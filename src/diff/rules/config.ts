/** Config rules: applied by `policydrift check`, which sees both commits' policydrift.config.json. */
import { defineRule } from './define.js';

export const CONFIG_CHANGED = defineRule({
  id: 'CONFIG_CHANGED',
  category: 'config',
  effect: 'modified',
  summary: 'policydrift.config.json changed between the baseline and the candidate.',
  description:
    'The config decides what is extracted (configured handlers, schemas, guards and sinks, excluded files) and how changes are ordered (redaction, classification and guard-argument orders), so editing it can hide a weakening as surely as editing the code. `policydrift check` reports any semantic change of the file (`$schema` and `$comment` aside); manifests alone do not carry the config, so `policydrift diff` never reports it.',
  justifyHint: 'Declare `rule: CONFIG_CHANGED`, `id: policydrift.config.json` (its path from the repository root), `subject: ""` in an approved change set and explain the config change in its proposal.',
  find: () => [],
});

export const CONFIG_RULES = [CONFIG_CHANGED];
