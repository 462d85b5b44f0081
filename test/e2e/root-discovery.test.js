// Without --root, policydrift finds the project as tsc and eslint do: the nearest folder upward holding
// policydrift.config.json, never above the repository top; --root still means exactly that folder.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, git, tmpdir, copyTree, SAMPLE } from '../helpers.js';

test('from a subfolder: extract and check find the project root upward', () => {
  const dir = tmpdir('policydrift-root-');
  copyTree(SAMPLE, dir);
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'service');
  const sub = path.join(dir, 'src', 'le');
  let r = cli(['extract', '--check'], { cwd: sub });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, 'policydrift: ../../invariants.manifest.json is up to date (version 3)\n');
  r = cli(['check', '--against', 'HEAD'], { cwd: sub });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^policydrift check: PASS/);
  r = cli(['check', '--against', 'HEAD', '--format', 'github', '--quiet'], { cwd: sub });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'policydrift check: PASS — no behaviour change to justify\n');
  assert.is(r.stderr, '');
  // an explicit --root is taken as given
  r = cli(['extract', '--root', '.'], { cwd: sub });
  assert.is(r.code, 2);
  assert.match(r.stderr, /no tsconfig\.json found/);
});

test('the search stops at the repository top: a config above it is not used', () => {
  const outer = tmpdir('policydrift-outer-');
  fs.writeFileSync(path.join(outer, 'policydrift.config.json'), '{ not json');
  const repo = path.join(outer, 'repo');
  fs.mkdirSync(path.join(repo, 'src'), { recursive: true });
  fs.writeFileSync(path.join(repo, 'tsconfig.json'), '{"include": ["src/**/*.ts"]}');
  fs.writeFileSync(path.join(repo, 'src/a.ts'), '/** @invariant a.b stays */\nexport const a = 1;\n');
  git(repo, 'init', '-q');
  const r = cli(['extract'], { cwd: repo });
  assert.is(r.code, 0, r.stderr);
  assert.equal(Object.keys(JSON.parse(r.stdout).invariants.privacy.invariants), ['a.b']);
  // outside any repository the search goes up to the filesystem root and finds the broken config
  fs.rmSync(path.join(repo, '.git'), { recursive: true });
  const r2 = cli(['extract'], { cwd: path.join(repo, 'src') });
  assert.is(r2.code, 2);
  assert.match(r2.stderr, /policydrift\.config\.json:1:3: malformed JSON/);
});

test.run();
