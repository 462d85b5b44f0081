import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, tmpdir, copyTree, SAMPLE } from './helpers.js';
import { parseConfigText } from '../dist/config/index.js';

const POLICYDRIFT_FILES = [
  'invariants.manifest.json',
  'policydrift.config.json',
  'release',
  'openspec',
  '.policydrift',
];

/** A temp copy of the sample service with every policydrift file removed. */
function freshProject() {
  const dir = tmpdir('policydrift-init-');
  copyTree(SAMPLE, dir);
  for (const f of POLICYDRIFT_FILES) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  return dir;
}

/** bytes + mtime of every file under dir (no node_modules). */
function snapshot(dir) {
  const out = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = { bytes: fs.readFileSync(p).toString('base64'), mtime: fs.statSync(p).mtimeMs };
    }
  };
  walk(dir);
  return out;
}

test('init creates the config, the first manifest and an empty registry, and prints next steps', () => {
  const dir = freshProject();
  const r = cli(['init', '--root', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /created\s+policydrift\.config\.json/);
  assert.match(
    r.stdout,
    /created\s+invariants\.manifest\.json\s+\(version 1: 5 invariants, 1 LE handler, 3 log schemas, 2 key guards, 2 gated sites\)/,
  );
  assert.match(r.stdout, /created\s+release\/registry\.json/);
  assert.match(r.stdout, /no hook manager/);
  assert.match(r.stdout, /npx --no-install policydrift extract --write --staged/);
  assert.match(r.stdout, /templates\/github\/policydrift\.yml/);
  assert.match(r.stdout, /templates\/gitlab-ci\.yml/);
  assert.match(r.stdout, /run `npx openspec init --tools none --no-animation \.` to create openspec\//);
  assert.match(
    r.stdout,
    /Release signing: every registry event is signed\. .*list it in \.policydrift\/release_signers \(its header shows how\) as `release@ci <key type> <public key>`/,
  );
  // the release signers file init pointed "releaseSigners" at: created, no signer yet, the recipe in its header
  assert.match(r.stdout, /created\s+\.policydrift\/release_signers\s+\(no signer yet/);
  const signers = fs.readFileSync(path.join(dir, '.policydrift/release_signers'), 'utf8');
  assert.ok(
    signers.split('\n').every((l) => l === '' || l.startsWith('#')),
    'comments only: no key is trusted until the user lists one',
  );
  assert.match(signers, /ssh-keygen -t ed25519/);
  assert.match(signers, /echo "release@ci \$\(cut -d' ' -f1,2 release_key\.pub\)" >> \.policydrift\/release_signers/);
  assert.match(
    r.stdout,
    /Your first release \(the baseline `check` compares with\): `npx --no-install policydrift release --profile prod --signing-key <key>` \(profile "prod" in policydrift\.config\.json: npx --no-install tsc -p tsconfig\.json -> dist;/,
  );

  // the config: valid, commented, schema reference for editors, tests excluded
  const cfgText = fs.readFileSync(path.join(dir, 'policydrift.config.json'), 'utf8');
  const raw = JSON.parse(cfgText);
  assert.is(raw.$schema, './node_modules/policydrift/config.schema.json');
  assert.match(raw.$comment, /CONFIG_CHANGED/);
  assert.match(raw.$comment, /docs\/config\.md/);
  assert.ok(raw.$comment.length < 300, `a short comment, not ${raw.$comment.length} characters on one line`);
  assert.ok(
    cfgText.split('\n').every((l) => l.length < 300),
    'no very long line',
  );
  assert.is(raw.releaseSigners, '.policydrift/release_signers');
  assert.equal(
    raw.profiles,
    { prod: { build: ['npx', '--no-install', 'tsc', '-p', 'tsconfig.json'], outDir: 'dist' } },
    'a starter profile from the tsconfig outDir',
  );
  assert.equal(raw.exclude, ['**/*.test.ts']);
  const cfg = parseConfigText(cfgText, 'policydrift.config.json');
  assert.is(cfg.manifest, 'invariants.manifest.json');
  assert.is(cfg.registry, 'release/registry.json');

  // the registry: canonical JSON of the empty registry
  assert.is(
    fs.readFileSync(path.join(dir, 'release/registry.json'), 'utf8'),
    '{\n  "events": [],\n  "schemaVersion": 1\n}\n',
  );

  // the manifest is exactly what `extract --write` gives: --check passes
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'invariants.manifest.json'), 'utf8'));
  assert.is(m.manifestVersion, 1);
  assert.equal(Object.keys(m.invariants.le.handlers), ['handle_le_request']);
  const c = cli(['extract', '--root', dir, '--check']);
  assert.is(c.code, 0, c.stderr);
  assert.match(c.stderr, /up to date \(version 1\)/);
});

test('a second init changes nothing (bytes and mtimes) and says so', () => {
  const dir = freshProject();
  assert.is(cli(['init', '--root', dir]).code, 0);
  const before = snapshot(dir);
  const r = cli(['init'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Nothing changed: policydrift is already set up here/);
  assert.match(r.stdout, /unchanged\s+policydrift\.config\.json/);
  assert.match(r.stdout, /unchanged\s+invariants\.manifest\.json/);
  assert.match(r.stdout, /unchanged\s+release\/registry\.json/);
  assert.match(r.stdout, /unchanged\s+\.policydrift\/release_signers/);
  assert.not.match(r.stdout, /created|replaced|updated/);
  assert.equal(snapshot(dir), before);
});

test('release signers the user listed are never rewritten, not even with --force', () => {
  const dir = freshProject();
  assert.is(cli(['init', '--root', dir]).code, 0);
  const file = path.join(dir, '.policydrift/release_signers');
  const listed = 'release@ci ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0vmlqRA3UTZCkwMs7S8b4pT1Oe6h0sJ5dfV6Ds3mMs\n';
  fs.writeFileSync(file, listed);
  const r = cli(['init', '--root', dir, '--force']);
  assert.is(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /kept\s+\.policydrift\/release_signers\s+\(existing release signers; init never rewrites them/,
  );
  assert.not.match(r.stdout, /Kept \.policydrift\/release_signers/, 'not offered for regeneration');
  assert.is(fs.readFileSync(file, 'utf8'), listed);
});

test('an existing config is kept without --force and replaced with --force', () => {
  const dir = freshProject();
  const mine =
    '{\n  "exclude": ["src/**/*.test.ts"],\n  "orders": { "guardArgs": { "requireQuorum.threshold": "higher-is-stronger" } }\n}\n';
  fs.writeFileSync(path.join(dir, 'policydrift.config.json'), mine);
  let r = cli(['init', '--root', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /kept\s+policydrift\.config\.json\s+\(your config; --force replaces it/);
  assert.match(r.stdout, /created\s+invariants\.manifest\.json/);
  assert.is(fs.readFileSync(path.join(dir, 'policydrift.config.json'), 'utf8'), mine);
  // the manifest was made with the kept config
  assert.is(cli(['extract', '--root', dir, '--check']).code, 0);

  // a stale manifest is kept too
  fs.appendFileSync(
    path.join(dir, 'src/index.ts'),
    '\n/** @invariant init.new A new promise. */\nexport const z = 1;\n',
  );
  const manifestBefore = fs.readFileSync(path.join(dir, 'invariants.manifest.json'), 'utf8');
  r = cli(['init', '--root', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /kept\s+invariants\.manifest\.json\s+\(stale/);
  assert.is(fs.readFileSync(path.join(dir, 'invariants.manifest.json'), 'utf8'), manifestBefore);

  // a registry with history is never rewritten, even with --force
  const registry = path.join(dir, 'release/registry.json');
  fs.writeFileSync(registry, '{"schemaVersion":1,"events":[]}');
  r = cli(['init', '--root', dir, '--force']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /replaced\s+policydrift\.config\.json/);
  assert.match(r.stdout, /updated\s+invariants\.manifest\.json\s+\(version 2/);
  assert.match(r.stdout, /kept\s+release\/registry\.json/);
  assert.is(fs.readFileSync(registry, 'utf8'), '{"schemaVersion":1,"events":[]}');
  assert.is(
    JSON.parse(fs.readFileSync(path.join(dir, 'policydrift.config.json'), 'utf8')).$schema,
    './node_modules/policydrift/config.schema.json',
  );
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'invariants.manifest.json'), 'utf8'));
  assert.ok(m.invariants.privacy.invariants['init.new']);
});

test('detects hook managers, the package manager and openspec/ and tailors the next steps', () => {
  const dir = freshProject();
  fs.mkdirSync(path.join(dir, '.husky'));
  fs.writeFileSync(path.join(dir, 'lefthook.yml'), 'pre-commit: {}\n');
  fs.writeFileSync(path.join(dir, 'pnpm-lock.yaml'), 'lockfileVersion: 9\n');
  fs.mkdirSync(path.join(dir, 'openspec'));
  const r = cli(['init', '--root', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /pnpm \(pnpm-lock\.yaml\)/);
  assert.match(r.stdout, /hooks: husky, lefthook/);
  assert.match(
    r.stdout,
    /Pre-commit hook \(husky, \.husky\/\): add the line `pnpm exec policydrift extract --write --staged` to \.husky\/pre-commit/,
  );
  assert.match(
    r.stdout,
    /Pre-commit hook \(lefthook, lefthook\.yml\): merge .*templates\/hooks\/lefthook\.yml into lefthook\.yml/,
  );
  assert.not.match(r.stdout, /no hook manager found/);
  assert.not.match(r.stdout, /openspec init/);
});

test('no tsconfig: exit 2 with a hint, nothing written', () => {
  const dir = tmpdir('policydrift-init-');
  fs.writeFileSync(path.join(dir, 'index.ts'), 'export const a = 1;\n');
  let r = cli(['init', '--root', dir]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^policydrift: error: no tsconfig\.json in /);
  assert.match(r.stderr, /hint:/);
  assert.equal(fs.readdirSync(dir), ['index.ts']);
  // another tsconfig is named in the hint
  fs.writeFileSync(path.join(dir, 'tsconfig.build.json'), '{}');
  r = cli(['init', '--root', dir]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /found tsconfig\.build\.json/);
});

test.run();
