import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { enableProgress, progress } from '../dist/util/progress.js';
import { cli, tmpdir, copyTree, SAMPLE } from './helpers.js';

const fakeStream = (isTTY) => {
  const out = [];
  return { isTTY, write: (s) => out.push(s), out };
};
/** A clock the test moves by hand. */
const clock = () => {
  let t = 1000;
  const now = () => t;
  now.advance = (ms) => (t += ms);
  return now;
};

test('on a TTY: one rewritten line, with the elapsed time once past the threshold, cleared at the end', () => {
  const s = fakeStream(true);
  const now = clock();
  const stop = enableProgress(s, {}, { now });
  progress('12 files parsed; LE handlers');
  progress('');
  now.advance(4200);
  progress('key gating');
  stop();
  assert.equal(s.out, [
    '\r\x1b[2Kpolicydrift: 12 files parsed; LE handlers',
    '\r\x1b[2K',
    '\r\x1b[2Kpolicydrift: [4.2 s] key gating',
    '\r\x1b[2K',
  ]);
  progress('after stop');
  assert.is(s.out.length, 4);
});

test('off a TTY (hooks, CI logs, pipes): silent while quick, then one line per stage with the elapsed time', () => {
  for (const [s, env] of /** @type {Array<[ReturnType<typeof fakeStream>, NodeJS.ProcessEnv]>} */ ([
    [fakeStream(false), {}],
    [fakeStream(true), { CI: 'true' }],
  ])) {
    const now = clock();
    const stop = enableProgress(s, env, { now });
    progress('loading the TypeScript program');
    now.advance(2000);
    progress('10 files parsed; LE handlers');
    assert.equal(s.out, [], 'nothing in the first seconds');
    now.advance(1500);
    progress('10 files parsed; key gating');
    progress('');
    now.advance(40_000);
    progress('change sets');
    stop();
    assert.equal(s.out, [
      'policydrift: [3.5 s] 10 files parsed; key gating\n',
      'policydrift: [43.5 s] change sets\n',
      'policydrift: [43.5 s] done\n',
    ]);
  }
});

test('--quiet, POLICYDRIFT_NO_PROGRESS and a quick run off a TTY print nothing', () => {
  const quick = fakeStream(false);
  const stop = enableProgress(quick, {}, { now: clock() });
  progress('stage');
  stop();
  const q = fakeStream(true);
  enableProgress(q, {}, { quiet: true });
  progress('stage');
  const off = fakeStream(true);
  enableProgress(off, { POLICYDRIFT_NO_PROGRESS: '1' });
  progress('stage');
  assert.equal([quick.out, q.out, off.out], [[], [], []]);
});

test('CLI: progress lines on stderr off a TTY (threshold 0 here); --quiet leaves only errors', () => {
  const dir = tmpdir();
  copyTree(SAMPLE, dir);
  let r = cli(['extract', '--check'], {
    cwd: dir,
    env: { POLICYDRIFT_PROGRESS_AFTER: '0', POLICYDRIFT_NO_PROGRESS: '' },
  });
  assert.is(r.code, 0, r.stderr);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.match(lines[0], /^policydrift: \[\d+\.\d s\] loading the TypeScript program$/);
  assert.ok(
    lines.some((l) => /^policydrift: \[\d+\.\d s\] \d+ files parsed; key gating$/.test(l)),
    r.stderr,
  );
  assert.match(lines.at(-2) ?? '', /^policydrift: invariants\.manifest\.json is up to date \(version \d+\)$/);
  assert.match(lines.at(-1), /^policydrift: \[\d+\.\d s\] done$/);

  r = cli(['extract', '--check', '--quiet'], {
    cwd: dir,
    env: { POLICYDRIFT_PROGRESS_AFTER: '0', POLICYDRIFT_NO_PROGRESS: '' },
  });
  assert.is(r.code, 0);
  assert.is(r.stderr, '', 'quiet: no progress, no "up to date" note');
  // a failure is still reported
  fs.appendFileSync(
    path.join(dir, 'src/index.ts'),
    '\n/** @invariant quiet.new A new promise. */\nexport const q = 1;\n',
  );
  r = cli(['extract', '-q', '--check'], { cwd: dir, env: { POLICYDRIFT_NO_PROGRESS: '' } });
  assert.is(r.code, 1);
  assert.match(
    r.stderr,
    /^policydrift: invariants\.manifest\.json is stale; entries that differ:\n {2}- location:privacy:quiet\.new\n {2}- privacy:quiet\.new\n/,
  );
});

test.run();
