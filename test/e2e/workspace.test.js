// Monorepos: a 3-package workspace (shared types, crypto, server) linked the way npm workspaces link them,
// one manifest per package, the workspace index, and one gate at the root (real git and OpenSpec, no mocks).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cli, git, tmpdir, copyTree, REPO, writeChangeSet } from '../helpers.js';

export const WORKSPACE = path.join(REPO, 'fixtures', 'workspace');
const OPENSPEC = path.join(REPO, 'node_modules', '.bin', 'openspec');

/** node_modules/@ws/* -> packages/*, as `npm install` links workspace packages. */
export function linkPackages(dir) {
  fs.mkdirSync(path.join(dir, 'node_modules', '@ws'), { recursive: true });
  for (const p of ['types', 'crypto', 'server'])
    fs.symlinkSync(path.join('..', '..', 'packages', p), path.join(dir, 'node_modules', '@ws', p));
}

function commitAll(dir, msg) {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', msg);
  return git(dir, 'rev-parse', 'HEAD');
}

const read = (dir, rel) => fs.readFileSync(path.join(dir, rel), 'utf8');
const json = (dir, rel) => JSON.parse(read(dir, rel));
const edit = (dir, rel, from, to) => {
  const s = read(dir, rel);
  assert.ok(s.includes(from), `${rel} contains ${from}`);
  fs.writeFileSync(path.join(dir, rel), s.replace(from, to));
};

/** The workspace on main (manifests and index committed), then a feature branch. */
function setup() {
  const dir = tmpdir('policydrift-ws-');
  copyTree(WORKSPACE, dir);
  fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n');
  linkPackages(dir);
  const init = spawnSync(process.execPath, [OPENSPEC, 'init', '--tools', 'none', '--no-animation', '.'], {
    cwd: dir,
    env: { ...process.env, OPENSPEC_TELEMETRY: '0', OPENSPEC_NO_UPDATE_CHECK: '1' },
  });
  assert.is(init.status, 0, String(init.stderr));
  git(dir, 'init', '-q');
  const r = cli(['extract', '--workspace', '--write'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  commitAll(dir, 'workspace');
  git(dir, 'checkout', '-qb', 'feature');
  return dir;
}

const check = (dir, ...extra) => cli(['check', '--against', 'main', ...extra], { cwd: dir });

test('extract --workspace: one manifest per covered package, types of the shared package expanded, sinks of crypto resolved from server', () => {
  const dir = setup();
  const idx = json(dir, 'invariants.workspace.json');
  assert.equal(
    Object.keys(idx.packages),
    ['@ws/crypto', '@ws/server'],
    'types has no policydrift.config.json: not covered',
  );
  assert.is(idx.packages['@ws/server'].manifest, 'packages/server/invariants.manifest.json');
  assert.is(idx.workspaceVersion, 1);
  const server = json(dir, 'packages/server/invariants.manifest.json');
  assert.is(idx.packages['@ws/server'].digest, server.digest);
  const h = server.invariants.le.handlers.handle_le_request;
  assert.is(h.unbounded, false, 'LeResponse from @ws/types is a union of variants, not an opaque library type');
  assert.equal(Object.keys(h.variants), ['ACCOUNT_METADATA', 'NO_RECORD']);
  assert.is(server.locations['le:handle_le_request:variant:NO_RECORD'], '@ws/types:src/index.ts');
  assert.equal(
    server.invariants.keygate.sites['recover -> unwrapKey'].guards.map((g) => g.guard),
    ['assertAttested', 'requireQuorum'],
  );
  assert.is(server.locations['keygate:sink:unwrapKey'], '@ws/crypto:src/index.ts');
  // The same manifest as extracting the package on its own (what a Turborepo/Nx task does).
  const alone = cli(['extract'], { cwd: path.join(dir, 'packages/server') });
  assert.is(alone.code, 0, alone.stderr);
  assert.is(alone.stdout, read(dir, 'packages/server/invariants.manifest.json'));
  // Re-running changes nothing; --check agrees.
  const again = cli(['extract', '--workspace', '--write'], { cwd: dir });
  assert.match(again.stderr, /@ws\/server: packages\/server\/invariants\.manifest\.json unchanged \(version 1\)/);
  assert.match(again.stderr, /invariants\.workspace\.json unchanged \(workspace version 1\)/);
  assert.is(cli(['extract', '--workspace', '--check'], { cwd: dir }).code, 0);
  assert.is(check(dir).code, 0, 'no change: pass');
});

test('a variant added to the LE union in the shared types package changes the server manifest and fails check at the root, naming the server handler; justified per package it passes', () => {
  const dir = setup();
  const before = json(dir, 'packages/server/invariants.manifest.json');
  const cryptoBefore = read(dir, 'packages/crypto/invariants.manifest.json');
  edit(
    dir,
    'packages/types/src/index.ts',
    'export type LeResponse = AccountMetadata | NoRecord;',
    "export type Wiretap = { kind: 'WIRETAP'; messages: string[] };\nexport type LeResponse = AccountMetadata | NoRecord | Wiretap;",
  );
  assert.is(cli(['extract', '--workspace', '--check'], { cwd: dir }).code, 1, 'stale after a dependency type change');
  const w = cli(['extract', '--workspace', '--write'], { cwd: dir });
  assert.is(w.code, 0, w.stderr);
  assert.match(w.stderr, /@ws\/server: packages\/server\/invariants\.manifest\.json updated to version 2/);
  const after = json(dir, 'packages/server/invariants.manifest.json');
  assert.is.not(after.digest, before.digest);
  assert.ok(after.invariants.le.handlers.handle_le_request.variants.WIRETAP);
  assert.is(read(dir, 'packages/crypto/invariants.manifest.json'), cryptoBefore, 'crypto does not import the types');
  assert.is(json(dir, 'invariants.workspace.json').workspaceVersion, 2);
  commitAll(dir, 'wiretap');

  let r = check(dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAIL — 1 unjustified change/);
  assert.match(r.stdout, /LE_RESPONSE_ADDED \(weakening\)\s+handle_le_request \[WIRETAP\]/);
  assert.match(r.stdout, /@ws\/server: /);
  assert.match(r.stdout, /package: "@ws\/server"/, 'the suggested declaration names the package');
  assert.match(r.stdout, /@ws\/server \(packages\/server\): changed v1 → v2 \(1 weakening\)/);
  assert.match(r.stdout, /@ws\/crypto \(packages\/crypto\): unchanged v1 → v1/);
  const j = JSON.parse(check(dir, '--format', 'json').stdout);
  assert.equal(
    j.unjustified.map((u) => [u.change.rule, u.change.package, u.change.id, u.change.subject]),
    [['LE_RESPONSE_ADDED', '@ws/server', 'handle_le_request', 'WIRETAP']],
  );

  // Justify, fill in, approve (listed mode at the root), commit: passes.
  r = cli(['justify', 'add-wiretap', '--against', 'main'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  const meta = read(dir, 'openspec/changes/add-wiretap/.openspec.yaml');
  assert.match(meta, /package: "?@ws\/server"?/);
  assert.match(meta, /from: 1\n\s+to: 2/);
  writeChangeSet(dir, 'add-wiretap');
  r = cli(['approve', 'add-wiretap', '--as', 'alice@example.com'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  commitAll(dir, 'justify');
  r = check(dir);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /PASS — 1 change justified/);

  // A declaration naming another package does not count.
  fs.writeFileSync(
    path.join(dir, 'openspec/changes/add-wiretap/.openspec.yaml'),
    meta.replace('@ws/server', '@ws/crypto'),
  );
  commitAll(dir, 'wrong package');
  r = check(dir);
  assert.is(r.code, 1, r.stdout);
});

test('guards moved between packages without changing any path are neutral', () => {
  const dir = setup();
  fs.rmSync(path.join(dir, 'packages/server/src/guards.ts'));
  fs.appendFileSync(
    path.join(dir, 'packages/crypto/src/index.ts'),
    "\n/**\n * Throws unless `approvals` reach `threshold`.\n * @keyGuard\n */\nexport function requireQuorum(approvals: string[], threshold: number): void {\n  if (approvals.length < threshold) throw new Error('no quorum');\n}\n",
  );
  edit(
    dir,
    'packages/server/src/keys.ts',
    "import { assertAttested, unwrapKey } from '@ws/crypto';\nimport { requireQuorum } from './guards.js';",
    "import { assertAttested, requireQuorum, unwrapKey } from '@ws/crypto';",
  );
  assert.is(cli(['extract', '--workspace', '--write'], { cwd: dir }).code, 0);
  commitAll(dir, 'move requireQuorum to crypto');
  const r = check(dir, '--format', 'json');
  const j = JSON.parse(r.stdout);
  assert.is(r.code, 0, JSON.stringify(j.unjustified, null, 1));
  assert.ok(
    j.diff.changes.some(
      (c) => c.rule === 'WORKSPACE_DECL_MOVED' && c.package === '@ws/crypto' && c.id === 'requireQuorum',
    ),
    JSON.stringify(j.diff.changes, null, 1),
  );
  assert.ok(
    j.diff.changes.every((c) => c.effect === 'neutral'),
    JSON.stringify(j.diff.changes, null, 1),
  );
  // The site still has both guards.
  const server = json(dir, 'packages/server/invariants.manifest.json');
  assert.equal(
    server.invariants.keygate.sites['recover -> unwrapKey'].guards.map((g) => g.guard),
    ['assertAttested', 'requireQuorum'],
  );
});

test('a package leaving the gate is a weakening; a stale manifest or index fails', () => {
  const dir = setup();
  fs.rmSync(path.join(dir, 'packages/crypto/policydrift.config.json'));
  fs.rmSync(path.join(dir, 'packages/crypto/invariants.manifest.json'));
  assert.is(cli(['extract', '--workspace', '--write'], { cwd: dir }).code, 0);
  commitAll(dir, 'stop tracking crypto');
  let r = check(dir);
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stdout, /WORKSPACE_PACKAGE_REMOVED \(weakening\)\s+@ws\/crypto/);
  git(dir, 'reset', '-q', '--hard', 'main');
  // A package joining the gate is a change too (a strengthening that still needs a declaration).
  fs.writeFileSync(path.join(dir, 'packages/types/policydrift.config.json'), '{}\n');
  assert.is(cli(['extract', '--workspace', '--write'], { cwd: dir }).code, 0);
  commitAll(dir, 'track types');
  r = check(dir, '--format', 'json');
  assert.is(r.code, 1, r.stdout);
  assert.equal(
    JSON.parse(r.stdout).unjustified.map((u) => [u.change.rule, u.change.effect, u.change.id, u.change.package]),
    [['WORKSPACE_PACKAGE_ADDED', 'strengthening', '@ws/types', '@ws/types']],
  );
  git(dir, 'reset', '-q', '--hard', 'main');
  edit(dir, 'packages/server/src/keys.ts', "await assertAttested('TEE_PROD');\n", '');
  commitAll(dir, 'drop a guard, manifests not updated');
  r = check(dir);
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stdout, /stale/);
});

test('extract --workspace: clear errors outside a workspace and for bad input', () => {
  const dir = tmpdir('policydrift-ws-bad-');
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "x" }\n');
  let r = cli(['extract', '--workspace'], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stderr, /not a workspace root/);
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "x", "workspaces": ["packages/*"] }\n');
  fs.mkdirSync(path.join(dir, 'packages/a'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'packages/a/package.json'), '{ "name": "a" }\n');
  r = cli(['extract', '--workspace'], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stderr, /no workspace package has a policydrift\.config\.json \(members: packages\/a\)/);
  fs.writeFileSync(path.join(dir, 'policydrift.config.json'), '{ "packages": ["packages/nope"] }\n');
  r = cli(['extract', '--workspace'], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stderr, /"packages" entry "packages\/nope" matches no package folder/);
  fs.writeFileSync(path.join(dir, 'policydrift.config.json'), '{ "packages": 3 }\n');
  r = cli(['extract', '--workspace'], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stderr, /policydrift\.config\.json:1:15: invalid config file/);
  assert.not.match(r.stderr, /at .*\.js:\d+/, 'no stack trace');
});

test('release at the workspace root: one registry event with every package digest; check against it; registry verify re-extracts the workspace', () => {
  const dir = setup();
  git(dir, 'checkout', '-q', 'main');
  // The release job's key signs the registry event (a release signer of main).
  const keys = tmpdir('policydrift-keys-');
  const releaseKey = path.join(keys, 'release');
  assert.is(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'release', '-f', releaseKey]).status, 0);
  fs.mkdirSync(path.join(dir, '.policydrift'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, '.policydrift/release_signers'),
    `release@ci ${fs
      .readFileSync(releaseKey + '.pub', 'utf8')
      .trim()
      .split(' ')
      .slice(0, 2)
      .join(' ')}\n`,
  );
  commitAll(dir, 'release signers');
  const env = { POLICYDRIFT_SIGNING_KEY: releaseKey };
  let r = cli(['release', '--profile', 'prod', '--version', '1.0.0'], { cwd: dir, env });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /BOOTSTRAP/);
  const [ev] = json(dir, 'release/registry.json').events;
  const idx = json(dir, 'invariants.workspace.json');
  assert.is(ev.manifestDigest, idx.digest);
  assert.is(ev.manifestVersion, idx.workspaceVersion);
  assert.equal(ev.packages, {
    '@ws/crypto': { manifestVersion: 1, manifestDigest: idx.packages['@ws/crypto'].digest },
    '@ws/server': { manifestVersion: 1, manifestDigest: idx.packages['@ws/server'].digest },
  });
  commitAll(dir, 'release 1.0.0');
  r = cli(['registry', 'verify'], { cwd: dir });
  assert.is(r.code, 0, r.stdout + r.stderr);
  git(dir, 'checkout', '-q', 'feature');
  git(dir, 'merge', '-q', 'main');
  edit(
    dir,
    'packages/types/src/index.ts',
    'export type LeResponse = AccountMetadata | NoRecord;',
    "export type Wiretap = { kind: 'WIRETAP'; messages: string[] };\nexport type LeResponse = AccountMetadata | NoRecord | Wiretap;",
  );
  assert.is(cli(['extract', '--workspace', '--write'], { cwd: dir }).code, 0);
  commitAll(dir, 'wiretap');
  r = cli(['check', '--registry-ref', 'main'], { cwd: dir });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /baseline\s+release 1\.0\.0/);
  assert.match(r.stdout, /LE_RESPONSE_ADDED \(weakening\)\s+handle_le_request \[WIRETAP\]/);
  r = cli(['release', '--profile', 'prod', '--version', '1.1.0', '--registry-ref', 'main'], { cwd: dir, env });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAILED at step "check"/);
  assert.is(json(dir, 'release/registry.json').events.length, 1, 'nothing appended');
});

test.run();
