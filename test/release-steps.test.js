// The release gate's step table (src/release/index.ts), and steps called alone on small inputs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { RELEASE_STEPS, STEPS, checkOutcome, failedAt, openspecStep } from '../dist/release/index.js';

const change = {
  rule: 'LE_RESPONSE_ADDED',
  category: 'le',
  effect: 'weakening',
  id: 'handle_le_request',
  subject: 'WIRETAP_CONTENT',
  before: null,
  after: {},
  message: 'LE handler handle_le_request can now return response variant "WIRETAP_CONTENT"',
  locations: [],
  fingerprint: 'b55a16455c98ea02',
};

/** The parts of a CheckResult the check step reads. */
const checkResult = (o = {}) =>
  /** @type {import('../dist/check/index.js').CheckResult} */ ({
    ok: true,
    manifest: { path: 'invariants.manifest.json', fresh: true, entries: [] },
    justified: [],
    unjustified: [],
    warnings: [],
    ...o,
  });

const ctxFor = () => ({ opts: { dir: '.', profile: 'prod' } });

test('the step table: order, pause points, journal effects and log lines', () => {
  assert.equal(
    RELEASE_STEPS.map((s) => s.step),
    ['openspec', 'check', 'verify-build', 'package', 'publish', 'registry'],
  );
  assert.equal(
    RELEASE_STEPS.map((s) => s.step),
    [...STEPS],
  );
  // the crash tests (test/e2e/release.test.js) stop the run after each of these
  assert.equal(RELEASE_STEPS.map((s) => s.pausePoint).filter(Boolean), [
    'openspec',
    'check',
    'verify-build',
    'package',
    'publish',
  ]);
  // publish names the release in the journal before the rename; the registry append (the commit point) clears it
  assert.equal(
    RELEASE_STEPS.map((s) => [s.step, s.journal]),
    [
      ['openspec', 'none'],
      ['check', 'none'],
      ['verify-build', 'none'],
      ['package', 'none'],
      ['publish', 'written'],
      ['registry', 'removed'],
    ],
  );
  assert.equal(
    RELEASE_STEPS.map((s) => s.log(ctxFor())),
    ['openspec validate --all --strict', 'check', 'verify-build --profile prod', null, null, null],
  );
});

test('a failed step skips every later one', () => {
  /** @type {Pick<import('../dist/release/index.js').ReleaseResult, 'steps' | 'failedStep'>} */
  const result = { steps: [{ step: 'openspec', status: 'passed', summary: '', details: [] }], failedStep: null };
  result.steps.push({ step: 'check', status: 'failed', summary: 'x', details: [] });
  failedAt(result, 'check');
  assert.is(result.failedStep, 'check');
  assert.equal(
    result.steps.map((s) => [s.step, s.status, s.summary]),
    [
      ['openspec', 'passed', ''],
      ['check', 'failed', 'x'],
      ['verify-build', 'skipped', 'not run: check failed'],
      ['package', 'skipped', 'not run: check failed'],
      ['publish', 'skipped', 'not run: check failed'],
      ['registry', 'skipped', 'not run: check failed'],
    ],
  );
});

const release = { bootstrap: false, previous: '1.0.0', registryRel: 'release/registry.json', manifestVersion: 3 };

test('check step: a passing check names the release it compared with', () => {
  const r = checkOutcome(checkResult({ justified: [{ change, changeSet: 'add-x' }], warnings: ['w'] }), release);
  assert.equal(r, {
    status: 'passed',
    summary: 'no unjustified change since release 1.0.0 (1 justified)',
    details: ['w'],
  });
  assert.is(
    checkOutcome(checkResult(), { ...release, bootstrap: true, previous: null }).summary,
    'BOOTSTRAP: no active release in release/registry.json; this release records the baseline (manifest v3) without a drift check',
  );
});

test('check step: an unjustified change and a stale manifest fail it, each with what to do', () => {
  const r = checkOutcome(
    checkResult({
      ok: false,
      manifest: { path: 'invariants.manifest.json', fresh: false, entries: ['(missing)'] },
      unjustified: [
        { change, declaration: {}, blockedBy: [] },
        { change: { ...change, subject: '' }, declaration: {}, blockedBy: ['change set add-x is not approved'] },
      ],
    }),
    release,
  );
  assert.is(r.status, 'failed');
  assert.is(r.summary, 'drift check failed: 2 unjustified change(s), stale manifest');
  assert.equal(r.details, [
    'stale manifest invariants.manifest.json: run `policydrift extract --write` and commit',
    'LE_RESPONSE_ADDED (weakening) handle_le_request [WIRETAP_CONTENT]: LE handler handle_le_request can now return response variant "WIRETAP_CONTENT" — no OpenSpec change set declares it',
    'LE_RESPONSE_ADDED (weakening) handle_le_request: LE handler handle_le_request can now return response variant "WIRETAP_CONTENT" — change set add-x is not approved',
  ]);
});

test('openspec step: a candidate without openspec/ fails with the command that creates it', async () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'policydrift-release-steps-'));
  try {
    const git = (...args) =>
      execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        encoding: 'utf8',
      }).trim();
    git('init', '-q');
    fs.writeFileSync(path.join(repo, 'README.md'), 'x\n');
    git('add', '.');
    git('commit', '-qm', 'init');
    const commit = git('rev-parse', 'HEAD');
    const r = await openspecStep({ repo, commit, sub: '', candidateRev: 'HEAD' });
    assert.equal(r, {
      status: 'failed',
      summary: 'no openspec/ folder at HEAD',
      details: ['initialise it with `npx openspec init --tools none --no-animation .` and commit it'],
    });
  } finally {
    fs.rmSync(repo, { recursive: true, force: true });
  }
});

test.run();
