// Workspace discovery (npm/yarn workspaces, pnpm-workspace.yaml, tsconfig references, root "packages"),
// the workspace index, and types of another workspace package resolved through tsconfig "paths".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, cli, copyTree, git, tmpdir } from './helpers.js';

const { discoverWorkspace, fsReader, treeReader, buildIndex, parseIndexText } = await import(
  path.join(REPO, 'dist/workspace/index.js')
);
const { canonicalJson } = await import(path.join(REPO, 'dist/manifest/index.js'));
const { extractManifest } = await import(path.join(REPO, 'dist/extract/index.js'));
const { defaultConfig, loadConfig } = await import(path.join(REPO, 'dist/config/index.js'));
const { diffManifests } = await import(path.join(REPO, 'dist/diff/index.js'));

function tree(files) {
  const dir = tmpdir('policydrift-wsd-');
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}
const pkg = (name) => JSON.stringify({ name });

test('npm/yarn workspaces (array and { packages }), negation, only packages with a config are covered', () => {
  const files = {
    'package.json': JSON.stringify({ workspaces: ['packages/*', '!packages/legacy'] }),
    'packages/a/package.json': pkg('@x/a'),
    'packages/a/policydrift.config.json': '{}',
    'packages/b/package.json': pkg('@x/b'),
    'packages/legacy/package.json': pkg('@x/legacy'),
    'packages/legacy/policydrift.config.json': '{}',
    'packages/a/node_modules/dep/package.json': pkg('dep'),
    'tools/c/package.json': pkg('c'),
  };
  const ws = discoverWorkspace(fsReader(tree(files)));
  assert.equal(ws.sources, ['package.json workspaces']);
  assert.equal(
    ws.members.map((m) => m.dir),
    ['packages/a', 'packages/b'],
  );
  assert.equal(
    ws.packages.map((p) => [p.name, p.dir]),
    [['@x/a', 'packages/a']],
  );
  assert.is(ws.indexPath, 'invariants.workspace.json');
  // yarn's object form, read from a commit's file list
  const yarn = { ...files, 'package.json': JSON.stringify({ workspaces: { packages: ['packages/*'], nohoist: [] } }) };
  const fromTree = discoverWorkspace(treeReader(Object.keys(yarn), (rel) => yarn[rel] ?? null, 'HEAD'));
  assert.equal(
    fromTree.packages.map((p) => p.dir),
    ['packages/a', 'packages/legacy'],
  );
});

test('pnpm-workspace.yaml, tsconfig references and the root config "packages" (covered without their own config)', () => {
  const dir = tree({
    'pnpm-workspace.yaml': "packages:\n  - 'apps/*'\n",
    'apps/web/package.json': pkg('web'),
    'apps/web/policydrift.config.json': '{}',
    'tsconfig.json':
      '{\n  // solution file\n  "files": [],\n  "references": [{ "path": "./libs/core" }, { "path": "libs/keys/tsconfig.json" }],\n}\n',
    'libs/core/package.json': pkg('core'),
    'libs/core/tsconfig.json': '{}',
    'libs/keys/tsconfig.json': '{}',
    'policydrift.config.json': JSON.stringify({ packages: ['libs/*'], workspaceIndex: 'policy/index.json' }),
  });
  const ws = discoverWorkspace(fsReader(dir));
  assert.equal(ws.sources, ['pnpm-workspace.yaml', 'tsconfig.json references', 'policydrift.config.json packages']);
  assert.equal(
    ws.packages.map((p) => [p.name, p.dir, p.hasConfig]),
    [
      ['core', 'libs/core', false],
      ['web', 'apps/web', true],
    ],
  );
  assert.is(ws.indexPath, 'policy/index.json');
  // a folder listed explicitly that has a tsconfig but no package.json is covered under its folder name
  fs.writeFileSync(path.join(dir, 'policydrift.config.json'), JSON.stringify({ packages: ['libs/keys'] }));
  assert.equal(
    discoverWorkspace(fsReader(dir)).packages.map((p) => p.name),
    ['libs/keys', 'web'],
  );
});

test('not a workspace: null, or a clear error when required; two covered packages with one name', () => {
  const dir = tree({ 'package.json': pkg('single') });
  assert.is(discoverWorkspace(fsReader(dir)), null);
  assert.throws(() => discoverWorkspace(fsReader(dir), { requireWorkspace: true }), /not a workspace root/);
  const dup = tree({
    'package.json': JSON.stringify({ workspaces: ['p/*'] }),
    'p/a/package.json': pkg('same'),
    'p/a/policydrift.config.json': '{}',
    'p/b/package.json': pkg('same'),
    'p/b/policydrift.config.json': '{}',
  });
  assert.throws(() => discoverWorkspace(fsReader(dup)), /two covered packages are named "same": p\/a and p\/b/);
  const bad = tree({ 'package.json': '{ "workspaces": [1] }' });
  assert.throws(() => discoverWorkspace(fsReader(bad)), /"workspaces" must be a list of folder patterns/);
});

test('workspace index: version kept while the digest is equal, bumped when a package digest changes; hand edits rejected', () => {
  const e = (digest) => ({
    dir: 'packages/a',
    manifest: 'packages/a/invariants.manifest.json',
    digest,
    manifestVersion: 1,
    tracked: 2,
  });
  const d1 = `sha256:${'1'.repeat(64)}`;
  const d2 = `sha256:${'2'.repeat(64)}`;
  const v1 = buildIndex({ a: e(d1) }, null);
  assert.is(v1.workspaceVersion, 1);
  assert.is(buildIndex({ a: e(d1) }, v1).workspaceVersion, 1);
  const v2 = buildIndex({ a: e(d2) }, v1);
  assert.is(v2.workspaceVersion, 2);
  assert.is.not(v2.digest, v1.digest);
  const text = canonicalJson(v2);
  assert.equal(parseIndexText(text, 'idx'), v2);
  assert.throws(
    () => parseIndexText(text.replace(d2, d1), 'idx'),
    /idx: workspace index digest does not match its content/,
  );
  assert.throws(
    () => parseIndexText(text.replace('"packages/a"', '"/abs/a"'), 'idx'),
    /idx:\d+:\d+: invalid workspace file/,
  );
});

test('tsconfig "paths" instead of node_modules links: the shared union is expanded, locations name the package', () => {
  const dir = tmpdir('policydrift-paths-');
  copyTree(path.join(REPO, 'fixtures', 'workspace'), dir);
  fs.writeFileSync(
    path.join(dir, 'tsconfig.base.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
        types: [],
        paths: { '@ws/types': ['./packages/types/src/index.ts'], '@ws/crypto': ['./packages/crypto/src/index.ts'] },
      },
    }),
  );
  const r = cli(['extract'], { cwd: path.join(dir, 'packages/server') });
  assert.is(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  const h = m.invariants.le.handlers.handle_le_request;
  assert.is(h.unbounded, false);
  assert.equal(Object.keys(h.variants), ['ACCOUNT_METADATA', 'NO_RECORD']);
  assert.is(m.locations['le:handle_le_request:variant:ACCOUNT_METADATA'], '@ws/types:src/index.ts');
  assert.ok(m.invariants.keygate.sites['recover -> unwrapKey']);
});

test('unlinked workspace packages (no npm install, no paths) fail closed: the handler is unbounded', () => {
  const dir = tmpdir('policydrift-unlinked-');
  copyTree(path.join(REPO, 'fixtures', 'workspace'), dir);
  const r = cli(['extract'], { cwd: path.join(dir, 'packages/server') });
  assert.is(r.code, 0, r.stderr);
  const h = JSON.parse(r.stdout).invariants.le.handlers.handle_le_request;
  assert.is(h.unbounded, true);
});

test('init at a workspace root: lists the members, extracts the covered ones, writes the index and the root registry', () => {
  const dir = tmpdir('policydrift-wsinit-');
  copyTree(path.join(REPO, 'fixtures', 'workspace'), dir);
  fs.mkdirSync(path.join(dir, 'node_modules/@ws'), { recursive: true });
  for (const p of ['types', 'crypto', 'server'])
    fs.symlinkSync(path.join('..', '..', 'packages', p), path.join(dir, 'node_modules/@ws', p));
  const r = cli(['init'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /workspace root \(package\.json workspaces\), 3 member package\(s\), 2 covered/);
  assert.match(r.stdout, /not covered  @ws\/types \(packages\/types\)/);
  assert.match(r.stderr, /@ws\/server: packages\/server\/invariants\.manifest\.json created/);
  assert.equal(Object.keys(JSON.parse(fs.readFileSync(path.join(dir, 'invariants.workspace.json'), 'utf8')).packages), [
    '@ws/crypto',
    '@ws/server',
  ]);
  assert.ok(fs.existsSync(path.join(dir, 'release/registry.json')));
  assert.not.ok(fs.existsSync(path.join(dir, 'packages/server/release')), 'one registry per repository');
  const again = cli(['init'], { cwd: dir });
  assert.is(again.code, 0);
  assert.match(again.stderr, /invariants\.workspace\.json unchanged/);
});

// ---- key gating through a helper in another workspace package (src/extract/callgraph.ts follows calls into
// the sources of linked workspace packages): @x/api's guard protects the sink reached through @x/keys's helper.

const KEYS_SRC = `/**
 * Rejects unless the enclave attests at \`level\`.
 * @keyGuard
 */
export async function assertAttested(level: string): Promise<void> {
  if (level === '') throw new Error('not attested');
}

/**
 * Throws unless the request carries two approvals.
 * @keyGuard
 */
export function requireQuorum(n: number): void {
  if (n < 2) throw new Error('no quorum');
}

/** @keySink */
export async function unwrapKey(id: string): Promise<Uint8Array> {
  return new Uint8Array(id.length);
}

export async function openKey(id: string): Promise<Uint8Array> {
  return unwrapKey(id);
}
`;
const API_SRC = `import { assertAttested, openKey } from '@x/keys';

export async function recover(id: string): Promise<Uint8Array> {
  await assertAttested('TEE_PROD');
  return openKey(id);
}
`;
const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    noEmit: true,
    types: [],
  },
  include: ['src/**/*.ts'],
});

/** A two-package npm workspace, linked as `npm install` links it: @x/keys (not covered) and @x/api (covered). */
function crossWorkspace() {
  const dir = tree({
    'package.json': JSON.stringify({ name: 'x-root', private: true, workspaces: ['packages/*'] }),
    'policydrift.config.json': JSON.stringify({ approvals: { mode: 'listed', approvers: ['alice@example.com'] } }),
    '.gitignore': 'node_modules/\n',
    'packages/keys/package.json': JSON.stringify({
      name: '@x/keys',
      private: true,
      type: 'module',
      exports: { '.': './src/index.ts' },
    }),
    'packages/keys/tsconfig.json': TSCONFIG,
    'packages/keys/src/index.ts': KEYS_SRC,
    'packages/api/package.json': JSON.stringify({
      name: '@x/api',
      private: true,
      type: 'module',
      dependencies: { '@x/keys': '1.0.0' },
    }),
    'packages/api/tsconfig.json': TSCONFIG,
    'packages/api/policydrift.config.json': '{}',
    'packages/api/src/service.ts': API_SRC,
  });
  fs.mkdirSync(path.join(dir, 'node_modules', '@x'), { recursive: true });
  for (const p of ['keys', 'api'])
    fs.symlinkSync(path.join('..', '..', 'packages', p), path.join(dir, 'node_modules', '@x', p));
  return dir;
}

const apiManifest = (dir) => {
  const root = path.join(dir, 'packages', 'api');
  return extractManifest({ root, config: loadConfig(root) });
};
const rewrite = (dir, rel, from, to) => {
  const p = path.join(dir, rel);
  const text = fs.readFileSync(p, 'utf8');
  assert.ok(text.includes(from), `${rel} does not contain ${from}`);
  fs.writeFileSync(p, text.replace(from, to));
};
const nonNeutral = (a, b) =>
  diffManifests(a, b, defaultConfig().orders)
    .changes.filter((c) => c.effect !== 'neutral')
    .map((c) => [c.rule, c.id, c.subject, c.effect]);

test("a helper in another workspace package: the caller's guard is recorded on the path through it", () => {
  const m = apiManifest(crossWorkspace());
  const kg = m.invariants.keygate;
  assert.equal(Object.keys(kg.sites), ['recover -> unwrapKey']);
  assert.equal(
    kg.sites['recover -> unwrapKey'].guards.map((g) => [g.guard, g.args.level, g.awaited]),
    [['assertAttested', 'TEE_PROD', true]],
  );
  assert.is(
    m.locations['keygate:via:recover -> unwrapKey'],
    'recover (src/service.ts) -> openKey (@x/keys:src/index.ts) -> unwrapKey',
  );
  // The other package's functions are helpers here, never entry points of this package.
  assert.not.ok(Object.keys(kg.sites).some((k) => k.startsWith('openKey')));
  assert.equal(Object.keys(kg.guards), ['assertAttested']);
  assert.equal(Object.keys(kg.sinks), ['unwrapKey']);
});

test('moving the helper from the other package into this one is neutral; a guard added in the helper is a strengthening', () => {
  const dir = crossWorkspace();
  const base = apiManifest(dir);
  const moved = crossWorkspace();
  rewrite(
    moved,
    'packages/api/src/service.ts',
    "import { assertAttested, openKey } from '@x/keys';\n",
    "import { assertAttested, unwrapKey } from '@x/keys';\n\nasync function openKey(id: string): Promise<Uint8Array> {\n  return unwrapKey(id);\n}\n",
  );
  const m = apiManifest(moved);
  assert.equal(nonNeutral(base, m), []);
  assert.equal(m.invariants, base.invariants);
  assert.is(
    m.locations['keygate:via:recover -> unwrapKey'],
    'recover (src/service.ts) -> openKey (src/service.ts) -> unwrapKey',
  );

  const guarded = crossWorkspace();
  rewrite(
    guarded,
    'packages/keys/src/index.ts',
    '  return unwrapKey(id);\n}\n',
    '  requireQuorum(2);\n  return unwrapKey(id);\n}\n',
  );
  // The other package's guard is now used by a site here, so its declaration joins this manifest too.
  assert.equal(nonNeutral(base, apiManifest(guarded)), [
    ['KEYGATE_GUARD_ADDED', 'recover -> unwrapKey', 'requireQuorum', 'strengthening'],
    ['KEYGATE_GUARD_DECL_ADDED', 'requireQuorum', '', 'strengthening'],
  ]);
});

test("deleting the guard in front of another package's helper fails check at the workspace root, naming entry point, sink and path", () => {
  const dir = crossWorkspace();
  git(dir, 'init', '-q');
  let r = cli(['extract', '--workspace', '--write'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'workspace');
  git(dir, 'checkout', '-qb', 'feature');
  rewrite(dir, 'packages/api/src/service.ts', "  await assertAttested('TEE_PROD');\n", '');
  r = cli(['extract', '--workspace', '--write'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'drop the guard');
  r = cli(['check', '--against', 'main'], { cwd: dir });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /KEYGATE_GUARD_REMOVED \(weakening\)/);
  assert.match(
    r.stdout,
    'guard assertAttested is no longer on every path from entry point recover to key sink unwrapKey (path: recover (src/service.ts) -> openKey (@x/keys:src/index.ts) -> unwrapKey)',
  );
  assert.match(r.stdout, /@x\/api: /);
});

test('a function of this package that only another package calls stays an entry point of this package', () => {
  const dir = crossWorkspace();
  fs.writeFileSync(
    path.join(dir, 'packages/api/src/internal.ts'),
    "import { unwrapKey } from '@x/keys';\n\nexport async function leak(id: string): Promise<Uint8Array> {\n  return unwrapKey(id);\n}\n",
  );
  fs.writeFileSync(
    path.join(dir, 'packages/keys/src/relay.ts'),
    "import { leak } from '../../api/src/internal.js';\n\nexport async function relay(id: string): Promise<Uint8Array> {\n  return leak(id);\n}\n",
  );
  fs.appendFileSync(path.join(dir, 'packages/keys/src/index.ts'), "export { relay } from './relay.js';\n");
  const m = apiManifest(dir);
  // relay is a helper of the other package (never an entry point here); leak has no caller in this package.
  assert.equal(Object.keys(m.invariants.keygate.sites), ['leak -> unwrapKey', 'recover -> unwrapKey']);
  assert.equal(m.invariants.keygate.sites['leak -> unwrapKey'].guards, []);
});

test.run();
