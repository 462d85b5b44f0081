/**
 * Config rules: applied by `policydrift check`, which adds to the diff context the governing files of
 * both commits (CONFIG_CHANGED) and the registry events the candidate appends (REGISTRY_APPENDED).
 */
import { canon, defineRule } from './define.js';

export const CONFIG_CHANGED = defineRule({
  id: 'CONFIG_CHANGED',
  category: 'config',
  effect: 'modified',
  summary:
    'A governing file changed between the baseline and the candidate: policydrift.config.json, the tsconfig, or the allowed-signers file.',
  description:
    'The config decides what is extracted (configured handlers, schemas, guards and sinks, excluded files) and how changes are ordered (redaction, classification and guard-argument orders); the tsconfig decides which files are analysed at all; the allowed-signers file decides who can approve the next change. Editing any of them can hide a weakening as surely as editing the code. `policydrift check` reports any semantic change of these files (JSON comments, formatting, `$schema` and `$comment` aside; signer lines in any order); manifests alone do not carry them, so `policydrift diff` never reports it. The tsconfigs it `extends` by a relative path are compared too (transitively); a package it extends (`@tsconfig/node20/…`) comes from node_modules and is not.',
  justifyHint:
    'Declare `rule: CONFIG_CHANGED`, `id: <the file\'s path from the repository root>` (e.g. `policydrift.config.json`, `tsconfig.json`, `.policydrift/allowed_signers`), `subject: ""` in an approved change set and explain the change in its proposal.',
  find: (ctx) =>
    ctx.governing
      .filter((f) => canon(f.before) !== canon(f.after))
      .map((f) => ({
        id: f.id,
        subject: '',
        before: f.before,
        after: f.after,
        message: `${f.id} changed; ${f.what}`,
        keys: [],
        covers: [],
        paths: [f.id],
      })),
});

export const REGISTRY_APPENDED = defineRule({
  id: 'REGISTRY_APPENDED',
  category: 'config',
  effect: 'modified',
  summary: 'The candidate appends an event to the release registry that no release signer of the trusted ref signed.',
  description:
    'The registry decides the baseline of the next check: an appended `release` event naming a weakened commit would make that weakening the baseline, and an appended `revoke` would withdraw the release a change is compared with. Only the release job appends events, each signed with a key of the release signers file (config `releaseSigners`) as it is at the trusted ref (`--registry-ref`). `policydrift check` reports every appended event that is unsigned or whose signature does not verify against those signers; appended events never move the baseline of the run that sees them. Manifests do not carry the registry, so `policydrift diff` never reports it.',
  justifyHint:
    'Cannot be justified by a change set: remove the event from the change (`git checkout <trusted-ref> -- release/registry.json`). Releases are recorded by `policydrift release --signing-key <key>` on the release branch.',
  find: (ctx) =>
    ctx.registryAppends.map((a) => ({
      id: a.registry,
      subject: `seq ${a.seq}`,
      before: null,
      after: a.event,
      message: `the candidate appends ${a.description} to the release registry, which ${a.problem}; only the release job appends events, each signed by a release signer of ${a.trustedRef}, so this one is never a release, a revocation or a baseline. Remove it from the change (\`git checkout ${a.trustedRef} -- ${a.registry}\`)`,
      keys: [],
      covers: [],
      paths: [a.registry],
    })),
});

export const CONFIG_RULES = [CONFIG_CHANGED, REGISTRY_APPENDED];

/** Rules that no change set can justify: they fail the check until their cause is removed. */
export const UNJUSTIFIABLE_RULES: ReadonlySet<string> = new Set<string>([REGISTRY_APPENDED.id]);
