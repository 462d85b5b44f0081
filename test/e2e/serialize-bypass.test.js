// Issue 11 items 5 and 6, end to end: what JSON.stringify writes beyond an LE response's type
// (getters, toJSON, reflective changes) and @logSink arguments wider than their schema.
// Each attack is a commit on a branch of a temporary git repository built from the sample service;
// `check --against main` and `diff git:main git:HEAD` must exit 1 naming what was bypassed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, git, tmpdir, copyTree, SAMPLE } from '../helpers.js';

/** The sample service committed on main, a `feature` branch checked out. */
function repo() {
  const dir = tmpdir('policydrift-serialize-');
  copyTree(SAMPLE, dir);
  git(dir, 'init', '-q');
  git(dir, 'checkout', '-qb', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'service');
  git(dir, 'checkout', '-qb', 'feature');
  return dir;
}

/** Replace `from` by `to` in a file (failing loudly when the anchor is missing), refresh the manifest, commit. */
function commitEdit(dir, rel, from, to, msg) {
  const p = path.join(dir, rel);
  const s = fs.readFileSync(p, 'utf8');
  assert.ok(s.includes(from), `${rel} does not contain ${JSON.stringify(from)}`);
  fs.writeFileSync(p, s.replace(from, to));
  const w = cli(['extract', '--write'], { cwd: dir });
  assert.is(w.code, 0, w.stderr);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', msg);
}

const check = (dir) => cli(['check', '--against', 'main'], { cwd: dir });
const diffJson = (dir) => {
  const r = cli(['diff', 'git:main', 'git:HEAD', '--format', 'json'], { cwd: dir });
  return { code: r.code, stderr: r.stderr, changes: r.stdout ? JSON.parse(r.stdout).changes : [] };
};

const SUBSCRIBER =
  "  return { kind: 'SUBSCRIBER_INFO', requestId, producedAt, accountCreatedAt: a.createdAt, phoneNumberHash: a.phoneNumberHash };";

test('item 5: an own getter on a returned LE response discloses a field: check exits 1 naming it', () => {
  const dir = repo();
  commitEdit(
    dir,
    'src/le/records.ts',
    SUBSCRIBER,
    "  return {\n    kind: 'SUBSCRIBER_INFO',\n    requestId,\n    producedAt,\n    accountCreatedAt: a.createdAt,\n    phoneNumberHash: a.phoneNumberHash,\n    get devices() {\n      return a.devices;\n    },\n  };",
    'subscriber info with a getter',
  );
  const r = check(dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /LE_HANDLER_UNBOUNDED \(weakening\)\s+handle_le_request/);
  assert.match(r.stdout, /returned object has a getter the response type does not declare at "devices"/);
  const d = diffJson(dir);
  assert.is(d.code, 1, d.stderr);
  assert.equal(
    d.changes.map((c) => [c.rule, c.effect, c.id]),
    [['LE_HANDLER_UNBOUNDED', 'weakening', 'handle_le_request']],
  );
});

test('item 5: toJSON on a returned object and Object.defineProperty on a response are unbounded (diff git:A git:B exits 1)', () => {
  const dir = repo();
  commitEdit(
    dir,
    'src/le/records.ts',
    SUBSCRIBER,
    SUBSCRIBER.replace('phoneNumberHash: a.phoneNumberHash }', 'phoneNumberHash: a.phoneNumberHash, toJSON: () => a }'),
    'toJSON',
  );
  let d = diffJson(dir);
  assert.is(d.code, 1, d.stderr);
  const toJson = d.changes.find((c) => c.rule === 'LE_HANDLER_UNBOUNDED');
  assert.ok(toJson, JSON.stringify(d.changes));
  assert.match(JSON.stringify(toJson.after), /returned object defines toJSON/);

  const dir2 = repo();
  commitEdit(
    dir2,
    'src/le/records.ts',
    SUBSCRIBER,
    "  const out: SubscriberInfo = { kind: 'SUBSCRIBER_INFO', requestId, producedAt, accountCreatedAt: a.createdAt, phoneNumberHash: a.phoneNumberHash };\n  Object.defineProperty(out, 'devices', { value: a.devices, enumerable: true });\n  return out;",
    'defineProperty',
  );
  d = diffJson(dir2);
  assert.is(d.code, 1, d.stderr);
  assert.match(JSON.stringify(d.changes), /returned object can be changed behind its type by Object\.defineProperty/);
  const r = check(dir2);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /Object\.defineProperty/);
});

const AUDIT_CALL =
  "  audit({ type: 'le_request', requestId: req.requestId, agency: req.agency, basis: req.basis, accountId: req.accountId });";

test('item 6: a @logSink argument wider than its schema (a spread) opens the schema: check exits 1 naming the extra field', () => {
  const dir = repo();
  commitEdit(dir, 'src/le/handler.ts', AUDIT_CALL, "  audit({ ...req, type: 'le_request' });", 'log the whole request');
  const r = check(dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /LOG_SCHEMA_OPENED \(weakening\)\s+LeRequestAudit/);
  assert.match(r.stdout, /sink audit is called with undeclared field "warrantRef"/);
  const d = diffJson(dir);
  assert.is(d.code, 1, d.stderr);
  assert.equal(
    d.changes.map((c) => [c.rule, c.effect, c.id]),
    [['LOG_SCHEMA_OPENED', 'weakening', 'LeRequestAudit']],
  );
});

test('item 6: an `as any` argument is an unbounded use of every schema of the sink', () => {
  const dir = repo();
  commitEdit(dir, 'src/le/handler.ts', AUDIT_CALL, `${AUDIT_CALL}\n  audit(req as any);`, 'log the request as any');
  const d = diffJson(dir);
  assert.is(d.code, 1, d.stderr);
  const opened = d.changes
    .filter((c) => c.rule === 'LOG_SCHEMA_OPENED')
    .map((c) => c.id)
    .sort();
  assert.equal(opened, ['AccessLog', 'KeyAuditEvent', 'LeRequestAudit']);
  assert.match(JSON.stringify(d.changes), /sink audit is called with a type assertion on its argument/);
  assert.match(JSON.stringify(d.changes), /sink audit is called with an any-typed argument/);
});

test('item 6: another conforming call of the sink is neutral: check passes', () => {
  const dir = repo();
  commitEdit(
    dir,
    'src/le/handler.ts',
    AUDIT_CALL,
    `${AUDIT_CALL}\n  audit({ type: 'access', route: '/le', status: 200, clientIp: '0.0.0.0', durationMs: 0 });`,
    'one more conforming log line',
  );
  const r = check(dir);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const d = diffJson(dir);
  assert.is(d.code, 0, d.stderr);
  assert.equal(
    d.changes.filter((c) => c.effect !== 'neutral'),
    [],
  );
});

test('item 6 strengthening: narrowing the wide argument back closes the schema (LOG_SCHEMA_CLOSED)', () => {
  const dir = repo();
  commitEdit(dir, 'src/le/handler.ts', AUDIT_CALL, "  audit({ ...req, type: 'le_request' });", 'wide');
  git(dir, 'tag', 'wide');
  commitEdit(dir, 'src/le/handler.ts', "  audit({ ...req, type: 'le_request' });", AUDIT_CALL, 'narrow again');
  const r = cli(['diff', 'git:wide', 'git:HEAD', '--format', 'json'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  const changes = JSON.parse(r.stdout).changes;
  assert.equal(
    changes.map((c) => [c.rule, c.effect, c.id]),
    [['LOG_SCHEMA_CLOSED', 'strengthening', 'LeRequestAudit']],
  );
});

test.run();
