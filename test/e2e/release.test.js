// The release gate end to end: the spec's scenario "Release pipeline failure", markers, reproducibility and
// crash safety (SIGKILL at every step), on temporary git repositories built from the sample service.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import { cli, git, tmpdir, copyTree, SAMPLE, REPO, BIN, spawnTimed, writeChangeSet } from '../helpers.js';

function commitAll(dir, msg) {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', msg);
}

/** The sample service in a fresh repo (its build borrows this package's node_modules for the TypeScript API). */
function sampleRepo() {
  const dir = tmpdir('policydrift-release-');
  copyTree(SAMPLE, dir);
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  fs.appendFileSync(path.join(dir, '.gitignore'), 'node_modules\n');
  const keys = tmpdir('policydrift-keys-');
  const key = path.join(keys, 'alice');
  assert.is(spawnTimed('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice', '-f', key]).status, 0);
  const pub = fs
    .readFileSync(key + '.pub', 'utf8')
    .trim()
    .split(' ')
    .slice(0, 2)
    .join(' ');
  fs.appendFileSync(path.join(dir, '.policydrift/allowed_signers'), `alice@example.com ${pub}\n`);
  // the release job's key signs every registry event (POLICYDRIFT_SIGNING_KEY, as a CI secret would)
  const releaseKey = path.join(keys, 'release');
  assert.is(spawnTimed('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'release', '-f', releaseKey]).status, 0);
  fs.appendFileSync(
    path.join(dir, '.policydrift/release_signers'),
    `release@ci ${fs
      .readFileSync(releaseKey + '.pub', 'utf8')
      .trim()
      .split(' ')
      .slice(0, 2)
      .join(' ')}\n`,
  );
  releaseKeys.set(dir, releaseKey);
  git(dir, 'init', '-q');
  commitAll(dir, 'sample service');
  return { dir, key, releaseKey };
}

const releaseKeys = new Map();
const release = (dir, ...args) =>
  cli(['release', '--profile', 'prod', ...args], { cwd: dir, env: { POLICYDRIFT_SIGNING_KEY: releaseKeys.get(dir) } });
const events = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'release/registry.json'), 'utf8')).events;
const artifacts = (dir) =>
  fs.existsSync(path.join(dir, 'release/artifacts')) ? fs.readdirSync(path.join(dir, 'release/artifacts')).sort() : [];

function bootstrap(dir) {
  const r = release(dir, '--version', '1.0.0');
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /BOOTSTRAP/);
  commitAll(dir, 'release 1.0.0');
}

function weakenLogRedaction(dir) {
  const p = path.join(dir, 'src/logging/schemas.ts');
  fs.writeFileSync(
    p,
    fs
      .readFileSync(p, 'utf8')
      .replace(
        '   * @classification personal\n   * @redact hash\n   */\n  accountId',
        '   * @classification personal\n   */\n  accountId',
      ),
  );
  assert.is(cli(['extract', '--write'], { cwd: dir }).code, 0);
  commitAll(dir, 'log account ids in clear');
}

test('release pipeline failure: an unjustified weakening stops the release at check; approved, it releases with one new event', () => {
  const { dir, key } = sampleRepo();
  bootstrap(dir);
  assert.equal(artifacts(dir), ['1.0.0']);
  assert.is(events(dir).length, 1);
  weakenLogRedaction(dir);

  let r = release(dir, '--version', '1.1.0');
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAILED at step "check"/);
  assert.match(r.stdout, /LOG_REDACTION_RELAXED \(weakening\) LeRequestAudit \[accountId\]/);
  assert.match(r.stdout, /no OpenSpec change set declares it/);
  assert.equal(artifacts(dir), ['1.0.0'], 'no new artifact');
  assert.is(events(dir).length, 1, 'nothing appended');
  assert.is(git(dir, 'status', '--porcelain'), '');

  assert.is(cli(['justify', 'log-account-ids'], { cwd: dir }).code, 0);
  writeChangeSet(dir, 'log-account-ids');
  assert.is(cli(['approve', 'log-account-ids', '--key', key, '--as', 'alice@example.com'], { cwd: dir }).code, 0);
  commitAll(dir, 'justify and approve');
  r = release(dir, '--version', '1.1.0');
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /RELEASED 1\.1\.0/);
  const ev = events(dir);
  assert.is(ev.length, 2, 'the registry gains one event');
  assert.is(ev[1].type, 'release');
  assert.is(ev[1].supersedes, '1.0.0');
  assert.is(ev[1].git_commit, git(dir, 'rev-parse', 'HEAD'));
  assert.is(ev[1].signer, 'release@ci', 'the event is signed by the release key');
  assert.match(ev[1].signature, /^-----BEGIN SSH SIGNATURE-----\n/);
  assert.equal(artifacts(dir), ['1.0.0', '1.1.0']);
  const tgz = fs.readFileSync(path.join(dir, 'release/artifacts/1.1.0', `${path.basename(dir)}-1.1.0.tgz`));
  assert.is(ev[1].artifact.sha256, crypto.createHash('sha256').update(tgz).digest('hex'));
  assert.is(cli(['registry', 'verify'], { cwd: dir }).code, 0);
});

test('equal inputs give equal artifact bytes (dry runs of the same commit)', () => {
  const { dir } = sampleRepo();
  const a = release(dir, '--dry-run', '--format', 'json');
  const b = release(dir, '--dry-run', '--format', 'json');
  assert.is(a.code, 0, a.stdout + a.stderr);
  assert.is(JSON.parse(a.stdout).artifact.sha256, JSON.parse(b.stdout).artifact.sha256);
  assert.equal(artifacts(dir), [], 'a dry run publishes nothing');
  assert.is(events(dir).length, 0);
});

test('a forbidden marker in the emitted bundle fails verify-build and the release', () => {
  const { dir } = sampleRepo();
  const p = path.join(dir, 'src/keys/guards.ts');
  fs.appendFileSync(
    p,
    "\nexport const __debugBypass = process.env.TEST_PRIVATE_KEY ?? 'TEST_PRIVATE_KEY';\ndeclare const process: { env: Record<string, string | undefined> };\n",
  );
  assert.is(cli(['extract', '--write'], { cwd: dir }).code, 0);
  commitAll(dir, 'debug bypass');
  const r = release(dir, '--version', '1.0.0');
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAILED at step "verify-build"/);
  assert.match(r.stdout, /__debugBypass/);
  assert.match(r.stdout, /dist\/keys\/guards\.js:\d+:\d+/);
  assert.equal(artifacts(dir), []);
  assert.is(events(dir).length, 0);
  const vb = cli(['verify-build', '--profile', 'prod'], { cwd: dir });
  assert.is(vb.code, 1);
});

test('a timestamp in the output fails a reproducible profile', () => {
  const { dir } = sampleRepo();
  const p = path.join(dir, 'build.mjs');
  fs.appendFileSync(p, "\nfs.writeFileSync(path.join('dist', 'BUILD_INFO'), String(process.hrtime.bigint()));\n");
  commitAll(dir, 'stamp builds');
  const r = release(dir, '--version', '1.0.0');
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAILED at step "verify-build"/);
  assert.match(r.stdout, /BUILD_INFO/);
  assert.equal(artifacts(dir), []);
});

/** Run release until it pauses after `step`, then SIGKILL it. */
function killAfter(dir, step, version) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'release', '--profile', 'prod', '--version', version], {
      cwd: dir,
      env: {
        ...process.env,
        POLICYDRIFT_SIGNING_KEY: releaseKeys.get(dir),
        POLICYDRIFT_RELEASE_PAUSE: step,
        NO_COLOR: '1',
        OPENSPEC_TELEMETRY: '0',
        OPENSPEC_NO_UPDATE_CHECK: '1',
      },
    });
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`release never paused at ${step}: ${err}`));
    }, 90_000);
    child.stderr.on('data', (d) => {
      err += d;
      if (err.includes(`paused after ${step}`)) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr: err });
    });
  });
}

test('killing release at each step leaves no artifact and a valid registry', async () => {
  const { dir, key } = sampleRepo();
  bootstrap(dir);
  weakenLogRedaction(dir);
  assert.is(cli(['justify', 'log-account-ids'], { cwd: dir }).code, 0);
  writeChangeSet(dir, 'log-account-ids');
  assert.is(cli(['approve', 'log-account-ids', '--key', key, '--as', 'alice@example.com'], { cwd: dir }).code, 0);
  commitAll(dir, 'justified');
  const before = fs.readFileSync(path.join(dir, 'release/registry.json'), 'utf8');
  for (const step of ['openspec', 'check', 'verify-build', 'package', 'publish']) {
    const r = await killAfter(dir, step, '2.0.0');
    assert.is(r.signal, 'SIGKILL', `${step}: ${r.stderr}`);
    assert.is(
      fs.readFileSync(path.join(dir, 'release/registry.json'), 'utf8'),
      before,
      `registry untouched after a kill at ${step}`,
    );
    assert.is(cli(['registry', 'verify'], { cwd: dir }).code, 0);
    // a dry run recovers nothing (it takes no lock, so it cannot know the owner is gone for good) ...
    const left = artifacts(dir);
    assert.ok(left.includes('.release.lock'), `the killed run's lock is left after ${step}`);
    const dry = release(dir, '--dry-run');
    assert.is(dry.code, 0, dry.stdout + dry.stderr);
    assert.equal(artifacts(dir), left, `a dry run leaves the killed run's files after ${step}`);
    // ... the next real run recovers before anything else (here it then stops: 1.0.0 is released already):
    // no orphan artifact, no staging, no journal, no lock left behind
    const next = release(dir, '--version', '1.0.0');
    assert.is(next.code, 2, next.stdout + next.stderr);
    assert.match(next.stderr, /release 1\.0\.0 is already in release\/registry\.json/);
    if (step === 'publish')
      assert.match(next.stderr, /recovered: removed unrecorded artifact 2\.0\.0 of an interrupted release/);
    assert.equal(artifacts(dir), ['1.0.0'], `no artifact of the killed release after ${step}`);
  }
  // and a complete run still works afterwards
  const r = release(dir, '--version', '2.0.0');
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.equal(artifacts(dir), ['1.0.0', '2.0.0']);
});

test.run();
