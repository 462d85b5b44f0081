// OpenSpec integration: the real CLI (node_modules/.bin/openspec) in temp dirs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpdir, REPO, spawnTimed } from './helpers.js';
import { validateChange, validateAll, newChange, changeItem, validationMessages } from '../dist/openspec/cli.js';
import { discoverChangeSets, parseMetadataText } from '../dist/openspec/changes.js';
import { matchJustifications, declarationFor, writePolicydriftBlock } from '../dist/openspec/justify.js';

const OPENSPEC = path.join(REPO, 'node_modules', '.bin', 'openspec');

function openspecInit(dir) {
  const r = spawnTimed(OPENSPEC, ['init', '--tools', 'none', '--no-animation', '.'], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, OPENSPEC_TELEMETRY: '0', OPENSPEC_NO_UPDATE_CHECK: '1' },
  });
  if (r.status !== 0) throw new Error(`openspec init failed: ${r.stderr}`);
}

const PROPOSAL =
  '## Why\nLaw enforcement needs account metadata.\n\n## What Changes\n- handle_le_request may return ACCOUNT_METADATA\n';
const GOOD_DELTA = `## Purpose
Governs the law-enforcement response variants that the service may disclose.

## ADDED Requirements
### Requirement: Disclose account metadata
The LE handler SHALL disclose account metadata only under a valid warrant.
**Invariants**: handle_le_request, \`le.warrant\`

#### Scenario: Warrant present
- **WHEN** a valid warrant is presented
- **THEN** the handler returns ACCOUNT_METADATA
`;
// Requirement without a scenario (and a 3-# "scenario", which is ignored).
const BROKEN_DELTA = `## ADDED Requirements
### Requirement: Disclose account metadata
The LE handler SHALL disclose account metadata.

### Scenario: wrong level
- **WHEN** x
- **THEN** y
`;
const BLOCK_YAML = `policydrift:
  from: 3
  to: 4
  justifies:
    - rule: LE_RESPONSE_ADDED
      id: handle_le_request
      subject: ACCOUNT_METADATA
      reason: approved by legal
`;

function makeRepo() {
  const dir = tmpdir('policydrift-openspec-');
  openspecInit(dir);
  return dir;
}

function addChange(dir, id, delta = GOOD_DELTA, block = BLOCK_YAML) {
  const created = newChange(dir, id);
  const setDir = path.join(dir, 'openspec', 'changes', id);
  assert.is(fs.realpathSync(created.path), fs.realpathSync(setDir));
  fs.writeFileSync(path.join(setDir, 'proposal.md'), PROPOSAL);
  fs.mkdirSync(path.join(setDir, 'specs', 'le-responses'), { recursive: true });
  fs.writeFileSync(path.join(setDir, 'specs', 'le-responses', 'spec.md'), delta);
  if (block) fs.appendFileSync(path.join(setDir, '.openspec.yaml'), block);
  return setDir;
}

/**
 * @param {Partial<import('../dist/diff/types.js').Change>} [over]
 * @returns {import('../dist/diff/types.js').Change}
 */
function change(over = {}) {
  return {
    rule: 'LE_RESPONSE_ADDED',
    category: 'le',
    effect: 'weakening',
    id: 'handle_le_request',
    subject: 'ACCOUNT_METADATA',
    before: null,
    after: 'ACCOUNT_METADATA',
    message: 'handle_le_request may now return ACCOUNT_METADATA',
    locations: ['src/le.ts'],
    fingerprint: 'fp-1111',
    ...over,
  };
}

function gated(set, valid = true, approved = true) {
  return { ...set, valid, approved };
}

test('a valid delta with a policydrift block passes strict validation', () => {
  const dir = makeRepo();
  const setDir = addChange(dir, 'add-x');
  const r = validateChange(dir, 'add-x');
  assert.is(r.ok, true, validationMessages(r).join('\n'));
  assert.equal(r.toolErrors, []);
  assert.is(r.root.source, 'nearest');
  assert.is(fs.realpathSync(r.root.path), fs.realpathSync(dir));
  assert.is(changeItem(r, 'add-x').valid, true);
  assert.is(r.summary.totals.passed, 1);
  // validate does not touch the extra key
  const meta = parseMetadataText(fs.readFileSync(path.join(setDir, '.openspec.yaml'), 'utf8'), 'x');
  assert.equal(meta.policydrift.justifies[0].subject, 'ACCOUNT_METADATA');
  assert.is(meta.metadata.schema, 'spec-driven');
  const all = validateAll(dir);
  assert.is(all.ok, true, validationMessages(all).join('\n'));
  assert.is(changeItem(all, 'add-x').valid, true);
});

test('a broken delta fails with issues', () => {
  const dir = makeRepo();
  addChange(dir, 'add-x', BROKEN_DELTA);
  const r = validateChange(dir, 'add-x');
  assert.is(r.ok, false);
  const item = changeItem(r, 'add-x');
  assert.is(item.valid, false);
  const errors = item.issues.filter((i) => i.level === 'ERROR');
  assert.ok(
    errors.some((i) => /must include at least one scenario/.test(i.message)),
    JSON.stringify(item.issues),
  );
  assert.ok(validationMessages(r).some((m) => m.startsWith('change add-x: ERROR: le-responses/spec.md')));
  const all = validateAll(dir);
  assert.is(all.ok, false);
  assert.is(all.summary.totals.failed, 1);
});

test('an unknown change is a tool error, not a throw', () => {
  const dir = makeRepo();
  const r = validateChange(dir, 'nope');
  assert.is(r.ok, false);
  assert.is(r.toolErrors[0].code, 'unknown_item');
  assert.match(validationMessages(r)[0], /Unknown change 'nope'/);
});

test('a directory without an openspec root reports no_openspec_root', () => {
  const dir = tmpdir('policydrift-noroot-');
  const r = validateAll(dir);
  assert.is(r.ok, false);
  assert.is(r.toolErrors[0].code, 'no_openspec_root');
});

test('a root found above the repo dir is rejected', () => {
  const dir = makeRepo();
  addChange(dir, 'add-x');
  const sub = path.join(dir, 'service');
  fs.mkdirSync(sub);
  assert.throws(
    () => validateAll(sub),
    (e) => e.name === 'UserError' && /resolved its root to/.test(e.message),
  );
});

test('a global default store redirecting the root is a UserError', () => {
  const base = tmpdir('policydrift-store-');
  const home = path.join(base, 'home');
  const store = path.join(base, 'store');
  const work = path.join(base, 'work');
  for (const d of [home, store, work]) fs.mkdirSync(d);
  openspecInit(store);
  const env = { PATH: process.env.PATH, HOME: home, OPENSPEC_TELEMETRY: '0', OPENSPEC_NO_UPDATE_CHECK: '1' };
  for (const args of [
    ['store', 'register', store, '--id', 'mystore', '--yes'],
    ['config', 'set', 'defaultStore', 'mystore'],
  ]) {
    const r = spawnTimed(OPENSPEC, args, { cwd: base, encoding: 'utf8', env });
    assert.is(r.status, 0, r.stderr);
  }
  const saved = process.env.HOME;
  process.env.HOME = home;
  try {
    assert.throws(
      () => validateAll(work),
      (e) => e.name === 'UserError' && /resolved its root to .*store \(source global_default\)/.test(e.message),
    );
    // a repo with its own root is not redirected
    openspecInit(work);
    assert.is(validateAll(work).root.source, 'nearest');
  } finally {
    process.env.HOME = saved;
  }
});

test('a bad change id is refused before spawning', () => {
  const dir = makeRepo();
  assert.throws(() => validateChange(dir, '--all'), /not a valid OpenSpec change id/);
  assert.throws(() => newChange(dir, 'Bad_Id'), /not a valid OpenSpec change id/);
  newChange(dir, 'dup');
  assert.throws(() => newChange(dir, 'dup'), /already exists/);
});

test('discovery finds active and archived sets, policydrift blocks and invariant refs', () => {
  const dir = makeRepo();
  addChange(dir, 'add-x');
  addChange(dir, 'add-y', GOOD_DELTA, null);
  // archived by the real CLI: the block survives
  const arch = spawnTimed(OPENSPEC, ['archive', 'add-x', '--yes'], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, OPENSPEC_TELEMETRY: '0', OPENSPEC_NO_UPDATE_CHECK: '1' },
  });
  assert.is(arch.status, 0, arch.stderr + arch.stdout);
  fs.mkdirSync(path.join(dir, 'openspec', 'changes', '.hidden'));
  fs.mkdirSync(path.join(dir, 'openspec', 'changes', 'archive', 'not-dated'));
  const sets = discoverChangeSets(dir);
  assert.equal(
    sets.map((s) => [s.id, s.archived, s.relDir.replace(/\d{4}-\d{2}-\d{2}/, 'DATE')]),
    [
      ['add-y', false, 'openspec/changes/add-y'],
      ['add-x', true, 'openspec/changes/archive/DATE-add-x'],
    ],
  );
  const [y, x] = sets;
  assert.is(y.policydrift, null);
  assert.match(x.archivedOn, /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(x.policydrift, {
    from: 3,
    to: 4,
    justifies: [
      { rule: 'LE_RESPONSE_ADDED', id: 'handle_le_request', subject: 'ACCOUNT_METADATA', reason: 'approved by legal' },
    ],
  });
  assert.equal(
    x.invariants.map((r) => [r.file, r.line, r.requirement, r.id]),
    [
      ['specs/le-responses/spec.md', 7, 'Disclose account metadata', 'handle_le_request'],
      ['specs/le-responses/spec.md', 7, 'Disclose account metadata', 'le.warrant'],
    ],
  );
});

test('a malformed policydrift block is a located error naming the key path', () => {
  const dir = makeRepo();
  addChange(
    dir,
    'add-x',
    GOOD_DELTA,
    'policydrift:\n  from: 3\n  to: 4\n  justifies:\n    - rule: LE_RESPONSE_ADDED\n      id: handle_le_request\n      subject: 42\n',
  );
  assert.throws(
    () => discoverChangeSets(dir),
    (e) =>
      e.name === 'UserError' &&
      e.message.startsWith(
        'openspec/changes/add-x/.openspec.yaml:9:16: policydrift.justifies[0].subject: "subject" must be a string',
      ),
  );
  const bad = (block) => () => parseMetadataText(`schema: spec-driven\n${block}`, 'f.yaml');
  assert.throws(
    bad('policydrift:\n  from: 3\n  to: 4\n  justify: []\n'),
    /f\.yaml:5:12: policydrift\.justify: unknown key "justify"/,
  );
  assert.throws(
    bad('policydrift:\n  from: 5\n  to: 4\n  justifies: []\n'),
    /policydrift\.to: "to" \(4\) must not be less than "from" \(5\)/,
  );
  assert.throws(bad('policydrift:\n  to: 4\n  justifies: []\n'), /f\.yaml:3:3: policydrift\.from: "from" is required/);
  assert.throws(
    bad('policydrift:\n  from: 1\n  to: 2\n  justifies:\n    - { rule: R, id: a, subject: "*" }\n'),
    /f\.yaml:6:34: policydrift\.justifies\[0\]\.subject: "subject" contains "\*": wildcards are not allowed/,
  );
  assert.throws(
    bad(
      'policydrift:\n  from: 1\n  to: 2\n  justifies:\n    - { rule: R, id: a, subject: "" }\n    - { rule: R, id: a, subject: "" }\n',
    ),
    /policydrift\.justifies\[1\]: duplicates justifies\[0\]/,
  );
  assert.throws(bad('policydrift: [\n'), /f\.yaml:\d+:\d+: malformed YAML/);
});

test('matchJustifications: exact match, different subject, wildcard, stale, not approved', () => {
  const set = (justifies, valid = true, approved = true) =>
    gated(
      {
        id: 's',
        dir: '/x',
        relDir: 'openspec/changes/s',
        archived: false,
        archivedOn: null,
        metadata: {},
        policydrift: { from: 1, to: 2, justifies },
        invariants: [],
      },
      valid,
      approved,
    );
  const c = change();
  const exact = { rule: 'LE_RESPONSE_ADDED', id: 'handle_le_request', subject: 'ACCOUNT_METADATA' };

  let r = matchJustifications([c], [set([exact])]);
  assert.is(r.justified.length, 1);
  assert.is(r.justified[0].change, c);
  assert.equal(r.unjustified, []);
  assert.equal(r.stale, []);

  // a different subject does not justify; the decl is stale
  const other = { ...exact, subject: 'SUBSCRIBER_NAME' };
  r = matchJustifications([c], [set([other])]);
  assert.equal(r.justified, []);
  assert.equal(r.unjustified, [c]);
  assert.equal(
    r.stale.map((s) => [s.decl.subject, s.reason]),
    [['SUBSCRIBER_NAME', 'matches no change in this diff']],
  );

  // wildcards are invalid and justify nothing
  r = matchJustifications(
    [c],
    [
      set([
        { ...exact, subject: '*' },
        { ...exact, id: 'handle_*' },
      ]),
    ],
  );
  assert.equal(r.justified, []);
  assert.equal(r.unjustified, [c]);
  assert.is(r.invalid.length, 2);
  assert.match(r.invalid[0].reason, /wildcards are not allowed/);

  // a fingerprint pins before/after
  r = matchJustifications([c], [set([{ ...exact, fingerprint: 'fp-other' }])]);
  assert.equal(r.unjustified, [c]);
  assert.match(r.stale[0].reason, /fingerprint fp-other differs from the change's fp-1111/);
  r = matchJustifications([c], [set([declarationFor(c)])]);
  assert.is(r.justified.length, 1);

  // an unapproved or invalid set does not count
  r = matchJustifications([c], [set([exact], true, false)]);
  assert.equal(r.unjustified, [c]);
  assert.equal(
    r.blocked.map((b) => b.reason),
    ['change set s is not approved'],
  );
  r = matchJustifications([c], [set([exact], false, true)]);
  assert.equal(r.unjustified, [c]);
  assert.equal(r.stale, []);

  // neutral changes need nothing
  r = matchJustifications([change({ effect: 'neutral' })], []);
  assert.equal(r.unjustified, []);
});

test('declarationFor and writePolicydriftBlock round-trip, keeping other keys', () => {
  const dir = makeRepo();
  const setDir = addChange(dir, 'add-x', GOOD_DELTA, null);
  const metaFile = path.join(setDir, '.openspec.yaml');
  fs.appendFileSync(metaFile, '# keep this comment\ngoal: ship it\n');
  const c = change({ subject: '42' });
  assert.equal(declarationFor(c), {
    rule: 'LE_RESPONSE_ADDED',
    id: 'handle_le_request',
    subject: '42',
    fingerprint: 'fp-1111',
  });
  writePolicydriftBlock(setDir, { from: 1, to: 2, justifies: [declarationFor(c)] });
  const text = fs.readFileSync(metaFile, 'utf8');
  assert.match(text, /^schema: spec-driven\n/);
  assert.match(text, /# keep this comment\ngoal: ship it\n/);
  assert.match(text, /subject: "42"/);
  const [s] = discoverChangeSets(dir);
  assert.equal(s.policydrift.justifies, [declarationFor(c)]);
  assert.is(matchJustifications([c], [gated(s)]).justified.length, 1);
  // replacing keeps a single block
  writePolicydriftBlock(setDir, { from: 1, to: 3, justifies: [] });
  assert.equal(discoverChangeSets(dir)[0].policydrift, { from: 1, to: 3, justifies: [] });
  assert.is(fs.readFileSync(metaFile, 'utf8').match(/policydrift:/g).length, 1);
  assert.throws(
    () => writePolicydriftBlock(setDir, { from: 1, to: 2, justifies: [{ rule: 'R', id: '*', subject: '' }] }),
    /wildcards/,
  );
  // still strict-valid after the write
  assert.is(validateChange(dir, 'add-x').ok, true);
});

test.run();
