// `check --format github`: workflow-command annotations for what fails the check, then the verdict.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderCheckGithub } from '../dist/check/report.js';

const change = {
  rule: 'LE_RESPONSE_ADDED',
  category: 'le',
  effect: 'weakening',
  id: 'handle_le_request',
  subject: 'WIRETAP_CONTENT',
  before: null,
  after: {},
  message: 'LE handler handle_le_request can now return response variant "WIRETAP_CONTENT"',
  locations: ['src/le/wiretap.ts', 'src/le/handler.ts'],
  fingerprint: 'b55a16455c98ea02',
};

const result = (over) => ({
  ok: false,
  manifest: { path: 'invariants.manifest.json', fresh: true, entries: [] },
  unjustified: [],
  justified: [],
  stale: [],
  invalid: [],
  ...over,
});

test('an unjustified change is an error at its first location; blocked declarations say why', () => {
  const out = renderCheckGithub(
    result({
      unjustified: [
        { change, declaration: {}, blockedBy: [] },
        {
          change: { ...change, subject: 'X', locations: [] },
          declaration: {},
          blockedBy: ['change set add-x is not approved'],
        },
      ],
    }),
  );
  assert.is(
    out,
    '::error file=src/le/wiretap.ts,title=LE_RESPONSE_ADDED (weakening)::LE handler handle_le_request can now return response variant "WIRETAP_CONTENT" — no valid, approved OpenSpec change set declares it (`policydrift justify <change-id>`)\n' +
      '::error file=invariants.manifest.json,title=LE_RESPONSE_ADDED (weakening)::LE handler handle_le_request can now return response variant "WIRETAP_CONTENT" — a declaration names it, but change set add-x is not approved\n' +
      'policydrift check: FAIL — 2 unjustified changes\n',
  );
});

test('stale manifest, stale and invalid declarations; a pass is one line', () => {
  const out = renderCheckGithub(
    result({
      manifest: { path: 'svc/invariants.manifest.json', fresh: false, entries: ['privacy:a'] },
      stale: [
        {
          changeSet: 'add-x',
          declaration: { rule: 'LE_RESPONSE_ADDED', id: 'h', subject: 'A' },
          reason: 'no such change',
        },
      ],
      invalid: [{ changeSet: 'add-y', declaration: { rule: 'NOPE' }, reason: 'unknown rule' }],
    }),
  ).split('\n');
  assert.is(
    out[0],
    '::error file=svc/invariants.manifest.json,title=stale manifest::svc/invariants.manifest.json is not what extraction gives at the candidate; run `policydrift extract --write` and commit it',
  );
  assert.is(out[1], '::warning title=stale declaration::add-x: LE_RESPONSE_ADDED h [A] (no such change)');
  assert.is(out[2], '::warning title=invalid declaration::add-y: {"rule":"NOPE"} (unknown rule)');
  assert.is(
    out[3],
    'policydrift check: FAIL — the committed manifest is stale, 1 stale declaration (--strict), 1 invalid declaration (--strict)',
  );
  assert.is(renderCheckGithub(result({ ok: true })), 'policydrift check: PASS — no behaviour change to justify\n');
});

test.run();
