import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, tmpdir, copyTree, SAMPLE, BIN, REPO } from '../helpers.js';

test('extract prints a valid manifest of the sample service', () => {
  const r = cli(['extract', '--root', 'fixtures/sample-service']);
  assert.is(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  assert.is(m.schemaVersion, 2);
  assert.match(m.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(Object.keys(m.invariants.privacy.invariants).sort(), [
    'keys.attested-before-unwrap',
    'keys.quorum-before-escrow',
    'le.content.never',
    'le.response.closed',
    'log.no-plaintext-identifiers',
  ]);
  assert.ok(r.stdout.endsWith('}\n'));
});

test('the committed golden manifest of the sample service is up to date', () => {
  const r = cli(['extract', '--root', 'fixtures/sample-service', '--check']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /up to date/);
});

test('byte-identical output from two working directories, no absolute paths', () => {
  const a = cli(['extract', '--root', 'fixtures/sample-service']);
  const b = cli(['extract', '--root', SAMPLE], { cwd: '/' });
  const c = cli(['extract'], { cwd: SAMPLE });
  assert.is(a.code, 0);
  assert.is(a.stdout, b.stdout);
  assert.is(a.stdout, c.stdout);
  assert.not.match(a.stdout, /"\/(home|root|tmp|work|usr|Users)\//);
  assert.not.match(a.stdout, REPO);
});

test('a copy in another directory gives the same bytes', () => {
  const dir = tmpdir();
  copyTree(SAMPLE, dir);
  const a = cli(['extract', '--root', SAMPLE]);
  const b = cli(['extract', '--root', dir]);
  assert.is(b.code, 0, b.stderr);
  assert.is(a.stdout, b.stdout);
});

test('--write creates, keeps and bumps the version; --check reports stale entries', () => {
  const dir = tmpdir();
  copyTree(SAMPLE, dir);
  fs.rmSync(path.join(dir, 'invariants.manifest.json'), { force: true });
  let r = cli(['extract', '--root', dir, '--check']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /does not exist/);
  r = cli(['extract', '--root', dir, '--write']);
  assert.is(r.code, 0, r.stderr);
  const first = JSON.parse(fs.readFileSync(path.join(dir, 'invariants.manifest.json'), 'utf8'));
  assert.is(first.manifestVersion, 1);
  r = cli(['extract', '--root', dir, '--write']);
  assert.match(r.stderr, /unchanged \(version 1\)/);
  // a semantic change: a new invariant
  fs.appendFileSync(
    path.join(dir, 'src/index.ts'),
    '\n/** @invariant new.one A new promise. */\nexport const x = 1;\n',
  );
  r = cli(['extract', '--root', dir, '--check']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /stale/);
  assert.match(r.stderr, /privacy:new\.one/);
  assert.match(r.stderr, /extract --write/);
  r = cli(['extract', '--root', dir, '--write']);
  assert.is(r.code, 0);
  const second = JSON.parse(fs.readFileSync(path.join(dir, 'invariants.manifest.json'), 'utf8'));
  assert.is(second.manifestVersion, 2);
  assert.is.not(second.digest, first.digest);
  // a comment-only change keeps the content and the version
  fs.appendFileSync(path.join(dir, 'src/index.ts'), '\n// just a comment\n');
  r = cli(['extract', '--root', dir, '--check']);
  assert.is(r.code, 0, r.stderr);
});

test('--out writes the manifest atomically to a file', () => {
  const dir = tmpdir();
  const out = path.join(dir, 'm.json');
  const r = cli(['extract', '--root', SAMPLE, '--out', out]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '');
  assert.is(fs.readFileSync(out, 'utf8'), cli(['extract', '--root', SAMPLE]).stdout);
  assert.equal(fs.readdirSync(dir), ['m.json']);
});

test('a malformed config gives exit 2 and a one-line error with file and position', () => {
  const dir = tmpdir();
  copyTree(SAMPLE, dir);
  fs.writeFileSync(path.join(dir, 'policydrift.config.json'), '{\n  "exclude": ["a",]\n}\n');
  const r = cli(['extract'], { cwd: dir });
  assert.is(r.code, 2);
  const first = r.stderr.split('\n')[0];
  assert.match(first, /^policydrift: error: policydrift\.config\.json:2:\d+: malformed JSON/);
  assert.not.match(r.stderr, /at .*\.js:\d+/); // no stack trace
});

test('a config that breaks the schema names the JSON path and line', () => {
  const dir = tmpdir();
  copyTree(SAMPLE, dir);
  fs.writeFileSync(
    path.join(dir, 'policydrift.config.json'),
    '{\n  "orders": {\n    "redaction": ["none", 3]\n  }\n}\n',
  );
  const r = cli(['extract'], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stderr, /policydrift\.config\.json:3:\d+: invalid config file: \/orders\/redaction\/1 must be string/);
  fs.writeFileSync(path.join(dir, 'policydrift.config.json'), '{ "exlude": [] }');
  const r2 = cli(['extract'], { cwd: dir });
  assert.is(r2.code, 2);
  assert.match(r2.stderr, /unknown property "exlude"/);
});

test('usage errors exit 2; --help and --version exit 0', () => {
  assert.is(cli(['extract', '--nope']).code, 2);
  assert.is(cli(['frobnicate']).code, 2);
  assert.is(cli(['extract', '--root', 'does/not/exist']).code, 2);
  const h = cli(['--help']);
  assert.is(h.code, 0);
  assert.match(h.stdout, /extract/);
  const v = cli(['--version']);
  assert.is(v.code, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
  const eh = cli(['extract', '--help']);
  assert.is(eh.code, 0);
  assert.match(eh.stdout, /--write/);
});

test('a directory without tsconfig is a clear input error', () => {
  const dir = tmpdir();
  const r = cli(['extract', '--root', dir]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /no tsconfig\.json found/);
  assert.match(r.stderr, /hint:/);
});

test('duplicate invariant ids are an error naming both places', () => {
  const dir = tmpdir();
  copyTree(SAMPLE, dir);
  fs.appendFileSync(
    path.join(dir, 'src/index.ts'),
    '\n/** @invariant le.response.closed Again. */\nexport const y = 2;\n',
  );
  const r = cli(['extract', '--root', dir]);
  assert.is(r.code, 2);
  // files are visited in sorted order: src/index.ts comes first
  assert.match(
    r.stderr,
    /src\/le\/types\.ts:\d+:\d+: duplicate invariant id "le\.response\.closed" \(first declared at src\/index\.ts:\d+:\d+\)/,
  );
});

test('an unknown @classification value gives exit 2 and a one-line error with file and position', () => {
  const dir = tmpdir();
  copyTree(SAMPLE, dir);
  const p = path.join(dir, 'src/logging/schemas.ts');
  fs.writeFileSync(
    p,
    fs.readFileSync(p, 'utf8').replace('/** @classification public */', '/** @classification topsecret */'),
  );
  const r = cli(['extract', '--root', dir]);
  assert.is(r.code, 2);
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(
    lines[0],
    /^policydrift: error: src\/logging\/schemas\.ts:\d+:\d+: .*unknown @classification "topsecret"/,
  );
  assert.match(lines[1] ?? '', /hint: .*public.*secret/);
  assert.is(r.stdout, '');
});

void BIN;
test.run();
