// The seed's scenario "Silent weakening of LE control policy", end to end on a temporary git repository
// with a release registry, the real OpenSpec CLI and real ssh-keygen signatures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, git, tmpdir, copyTree, SAMPLE, REPO, writeChangeSet, spawnTimed } from '../helpers.js';

const OPENSPEC = path.join(REPO, 'node_modules', '.bin', 'openspec');

function keypair(dir, name) {
  const key = path.join(dir, name);
  const r = spawnTimed('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]);
  assert.is(r.status, 0);
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

/** A repository with the sample service, OpenSpec, signed approvals by alice, and release 1.0.0 of the first commit on main. */
function setup() {
  const dir = tmpdir('policydrift-check-');
  const keys = tmpdir('policydrift-keys-');
  copyTree(SAMPLE, dir);
  fs.rmSync(path.join(dir, 'openspec'), { recursive: true, force: true });
  fs.rmSync(path.join(dir, 'release'), { recursive: true, force: true });
  const alice = keypair(keys, 'alice');
  const mallory = keypair(keys, 'mallory');
  const releaser = keypair(keys, 'release');
  fs.mkdirSync(path.join(dir, '.policydrift'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.policydrift/allowed_signers'), `alice@example.com ${alice.pub}\n`);
  fs.writeFileSync(path.join(dir, '.policydrift/release_signers'), `release@ci ${releaser.pub}\n`);
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'policydrift.config.json'), 'utf8'));
  cfg.approvals = { mode: 'signed', allowedSigners: '.policydrift/allowed_signers', minApprovals: 1 };
  fs.writeFileSync(path.join(dir, 'policydrift.config.json'), JSON.stringify(cfg, null, 2) + '\n');
  const init = spawnTimed(process.execPath, [OPENSPEC, 'init', '--tools', 'none', '--no-animation', '.'], {
    cwd: dir,
    env: { ...process.env, OPENSPEC_TELEMETRY: '0', OPENSPEC_NO_UPDATE_CHECK: '1' },
  });
  assert.is(init.status, 0, String(init.stderr));
  git(dir, 'init', '-q');
  assert.is(cli(['extract', '--write'], { cwd: dir }).code, 0);
  const base = commitAll(dir, 'service');
  {
    // record release 1.0.0 with the registry library, signed by the release key, as the release command does
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'invariants.manifest.json'), 'utf8'));
    const script = `import { appendEvent } from ${JSON.stringify(path.join(REPO, 'dist/registry/index.js'))};
appendEvent('release/registry.json', { type: 'release', version: '1.0.0', git_commit: ${JSON.stringify(base)}, profile: 'prod', manifestVersion: ${m.manifestVersion}, manifestDigest: ${JSON.stringify(m.digest)}, artifact: { name: 'sample-1.0.0.tgz', sha256: '${'0'.repeat(64)}' } },
  { sign: { keyPath: ${JSON.stringify(releaser.key)}, identity: 'release@ci' } });`;
    const r = spawnTimed(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
  }
  commitAll(dir, 'release 1.0.0');
  git(dir, 'checkout', '-qb', 'feature');
  return { dir, alice, mallory, base };
}

/** The silent weakening: a new permissible response type, declared in another file. */
function addWiretapVariant(dir) {
  fs.writeFileSync(
    path.join(dir, 'src/le/wiretap.ts'),
    "export interface WiretapContent {\n  kind: 'WIRETAP_CONTENT';\n  requestId: string;\n  producedAt: string;\n  messages: string[];\n}\n",
  );
  const p = path.join(dir, 'src/le/types.ts');
  const s = fs
    .readFileSync(p, 'utf8')
    .replace(
      'export type LeResponse = SubscriberInfo | AccountMetadata | PreservationAck | NoRecords | Rejected;',
      "import type { WiretapContent } from './wiretap.js';\nexport type LeResponse = SubscriberInfo | AccountMetadata | PreservationAck | NoRecords | Rejected | WiretapContent;",
    );
  fs.writeFileSync(p, s);
  assert.is(cli(['extract', '--write'], { cwd: dir }).code, 0);
  return commitAll(dir, 'add wiretap content response');
}

const check = (dir, ...extra) => cli(['check', '--registry-ref', 'main', ...extra], { cwd: dir });

test('silent weakening of LE control policy: fails, is justified, approved, and voided by an edit', () => {
  const { dir, alice } = setup();
  assert.is(check(dir).code, 0, 'no change yet');
  addWiretapVariant(dir);

  let r = check(dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAIL — 1 unjustified change/);
  assert.match(
    r.stdout,
    /LE_RESPONSE_ADDED \(weakening\)\s+handle_le_request \[WIRETAP_CONTENT\]\s+src\/le\/wiretap\.ts/,
  );
  assert.match(r.stdout, /rule: LE_RESPONSE_ADDED\n\s+id: handle_le_request\n\s+subject: WIRETAP_CONTENT/);

  r = cli(['justify', 'add-wiretap', '--registry-ref', 'main'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  const meta = fs.readFileSync(path.join(dir, 'openspec/changes/add-wiretap/.openspec.yaml'), 'utf8');
  assert.match(meta, /policydrift:\n  from: \d+\n  to: \d+\n  justifies:\n    - rule: LE_RESPONSE_ADDED/);
  writeChangeSet(dir, 'add-wiretap');
  commitAll(dir, 'justify');
  r = check(dir);
  assert.is(r.code, 1, 'declared but not approved');
  assert.match(r.stdout, /change set add-wiretap is not approved/);

  r = cli(['approve', 'add-wiretap', '--key', alice.key, '--as', 'alice@example.com'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  commitAll(dir, 'approve');
  r = check(dir);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /PASS — 1 change justified/);
  assert.match(r.stdout, /approved by alice@example\.com/);

  const md = check(dir, '--format', 'markdown');
  assert.is(md.code, 0);
  assert.match(md.stdout, /^\*\*✅ policydrift check: PASS/);

  // editing the spec after approval voids it
  fs.appendFileSync(path.join(dir, 'openspec/changes/add-wiretap/specs/privacy-invariants/spec.md'), '\nMore text.\n');
  commitAll(dir, 'edit after approval');
  r = check(dir);
  assert.is(r.code, 1);
  assert.match(r.stdout, /edited after approval/);
});

test('an approval signed by a key outside the baseline allowed signers is rejected, even if the candidate adds it', () => {
  const { dir, mallory } = setup();
  addWiretapVariant(dir);
  assert.is(cli(['justify', 'add-wiretap', '--registry-ref', 'main'], { cwd: dir }).code, 0);
  writeChangeSet(dir, 'add-wiretap');
  // the change also adds mallory to the allowed signers: approvers come from the baseline
  fs.appendFileSync(path.join(dir, '.policydrift/allowed_signers'), `mallory@example.com ${mallory.pub}\n`);
  let r = cli(['approve', 'add-wiretap', '--key', mallory.key, '--as', 'mallory@example.com'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  commitAll(dir, 'self-approved');
  r = check(dir);
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stdout, /rejected approval by mallory@example\.com/);
  // mallory signing as alice does not verify either
  r = cli(['approve', 'add-wiretap', '--key', mallory.key, '--as', 'alice@example.com'], { cwd: dir });
  commitAll(dir, 'forged');
  r = check(dir);
  assert.is(r.code, 1);
  assert.match(r.stdout, /rejected approval by alice@example\.com/);
});

test('a declaration of a different change does not justify this one', () => {
  const { dir, alice } = setup();
  addWiretapVariant(dir);
  assert.is(cli(['justify', 'add-wiretap', '--registry-ref', 'main'], { cwd: dir }).code, 0);
  writeChangeSet(dir, 'add-wiretap');
  const p = path.join(dir, 'openspec/changes/add-wiretap/.openspec.yaml');
  fs.writeFileSync(
    p,
    fs
      .readFileSync(p, 'utf8')
      .replace('subject: WIRETAP_CONTENT', 'subject: SUBSCRIBER_INFO')
      .replace(/\n\s+fingerprint: \w+/, ''),
  );
  assert.is(cli(['approve', 'add-wiretap', '--key', alice.key, '--as', 'alice@example.com'], { cwd: dir }).code, 0);
  commitAll(dir, 'wrong declaration');
  const r = check(dir);
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stdout, /LE_RESPONSE_ADDED \(weakening\)\s+handle_le_request \[WIRETAP_CONTENT\]/);
  const strict = check(dir, '--strict', '--format', 'json');
  const j = JSON.parse(strict.stdout);
  assert.is(j.verdict, 'fail');
  assert.equal(
    j.stale.map((s) => s.declaration.subject),
    ['SUBSCRIBER_INFO'],
  );
});

test('a candidate that edits the registry to move its own baseline fails', () => {
  const { dir, base } = setup();
  const weak = addWiretapVariant(dir);
  const p = path.join(dir, 'release/registry.json');
  const reg = JSON.parse(fs.readFileSync(p, 'utf8'));
  reg.events[0].git_commit = weak; // point the baseline at the weakening itself
  fs.writeFileSync(p, JSON.stringify(reg, null, 2) + '\n');
  commitAll(dir, 'move baseline');
  const r = check(dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /registry/);
  assert.match(r.stderr, /seq 1|event 1|first differing/i);
  void base;
});

test('a stale committed manifest fails with the remedy', () => {
  const { dir } = setup();
  fs.appendFileSync(
    path.join(dir, 'src/index.ts'),
    '\n/** @invariant added.later Something new. */\nexport const later = 1;\n',
  );
  commitAll(dir, 'forgot extract --write');
  const r = check(dir);
  assert.is(r.code, 1);
  assert.match(r.stdout, /stale manifest/);
  assert.match(r.stdout, /privacy:added\.later/);
  assert.match(r.stdout, /extract --write/);
});

test('--against compares with the merge-base, so main moving on is not blamed on the branch', () => {
  const { dir } = setup();
  // main gets a weakening after the branch point; the branch only adds a comment
  git(dir, 'checkout', '-q', 'main');
  addWiretapVariant(dir);
  git(dir, 'checkout', '-q', 'feature');
  fs.appendFileSync(path.join(dir, 'src/index.ts'), '\n// a comment\n');
  commitAll(dir, 'comment');
  const r = cli(['check', '--against', 'main', '--format', 'json'], { cwd: dir });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  assert.is(j.baseline.source, 'merge-base');
  assert.equal(j.unjustified, []);
});

test('a shallow clone missing the baseline commit gives exit 2 and the remedy', () => {
  const { dir } = setup();
  addWiretapVariant(dir);
  const clone = tmpdir('policydrift-shallow-');
  fs.rmSync(clone, { recursive: true });
  git(path.dirname(clone), 'clone', '-q', '--depth', '1', '--branch', 'feature', `file://${dir}`, clone);
  git(clone, 'fetch', '-q', '--depth', '1', 'origin', 'main:main');
  const r = cli(['check', '--registry-ref', 'main'], { cwd: clone });
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /fetch-depth: 0|--unshallow/);
  assert.not.match(r.stderr, /at .*\.js:\d+/);
});

test('a malformed config at the candidate is a located input error (exit 2), not a crash', () => {
  const { dir } = setup();
  fs.writeFileSync(path.join(dir, 'policydrift.config.json'), '{ "exclude": [,] }\n');
  commitAll(dir, 'broken config');
  const r = check(dir);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /policydrift\.config\.json:1:\d+: malformed JSON/);
  assert.not.match(r.stderr, /internal error/);
});

test('files that govern extraction and approval are changes to justify: config, tsconfig, allowed signers', () => {
  const { dir, mallory } = setup();
  // hide the key service from the analysis through the tsconfig, and add a signer
  const tsconfig = JSON.parse(fs.readFileSync(path.join(dir, 'tsconfig.json'), 'utf8'));
  tsconfig.exclude = ['src/keys/service.ts'];
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2) + '\n');
  fs.appendFileSync(path.join(dir, '.policydrift/allowed_signers'), `mallory@example.com ${mallory.pub}\n`);
  assert.is(cli(['extract', '--write'], { cwd: dir }).code, 0);
  commitAll(dir, 'hide the key service');
  const r = check(dir, '--format', 'json');
  assert.is(r.code, 1, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  const ids = j.unjustified
    .filter((u) => u.change.rule === 'CONFIG_CHANGED')
    .map((u) => u.change.id)
    .sort();
  assert.equal(ids, ['.policydrift/allowed_signers', 'tsconfig.json']);
  // a comment-only tsconfig edit is not a change
  const again = setup();
  fs.writeFileSync(
    path.join(again.dir, 'tsconfig.json'),
    '// the compiler settings\n' + fs.readFileSync(path.join(again.dir, 'tsconfig.json'), 'utf8'),
  );
  commitAll(again.dir, 'comment');
  assert.is(check(again.dir).code, 0);
});

test.run();
