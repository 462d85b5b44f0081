// The named steps of the drift gate (src/check/index.ts), each called alone on small inputs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnTimed, tmpdir } from './helpers.js';
import {
  extendsChain,
  governingFiles,
  freshness,
  justifiableChanges,
  registryAppendOf,
  registryChangesOf,
  resolveBaseline,
  staleManifestProblem,
  STALE_MANIFEST_REMEDY,
  verdictStep,
} from '../dist/check/index.js';
import { diffManifests } from '../dist/diff/index.js';
import { canonicalJson } from '../dist/manifest/index.js';
import { UserError } from '../dist/errors.js';
import { baseLocations, baseParts, clone, manifest, testOrders } from './helpers/manifests.js';

/**
 * A change of `rule` with `effect`; the rest only has to be stable.
 * @param {import('../dist/diff/types.js').RuleId} rule
 * @param {import('../dist/diff/types.js').Effect} effect
 * @param {Partial<import('../dist/diff/types.js').Change>} o
 * @returns {import('../dist/diff/types.js').Change}
 */
const change = (rule, effect, o = {}) => ({
  rule,
  category: 'le',
  effect,
  id: 'handle_le_request',
  subject: 'WIRETAP_CONTENT',
  before: null,
  after: {},
  message: `${rule} happened`,
  locations: [],
  fingerprint: 'b55a16455c98ea02',
  ...o,
});

const weakening = change('LE_RESPONSE_ADDED', 'weakening');
const neutral = change('LOCATION_MOVED', 'neutral', { category: 'location', subject: '' });
const unsigned = change('REGISTRY_APPENDED', 'modified', {
  category: 'config',
  id: 'release/registry.json',
  subject: 'seq 2',
});

/** A change set as the change-set step leaves it (valid, approved) declaring `decls`. */
const gatedSet = (id, decls, o = {}) => ({
  id,
  dir: `/tmp/${id}`,
  relDir: `openspec/changes/${id}`,
  archived: false,
  archivedOn: null,
  metadata: {},
  policydrift: { from: 1, to: 2, justifies: decls },
  invariants: [],
  valid: true,
  approved: true,
  ...o,
});
const declFor = (c) => ({ rule: c.rule, id: c.id, subject: c.subject });
const noSets = { gated: [], irrelevant: [] };

test('freshness: the committed text equal to the extracted manifest is fresh', () => {
  const m = manifest(baseParts(), baseLocations());
  assert.equal(freshness(canonicalJson(m), m, 'HEAD:invariants.manifest.json', false), { fresh: true, entries: [] });
});

test('freshness: missing, unreadable and outdated manifests are stale, naming what differs', () => {
  const m = manifest(baseParts(), baseLocations());
  assert.equal(freshness(null, m, 'x', false), { fresh: false, entries: ['(missing)'] });
  assert.equal(freshness('{ not json', m, 'x', true), { fresh: false, entries: ['(invalid manifest file)'] });
  const older = clone(baseParts());
  delete older.handlers.handle_le_request;
  const committed = canonicalJson(manifest(older, baseLocations()));
  const r = freshness(committed, m, 'x', false);
  assert.is(r.fresh, false);
  assert.equal(r.entries, ['le:handle_le_request']);
  // the same text, re-serialised differently, is stale too: the committed file must be byte-identical
  assert.is(freshness(JSON.stringify(m), m, 'x', false).fresh, false);
});

test('freshness: a stale manifest is reported with its remedy; a fresh one is not', () => {
  assert.is(STALE_MANIFEST_REMEDY, 'run `policydrift extract --write` and commit');
  assert.is(
    staleManifestProblem({ path: 'svc/invariants.manifest.json', fresh: false, entries: ['(missing)'] }),
    'stale manifest svc/invariants.manifest.json: run `policydrift extract --write` and commit',
  );
  assert.is(staleManifestProblem({ path: 'invariants.manifest.json', fresh: true, entries: [] }), null);
});

test('baseline: no active release in the trusted registry is a user error with the hint', () => {
  const reg = { trusted: { registry: null }, trustedRef: 'origin/main', registryRel: 'release/registry.json' };
  try {
    resolveBaseline('/nonexistent', 'abc', { against: 'registry', candidate: 'HEAD' }, reg, 'record one first');
    assert.unreachable('no baseline');
  } catch (e) {
    assert.instance(e, UserError);
    assert.is(e.message, 'release/registry.json at origin/main: no active release to compare with');
    assert.is(e.hint, 'record one first');
  }
});

test('justifiable changes: neither neutral nor unjustifiable ones', () => {
  assert.equal(justifiableChanges([weakening, neutral, unsigned]), [weakening]);
});

test('verdict: an unjustified weakening fails, with the declaration that would justify it', () => {
  const v = verdictStep({ changes: [weakening], unjustifiable: [], evaluation: noSets, fresh: true });
  assert.is(v.ok, false);
  assert.equal(v.parts.justified, []);
  assert.equal(v.parts.unjustified, [
    {
      change: weakening,
      declaration: {
        rule: 'LE_RESPONSE_ADDED',
        id: 'handle_le_request',
        subject: 'WIRETAP_CONTENT',
        fingerprint: 'b55a16455c98ea02',
      },
      blockedBy: [],
    },
  ]);
});

test('verdict: neutral changes only pass; a stale manifest fails even then', () => {
  const v = verdictStep({ changes: [neutral], unjustifiable: [], evaluation: noSets, fresh: true });
  assert.is(v.ok, true);
  assert.equal(v.parts, { justified: [], unjustified: [], stale: [], invalid: [] });
  assert.is(verdictStep({ changes: [neutral], unjustifiable: [], evaluation: noSets, fresh: false }).ok, false);
});

test('verdict: a valid, approved declaration justifies; an unapproved one blocks with the reason', () => {
  const ok = verdictStep({
    changes: [weakening],
    unjustifiable: [],
    evaluation: { gated: [gatedSet('add-x', [declFor(weakening)])], irrelevant: [] },
    fresh: true,
  });
  assert.is(ok.ok, true);
  assert.equal(ok.parts.justified, [{ change: weakening, changeSet: 'add-x' }]);
  const blocked = verdictStep({
    changes: [weakening],
    unjustifiable: [],
    evaluation: { gated: [gatedSet('add-x', [declFor(weakening)], { approved: false })], irrelevant: [] },
    fresh: true,
  });
  assert.is(blocked.ok, false);
  assert.equal(blocked.parts.unjustified[0].blockedBy, ['change set add-x is not approved']);
});

test('verdict: a declaration that justifies nothing is stale, failing only with strict', () => {
  const input = {
    changes: [],
    unjustifiable: [],
    evaluation: { gated: [gatedSet('add-x', [declFor(weakening)])], irrelevant: [] },
    fresh: true,
  };
  const lax = verdictStep(input);
  assert.is(lax.ok, true);
  assert.is(lax.parts.stale.length, 1);
  assert.is(lax.parts.stale[0].changeSet, 'add-x');
  assert.is(verdictStep({ ...input, strict: true }).ok, false);
});

test('verdict: an unsigned registry event is unjustified whatever a change set declares', () => {
  const v = verdictStep({
    changes: [unsigned],
    unjustifiable: [unsigned],
    evaluation: { gated: [gatedSet('sneak', [declFor(unsigned)])], irrelevant: [] },
    fresh: true,
  });
  assert.is(v.ok, false);
  assert.is(v.parts.unjustified.length, 1);
  assert.is(v.parts.unjustified[0].change, unsigned);
  assert.equal(v.parts.unjustified[0].blockedBy, [
    'no change set can justify an unsigned registry event: only the release job appends to the registry',
  ]);
});

test('registry: an appended event becomes a REGISTRY_APPENDED change through the diff, in append order', () => {
  /** @type {import('../dist/registry/index.js').AppendedEvent[]} */
  const events = [9, 10].map((seq) => ({
    index: seq,
    event: { seq, prev: 'sha256:0', time: '2026-01-01T00:00:00.000Z', type: 'revoke', version: '1.0.0', reason: 'x' },
    problem: 'is unsigned',
  }));
  const appends = events.map((a) => registryAppendOf('release/registry.json', 'origin/main', a));
  assert.equal(appends[0].event, { seq: 9, type: 'revoke', version: '1.0.0', signer: null });
  assert.equal([appends[0].description, appends[0].problem], ['seq 9 (revoke 1.0.0)', 'is unsigned']);
  const m = manifest(baseParts(), baseLocations());
  const diff = diffManifests(m, m, testOrders(), { registryAppends: appends });
  // the diff orders subjects as text ("seq 10" before "seq 9"); the verdict keeps the registry's order
  assert.equal(
    diff.changes.map((c) => c.subject),
    ['seq 10', 'seq 9'],
  );
  assert.equal(
    registryChangesOf(diff.changes, appends).map((c) => [c.rule, c.id, c.subject]),
    [
      ['REGISTRY_APPENDED', 'release/registry.json', 'seq 9'],
      ['REGISTRY_APPENDED', 'release/registry.json', 'seq 10'],
    ],
  );
});

/** A git repository with one commit per entry of `commits` (file path -> text; null deletes). */
function repoWith(/** @type {Array<Record<string, string | null>>} */ commits) {
  const dir = tmpdir('policydrift-steps-git-');
  const git = (/** @type {string[]} */ ...args) => {
    const r = spawnTimed('git', args, { cwd: dir });
    assert.is(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 't@example.com');
  git('config', 'user.name', 'T');
  const shas = [];
  for (const files of commits) {
    for (const [rel, text] of Object.entries(files)) {
      const p = path.join(dir, rel);
      if (text === null) fs.rmSync(p);
      else {
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, text);
      }
    }
    git('add', '-A');
    git('commit', '-q', '-m', 'c', '--allow-empty');
    shas.push(git('rev-parse', 'HEAD'));
  }
  return { dir, shas };
}

test('governing files: every tsconfig the tsconfig extends (relative, transitively, lists) is governing too', () => {
  const base = {
    'tsconfig.json': '{ "extends": ["./configs/base", "@tsconfig/node20/tsconfig.json"], "include": ["src"] }',
    'configs/base.json': '// shared\n{ "extends": "../tsconfig.root.json", "compilerOptions": { "strict": true } }',
    'tsconfig.root.json': '{ "exclude": [] }',
  };
  const { dir, shas } = repoWith([base, { 'tsconfig.root.json': '{ "exclude": ["src/keys/**"] }' }]);
  assert.equal(extendsChain(dir, shas[0], 'tsconfig.json'), ['configs/base.json', 'tsconfig.root.json']);
  const side = (/** @type {string} */ commit) =>
    /** @type {any} */ ({ commit, configText: null, config: { tsconfig: 'tsconfig.json', approvals: {} } });
  const files = governingFiles(dir, side(shas[0]), side(shas[1]), '');
  const root = files.find((f) => f.id === 'tsconfig.root.json');
  assert.ok(root, JSON.stringify(files.map((f) => f.id)));
  assert.equal([root.before, root.after], [{ exclude: [] }, { exclude: ['src/keys/**'] }]);
  assert.match(root.what, /extends/);
  // Through the rule engine: the edit of the extended file is a CONFIG_CHANGED naming it.
  const m = manifest(baseParts());
  const diff = diffManifests(m, clone(m), testOrders(), { governing: files, registryAppends: [] });
  assert.equal(
    diff.changes.filter((c) => c.rule === 'CONFIG_CHANGED').map((c) => c.id),
    ['tsconfig.root.json'],
  );
});

test.run();
