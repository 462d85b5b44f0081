// The release registry: an append-only, hash-chained event log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import * as crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { tmpdir, git, REPO } from './helpers.js';
import {
  appendEvent,
  appendedEvents,
  assertAppendOnly,
  compareWithTrusted,
  eventDigest,
  GENESIS_PREV,
  lastActiveRelease,
  parseRegistryText,
  readRegistryFile,
  RELEASE_SIGNATURE_NAMESPACE,
  signedPayload,
  verifyRegistry,
} from '../dist/registry/index.js';
import { signMessage, verifySignature } from '../dist/approvals/ssh.js';
import { extractDigestCheck } from '../dist/release/extract-check.js';
import { extractAtRef } from '../dist/extract/from-tree.js';
import { registerRegistry } from '../dist/cli/registry.js';
import { canonicalJson } from '../dist/manifest/index.js';
import { GENERATOR } from '../dist/version.js';
import { UserError } from '../dist/errors.js';

const SHA = (c) => c.repeat(40);
const DIGEST = (c) => `sha256:${c.repeat(64)}`;
/** @typedef {import('../dist/registry/types.js').ReleaseEvent} ReleaseEvent */
/** @typedef {import('../dist/registry/index.js').TrustComparison} TrustComparison */
/** @typedef {'seq' | 'prev' | 'signer' | 'signature'} Chain */
/** @type {(version: string, extra?: Partial<ReleaseEvent>) => Omit<ReleaseEvent, Chain>} */
const release = (version, extra = {}) => ({
  type: 'release',
  version,
  git_commit: SHA('a'),
  profile: 'prod',
  manifestVersion: 1,
  manifestDigest: DIGEST('b'),
  artifact: { name: `svc-${version}.tgz`, sha256: 'c'.repeat(64) },
  time: '2025-01-01T00:00:00.000Z',
  ...extra,
});
/** @type {(version: string, reason?: string) => Omit<import('../dist/registry/types.js').RevokeEvent, Chain>} */
const revoke = (version, reason) => ({
  type: 'revoke',
  version,
  time: '2025-01-02T00:00:00Z',
  ...(reason ? { reason } : {}),
});
/** @type {(version: string, by: string) => Omit<import('../dist/registry/types.js').SupersedeEvent, Chain>} */
const supersede = (version, by) => ({ type: 'supersede', version, by, time: '2025-01-03T00:00:00Z' });

const newFile = () => path.join(tmpdir('policydrift-registry-'), 'release', 'registry.json');
const load = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const save = (file, reg) => fs.writeFileSync(file, canonicalJson(reg));

function throwsUser(fn, re, code = 2) {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UserError, String(e?.stack ?? e));
    assert.match(e.message, re);
    assert.is(e.exitCode, code);
    return e;
  }
  assert.unreachable(`expected a UserError matching ${re}`);
}

/** A registry file with five events: releases 1.0.0, 1.1.0, 1.2.0, revoke 1.1.0, supersede 1.0.0 by 1.2.0. */
function fiveEvents() {
  const file = newFile();
  appendEvent(file, release('1.0.0'));
  appendEvent(file, release('1.1.0'));
  appendEvent(file, release('1.2.0'));
  appendEvent(file, revoke('1.1.0', 'leaks request ids'));
  appendEvent(file, supersede('1.0.0', '1.2.0'));
  return file;
}

test('append assigns seq and the hash chain; the file is canonical JSON', () => {
  const file = newFile();
  const { event: first } = appendEvent(file, release('1.0.0', { time: undefined }));
  assert.is(first.seq, 1);
  assert.is(first.prev, GENESIS_PREV);
  assert.match(first.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  const { event: second, registry } = appendEvent(file, release('1.1.0'));
  assert.is(second.seq, 2);
  assert.is(second.prev, eventDigest(first));
  assert.is(second.prev, `sha256:${crypto.createHash('sha256').update(canonicalJson(first)).digest('hex')}`);
  assert.is(fs.readFileSync(file, 'utf8'), canonicalJson(registry));
  assert.equal(readRegistryFile(file), registry);
  assert.equal(fs.readdirSync(path.dirname(file)), ['registry.json'], 'no lock or temp file left behind');
});

test('lastActiveRelease: the newest release no later revoke/supersede refers to', () => {
  const file = newFile();
  assert.is(lastActiveRelease(readRegistryFile(file, file, { allowMissing: true })), null);
  appendEvent(file, release('1.0.0'));
  appendEvent(file, release('1.1.0'));
  assert.is(lastActiveRelease(readRegistryFile(file)).version, '1.1.0');
  appendEvent(file, revoke('1.1.0', 'leaks request ids'));
  assert.is(lastActiveRelease(readRegistryFile(file)).version, '1.0.0');
  appendEvent(file, release('1.2.0'));
  appendEvent(file, release('1.3.0'));
  appendEvent(file, supersede('1.2.0', '1.3.0'));
  assert.is(lastActiveRelease(readRegistryFile(file)).version, '1.3.0');
  appendEvent(file, revoke('1.3.0'));
  // 1.2.0 was superseded: it does not come back when its successor is revoked.
  assert.is(lastActiveRelease(readRegistryFile(file)).version, '1.0.0');
  appendEvent(file, revoke('1.0.0'));
  assert.is(lastActiveRelease(readRegistryFile(file)), null);
  assert.is(readRegistryFile(file).events.length, 8);
});

test('append refuses events that would break the log, and writes nothing', () => {
  const file = fiveEvents();
  const before = fs.readFileSync(file, 'utf8');
  throwsUser(
    () => appendEvent(file, revoke('9.9.9')),
    /seq 6 \(revoke 9\.9\.9\): refers to version 9\.9\.9, which is not an earlier release/,
  );
  throwsUser(() => appendEvent(file, release('1.1.0')), /version 1\.1\.0 was already released at seq 2/);
  throwsUser(
    () => appendEvent(file, supersede('1.2.0', '2.0.0')),
    /superseded by version 2\.0\.0, which is not an earlier release/,
  );
  throwsUser(
    () => appendEvent(file, release('2.0.0', { git_commit: 'HEAD' })),
    /invalid event: \/git_commit must match pattern/,
  );
  throwsUser(
    () => appendEvent(file, release('2.0.0', /** @type {Partial<ReleaseEvent>} */ ({ extra: 1 }))),
    /unknown property "extra"/,
  ); // deliberately unknown
  assert.is(fs.readFileSync(file, 'utf8'), before);
  // A broken file is never appended to.
  const reg = load(file);
  reg.events[1].profile = 'dev';
  save(file, reg);
  throwsUser(
    () => appendEvent(file, release('2.0.0')),
    /refusing to append to a broken registry: seq 3 \(release 1\.2\.0\): prev/,
  );
});

test('verify accepts an intact log and names the first broken link of a tampered one', () => {
  const file = fiveEvents();
  const good = load(file);
  const ok = verifyRegistry(good);
  assert.equal([ok.ok, ok.events, ok.problem], [true, 5, null]);

  // An edited event: the link after it breaks.
  const edited = load(file);
  edited.events[1].manifestDigest = DIGEST('d');
  let v = verifyRegistry(edited);
  assert.is(v.ok, false);
  assert.equal([v.problem.seq, v.problem.version, v.problem.type], [3, '1.2.0', 'release']);
  assert.match(
    v.problem.message,
    /^seq 3 \(release 1\.2\.0\): prev sha256:[0-9a-f]{64} does not match the event before it, seq 2 \(release 1\.1\.0\)/,
  );

  // A removed event.
  const removed = load(file);
  removed.events.splice(1, 1);
  v = verifyRegistry(removed);
  assert.equal([v.problem.seq, v.problem.version], [3, '1.2.0']);
  assert.match(v.problem.message, /seq 3 at position 2 \(expected seq 2\): an event before it was removed/);

  // Two events swapped.
  const swapped = load(file);
  [swapped.events[0], swapped.events[1]] = [swapped.events[1], swapped.events[0]];
  v = verifyRegistry(swapped);
  assert.equal([v.problem.seq, v.problem.version], [2, '1.1.0']);

  // An event that breaks the schema is named, even when a later one is also bad.
  const invalid = load(file);
  invalid.events[2].git_commit = 'main';
  invalid.events[4].seq = 99;
  v = verifyRegistry(invalid);
  assert.equal([v.problem.seq, v.problem.version], [3, '1.2.0']);
  assert.match(v.problem.message, /invalid event: \/git_commit must match pattern/);

  // A revoke whose release was removed and the chain recomputed by hand.
  const dangling = load(file);
  dangling.events.splice(1, 1);
  rechain(dangling);
  v = verifyRegistry(dangling);
  assert.equal([v.problem.seq, v.problem.type, v.problem.version], [3, 'revoke', '1.1.0']);
  assert.match(v.problem.message, /not an earlier release/);

  assert.is(verifyRegistry({ schemaVersion: 2, events: [] }).problem.seq, null);
  throwsUser(
    () => parseRegistryText('{"schemaVersion":1,"events":[{"seq":1}]}', 'reg.json'),
    /^reg\.json:1:\d+: invalid registry file/,
  );
});

/** What an attacker with write access can do: rewrite every seq/prev after an edit. */
function rechain(reg) {
  reg.events.forEach((e, i) => {
    e.seq = i + 1;
    e.prev = i === 0 ? GENESIS_PREV : eventDigest(reg.events[i - 1]);
  });
  return reg;
}

test('compareWithTrusted accepts appends and rejects any rewrite of the trusted history', () => {
  const file = fiveEvents();
  const trusted = load(file);
  appendEvent(file, release('1.3.0'));
  appendEvent(file, revoke('1.2.0'));
  const extended = load(file);
  const ok = /** @type {Extract<TrustComparison, { ok: true }>} */ (compareWithTrusted(trusted, extended));
  assert.is(ok.ok, true);
  assert.equal(
    ok.appended.map((e) => `${e.seq} ${e.type} ${e.version}`),
    ['6 release 1.3.0', '7 revoke 1.2.0'],
  );
  assert.equal(assertAppendOnly(trusted, extended).length, 2);
  assert.is(compareWithTrusted(trusted, trusted).ok, true);
  assert.equal(
    /** @type {Extract<TrustComparison, { ok: true }>} */ (compareWithTrusted(null, trusted)).appended.length,
    5,
  );

  // Re-chained after editing an old release: the chain verifies, the trusted comparison does not.
  const edited = rechain(load(file));
  edited.events[1].manifestDigest = DIGEST('e');
  rechain(edited);
  assert.is(verifyRegistry(edited).ok, true, 'a recomputed chain is self-consistent');
  let r = /** @type {Extract<TrustComparison, { ok: false }>} */ (compareWithTrusted(trusted, edited));
  assert.is(r.ok, false);
  assert.equal([r.problem.seq, r.problem.version], [2, '1.1.0']);
  assert.match(
    r.problem.message,
    /^seq 2 \(release 1\.1\.0\): differs from the trusted registry \(changed: manifestDigest\)/,
  );

  // The revoke of 1.1.0 dropped (to re-activate it), the rest re-chained.
  const dropped = load(file);
  dropped.events.splice(3, 1);
  rechain(dropped);
  r = /** @type {Extract<TrustComparison, { ok: false }>} */ (compareWithTrusted(trusted, dropped));
  assert.equal([r.problem.seq, r.problem.version, r.problem.type], [4, '1.1.0', 'revoke']);

  // The newest trusted event removed (verify alone cannot see a truncated tail).
  const truncated = load(file);
  truncated.events = truncated.events.slice(0, 4);
  assert.is(verifyRegistry(truncated).ok, true);
  r = /** @type {Extract<TrustComparison, { ok: false }>} */ (compareWithTrusted(trusted, truncated));
  assert.equal([r.problem.seq, r.problem.type, r.problem.version], [5, 'supersede', '1.0.0']);
  assert.match(r.problem.message, /missing from this one/);

  // An appended event that does not chain onto the trusted head.
  const forked = load(file);
  forked.events[5].prev = DIGEST('f');
  r = /** @type {Extract<TrustComparison, { ok: false }>} */ (compareWithTrusted(trusted, forked));
  assert.equal([r.problem.seq, r.problem.version], [6, '1.3.0']);

  const e = throwsUser(
    () => assertAppendOnly(trusted, edited, 'release/registry.json'),
    /^release\/registry\.json: not an append-only extension of the trusted registry: seq 2 \(release 1\.1\.0\)/,
    1,
  );
  assert.match(e.hint, /append-only/);
});

const APPENDER = `
import { appendEvent } from ${JSON.stringify(pathToFileURL(path.join(REPO, 'dist/registry/index.js')).href)};
const [file, who, n] = process.argv.slice(1);
for (let i = 1; i <= Number(n); i++) {
  appendEvent(file, { type: 'release', version: who + '-' + i, git_commit: '${SHA('a')}', profile: who, manifestVersion: 1,
    manifestDigest: '${DIGEST('b')}', artifact: { name: 'x', sha256: '${'c'.repeat(64)}' } });
}
`;

function runAppender(file, who, n) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', APPENDER, file, who, String(n)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, err }));
  });
}

test('two processes appending in parallel lose no event', async () => {
  const file = newFile();
  const N = 60;
  const results = await Promise.all([runAppender(file, 'a', N), runAppender(file, 'b', N)]);
  for (const r of results) assert.is(r.code, 0, r.err);
  const reg = readRegistryFile(file);
  assert.is(reg.events.length, 2 * N);
  assert.is(verifyRegistry(reg).ok, true);
  const versions = new Set(reg.events.map((e) => e.version));
  for (const who of ['a', 'b']) for (let i = 1; i <= N; i++) assert.ok(versions.has(`${who}-${i}`), `${who}-${i} lost`);
  // Each writer's own events stay in its order.
  const order = reg.events
    .filter((e) => /** @type {ReleaseEvent} */ (e).profile === 'a')
    .map((e) => Number(e.version.slice(2)));
  assert.equal(
    order,
    [...order].sort((x, y) => x - y),
  );
  assert.equal(fs.readdirSync(path.dirname(file)), ['registry.json']);
});

test('a stale lock of a dead process is broken; a live one times out with a clear error', () => {
  const file = fiveEvents();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const host = os.hostname();
  fs.writeFileSync(
    `${file}.lock`,
    JSON.stringify({ pid: Number(dead.stdout), host, token: 'old', time: '2020-01-01T00:00:00Z' }),
  );
  assert.is(appendEvent(file, release('2.0.0')).event.seq, 6);
  assert.not.ok(fs.existsSync(`${file}.lock`));

  fs.writeFileSync(
    `${file}.lock`,
    JSON.stringify({ pid: process.pid, host, token: 'live', time: '2025-01-01T00:00:00Z' }),
  );
  throwsUser(
    () => appendEvent(file, release('2.1.0'), { timeoutMs: 200 }),
    new RegExp(`locked by process ${process.pid} on `),
  );
  assert.ok(fs.existsSync(`${file}.lock`), 'a live lock is left alone');
  fs.rmSync(`${file}.lock`);
  assert.is(readRegistryFile(file).events.length, 6);
});

/** A git repo with a tiny project, for verify's commit and digest checks. */
function projectRepo() {
  const repo = fs.realpathSync(tmpdir('policydrift-regrepo-'));
  git(repo, 'init', '-q');
  fs.writeFileSync(
    path.join(repo, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true }, include: ['src/**/*.ts'] }),
  );
  fs.mkdirSync(path.join(repo, 'src'));
  fs.writeFileSync(path.join(repo, 'src/a.ts'), '/** @invariant a.b logs never hold raw ids */\nexport const a = 1;\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'one');
  return { repo, sha: git(repo, 'rev-parse', 'HEAD') };
}

test('verify with a repository: commits must exist; digests are re-derived when the generator matches', () => {
  const { repo, sha } = projectRepo();
  const digest = extractAtRef({ repoDir: repo, rev: sha }).manifest.digest;
  const gen = { name: GENERATOR.name, version: GENERATOR.version };
  const file = path.join(repo, 'release/registry.json');
  appendEvent(file, release('1.0.0', { git_commit: sha, manifestDigest: digest, generator: gen }));
  appendEvent(
    file,
    release('1.1.0', { git_commit: sha, manifestDigest: digest, generator: { ...gen, version: '0.0.1-old' } }),
  );
  const extract = extractDigestCheck(repo);
  let v = verifyRegistry(readRegistryFile(file), { repoDir: repo, extract });
  assert.is(v.ok, true, v.problem?.message);
  assert.equal([v.commitsChecked, v.digestsChecked], [2, 1]);
  assert.equal(v.skipped, [
    { seq: 2, version: '1.1.0', reason: `recorded by policydrift 0.0.1-old, running ${GENERATOR.version}` },
  ]);

  // A release whose digest is not what its commit gives (a weakening recorded under an old digest).
  appendEvent(file, release('1.2.0', { git_commit: sha, manifestDigest: DIGEST('9'), generator: gen }));
  v = verifyRegistry(readRegistryFile(file), { repoDir: repo, extract });
  assert.equal([v.ok, v.problem.seq, v.problem.version], [false, 3, '1.2.0']);
  assert.match(
    v.problem.message,
    new RegExp(`manifestDigest sha256:9{64} is not the digest of commit ${sha.slice(0, 12)} \\(${digest}\\)`),
  );
  assert.is(
    verifyRegistry(readRegistryFile(file), { repoDir: repo }).ok,
    true,
    'without extract only commits are checked',
  );

  const file2 = path.join(repo, 'release/other.json');
  appendEvent(file2, release('1.0.0', { git_commit: SHA('1') }));
  v = verifyRegistry(readRegistryFile(file2), { repoDir: repo });
  assert.equal([v.ok, v.problem.seq], [false, 1]);
  assert.match(v.problem.message, /git_commit 1{40} does not exist in the repository/);
});

/** Run `policydrift registry ...` in-process with a fresh program. */
async function registryCli(args, cwd) {
  const program = new Command().exitOverride();
  let code = 0;
  registerRegistry(program, (c) => (code = c));
  const walk = (c) => c.commands.forEach((s) => (s.exitOverride(), walk(s)));
  walk(program);
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  const prevCwd = process.cwd();
  process.stdout.write = (s) => ((stdout += s), true);
  process.stderr.write = (s) => ((stderr += s), true);
  try {
    process.chdir(cwd);
    await program.parseAsync(['node', 'policydrift', 'registry', ...args]);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    stderr += `error: ${e.message}\n`;
    code = e.exitCode;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.chdir(prevCwd);
  }
  return { code, stdout, stderr };
}

test('CLI: registry list, show, verify', async () => {
  const { repo, sha } = projectRepo();
  const digest = extractAtRef({ repoDir: repo, rev: sha }).manifest.digest;
  const file = path.join(repo, 'release/registry.json');
  appendEvent(file, release('1.0.0', { git_commit: sha, manifestDigest: digest, generator: GENERATOR }));
  appendEvent(file, release('1.1.0', { git_commit: sha, manifestDigest: digest }));
  appendEvent(file, revoke('1.1.0', 'leaks request ids'));

  const list = await registryCli(['list'], repo);
  assert.is(list.code, 0, list.stderr);
  const lines = list.stdout.trimEnd().split('\n');
  assert.equal(lines[0].split(/\s+/), ['SEQ', 'TYPE', 'VERSION', 'COMMIT', 'PROFILE', 'MANIFEST', 'TIME', 'STATUS']);
  assert.match(
    lines[1],
    new RegExp(
      `^1\\s+release\\s+1\\.0\\.0\\s+${sha.slice(0, 12)}\\s+prod\\s+v1 sha256:[0-9a-f]{12}\\s+2025-01-01T00:00:00\\.000Z\\s+\\* last active$`,
    ),
  );
  assert.match(lines[2], /^2\s+release\s+1\.1\.0 .*revoked \(seq 3\)$/);
  assert.match(lines[3], /^3\s+revoke\s+1\.1\.0 .*leaks request ids$/);

  const show = await registryCli(['show', '1.1.0', '--root', repo], REPO);
  assert.is(show.code, 0, show.stderr);
  assert.equal(JSON.parse(show.stdout), load(file).events[1]);
  assert.match(show.stderr, /1\.1\.0 was revoked at seq 3: leaks request ids/);
  const missing = await registryCli(['show', '9.9.9'], repo);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /no release 9\.9\.9/);

  const ok = await registryCli(['verify'], repo);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(
    ok.stderr,
    /OK: 3 event\(s\), chain intact; 0 signature\(s\) valid \(no "releaseSigners" in the config \(none found\)\); 2 release commit\(s\) present; 1 manifest digest\(s\) re-derived/,
  );
  assert.match(ok.stderr, /warning: .*3 unsigned event\(s\) accepted as a legacy prefix/);
  assert.match(ok.stderr, /seq 2 \(release 1\.1\.0\): digest not re-derived: no generator version recorded/);

  const reg = load(file);
  reg.events[0].profile = 'dev';
  const tampered = path.join(repo, 'tampered.json');
  save(tampered, reg);
  const bad = await registryCli(['verify', '--registry', tampered], repo);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /tampered\.json is broken at seq 2 \(release 1\.1\.0\): prev /);
});

// ---------------------------------------------------------------------------
// Signed events: ssh-keygen -Y sign -n policydrift-release by a key of the release signers file.

function keypair(name) {
  const key = path.join(tmpdir('policydrift-keys-'), name);
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]);
  assert.is(r.status, 0, String(r.stderr));
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
const ci = keypair('release');
const mallory = keypair('mallory');
const SIGNERS = { text: `release@ci ${ci.pub}\n`, source: 'main:.policydrift/release_signers' };
const CI_KEY = { keyPath: ci.key, identity: 'release@ci' };

/** A forged event: chained correctly onto the last one, but written by hand. */
function forge(file, event) {
  const reg = load(file);
  const last = reg.events[reg.events.length - 1];
  reg.events.push({ ...event, seq: reg.events.length + 1, prev: eventDigest(last) });
  save(file, reg);
  return reg;
}

test('signed events: append signs with the release key; verify checks every signature', () => {
  const file = newFile();
  const { event } = appendEvent(file, release('1.0.0', { time: undefined }), { sign: CI_KEY, signers: SIGNERS });
  assert.is(event.signer, 'release@ci');
  assert.match(event.signature, /^-----BEGIN SSH SIGNATURE-----\n[\s\S]+-----END SSH SIGNATURE-----\n$/);
  assert.is(
    verifySignature(signedPayload(event), event.signature, 'release@ci', SIGNERS.text, {
      namespace: RELEASE_SIGNATURE_NAMESPACE,
    }).ok,
    true,
  );
  // its own namespace: the same signature is not an approval
  assert.is(verifySignature(signedPayload(event), event.signature, 'release@ci', SIGNERS.text).ok, false);
  appendEvent(file, { ...revoke('1.0.0', 'leaks request ids'), time: undefined }, { sign: CI_KEY, signers: SIGNERS });
  const v = verifyRegistry(readRegistryFile(file), { signers: SIGNERS });
  assert.equal([v.ok, v.signaturesChecked, v.legacy], [true, 2, 0], v.problem?.message);
  // the chain alone (no signers) does not look at signatures
  assert.is(verifyRegistry(readRegistryFile(file)).signaturesChecked, 0);
  // a key that is not a release signer cannot append, and nothing is written
  const before = fs.readFileSync(file, 'utf8');
  throwsUser(
    () =>
      appendEvent(file, release('1.1.0', { time: undefined }), {
        sign: { keyPath: mallory.key, identity: 'release@ci' },
        signers: SIGNERS,
      }),
    /cannot append: seq 3 \(release 1\.1\.0\): is not validly signed by a release signer of main:\.policydrift\/release_signers/,
  );
  assert.is(fs.readFileSync(file, 'utf8'), before);
});

test('a forged event is named with the reason: unsigned after a signed one, signed by another key, edited after signing', () => {
  const file = newFile();
  appendEvent(file, release('1.0.0'), { sign: CI_KEY, signers: SIGNERS });
  const good = fs.readFileSync(file, 'utf8');

  // unsigned and correctly chained (the forged release of the attack)
  forge(file, release('1.0.1', { git_commit: SHA('d'), supersedes: '1.0.0' }));
  let v = verifyRegistry(readRegistryFile(file), { signers: SIGNERS });
  assert.equal([v.ok, v.problem.index, v.problem.seq, v.problem.version], [false, 1, 2, '1.0.1']);
  assert.match(v.problem.message, /^seq 2 \(release 1\.0\.1\): is not signed, but seq 1 was/);
  assert.match(v.problem.hint, /release signers/);
  assert.is(verifyRegistry(readRegistryFile(file)).ok, true, 'the hash chain alone accepts it');
  throwsUser(
    () => appendEvent(file, release('1.0.2'), { sign: CI_KEY, signers: SIGNERS }),
    /refusing to append to a broken registry: seq 2 \(release 1\.0\.1\): is not signed/,
  );

  // signed by mallory, claiming to be the release signer
  fs.writeFileSync(file, good);
  const reg = load(file);
  const last = reg.events[0];
  const unsigned = {
    ...release('1.0.1', { supersedes: '1.0.0' }),
    seq: 2,
    prev: eventDigest(last),
    signer: 'release@ci',
  };
  reg.events.push({
    ...unsigned,
    signature: signMessage(signedPayload(unsigned), mallory.key, { namespace: RELEASE_SIGNATURE_NAMESPACE }),
  });
  save(file, reg);
  v = verifyRegistry(readRegistryFile(file), { signers: SIGNERS });
  assert.equal([v.ok, v.problem.seq, v.problem.version], [false, 2, '1.0.1']);
  assert.match(
    v.problem.message,
    /^seq 2 \(release 1\.0\.1\): is not validly signed by a release signer of main:\.policydrift\/release_signers: signature does not verify for release@ci/,
  );

  // a signed event edited afterwards (its signature no longer covers it)
  fs.writeFileSync(file, good);
  const edited = load(file);
  edited.events[0].git_commit = SHA('e');
  save(file, edited);
  v = verifyRegistry(readRegistryFile(file), { signers: SIGNERS });
  assert.equal([v.ok, v.problem.seq], [false, 1]);
  assert.match(v.problem.message, /is not validly signed/);

  // signed, but nobody configured release signers to check it against: fail closed
  fs.writeFileSync(file, good);
  v = verifyRegistry(readRegistryFile(file), {
    signers: { text: null, source: 'no "releaseSigners" in the config at main' },
  });
  assert.equal([v.ok, v.problem.seq], [false, 1]);
  assert.match(
    v.problem.message,
    /is signed by release@ci, but there is no release signers file to check it against \(no "releaseSigners"/,
  );
});

test('a legacy registry is an unsigned prefix (counted), sealed by the first signed event', () => {
  const file = newFile();
  appendEvent(file, release('1.0.0'));
  appendEvent(file, release('1.1.0'));
  let v = verifyRegistry(readRegistryFile(file), { signers: SIGNERS });
  assert.equal([v.ok, v.legacy, v.signaturesChecked], [true, 2, 0]);
  appendEvent(file, release('1.2.0'), { sign: CI_KEY, signers: SIGNERS });
  v = verifyRegistry(readRegistryFile(file), { signers: SIGNERS });
  assert.equal([v.ok, v.legacy, v.signaturesChecked], [true, 2, 1]);
  // sealed: an unsigned event after it is an error, even through appendEvent
  throwsUser(
    () => appendEvent(file, revoke('1.2.0'), { signers: SIGNERS }),
    /cannot append: seq 4 \(revoke 1\.2\.0\): is not signed, but seq 3 was/,
  );
  assert.is(readRegistryFile(file).events.length, 3);
});

test('appendedEvents: what a candidate adds is trusted only when validly signed by a trusted release signer', () => {
  const file = newFile();
  appendEvent(file, release('1.0.0'), { sign: CI_KEY, signers: SIGNERS });
  const trusted = readRegistryFile(file);
  appendEvent(file, release('1.1.0', { time: undefined }), { sign: CI_KEY, signers: SIGNERS });
  forge(file, revoke('1.0.0'));
  const added = appendedEvents(trusted, readRegistryFile(file), SIGNERS);
  assert.equal(
    added.map((a) => [a.index, a.event.version, a.problem]),
    [
      [1, '1.1.0', null],
      [2, '1.0.0', 'is not signed by a release signer'],
    ],
  );
  // signed by a key the candidate itself adds to the signers: judged with the TRUSTED signers only
  const other = { text: `release@ci ${mallory.pub}\n`, source: 'candidate' };
  assert.match(appendedEvents(trusted, readRegistryFile(file), other)[0].problem, /not validly signed/);
  // appended unsigned events are never a legacy prefix, even on a legacy registry
  const legacy = newFile();
  appendEvent(legacy, release('1.0.0'));
  const lt = readRegistryFile(legacy);
  appendEvent(legacy, revoke('1.0.0'));
  assert.equal(
    appendedEvents(lt, readRegistryFile(legacy), SIGNERS).map((a) => a.problem),
    ['is not signed by a release signer'],
  );
});

test('key rotation: a retired key (valid-before) keeps verifying what it signed, and cannot sign later events', () => {
  const next = keypair('release-2026');
  const file = newFile();
  appendEvent(file, release('1.0.0', { time: '2025-01-01T00:00:00.000Z' }), { sign: CI_KEY });
  // rotation: the old key is valid before 2025-06-01, the new one is added
  const rotated = {
    text: `release@ci valid-before="20250601000000Z" ${ci.pub}\nrelease@ci ${next.pub}\n`,
    source: 'main:.policydrift/release_signers',
  };
  assert.is(verifyRegistry(readRegistryFile(file), { signers: rotated }).ok, true, 'old events still verify');
  appendEvent(file, release('1.1.0', { time: '2025-07-01T00:00:00.000Z' }), {
    sign: { keyPath: next.key, identity: 'release@ci' },
    signers: rotated,
  });
  // the old key signing an event after it was retired
  throwsUser(
    () => appendEvent(file, release('1.2.0', { time: '2025-08-01T00:00:00.000Z' }), { sign: CI_KEY, signers: rotated }),
    /seq 3 \(release 1\.2\.0\): is not validly signed/,
  );
  // ... nor by backdating it: a signed event's time never goes back
  throwsUser(
    () => appendEvent(file, release('1.2.0', { time: '2025-02-01T00:00:00.000Z' }), { sign: CI_KEY, signers: rotated }),
    /seq 3 \(release 1\.2\.0\): time 2025-02-01T00:00:00\.000Z is before the time of the event before it/,
  );
  assert.is(verifyRegistry(readRegistryFile(file), { signers: rotated }).signaturesChecked, 2);
});

test('CLI: registry verify names the forged event and the reason', async () => {
  const { repo, sha } = projectRepo();
  fs.mkdirSync(path.join(repo, '.policydrift'));
  fs.writeFileSync(path.join(repo, '.policydrift/release_signers'), SIGNERS.text);
  fs.writeFileSync(
    path.join(repo, 'policydrift.config.json'),
    JSON.stringify({ releaseSigners: '.policydrift/release_signers' }),
  );
  const file = path.join(repo, 'release/registry.json');
  appendEvent(file, release('1.0.0', { git_commit: sha }), { sign: CI_KEY });
  let r = await registryCli(['verify', '--no-extract'], repo);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /OK: 1 event\(s\), chain intact; 1 signature\(s\) valid \(\.policydrift\/release_signers\)/);
  forge(file, release('1.0.1', { git_commit: sha, supersedes: '1.0.0' }));
  r = await registryCli(['verify', '--no-extract'], repo);
  assert.is(r.code, 1);
  assert.match(
    r.stderr,
    /release\/registry\.json is broken at seq 2 \(release 1\.0\.1\): is not signed, but seq 1 was/,
  );
  assert.match(r.stderr, /hint: only the release job appends to the registry/);
  // list and show verify too: a forged log reports no status
  r = await registryCli(['show', '1.0.1'], repo);
  assert.is(r.code, 1);
  assert.equal(r.stdout, '');
  r = await registryCli(['list'], repo);
  assert.is(r.code, 1);
  assert.match(r.stderr, /broken at seq 2 \(release 1\.0\.1\)/);
  // --trusted-ref reads the signers from git: without a commit of them there are none, and a signed event cannot be checked
  git(repo, 'add', 'release/registry.json');
  git(repo, 'commit', '-qm', 'registry only');
  r = await registryCli(['verify', '--no-extract', '--trusted-ref', 'HEAD'], repo);
  assert.is(r.code, 1);
  assert.match(
    r.stderr,
    /seq 1 \(release 1\.0\.0\): is signed by release@ci, but there is no release signers file to check it against \(no "releaseSigners" in the config at HEAD\)/,
  );
});

test.run();
