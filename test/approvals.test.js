// Approvals: real ssh-keygen signatures over the change-set digest, in temp dirs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { lazy, tmpdir } from './helpers.js';
import { changeSetDigest } from '../dist/approvals/digest.js';
import { approve, evaluateApprovals, readApprovals } from '../dist/approvals/index.js';
import { signMessage, verifySignature } from '../dist/approvals/ssh.js';

const keysDir = tmpdir('policydrift-keys-');

function keygen(name) {
  const file = path.join(keysDir, name);
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  const pub = fs.readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  return { file, pub };
}

// Keys are made by the first test that needs them, not at module load (a failure fails tests, not the run).
const keys = lazy(() => {
  const alice = keygen('alice');
  const bob = keygen('bob');
  return {
    alice,
    bob,
    mallory: keygen('mallory'),
    ALLOWED: `alice@example.com ${alice.pub}\nbob@example.com ${bob.pub}\n`,
  };
});
/** @type {import('../dist/config/index.js').ApprovalsConfig} */
const SIGNED = { mode: 'signed', allowedSigners: '.policydrift/allowed_signers', minApprovals: 1 };

const SPEC = `## ADDED Requirements
### Requirement: Disclose account metadata
The LE handler SHALL disclose account metadata only under a valid warrant.

#### Scenario: Warrant present
- **WHEN** a valid warrant is presented
- **THEN** the handler returns ACCOUNT_METADATA
`;

function makeSet() {
  const dir = path.join(tmpdir('policydrift-approvals-'), 'openspec', 'changes', 'add-x');
  fs.mkdirSync(path.join(dir, 'specs', 'le-responses'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, '.openspec.yaml'),
    'schema: spec-driven\ncreated: 2026-01-01\npolicydrift:\n  from: 1\n  to: 2\n  justifies:\n    - { rule: LE_RESPONSE_ADDED, id: handle_le_request, subject: ACCOUNT_METADATA }\n',
  );
  fs.writeFileSync(path.join(dir, 'proposal.md'), '## Why\nBecause.\n');
  fs.writeFileSync(path.join(dir, 'specs', 'le-responses', 'spec.md'), SPEC);
  fs.writeFileSync(path.join(dir, 'tasks.md'), '- [ ] do it\n');
  return dir;
}

test('digest covers proposal, specs and the policydrift block, nothing else', () => {
  const dir = makeSet();
  const d0 = changeSetDigest(dir);
  assert.match(d0, /^sha256:[0-9a-f]{64}$/);
  assert.is(changeSetDigest(dir), d0);
  // tasks.md, other yaml keys and approvals.yaml are not covered
  fs.writeFileSync(path.join(dir, 'tasks.md'), '- [x] do it\n');
  fs.appendFileSync(path.join(dir, '.openspec.yaml'), 'goal: ship\n');
  fs.writeFileSync(path.join(dir, 'approvals.yaml'), 'approvals: []\n');
  assert.is(changeSetDigest(dir), d0);
  // key order inside the block does not matter (canonical JSON)
  const meta = fs.readFileSync(path.join(dir, '.openspec.yaml'), 'utf8');
  fs.writeFileSync(path.join(dir, '.openspec.yaml'), meta.replace('  from: 1\n  to: 2\n', '  to: 2\n  from: 1\n'));
  assert.is(changeSetDigest(dir), d0);
  // CRLF checkout digests the same
  fs.writeFileSync(path.join(dir, 'proposal.md'), '## Why\r\nBecause.\r\n');
  assert.is(changeSetDigest(dir), d0);

  const edits = [
    () => fs.writeFileSync(path.join(dir, 'proposal.md'), '## Why\nBecause!\n'),
    () =>
      fs.writeFileSync(
        path.join(dir, '.openspec.yaml'),
        meta.replace('subject: ACCOUNT_METADATA', 'subject: SUBSCRIBER_NAME'),
      ),
    () => {
      fs.mkdirSync(path.join(dir, 'specs', 'other'));
      fs.writeFileSync(path.join(dir, 'specs', 'other', 'spec.md'), SPEC);
    },
    () => fs.rmSync(path.join(dir, 'proposal.md')),
  ];
  const seen = new Set([d0]);
  for (const edit of edits) {
    edit();
    const d = changeSetDigest(dir);
    assert.not.ok(seen.has(d), 'each edit changes the digest');
    seen.add(d);
  }
});

test('sign and verify with ssh-keygen, namespace policydrift', () => {
  const sig = signMessage('sha256:abc', keys().alice.file);
  assert.match(sig, /^-----BEGIN SSH SIGNATURE-----\n/);
  assert.equal(verifySignature('sha256:abc', sig, 'alice@example.com', keys().ALLOWED), { ok: true, reason: '' });
  assert.is(verifySignature('sha256:abd', sig, 'alice@example.com', keys().ALLOWED).ok, false);
  assert.is(verifySignature('sha256:abc', sig, 'bob@example.com', keys().ALLOWED).ok, false);
  assert.is(verifySignature('sha256:abc', sig, 'alice@example.com', `bob@example.com ${keys().bob.pub}\n`).ok, false);
  // a signature made for git (another namespace) is not an approval
  const msg = path.join(keysDir, 'gitmsg');
  fs.writeFileSync(msg, 'sha256:abc');
  spawnSync('ssh-keygen', ['-Y', 'sign', '-f', keys().alice.file, '-n', 'git', msg]);
  const gitSig = fs.readFileSync(`${msg}.sig`, 'utf8');
  assert.is(verifySignature('sha256:abc', gitSig, 'alice@example.com', keys().ALLOWED).ok, false);
  assert.is(verifySignature('sha256:abc', sig, '*', keys().ALLOWED).ok, false);
});

test('approve then evaluate => approved; edit after approval => not approved', () => {
  const dir = makeSet();
  const entry = approve(dir, keys().alice.file, 'alice@example.com', new Date('2026-01-02T03:04:05Z'));
  assert.is(entry.digest, changeSetDigest(dir));
  assert.is(entry.time, '2026-01-02T03:04:05.000Z');
  const raw = readApprovals(dir);
  assert.is(raw.length, 1);
  assert.is(/** @type {import('../dist/approvals/index.js').ApprovalEntry} */ (raw[0]).signature, entry.signature);
  assert.match(
    fs.readFileSync(path.join(dir, 'approvals.yaml'), 'utf8'),
    /signature: \|\n\s+-----BEGIN SSH SIGNATURE-----/,
  );

  let ev = evaluateApprovals(dir, SIGNED, keys().ALLOWED);
  assert.is(ev.approved, true);
  assert.is(ev.mode, 'signed');
  assert.equal(ev.valid, [{ identity: 'alice@example.com' }]);
  assert.equal(ev.invalid, []);
  assert.is(ev.reason, null);

  fs.appendFileSync(path.join(dir, 'specs', 'le-responses', 'spec.md'), '\nAlso SUBSCRIBER_NAME.\n');
  ev = evaluateApprovals(dir, SIGNED, keys().ALLOWED);
  assert.is(ev.approved, false);
  assert.equal(ev.valid, []);
  assert.is(ev.invalid.length, 1);
  assert.is(ev.invalid[0].identity, 'alice@example.com');
  assert.match(ev.invalid[0].reason, /edited after approval/);
  assert.is(ev.reason, '0 of 1 required distinct approvals');
});

test('a key not in the allowed signers, or a forged identity, is invalid', () => {
  const dir = makeSet();
  approve(dir, keys().mallory.file, 'mallory@example.com');
  approve(dir, keys().mallory.file, 'alice@example.com'); // claims to be alice with her own key
  const ev = evaluateApprovals(dir, SIGNED, keys().ALLOWED);
  assert.is(ev.approved, false);
  assert.equal(ev.valid, []);
  assert.equal(
    ev.invalid.map((i) => i.identity),
    ['mallory@example.com', 'alice@example.com'],
  );
  for (const i of ev.invalid) assert.match(i.reason, /signature does not verify for /);
});

test('minApprovals counts distinct identities', () => {
  const dir = makeSet();
  const cfg = { ...SIGNED, minApprovals: 2 };
  approve(dir, keys().alice.file, 'alice@example.com', new Date('2026-01-01T00:00:00Z'));
  approve(dir, keys().alice.file, 'alice@example.com', new Date('2026-01-02T00:00:00Z'));
  // approve replaces the same identity+digest; hand-append a duplicate to be sure evaluation dedupes too
  const file = path.join(dir, 'approvals.yaml');
  const text = fs.readFileSync(file, 'utf8');
  assert.is(readApprovals(dir).length, 1);
  const dup = text.replace(/^approvals:\n/, '').replace(/time: .*/, 'time: "2026-01-03T00:00:00.000Z"');
  fs.writeFileSync(file, text + dup);
  assert.is(readApprovals(dir).length, 2);
  let ev = evaluateApprovals(dir, cfg, keys().ALLOWED);
  assert.is(ev.approved, false);
  assert.equal(ev.valid, [{ identity: 'alice@example.com' }]);
  assert.is(ev.reason, '1 of 2 required distinct approvals');
  approve(dir, keys().bob.file, 'bob@example.com');
  ev = evaluateApprovals(dir, cfg, keys().ALLOWED);
  assert.is(ev.approved, true);
  assert.equal(ev.valid, [{ identity: 'alice@example.com' }, { identity: 'bob@example.com' }]);
});

test('signed mode without allowed signers is not approved', () => {
  const dir = makeSet();
  approve(dir, keys().alice.file, 'alice@example.com');
  let ev = evaluateApprovals(dir, { mode: 'signed', minApprovals: 1 }, keys().ALLOWED);
  assert.is(ev.approved, false);
  assert.match(ev.reason, /approvals\.allowedSigners/);
  assert.match(ev.invalid[0].reason, /none is configured/);
  ev = evaluateApprovals(dir, SIGNED, null);
  assert.is(ev.approved, false);
  assert.match(ev.reason, /does not exist at the baseline/);
  // minApprovals 0 still needs one approval
  const empty = makeSet();
  ev = evaluateApprovals(empty, { ...SIGNED, minApprovals: 0 }, keys().ALLOWED);
  assert.is(ev.approved, false);
  assert.match(ev.reason, /no approvals/);
});

test('listed mode: unsigned approvals by listed identities', () => {
  const dir = makeSet();
  /** @type {import('../dist/config/index.js').ApprovalsConfig} */
  const cfg = { mode: 'listed', approvers: ['alice@example.com'], minApprovals: 1 };
  approve(dir, null, 'carol@example.com');
  let ev = evaluateApprovals(dir, cfg, null);
  assert.is(ev.approved, false);
  assert.equal(ev.invalid, [
    { identity: 'carol@example.com', reason: 'carol@example.com is not in approvals.approvers' },
  ]);
  const entry = approve(dir, null, 'alice@example.com');
  assert.is(entry.signature, undefined);
  ev = evaluateApprovals(dir, cfg, null);
  assert.is(ev.approved, true);
  assert.is(ev.mode, 'listed');
  assert.equal(ev.valid, [{ identity: 'alice@example.com' }]);
  // unsigned entries never count in signed mode
  ev = evaluateApprovals(dir, SIGNED, keys().ALLOWED);
  assert.is(ev.approved, false);
  assert.ok(ev.invalid.some((i) => i.identity === 'alice@example.com' && i.reason === 'no signature (signed mode)'));
  // an edit voids listed approvals too
  fs.writeFileSync(path.join(dir, 'proposal.md'), 'changed\n');
  assert.is(evaluateApprovals(dir, cfg, null).approved, false);
});

test('malformed approvals fail closed', () => {
  const dir = makeSet();
  fs.writeFileSync(
    path.join(dir, 'approvals.yaml'),
    'approvals:\n  - identity: alice@example.com\n    digest: md5:1\n',
  );
  const ev = evaluateApprovals(dir, SIGNED, keys().ALLOWED);
  assert.is(ev.approved, false);
  assert.match(ev.invalid[0].reason, /malformed approval: digest must be/);
  fs.writeFileSync(path.join(dir, 'approvals.yaml'), 'approvals: [\n');
  assert.throws(() => evaluateApprovals(dir, SIGNED, keys().ALLOWED), /approvals\.yaml:\d+:\d+: malformed YAML/);
  assert.throws(() => approve(dir, keys().alice.file, 'alice@example.com'), /malformed YAML/);
  assert.throws(() => approve(dir, keys().alice.file, 'alice example'), /single principal/);
});

test.after(() => fs.rmSync(keysDir, { recursive: true, force: true }));

test.run();
