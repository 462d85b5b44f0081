// The gate's own registry (issue 11, items 1–2): a forged release event cannot become a baseline, and a
// candidate's appended revoke cannot turn a release into a bootstrap. The sample service with release 1.0.0
// recorded as `npm run demo` does (a real, signed `policydrift release`), real git and ssh-keygen.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cli, git, tmpdir, copyTree, SAMPLE, REPO } from '../helpers.js';
import { eventDigest } from '../../dist/registry/index.js';
import { canonicalJson } from '../../dist/manifest/index.js';

function keypair(dir, name) {
  const key = path.join(dir, name);
  assert.is(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]).status, 0);
  return {
    key,
    pub: fs
      .readFileSync(key + '.pub', 'utf8')
      .trim()
      .split(' ')
      .slice(0, 2)
      .join(' '),
  };
}

function commitAll(dir, msg) {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', msg);
  return git(dir, 'rev-parse', 'HEAD');
}

const REGISTRY = 'release/registry.json';
const registryText = (dir) => fs.readFileSync(path.join(dir, REGISTRY), 'utf8');
const events = (dir) => JSON.parse(registryText(dir)).events;
const artifacts = (dir) =>
  fs.existsSync(path.join(dir, 'release/artifacts')) ? fs.readdirSync(path.join(dir, 'release/artifacts')).sort() : [];

let template = null;

/** The sample service on main with release 1.0.0 recorded by `policydrift release`, signed by the release key (one real release, copied per test). */
function releasedRepo() {
  template ??= makeReleasedRepo();
  const dir = tmpdir('policydrift-trust-');
  fs.cpSync(template.dir, dir, { recursive: true, verbatimSymlinks: true });
  return { ...template, dir };
}

function makeReleasedRepo() {
  const dir = tmpdir('policydrift-trust-');
  const keys = tmpdir('policydrift-keys-');
  copyTree(SAMPLE, dir);
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  fs.appendFileSync(path.join(dir, '.gitignore'), 'node_modules\nrelease/artifacts\n');
  const releaser = keypair(keys, 'release');
  const mallory = keypair(keys, 'mallory');
  fs.appendFileSync(path.join(dir, '.policydrift/release_signers'), `release@ci ${releaser.pub}\n`);
  git(dir, 'init', '-q');
  commitAll(dir, 'sample service');
  const r = cli(['release', '--profile', 'prod', '--version', '1.0.0', '--signing-key', releaser.key], { cwd: dir });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /BOOTSTRAP/);
  commitAll(dir, 'release 1.0.0');
  assert.is(events(dir)[0].signer, 'release@ci');
  return { dir, releaser, mallory };
}

/** The silent weakening: a new LE response variant, declared in another file. */
function addWiretapVariant(dir) {
  fs.writeFileSync(
    path.join(dir, 'src/le/wiretap.ts'),
    "export interface WiretapContent {\n  kind: 'WIRETAP_CONTENT';\n  requestId: string;\n  producedAt: string;\n  messages: string[];\n}\n",
  );
  const p = path.join(dir, 'src/le/types.ts');
  fs.writeFileSync(
    p,
    fs
      .readFileSync(p, 'utf8')
      .replace(
        'export type LeResponse = SubscriberInfo | AccountMetadata | PreservationAck | NoRecords | Rejected;',
        "import type { WiretapContent } from './wiretap.js';\nexport type LeResponse = SubscriberInfo | AccountMetadata | PreservationAck | NoRecords | Rejected | WiretapContent;",
      ),
  );
  assert.is(cli(['extract', '--write'], { cwd: dir }).code, 0);
  return commitAll(dir, 'add wiretap content response');
}

/** Append a hand-made event, chained correctly onto the registry's last event (what an attacker can write). */
function appendByHand(dir, event) {
  const reg = JSON.parse(registryText(dir));
  const last = reg.events[reg.events.length - 1];
  reg.events.push({ ...event, seq: last.seq + 1, prev: eventDigest(last), time: new Date().toISOString() });
  fs.writeFileSync(path.join(dir, REGISTRY), canonicalJson(reg));
}

const check = (dir, ...extra) => cli(['check', '--registry-ref', 'main', ...extra], { cwd: dir });

test('forged release event, two PRs: PR 1 fails with REGISTRY_APPENDED; merged anyway, PR 2 fails on the forged baseline', () => {
  const { dir } = releasedRepo();
  git(dir, 'checkout', '-qb', 'pr1');
  const w = addWiretapVariant(dir);
  const wManifest = JSON.parse(fs.readFileSync(path.join(dir, 'invariants.manifest.json'), 'utf8'));
  git(dir, 'revert', '--no-edit', w);
  appendByHand(dir, {
    type: 'release',
    version: '1.0.1',
    git_commit: w,
    profile: 'prod',
    manifestVersion: wManifest.manifestVersion,
    manifestDigest: wManifest.digest,
    artifact: { name: 'sample-service-1.0.1.tgz', sha256: 'a'.repeat(64) },
    supersedes: '1.0.0',
  });
  commitAll(dir, 'revert, and record 1.0.1');

  let r = check(dir, '--format', 'json');
  assert.is(r.code, 1, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  assert.is(j.baseline.release, '1.0.0', 'the appended event does not move the baseline');
  assert.equal(j.registry.appended, 1);
  assert.equal(j.registry.untrusted, 1);
  assert.equal(
    j.unjustified.map((u) => [u.change.rule, u.change.id, u.change.subject]),
    [['REGISTRY_APPENDED', REGISTRY, 'seq 2']],
  );
  assert.match(
    j.unjustified[0].change.message,
    /appends seq 2 \(release 1\.0\.1\) to the release registry, which is not signed by a release signer/,
  );
  r = check(dir);
  assert.match(r.stdout, /✗ REGISTRY_APPENDED \(modified\)\s+release\/registry\.json \[seq 2\]/);
  assert.not.match(r.stdout, /Declare them/, 'no change set can justify it');
  r = check(dir, '--format', 'markdown');
  assert.is(r.code, 1);
  assert.match(
    r.stdout,
    /\| `REGISTRY_APPENDED` \| modified \| `release\/registry\.json \[seq 2\]` \|.*\| `\(none: remove it from the change\)` \|/,
  );
  assert.not.match(r.stdout, /How to justify these changes/);

  // PR 1 is merged anyway (the check was not required): main now holds the forged event
  git(dir, 'checkout', '-q', 'main');
  git(dir, 'merge', '-q', '--no-ff', '-m', 'merge pr1', 'pr1');
  r = cli(['registry', 'verify', '--no-extract', '--trusted-ref', 'main'], { cwd: dir });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /broken at seq 2 \(release 1\.0\.1\): is not signed, but seq 1 was/);

  // PR 2 re-adds the variant with no change set: the forged 1.0.1 (= W) is not a valid baseline
  git(dir, 'checkout', '-qb', 'pr2');
  addWiretapVariant(dir);
  r = check(dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /release\/registry\.json at main is broken at seq 2 \(release 1\.0\.1\): is not signed/);
  assert.not.match(r.stdout, /PASS/);
});

test('release: a candidate that adds a variant and appends a revoke of 1.0.0 is no bootstrap: exit 1, no artifact, registry unchanged', () => {
  const { dir, releaser } = releasedRepo();
  git(dir, 'checkout', '-qb', 'pr');
  addWiretapVariant(dir);
  appendByHand(dir, { type: 'revoke', version: '1.0.0', reason: 'superseded by the next release' });
  commitAll(dir, 'revoke 1.0.0');
  const before = registryText(dir);
  const r = cli(
    ['release', '--profile', 'prod', '--version', '1.1.0', '--registry-ref', 'main', '--signing-key', releaser.key],
    { cwd: dir },
  );
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.not.match(r.stdout, /BOOTSTRAP/);
  assert.match(r.stdout, /FAILED at step "check"/);
  assert.match(r.stdout, /drift check failed: 2 unjustified change\(s\)/);
  assert.match(r.stdout, /LE_RESPONSE_ADDED \(weakening\) handle_le_request \[WIRETAP_CONTENT\]/);
  assert.match(
    r.stdout,
    /REGISTRY_APPENDED \(modified\) release\/registry\.json \[seq 2\]: the candidate appends seq 2 \(revoke 1\.0\.0\)/,
  );
  assert.equal(artifacts(dir), ['1.0.0'], 'no new artifact');
  assert.is(registryText(dir), before, 'nothing appended');
  assert.is(git(dir, 'status', '--porcelain'), '');
});

test('a signed event appended by the release job is accepted by a later check, and becomes the baseline once on main', () => {
  const { dir, releaser, mallory } = releasedRepo();
  // a plain change against the signed 1.0.0: no legacy warning, nothing appended
  git(dir, 'checkout', '-qb', 'feature');
  fs.appendFileSync(path.join(dir, 'src/index.ts'), '\n// a comment\n');
  commitAll(dir, 'comment');
  let r = check(dir, '--format', 'json');
  assert.is(r.code, 0, r.stdout + r.stderr);
  let j = JSON.parse(r.stdout);
  assert.equal([j.baseline.release, j.registry.appended, j.registry.legacy], ['1.0.0', 0, 0]);
  assert.not.match(j.warnings.join('\n'), /legacy|unsigned/);

  // the release job releases this branch against main's registry: a signed event
  r = cli(['release', '--profile', 'prod', '--version', '1.0.1', '--registry-ref', 'main'], {
    cwd: dir,
    env: { POLICYDRIFT_SIGNING_KEY: releaser.key },
  });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /appended release 1\.0\.1, superseding 1\.0\.0/);
  assert.is(events(dir)[1].signer, 'release@ci');
  commitAll(dir, 'release 1.0.1');
  r = check(dir, '--format', 'json');
  assert.is(r.code, 0, r.stdout + r.stderr);
  j = JSON.parse(r.stdout);
  assert.equal(
    [j.baseline.release, j.registry.appended, j.registry.untrusted],
    ['1.0.0', 1, 0],
    'accepted, and still not the baseline of this run',
  );

  // the same event re-signed by a key that is not a release signer is not accepted
  const forged = path.join(tmpdir('policydrift-forged-'), 'k');
  fs.copyFileSync(mallory.key, forged);
  fs.chmodSync(forged, 0o600);
  const reg = JSON.parse(registryText(dir));
  const { signature: _s, ...unsigned } = reg.events[1];
  const msg = path.join(path.dirname(forged), 'payload');
  fs.writeFileSync(msg, canonicalJson(unsigned));
  assert.is(spawnSync('ssh-keygen', ['-Y', 'sign', '-f', forged, '-n', 'policydrift-release', msg]).status, 0);
  reg.events[1].signature = fs.readFileSync(msg + '.sig', 'utf8');
  fs.writeFileSync(path.join(dir, REGISTRY), canonicalJson(reg));
  commitAll(dir, 'mallory signs');
  r = check(dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /appends seq 2 \(release 1\.0\.1\) to the release registry, which is not validly signed by a release signer of main:\.policydrift\/release_signers/,
  );
  git(dir, 'reset', '-q', '--hard', 'HEAD~1');

  // merged: 1.0.1 is the baseline of the next change
  git(dir, 'checkout', '-q', 'main');
  git(dir, 'merge', '-q', '--no-ff', '-m', 'merge feature', 'feature');
  git(dir, 'checkout', '-qb', 'next');
  r = check(dir, '--format', 'json');
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(JSON.parse(r.stdout).baseline.release, '1.0.1');
});

test('release refuses to run without a trusted registry or a signing key, before building anything (exit 2)', () => {
  const { dir, releaser, mallory } = releasedRepo();
  git(dir, 'checkout', '-qb', 'feature');
  let r = cli(['release', '--profile', 'prod', '--version', '1.0.1', '--signing-key', releaser.key], { cwd: dir });
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /release reads the registry baseline from the release branch "main", and HEAD is on "feature"/,
  );
  assert.match(r.stderr, /--registry-ref/);
  git(dir, 'checkout', '-q', 'main');
  r = cli(['release', '--profile', 'prod', '--version', '1.0.1'], { cwd: dir, env: { POLICYDRIFT_SIGNING_KEY: '' } });
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /release needs a signing key/);
  assert.match(r.stderr, /POLICYDRIFT_SIGNING_KEY/);
  r = cli(['release', '--profile', 'prod', '--version', '1.0.1', '--signing-key', mallory.key], { cwd: dir });
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /mallory: this key is not a \(currently valid\) release signer in main:\.policydrift\/release_signers/,
  );
  assert.equal(artifacts(dir), ['1.0.0']);
  assert.is(events(dir).length, 1);
  assert.not.match(r.stderr, /at .*\.js:\d+/);
});

test('the release signers file is a governing file: changing it is CONFIG_CHANGED', () => {
  const { dir, mallory } = releasedRepo();
  git(dir, 'checkout', '-qb', 'add-signer');
  fs.appendFileSync(path.join(dir, '.policydrift/release_signers'), `mallory@example.com ${mallory.pub}\n`);
  commitAll(dir, 'add a release signer');
  const r = check(dir, '--format', 'json');
  assert.is(r.code, 1, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(
    j.unjustified.map((u) => [u.change.rule, u.change.id]),
    [['CONFIG_CHANGED', '.policydrift/release_signers']],
  );
  assert.match(j.unjustified[0].change.message, /release signers decide who can record the next release/);
});

test.run();
