// Key gating across workspace packages: a guard in one package protecting a sink reached through a helper
// function in another package is a path of the first package's manifest, so deleting that guard is a weakening
// (it used to be invisible: the call graph stopped at the package boundary).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, cli, copyTree, lazy, tmpdir } from './helpers.js';

const HELPER = `
export async function openKey(id: string): Promise<Uint8Array> {
  return unwrapKey(id);
}
`;

/** The fixtures/workspace monorepo, linked as npm would, with server's recover() calling crypto's openKey helper. */
function workspace(edit = (/** @type {string} */ keys) => keys, cryptoExtra = HELPER) {
  const dir = tmpdir('policydrift-wscg-');
  copyTree(path.join(REPO, 'fixtures', 'workspace'), dir);
  fs.mkdirSync(path.join(dir, 'node_modules/@ws'), { recursive: true });
  for (const p of ['types', 'crypto', 'server'])
    fs.symlinkSync(path.join('..', '..', 'packages', p), path.join(dir, 'node_modules/@ws', p));
  fs.appendFileSync(path.join(dir, 'packages/crypto/src/index.ts'), cryptoExtra);
  const keys = path.join(dir, 'packages/server/src/keys.ts');
  const text = fs
    .readFileSync(keys, 'utf8')
    .replace('import { assertAttested, unwrapKey }', 'import { assertAttested, openKey }')
    .replace('return unwrapKey(id)', 'return openKey(id)');
  fs.writeFileSync(keys, edit(text));
  return dir;
}

function extract(/** @type {string} */ dir, /** @type {string} */ pkg) {
  const r = cli(['extract'], { cwd: path.join(dir, 'packages', pkg) });
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function diff(/** @type {any} */ before, /** @type {any} */ after) {
  const dir = tmpdir('policydrift-wscg-diff-');
  fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify(before));
  fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify(after));
  const r = cli(['diff', 'a.json', 'b.json', '--format', 'json', '--fail-on', 'modified'], { cwd: dir });
  return { code: r.code, changes: JSON.parse(r.stdout).changes, stderr: r.stderr };
}

const base = lazy(() => extract(workspace(), 'server'));

test('a helper in another workspace package: the site is the caller package entry point, with the via path', () => {
  const m = base();
  const site = m.invariants.keygate.sites['recover -> unwrapKey'];
  assert.ok(site, JSON.stringify(m.invariants.keygate));
  assert.equal(
    site.guards.map((/** @type {any} */ g) => g.guard),
    ['assertAttested', 'requireQuorum'],
  );
  assert.is(
    m.locations['keygate:via:recover -> unwrapKey'],
    'recover (src/keys.ts) -> openKey (@ws/crypto:src/index.ts) -> unwrapKey',
  );
  // The helper's own package does not become an entry point of this manifest.
  assert.equal(Object.keys(m.invariants.keygate.sites), ['recover -> unwrapKey']);
  // The fast path (pre-filters) equals the full extraction across the package boundary.
  const dir = workspace();
  const full = cli(['extract'], { cwd: path.join(dir, 'packages/server'), env: { POLICYDRIFT_NO_PREFILTER: '1' } });
  assert.is(full.code, 0, full.stderr);
  assert.is(full.stdout, cli(['extract'], { cwd: path.join(dir, 'packages/server') }).stdout);
  // The crypto package keeps its own entry point for the helper (it is exported and unguarded there).
  const crypto = extract(workspace(), 'crypto');
  assert.ok(crypto.invariants.keygate.sites['openKey -> unwrapKey'], JSON.stringify(crypto.invariants.keygate.sites));
});

test('deleting the guard in the caller package is a weakening naming entry point, sink and path', () => {
  const after = extract(
    workspace((t) => t.replace('  requireQuorum(approvals, 2);\n', '')),
    'server',
  );
  const r = diff(base(), after);
  assert.is(r.code, 1, r.stderr);
  const removed = r.changes.filter((/** @type {any} */ c) => c.rule === 'KEYGATE_GUARD_REMOVED');
  assert.is(removed.length, 1, JSON.stringify(r.changes));
  assert.is(removed[0].effect, 'weakening');
  assert.match(removed[0].message, /requireQuorum/);
  assert.match(removed[0].message, /recover/);
  assert.match(removed[0].message, /openKey \(@ws\/crypto:src\/index\.ts\)/);
});

test('a guard added inside the other package helper is a strengthening of the caller site', () => {
  const after = extract(
    workspace(
      (t) => t,
      HELPER.replace('  return unwrapKey(id);', "  await assertAttested('TEE');\n  return unwrapKey(id);"),
    ),
    'server',
  );
  // assertAttested('TEE_PROD') already stands in the caller; the helper's TEE call is a second, weaker fact.
  const site = after.invariants.keygate.sites['recover -> unwrapKey'];
  assert.equal(
    site.guards.map((/** @type {any} */ g) => `${g.guard}:${g.args.level ?? g.args.threshold}`),
    ['assertAttested:TEE', 'assertAttested:TEE_PROD', 'requireQuorum:2'],
  );
  const r = diff(base(), after);
  assert.ok(
    r.changes.every((/** @type {any} */ c) => c.effect === 'strengthening' || c.effect === 'neutral'),
    JSON.stringify(r.changes),
  );
  assert.ok(r.changes.some((/** @type {any} */ c) => c.effect === 'strengthening'));
});

test('moving the helper from the other package into the caller package is neutral', () => {
  const after = extract(
    workspace(
      (t) =>
        t.replace('import { assertAttested, openKey }', 'import { assertAttested, unwrapKey }') +
        HELPER.replace('export async function', 'async function'),
      '',
    ),
    'server',
  );
  const r = diff(base(), after);
  assert.is(r.code, 0, JSON.stringify(r.changes));
  assert.ok(
    r.changes.every((/** @type {any} */ c) => c.effect === 'neutral'),
    JSON.stringify(r.changes),
  );
});

test('a wider value stored into a shared response type in another workspace package makes the handler unbounded', () => {
  const STORED = 'a value with properties the response type does not declare is put where a response type is declared';
  assert.not.ok(base().invariants.le.handlers.handle_le_request.unboundedReasons.includes(STORED));
  const wide = `${HELPER}
import type { AccountMetadata } from '@ws/types';
export const recent: AccountMetadata[] = [];
export function remember(id: string, email: string, ssn: string): void {
  const wide = { kind: 'ACCOUNT_METADATA' as const, subscriber: { id, email }, ssn };
  recent.push(wide);
}
`;
  const m = extract(workspace(undefined, wide), 'server');
  assert.ok(
    m.invariants.le.handlers.handle_le_request.unboundedReasons.includes(STORED),
    JSON.stringify(m.invariants.le.handlers.handle_le_request.unboundedReasons),
  );
});

test.run();
