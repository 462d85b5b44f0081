// Two release processes in one checkout (issue 16): the second must not recover (delete) what the first, still
// running, owns; it fails with exit 2 naming the lock and its owner. A dry run next to it takes no lock and
// touches nothing. The first then records a release whose artifact is on disk.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { cli, git, tmpdir, copyTree, SAMPLE, REPO, BIN } from '../helpers.js';

const ENV = { NO_COLOR: '1', OPENSPEC_TELEMETRY: '0', OPENSPEC_NO_UPDATE_CHECK: '1' };

/** The sample service in a fresh repo, with a release signing key (POLICYDRIFT_SIGNING_KEY, as CI passes it). */
function sampleRepo() {
  const dir = tmpdir('policydrift-release-conc-');
  copyTree(SAMPLE, dir);
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  fs.appendFileSync(path.join(dir, '.gitignore'), 'node_modules\n');
  const key = path.join(tmpdir('policydrift-keys-'), 'release');
  assert.is(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'release', '-f', key]).status, 0);
  fs.appendFileSync(
    path.join(dir, '.policydrift/release_signers'),
    `release@ci ${fs
      .readFileSync(key + '.pub', 'utf8')
      .trim()
      .split(' ')
      .slice(0, 2)
      .join(' ')}\n`,
  );
  keys.set(dir, key);
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'sample service');
  return dir;
}

const keys = new Map();
const release = (dir, ...args) =>
  cli(['release', '--profile', 'prod', ...args], { cwd: dir, env: { POLICYDRIFT_SIGNING_KEY: keys.get(dir) } });
const ART = (dir) => path.join(dir, 'release/artifacts');
const listing = (dir) => (fs.existsSync(ART(dir)) ? fs.readdirSync(ART(dir)).sort() : []);

/** Start `release` in the background, paused after `step` until `resumeFile` exists. */
function startPaused(dir, args, step, resumeFile) {
  const child = spawn(process.execPath, [BIN, 'release', '--profile', 'prod', ...args], {
    cwd: dir,
    env: {
      ...process.env,
      ...ENV,
      POLICYDRIFT_SIGNING_KEY: keys.get(dir),
      POLICYDRIFT_RELEASE_PAUSE: step,
      POLICYDRIFT_RELEASE_RESUME: resumeFile,
    },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  let onPause;
  const paused = new Promise((resolve) => (onPause = resolve));
  child.stderr.on('data', (d) => {
    err += d;
    if (err.includes(`paused after ${step}`)) onPause();
  });
  const done = new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  timer.unref();
  done.then(() => clearTimeout(timer));
  return {
    child,
    paused: Promise.race([
      paused,
      done.then((r) => Promise.reject(new Error(`release exited before pausing at ${step}: ${r.stdout}${r.stderr}`))),
    ]),
    done,
  };
}

test('a second release in the same checkout fails naming the lock owner, and the first keeps and records its artifact', async () => {
  const dir = sampleRepo();
  const resume = path.join(tmpdir('policydrift-resume-'), 'go');
  const first = startPaused(dir, ['--version', '1.0.0'], 'publish', resume);
  try {
    await scenario(dir, resume, first);
  } finally {
    if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
  }
});

async function scenario(dir, resume, first) {
  await first.paused;
  // The first run has published its artifact and written its journal; the registry is not appended yet.
  const name = `${path.basename(dir)}-1.0.0.tgz`;
  const artifact = path.join(ART(dir), '1.0.0', name);
  assert.ok(fs.existsSync(artifact), 'the first run published its artifact');
  const journal = JSON.parse(fs.readFileSync(path.join(ART(dir), '.release-in-progress.json'), 'utf8'));
  assert.equal(journal.owner, { pid: first.child.pid, host: os.hostname() });
  const lock = JSON.parse(fs.readFileSync(path.join(ART(dir), '.release.lock'), 'utf8'));
  assert.is(lock.pid, first.child.pid);
  const before = listing(dir);
  assert.equal(
    before.filter((n) => !n.startsWith('.staging-')),
    ['.release-in-progress.json', '.release.lock', '1.0.0'],
  );
  assert.equal(
    before.filter((n) => n.startsWith('.staging-')).map((n) => n.split('-')[1]),
    [String(first.child.pid)],
    'the staging directory names its owner',
  );

  // A second real release: refused at once, naming the lock file and its owner; it recovers (deletes) nothing.
  const t0 = Date.now();
  const second = release(dir, '--version', '1.0.1');
  assert.is(second.code, 2, second.stdout + second.stderr);
  assert.ok(Date.now() - t0 < 20_000, 'the second run does not wait for the first to finish');
  assert.match(
    second.stderr,
    new RegExp(
      `release/artifacts/\\.release\\.lock: locked by process ${first.child.pid} on ${os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} since `,
    ),
  );
  assert.match(second.stderr, /another policydrift release is running in this checkout/);
  assert.not.match(second.stderr, /internal error|\n\s+at /);
  assert.equal(listing(dir), before, 'the second run touched nothing');

  // A dry run next to it: no lock, no recovery; it passes and leaves the first run's files alone.
  const dry = release(dir, '--dry-run');
  assert.is(dry.code, 0, dry.stdout + dry.stderr);
  assert.not.match(dry.stdout + dry.stderr, /recovered/);
  assert.equal(listing(dir), before, 'the dry run touched nothing');

  // The first run completes: its event names the artifact that is on disk.
  fs.writeFileSync(resume, '');
  const r = await first.done;
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /RELEASED 1\.0\.0/);
  const events = JSON.parse(fs.readFileSync(path.join(dir, 'release/registry.json'), 'utf8')).events;
  assert.is(events.length, 1);
  assert.is(events[0].artifact.name, name);
  assert.is(events[0].artifact.sha256, crypto.createHash('sha256').update(fs.readFileSync(artifact)).digest('hex'));
  assert.equal(listing(dir), ['1.0.0'], 'lock and journal are gone after the run');
  assert.is(cli(['registry', 'verify'], { cwd: dir }).code, 0);
}

test("recovery removes only what a dead run owned: a live run's staging directory survives, a dead one's is removed", () => {
  const dir = sampleRepo();
  fs.mkdirSync(ART(dir), { recursive: true });
  const tag = crypto.createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
  // A pid that is certainly gone: a child that has exited.
  const dead = spawnExited();
  const live = `.staging-${process.pid}-${tag}-live01`;
  const gone = `.staging-${dead}-${tag}-dead01`;
  const foreign = `.staging-${dead}-00000000-other1`;
  for (const d of [live, gone, foreign]) fs.mkdirSync(path.join(ART(dir), d, 'x'), { recursive: true });
  // A stale lock of the dead run is broken; a journal of the dead run for an unrecorded version is undone.
  fs.writeFileSync(
    path.join(ART(dir), '.release.lock'),
    JSON.stringify({ pid: dead, host: os.hostname(), token: 'x', time: new Date().toISOString() }),
  );
  fs.mkdirSync(path.join(ART(dir), '9.9.9'));
  fs.writeFileSync(
    path.join(ART(dir), '.release-in-progress.json'),
    JSON.stringify({ version: '9.9.9', staging: gone, published: '9.9.9', owner: { pid: dead, host: os.hostname() } }),
  );

  // A dry run recovers nothing.
  const dry = release(dir, '--dry-run');
  assert.is(dry.code, 0, dry.stdout + dry.stderr);
  assert.equal(listing(dir), [gone, foreign, live, '.release-in-progress.json', '.release.lock', '9.9.9'].sort());

  // A real run (stopped right after recovery by an existing version) recovers the dead run's leftovers only.
  const r = release(dir, '--version', '!bad');
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /invalid release version/);
  assert.match(
    r.stderr,
    new RegExp(`recovered: removed staging directory ${gone.replace('.', '\\.')} \\(process ${dead}, gone\\)`),
  );
  assert.match(r.stderr, /recovered: removed unrecorded artifact 9\.9\.9 of an interrupted release/);
  assert.match(
    r.stderr,
    new RegExp(`left staging directory ${foreign.replace('.', '\\.')} alone: owned by a run on another host`),
  );
  assert.equal(
    listing(dir),
    [foreign, live].sort(),
    'the live and the foreign staging directories are kept; lock released',
  );
});

/** The pid of a process that has exited and been reaped (and, with overwhelming likelihood, not reused yet). */
function spawnExited() {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.is(r.status, 0);
  return r.pid;
}

test.run();
