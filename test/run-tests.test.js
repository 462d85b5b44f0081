// scripts/run-tests.js (what `npm test` runs): one uvu process per file, one set of totals, and a file that
// dies before printing its totals counts as a failure instead of vanishing from the count.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, spawnTimed, tmpdir } from './helpers.js';

const UVU = JSON.stringify(path.join(REPO, 'node_modules', 'uvu', 'dist', 'index.mjs'));
const ASSERT = JSON.stringify(path.join(REPO, 'node_modules', 'uvu', 'assert', 'index.mjs'));
const suite = (/** @type {string} */ body) =>
  `import { test } from ${UVU};\nimport * as assert from ${ASSERT};\n${body}\ntest.run();\n`;

function run(/** @type {Record<string, string>} */ files, /** @type {string[]} */ extra = []) {
  const dir = path.join(tmpdir('policydrift-runner-'), 'test');
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  const r = spawnTimed(process.execPath, [path.join(REPO, 'scripts', 'run-tests.js'), '--dir', dir, ...extra], {
    env: { ...process.env, TEST_JOBS: '2', NO_COLOR: '1' },
  });
  const out = r.stdout.replace(/\x1b\[[0-9;]*m/g, '');
  const totals = (/** @type {string} */ label) => [...out.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'gm'))];
  return { code: r.status, out, totals };
}

test('sums every file into one set of totals and exits 0 when all pass', () => {
  const r = run({
    'a.test.js': suite("test('one', () => assert.is(1, 1));\ntest('two', () => assert.is(2, 2));"),
    'e2e/b.test.js': suite("test('three', () => assert.ok(true));"),
    'helper.js': 'throw new Error("not a test file");',
  });
  assert.is(r.code, 0, r.out);
  assert.is(r.totals('Total').length, 1, 'one totals block, not one per file');
  assert.is(r.totals('Total')[0]?.[1], '3');
  assert.is(r.totals('Passed')[0]?.[1], '3');
  assert.match(r.out, /-- a\.test\.js: 2 passed, 0 failed/);
  assert.match(r.out, /-- e2e\/b\.test\.js: 1 passed, 0 failed/);
});

test('a failing test and a file that throws at load both count as failures, and the other files still run', () => {
  const r = run({
    'fails.test.js': suite("test('bad', () => assert.is(1, 2));\ntest('good', () => assert.ok(true));"),
    'crash.test.js': 'throw new Error("boom at module load");\n',
    'ok.test.js': suite("test('fine', () => assert.ok(true));"),
  });
  assert.is(r.code, 1, r.out);
  assert.is(r.totals('Total')[0]?.[1], '4', r.out);
  assert.is(r.totals('Passed')[0]?.[1], '2', r.out);
  assert.match(r.out, /-- crash\.test\.js: 0 passed, 1 failed/);
  assert.match(r.out, /boom at module load/);
  assert.match(r.out, /Failed files: crash\.test\.js, fails\.test\.js/);
});

test('a pattern selects files; no match is a usage error', () => {
  const files = { 'a.test.js': suite("test('a', () => {});"), 'b.test.js': suite("test('b', () => {});") };
  const r = run(files, ['^b\\.test\\.js$']);
  assert.is(r.code, 0, r.out);
  assert.is(r.totals('Total')[0]?.[1], '1');
  assert.is(run(files, ['nothing-matches']).code, 2);
});

test.run();
