// Interprocedural key gating through the CLI on temporary git repositories: guards removed in a caller of a
// helper, a new path into a guarded helper, neutral helper refactors, and guards hollowed through their
// dependencies (issue 13; issue 11 item 8).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, git, tmpdir, REPO } from '../helpers.js';

const TSCONFIG = fs.readFileSync(path.join(REPO, 'fixtures', 'extract', 'keygate-basic', 'tsconfig.json'), 'utf8');

const FILES = {
  'tsconfig.json': TSCONFIG,
  'src/guards.ts': `import { quorumMet } from './quorum.js';

/** @keyGuard */
export async function requireAttestation(level: string): Promise<void> {
  if (level !== 'TEE_PROD') throw new Error('attestation required');
}

/** @keyGuard */
export function requireQuorum(threshold: number): void {
  if (!quorumMet(threshold)) throw new Error('quorum required');
}
`,
  'src/quorum.ts': `const approvals: string[] = [];

export function quorumMet(threshold: number): boolean {
  const distinct = new Set(approvals);
  return threshold >= 2 && distinct.size >= threshold;
}
`,
  'src/store.ts': `/** @keySink */
export function unwrapKey(id: string): Uint8Array {
  return new Uint8Array(id.length);
}
`,
  'src/keys.ts': `import { requireAttestation, requireQuorum } from './guards.js';
import { unwrapKey } from './store.js';

function openKey(id: string): Uint8Array {
  return unwrapKey(id);
}

export async function exportUserKey(id: string): Promise<Uint8Array> {
  await requireAttestation('TEE_PROD');
  requireQuorum(2);
  return openKey(id);
}
`,
};

function write(dir, files) {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
}

function edit(dir, rel, from, to) {
  const p = path.join(dir, rel);
  const text = fs.readFileSync(p, 'utf8');
  assert.ok(text.includes(from), `${rel} does not contain ${JSON.stringify(from)}`);
  fs.writeFileSync(p, text.replace(from, to));
}

/** A repository with the baseline on main and a `feature` branch checked out. */
function repo() {
  const dir = tmpdir('policydrift-interproc-');
  write(dir, FILES);
  git(dir, 'init', '-q');
  const w = cli(['extract', '--write'], { cwd: dir });
  assert.is(w.code, 0, w.stderr);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'baseline');
  git(dir, 'checkout', '-qb', 'feature');
  return dir;
}

function commit(dir, message) {
  const w = cli(['extract', '--write'], { cwd: dir });
  assert.is(w.code, 0, w.stderr);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', message);
}

const check = (dir) => cli(['check', '--against', 'main', '--format', 'json'], { cwd: dir });
/** The unjustified changes of a `check --format json` run. */
const unjustified = (r) => JSON.parse(r.stdout).unjustified.map((u) => u.change);
const diff = (dir) => cli(['diff', 'git:main', 'git:HEAD', '--format', 'json'], { cwd: dir });

test('(a) guards deleted in the caller of a module-private helper: check and diff fail naming entry point, sink, guards and path', () => {
  const dir = repo();
  const base = JSON.parse(fs.readFileSync(path.join(dir, 'invariants.manifest.json'), 'utf8'));
  assert.equal(Object.keys(base.invariants.keygate.sites), ['exportUserKey -> unwrapKey']);
  assert.is(base.schemaVersion, 2);
  edit(dir, 'src/keys.ts', "  await requireAttestation('TEE_PROD');\n  requireQuorum(2);\n", '');
  commit(dir, 'drop the guards');

  const r = check(dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  const removed = unjustified(r).filter((c) => c.rule === 'KEYGATE_GUARD_REMOVED');
  assert.equal(
    removed.map((c) => [c.id, c.subject]),
    [
      ['exportUserKey -> unwrapKey', 'requireAttestation'],
      ['exportUserKey -> unwrapKey', 'requireQuorum'],
    ],
  );
  for (const c of removed) {
    assert.match(
      c.message,
      `guard ${c.subject} is no longer on every path from entry point exportUserKey to key sink unwrapKey`,
    );
    assert.match(c.message, '(path: exportUserKey (src/keys.ts) -> openKey (src/keys.ts) -> unwrapKey)');
  }

  const d = diff(dir);
  assert.is(d.code, 1, d.stderr);
  assert.is(JSON.parse(d.stdout).summary.weakening, 2);
  const text = cli(['diff', 'git:main', 'git:HEAD'], { cwd: dir });
  assert.match(
    text.stdout,
    'guard requireQuorum is no longer on every path from entry point exportUserKey to key sink unwrapKey (path: exportUserKey (src/keys.ts) -> openKey (src/keys.ts) -> unwrapKey)',
  );
});

test('(b) openKey exported and called from a new function in another file: check fails on the unguarded path', () => {
  const dir = repo();
  edit(dir, 'src/keys.ts', 'function openKey(', 'export function openKey(');
  write(dir, {
    'src/backup.ts':
      "import { openKey } from './keys.js';\n\nexport function backupKey(id: string): Uint8Array {\n  return openKey(id);\n}\n",
  });
  commit(dir, 'backup path');
  const r = check(dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  const u = unjustified(r);
  assert.equal(
    u.map((c) => [c.rule, c.id, c.effect]),
    [['KEYGATE_UNGUARDED_SINK_CALL', 'backupKey -> unwrapKey', 'weakening']],
  );
  assert.match(
    u[0].message,
    'entry point backupKey reaches key sink unwrapKey without any guard (path: backupKey (src/backup.ts) -> openKey (src/keys.ts) -> unwrapKey)',
  );
});

test('(c) guards moved into a helper, the key helper extracted to another file: no weakening, no modified', () => {
  const dir = repo();
  write(dir, {
    'src/policy.ts':
      "import { requireAttestation, requireQuorum } from './guards.js';\n\nexport async function ensureReleasable(level: string): Promise<void> {\n  await requireAttestation(level);\n  requireQuorum(2);\n}\n",
    'src/material.ts':
      "import { unwrapKey } from './store.js';\n\nexport function readKeyMaterial(id: string): Uint8Array {\n  return unwrapKey(id);\n}\n",
    'src/keys.ts':
      "import { ensureReleasable } from './policy.js';\nimport { readKeyMaterial } from './material.js';\n\nexport async function exportUserKey(id: string): Promise<Uint8Array> {\n  await ensureReleasable('TEE_PROD');\n  return readKeyMaterial(id);\n}\n",
  });
  commit(dir, 'refactor');
  const d = diff(dir);
  assert.is(d.code, 0, d.stdout + d.stderr);
  const j = JSON.parse(d.stdout);
  assert.equal([j.summary.weakening, j.summary.modified, j.summary.strengthening], [0, 0, 0]);
  assert.ok(
    j.changes.some((c) => c.id === 'keygate:via:exportUserKey -> unwrapKey' && c.effect === 'neutral'),
    JSON.stringify(j.changes),
  );
  const r = check(dir);
  assert.is(r.code, 0, r.stdout + r.stderr);
});

test('issue 11 item 8: a guard hollowed through a helper it calls is KEYGATE_GUARD_IMPL_CHANGED', () => {
  const dir = repo();
  edit(
    dir,
    'src/quorum.ts',
    'return threshold >= 2 && distinct.size >= threshold;',
    'return true || distinct.size >= threshold;',
  );
  commit(dir, 'quorum always met');
  const r = check(dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.equal(
    unjustified(r).map((c) => [c.rule, c.id]),
    [['KEYGATE_GUARD_IMPL_CHANGED', 'requireQuorum']],
  );
});

test('issue 11 item 8: a module-level class shadowing the Set a guard dependency counts with is KEYGATE_GUARD_IMPL_CHANGED', () => {
  const dir = repo();
  fs.appendFileSync(
    path.join(dir, 'src/quorum.ts'),
    '\nclass Set<T> {\n  constructor(_items: T[]) {}\n  get size(): number {\n    return 99;\n  }\n}\n',
  );
  commit(dir, 'shadow Set');
  const r = check(dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.equal(
    unjustified(r).map((c) => [c.rule, c.id]),
    [['KEYGATE_GUARD_IMPL_CHANGED', 'requireQuorum']],
  );
  // A module-level binding the dependency reads counts too.
  const dir2 = repo();
  edit(dir2, 'src/quorum.ts', 'const approvals: string[] = [];', "const approvals: string[] = ['a', 'b', 'c'];");
  commit(dir2, 'pre-approved');
  assert.equal(
    unjustified(check(dir2)).map((c) => c.rule),
    ['KEYGATE_GUARD_IMPL_CHANGED'],
  );
});

test('a baseline whose committed manifest has the previous schema version is re-extracted; a schema-1 file operand is a clear error', () => {
  const dir = tmpdir('policydrift-interproc-old-');
  write(dir, FILES);
  git(dir, 'init', '-q');
  assert.is(cli(['extract', '--write'], { cwd: dir }).code, 0);
  const mPath = path.join(dir, 'invariants.manifest.json');
  const old = JSON.parse(fs.readFileSync(mPath, 'utf8'));
  old.schemaVersion = 1;
  fs.writeFileSync(mPath, JSON.stringify(old, null, 2) + '\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'released with the previous policydrift');
  git(dir, 'checkout', '-qb', 'feature');
  edit(dir, 'src/keys.ts', '  requireQuorum(2);\n', '');
  commit(dir, 'drop quorum');
  const fresh = JSON.parse(fs.readFileSync(mPath, 'utf8'));
  assert.is(fresh.schemaVersion, 2);
  assert.is(fresh.manifestVersion, 2);
  const r = check(dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.equal(
    unjustified(r).map((c) => [c.rule, c.subject]),
    [['KEYGATE_GUARD_REMOVED', 'requireQuorum']],
  );
  assert.ok(
    JSON.parse(r.stdout).warnings.some(
      (w) => w.includes("the baseline's committed manifest has schema version 1") && w.includes('re-extracted'),
    ),
    r.stdout,
  );

  const oldFile = path.join(dir, 'old.json');
  fs.writeFileSync(oldFile, JSON.stringify(old, null, 2) + '\n');
  const d = cli(['diff', oldFile, 'git:HEAD'], { cwd: dir });
  assert.is(d.code, 2, d.stdout + d.stderr);
  assert.match(d.stderr, "old.json: manifest schema version 1 is older than this policydrift's (2)");
  assert.match(d.stderr, 'git:<rev>');
  assert.not.match(d.stderr, /at .*\.js:\d+/);
});

test.run();
