import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { enableTtyProgress, progress } from '../dist/util/progress.js';

const fakeStream = (isTTY) => {
  const out = [];
  return { isTTY, write: (s) => out.push(s), out };
};

test('progress is one rewritten line on a TTY, cleared at the end', () => {
  const s = fakeStream(true);
  const stop = enableTtyProgress(s, {});
  progress('12 files parsed; LE handlers');
  progress('');
  progress('key gating');
  stop();
  assert.equal(s.out, ['\r\x1b[2Kpolicydrift: 12 files parsed; LE handlers', '\r\x1b[2K', '\r\x1b[2Kpolicydrift: key gating', '\r\x1b[2K']);
  progress('after stop');
  assert.is(s.out.length, 4);
});

test('no progress in pipes or CI logs', () => {
  const pipe = fakeStream(false);
  enableTtyProgress(pipe, {})();
  const ci = fakeStream(true);
  const stop = enableTtyProgress(ci, { CI: 'true' });
  progress('stage');
  stop();
  assert.equal(pipe.out, []);
  assert.equal(ci.out, []);
});

test.run();
