/** Config rules: applied by `policydrift check`, which sees both commits' policydrift.config.json. */
import { defineRule } from './define.js';

export const CONFIG_CHANGED = defineRule({
  id: 'CONFIG_CHANGED',
  category: 'config',
  effect: 'modified',
  summary: 'A governing file changed between the baseline and the candidate: policydrift.config.json, the tsconfig, or the allowed-signers file.',
  description:
    'The config decides what is extracted (configured handlers, schemas, guards and sinks, excluded files) and how changes are ordered (redaction, classification and guard-argument orders); the tsconfig decides which files are analysed at all; the allowed-signers file decides who can approve the next change. Editing any of them can hide a weakening as surely as editing the code. `policydrift check` reports any semantic change of these files (JSON comments, formatting, `$schema` and `$comment` aside; signer lines in any order); manifests alone do not carry them, so `policydrift diff` never reports it. A tsconfig `extends` target is not compared.',
  justifyHint: 'Declare `rule: CONFIG_CHANGED`, `id: <the file\'s path from the repository root>` (e.g. `policydrift.config.json`, `tsconfig.json`, `.policydrift/allowed_signers`), `subject: ""` in an approved change set and explain the change in its proposal.',
  find: () => [],
});

export const CONFIG_RULES = [CONFIG_CHANGED];
