// Workspace discovery (npm/yarn workspaces, pnpm-workspace.yaml, tsconfig references, root "packages"),
// the workspace index, and types of another workspace package resolved through tsconfig "paths".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, cli, copyTree, tmpdir } from './helpers.js';

const { discoverWorkspace, fsReader, treeReader, buildIndex, parseIndexText } = await import(
  path.join(REPO, 'dist/workspace/index.js')
);
const { canonicalJson } = await import(path.join(REPO, 'dist/manifest/index.js'));

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

test.run();
