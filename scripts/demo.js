#!/usr/bin/env node
// A guided run of the whole pipeline on the bundled sample service (fixtures/sample-service), with real output:
// extract, a release that records the baseline, the seed's silent weakening caught by `check` and by `release`,
// then justified by an approved OpenSpec change set and released. Works in a temporary git repository.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(REPO, 'bin', 'policydrift.js');
const env = {
  ...process.env,
  OPENSPEC_TELEMETRY: '0',
  OPENSPEC_NO_UPDATE_CHECK: '1',
  GIT_AUTHOR_NAME: 'Demo',
  GIT_AUTHOR_EMAIL: 'demo@example.com',
  GIT_COMMITTER_NAME: 'Demo',
  GIT_COMMITTER_EMAIL: 'demo@example.com',
};
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policydrift-demo-'));
let failures = 0;

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: dir, env, encoding: 'utf8' });
  if (opts.show !== false) process.stdout.write((r.stdout ?? '') + (opts.stderr ? (r.stderr ?? '') : ''));
  return r;
}
function step(title) {
  process.stdout.write(`\n\x1b[1m━━ ${title}\x1b[0m\n`);
}
function pd(args, expect, opts = {}) {
  process.stdout.write(`$ policydrift ${args.join(' ')}\n`);
  const r = sh(process.execPath, [BIN, ...args], opts);
  if (r.status !== expect) {
    failures++;
    process.stdout.write(`!! expected exit ${expect}, got ${r.status}\n${r.stderr}`);
  } else process.stdout.write(`(exit ${r.status})\n`);
  return r;
}
/** Canonical JSON as policydrift writes it (sorted keys, 2-space indent, trailing newline). */
function canonical(v) {
  const sort = (x) =>
    Array.isArray(x)
      ? x.map(sort)
      : x && typeof x === 'object'
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, sort(x[k])]),
          )
        : x;
  return JSON.stringify(sort(v), null, 2) + '\n';
}
const git = (...a) => sh('git', ['-c', 'commit.gpgsign=false', ...a], { show: false });

fs.cpSync(path.join(REPO, 'fixtures', 'sample-service'), dir, { recursive: true });
fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
fs.appendFileSync(path.join(dir, '.gitignore'), 'node_modules\n');
spawnSync('ssh-keygen', [
  '-q',
  '-t',
  'ed25519',
  '-N',
  '',
  '-C',
  'alice',
  '-f',
  path.join(dir, '..', path.basename(dir) + '-alice'),
]);
const key = path.join(dir, '..', path.basename(dir) + '-alice');
fs.appendFileSync(
  path.join(dir, '.policydrift/allowed_signers'),
  `alice@example.com ${fs
    .readFileSync(key + '.pub', 'utf8')
    .split(' ')
    .slice(0, 2)
    .join(' ')}\n`,
);
// The release job's key (in CI: a secret written to a file, named by POLICYDRIFT_SIGNING_KEY); it signs every registry event.
const releaseKey = path.join(dir, '..', path.basename(dir) + '-release');
spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'release', '-f', releaseKey]);
fs.appendFileSync(
  path.join(dir, '.policydrift/release_signers'),
  `release@ci ${fs
    .readFileSync(releaseKey + '.pub', 'utf8')
    .split(' ')
    .slice(0, 2)
    .join(' ')}\n`,
);
git('init', '-q', '-b', 'main');
git('add', '-A');
git('commit', '-qm', 'sample service');

step('1. Extract the invariant manifest (summary of `policydrift extract`)');
const m = JSON.parse(spawnSync(process.execPath, [BIN, 'extract'], { cwd: dir, env, encoding: 'utf8' }).stdout);
const le = m.invariants.le.handlers;
for (const [h, v] of Object.entries(le))
  console.log(`LE handler ${h}: variants ${Object.keys(v.variants).join(', ')}${v.unbounded ? ' (UNBOUNDED)' : ''}`);
for (const [s, v] of Object.entries(m.invariants.logging.schemas))
  console.log(
    `log schema ${s}: ${Object.keys(v.fields).length} fields, retention ${v.retentionDays ?? '∞'} days${v.open ? ', OPEN' : ''}`,
  );
for (const [k, v] of Object.entries(m.invariants.keygate.sites))
  console.log(
    `gated ${k}: ${v.guards.map((g) => `${g.guard}(${Object.values(g.args).join(', ')})`).join(' + ') || 'UNGUARDED'}`,
  );
console.log(`invariants: ${Object.keys(m.invariants.privacy.invariants).join(', ')}`);

step('2. First release: records the baseline in the registry, signed by the release key');
pd(['release', '--profile', 'prod', '--version', '1.0.0', '--signing-key', releaseKey], 0);
git('add', '-A');
git('commit', '-qm', 'release 1.0.0');

step('3. A silent weakening: a new LE response variant, declared in another file');
fs.writeFileSync(
  path.join(dir, 'src/le/wiretap.ts'),
  "export interface WiretapContent {\n  kind: 'WIRETAP_CONTENT';\n  requestId: string;\n  producedAt: string;\n  messages: string[];\n}\n",
);
const types = path.join(dir, 'src/le/types.ts');
fs.writeFileSync(
  types,
  fs
    .readFileSync(types, 'utf8')
    .replace(
      'export type LeResponse = SubscriberInfo | AccountMetadata | PreservationAck | NoRecords | Rejected;',
      "import type { WiretapContent } from './wiretap.js';\nexport type LeResponse = SubscriberInfo | AccountMetadata | PreservationAck | NoRecords | Rejected | WiretapContent;",
    ),
);
pd(['extract', '--write'], 0, { stderr: true });
git('commit', '-qam', 'add wiretap content');
git('add', '-A');
git('commit', '-qm', 'add wiretap file');
pd(['check', '--registry-ref', 'main'], 1);
pd(['release', '--profile', 'prod', '--version', '1.1.0', '--signing-key', releaseKey], 1);

step('4. Justify with an OpenSpec change set, approve it with a signed approval, release');
pd(['justify', 'add-wiretap-response'], 0, { stderr: true });
// The scaffold still says TODO: approve refuses it until the author writes the proposal and the spec.
pd(['approve', 'add-wiretap-response', '--key', key, '--as', 'alice@example.com'], 2, { stderr: true });
const setDir = path.join(dir, 'openspec/changes/add-wiretap-response');
const edit = (rel, from, to) =>
  fs.writeFileSync(path.join(setDir, rel), fs.readFileSync(path.join(setDir, rel), 'utf8').replace(from, to));
edit(
  'proposal.md',
  /TODO: why .*\n/,
  'Courts may order the content of intercepted messages; the handler must be able to return it.\n',
);
edit(
  'specs/privacy-invariants/spec.md',
  /The system SHALL change .*\nTODO: .*\n/,
  'The LE handler SHALL return intercepted message content only for a valid interception order.\n',
);
console.log('(proposal.md and specs/privacy-invariants/spec.md written by the author)');
pd(['approve', 'add-wiretap-response', '--key', key, '--as', 'alice@example.com'], 0, { stderr: true });
git('add', '-A');
git('commit', '-qm', 'justify and approve');
pd(['check', '--registry-ref', 'main', '--format', 'markdown'], 0);
pd(['release', '--profile', 'prod', '--version', '1.1.0', '--signing-key', releaseKey], 0);
git('add', '-A');
git('commit', '-qm', 'release 1.1.0');

step('5. A hand-made registry event is not a release: a branch appends an unsigned, correctly chained event');
git('checkout', '-qb', 'forge');
const regFile = path.join(dir, 'release/registry.json');
const reg = JSON.parse(fs.readFileSync(regFile, 'utf8'));
const last = reg.events[reg.events.length - 1];
const {
  signer: _s,
  signature: _sig,
  ...forged
} = { ...last, seq: last.seq + 1, version: '1.1.1', supersedes: last.version, time: new Date().toISOString() };
forged.prev = `sha256:${createHash('sha256').update(canonical(last)).digest('hex')}`;
reg.events.push(forged);
fs.writeFileSync(regFile, canonical(reg));
git('commit', '-qam', 'record 1.1.1 by hand');
pd(['check', '--registry-ref', 'main'], 1);
pd(['registry', 'verify', '--no-extract', '--trusted-ref', 'main'], 1, { stderr: true });
git('checkout', '-q', 'main');

console.log(`\nThe demo repository is ${dir} (try \`git log\`, \`policydrift registry list\` there).`);
console.log(failures ? `\n${failures} step(s) did not behave as expected.` : '\nEvery step behaved as expected.');
process.exitCode = failures ? 1 : 0;
