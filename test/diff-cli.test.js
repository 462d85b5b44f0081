import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canonicalJson } from '../dist/manifest/index.js';
import { runDiff, runExplain, closeRuleIds } from '../dist/cli/diff.js';
import { loadManifestOperand } from '../dist/cli/operands.js';
import { validator } from '../dist/util/jsonfile.js';
import { baseLocations, baseParts, clone, field, manifest, siteKey } from './helpers/manifests.js';
import { runCli } from './helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policydrift-diff-cli-'));
const write = (name, text) => {
  const f = path.join(dir, name);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text);
  return f;
};

const base = manifest(baseParts(), baseLocations());
const weakerParts = clone(baseParts());
weakerParts.handlers.handle_le_request.variants.WIRETAP_CONTENT = { fields: { audio: field('Uint8Array') } };
const weaker = manifest(weakerParts, baseLocations());
const strongerParts = clone(baseParts());
delete strongerParts.schemas.AuditEvent.fields.ip;
const stronger = manifest(strongerParts, baseLocations());
const argParts = clone(baseParts());
argParts.sites[siteKey('signToken', 'getSigningKey')].guards[1].args.scope = 'keys:admin';
const argChanged = manifest(argParts, baseLocations());

write('base.json', canonicalJson(base));
write('weaker.json', canonicalJson(weaker));
write('stronger.json', canonicalJson(stronger));
write('arg.json', canonicalJson(argChanged));
write('malformed.json', '{\n  "schemaVersion": 1,\n  "digest": ,\n}\n');
const invalid = clone(base);
invalid.invariants.le.handlers.handle_le_request.unbounded = 'no';
write('invalid.json', JSON.stringify(invalid, null, 2));
const edited = clone(base);
edited.invariants.privacy.invariants['le.response.closed'].statement = 'edited by hand';
write('edited.json', canonicalJson(edited));
write(
  'orders.config.json',
  JSON.stringify({ orders: { guardArgs: { 'requireScope.scope': ['blob:read', 'keys:read', 'keys:admin'] } } }),
);

test('CLI: json report, exit 1 on a weakening', () => {
  const r = runCli(['diff', 'base.json', 'weaker.json', '--format', 'json'], { cwd: dir });
  assert.is(r.code, 1, r.stderr);
  const report = /** @type {import('../dist/diff/index.js').DiffResult} */ (JSON.parse(r.stdout));
  assert.ok(validator('diff')(report));
  assert.equal(
    report.changes.map((c) => [c.rule, c.effect, c.id, c.subject]),
    [['LE_RESPONSE_ADDED', 'weakening', 'handle_le_request', 'WIRETAP_CONTENT']],
  );
  assert.equal(report.summary, { weakening: 1, strengthening: 0, modified: 0, neutral: 0 });
});

test('CLI: identical manifests exit 0 with the text verdict', () => {
  const r = runCli(['diff', 'base.json', 'base.json'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.split('\n')[1], '✅ no behaviour change');
  assert.not.match(r.stdout, /\u001b\[/);
});

test('--fail-on levels (in-process)', async () => {
  const code = async (a, b, failOn) => (await runDiff(a, b, failOn ? { failOn } : {}, { cwd: dir })).exitCode;
  assert.is(await code('base.json', 'weaker.json', 'none'), 0);
  assert.is(await code('base.json', 'stronger.json'), 0);
  assert.is(await code('base.json', 'stronger.json', 'modified'), 0);
  assert.is(await code('base.json', 'stronger.json', 'any'), 1);
  assert.is(await code('stronger.json', 'base.json', 'modified'), 1, 'the reverse is a weakening');
  assert.is(
    runCli(['diff', 'base.json', 'stronger.json', '--fail-on', 'any'], { cwd: dir }).code,
    1,
    'through the CLI',
  );
});

test('CLI: invalid --format / --fail-on exit 2 with the allowed values', () => {
  const f = runCli(['diff', 'base.json', 'weaker.json', '--format', 'xml'], { cwd: dir });
  assert.is(f.code, 2);
  assert.match(f.stderr, /argument 'xml' is invalid\. Allowed choices are text, json, markdown, sarif, github\./);
  const l = runCli(['diff', 'base.json', 'weaker.json', '--fail-on', 'severe'], { cwd: dir });
  assert.is(l.code, 2);
  assert.match(l.stderr, /argument 'severe' is invalid\. Allowed choices are weakening, modified, any, none\./);
});

test('CLI: bad manifest files exit 2 naming file:line:col and the JSON path', () => {
  const m = runCli(['diff', 'malformed.json', 'base.json'], { cwd: dir });
  assert.is(m.code, 2);
  assert.match(m.stderr, /malformed\.json:3:\d+: malformed JSON/);
  const i = runCli(['diff', 'base.json', 'invalid.json'], { cwd: dir });
  assert.is(i.code, 2);
  assert.match(
    i.stderr,
    /invalid\.json:\d+:\d+: invalid manifest file: \/invariants\/le\/handlers\/handle_le_request\/unbounded must be boolean/,
  );
  const e = runCli(['diff', 'base.json', 'edited.json'], { cwd: dir });
  assert.is(e.code, 2);
  assert.match(e.stderr, /edited\.json: manifest digest does not match its content/);
  const n = runCli(['diff', 'base.json', 'missing.json'], { cwd: dir });
  assert.is(n.code, 2);
  assert.match(n.stderr, /missing\.json: cannot read manifest file \(ENOENT\)/);
});

test('CLI: git: operands outside a repository, or without a revision, are input errors', () => {
  const r = runCli(['diff', 'git:HEAD', 'base.json'], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stderr, /not a git repository/i);
  assert.throws(() => loadManifestOperand('git:', { cwd: dir }), /missing revision after git:/);
  assert.throws(() => loadManifestOperand('git:--output=x', { cwd: dir }), /must not start with "-"/);
});

test('CLI: --config supplies guard argument orders', () => {
  const plain = runCli(['diff', 'base.json', 'arg.json', '--format', 'json'], { cwd: dir });
  assert.is(plain.code, 1);
  assert.equal(
    JSON.parse(plain.stdout).changes.map((c) => [c.rule, c.subject]),
    [['KEYGATE_GUARD_ARG_CHANGED', 'requireScope.scope']],
  );
  const ordered = runCli(['diff', 'base.json', 'arg.json', '--format', 'json', '--config', 'orders.config.json'], {
    cwd: dir,
  });
  assert.is(ordered.code, 0, ordered.stderr);
  assert.equal(
    JSON.parse(ordered.stdout).changes.map((c) => [c.rule, c.subject]),
    [['KEYGATE_GUARD_ARG_STRENGTHENED', 'requireScope.scope']],
  );
  const missing = runCli(['diff', 'base.json', 'arg.json', '--config', 'nope.json'], { cwd: dir });
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /nope\.json: config file not found/);
});

test('every format prints something specific (in-process)', async () => {
  const out = async (format) => (await runDiff('base.json', 'weaker.json', { format }, { cwd: dir })).output;
  assert.is((await out('markdown')).split('\n')[0], '**❌ 1 weakening — justification required**');
  assert.is(
    (await out('github')).split('\n')[0],
    '::error file=src/le/handler.ts,title=LE_RESPONSE_ADDED::LE handler handle_le_request can now return response variant "WIRETAP_CONTENT"',
  );
  const sarif = JSON.parse(await out('sarif'));
  assert.is(sarif.version, '2.1.0');
  assert.is(sarif.runs[0].results[0].ruleId, 'LE_RESPONSE_ADDED');
  assert.match((await out('text')).split('\n')[4], /^  LE_RESPONSE_ADDED  /);
});

test('CLI: explain prints the reference entry; unknown ids exit 2 with close matches', () => {
  const ok = runCli(['explain', 'LE_RESPONSE_ADDED']);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(ok.stdout.split('\n')[0], 'LE_RESPONSE_ADDED  (le, weakening)');
  assert.match(ok.stdout, /How to justify: /);
  const bad = runCli(['explain', 'LE_RESPONSE_ADED']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /unknown rule "LE_RESPONSE_ADED"; close matches: LE_RESPONSE_ADDED/);
});

test('runDiff and explain in-process', async () => {
  const r = await runDiff('base.json', 'weaker.json', { format: 'text' }, { cwd: dir });
  assert.is(r.exitCode, 1);
  assert.is(r.result.changes.length, 1);
  assert.match(r.output, /LE_RESPONSE_ADDED/);
  const s = await runDiff('base.json', 'weaker.json', { format: 'sarif' }, { cwd: dir });
  assert.ok(s.output.includes('"policydrift/v1"'));
  assert.match(runExplain('le_response_added'), /^LE_RESPONSE_ADDED /);
  assert.is(closeRuleIds('GUARD_REMOVED')[0], 'KEYGATE_GUARD_REMOVED');
  assert.ok(closeRuleIds('LOG_FIELD_WIDEN').includes('LOG_FIELD_WIDENED'));
  assert.equal(closeRuleIds('zzzzzzzzzzzzzzzzzzzz'), []);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test.run();
