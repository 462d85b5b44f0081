// The test helpers themselves: a slow subprocess fails its test with "timed out", and a lazily built fixture
// that fails does so inside each test that needs it (with the same error), never at module load.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, lazy, spawnTimed } from './helpers.js';

test('spawnTimed throws "timed out" (with the command) when the child runs out of time', () => {
  const t0 = Date.now();
  assert.throws(
    () => spawnTimed(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { timeout: 300 }),
    (e) => /node -e setTimeout\(\(\) => \{\}, 20000\) timed out after 0 s/.test(e.message),
  );
  assert.ok(Date.now() - t0 < 10_000, 'the child was stopped at the limit');
  assert.throws(() => cli(['--version'], { timeout: 1 }), /policydrift\.js --version timed out/);
});

test('spawnTimed returns the result of a child that finishes, and names a command that cannot start', () => {
  const r = spawnTimed(process.execPath, ['-e', 'process.stderr.write("x"); process.exit(3)']);
  assert.is(r.status, 3);
  assert.is(r.stderr, 'x');
  assert.throws(
    () => spawnTimed('policydrift-no-such-command', []),
    /policydrift-no-such-command could not run: .*ENOENT/,
  );
});

test('lazy builds once, on first use, and rethrows a build failure to every caller', () => {
  let builds = 0;
  const ok = lazy(() => ++builds);
  assert.is(builds, 0, 'nothing is built at definition');
  assert.is(ok(), 1);
  assert.is(ok(), 1);
  const bad = lazy(() => {
    builds++;
    throw new Error('fixture broke');
  });
  assert.throws(() => bad(), /fixture broke/);
  assert.throws(() => bad(), /fixture broke/);
  assert.is(builds, 2, 'a failed build is not retried');
});

test.run();
