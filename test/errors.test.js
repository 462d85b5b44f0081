// Located user errors carry their position as fields (file, line, column), not only in the message text,
// and the message text is what it always was (`file:line:col: what`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixtureFiles, edit, inMemory } from './helpers/extract.js';
import { cli, tmpdir } from './helpers.js';
import { parseConfigText } from '../dist/config/index.js';
import { parseJsonText } from '../dist/util/jsonfile.js';
import { parseYamlText } from '../dist/util/yamlfile.js';
import { parseMetadataText } from '../dist/openspec/changes.js';
import { extractLogging } from '../dist/extract/logging.js';
import { UserError, locatedError } from '../dist/errors.js';

/** The UserError `fn` throws. */
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UserError);
    return e;
  }
  return assert.unreachable('expected a UserError');
}

/** The position fields of an error, as a plain object (absent ones omitted). */
const fields = (e) => JSON.parse(JSON.stringify({ file: e.file, line: e.line, column: e.column }));

test('UserError: position fields from pos, message untouched; toJSON includes them', () => {
  const e = locatedError({ file: 'src/a.ts', line: 3, column: 7 }, 'bad thing', 'fix it');
  assert.is(e.message, 'src/a.ts:3:7: bad thing');
  assert.equal(fields(e), { file: 'src/a.ts', line: 3, column: 7 });
  assert.equal(e.pos, { file: 'src/a.ts', line: 3, column: 7 });
  assert.equal(JSON.parse(JSON.stringify(e)), {
    message: 'src/a.ts:3:7: bad thing',
    hint: 'fix it',
    file: 'src/a.ts',
    line: 3,
    column: 7,
  });
  const fileOnly = locatedError({ file: 'x.yaml' }, 'empty');
  assert.is(fileOnly.message, 'x.yaml: empty');
  assert.equal(fields(fileOnly), { file: 'x.yaml' });
  const plain = new UserError('no position');
  assert.is(plain.file, undefined);
  assert.is(plain.pos, undefined);
  assert.equal(JSON.parse(JSON.stringify(plain)), { message: 'no position' });
});

test('bad config key: the unknown key position as fields', () => {
  const e = thrown(() =>
    parseConfigText('{\n  "manifest": "m.json",\n  "leHandler": ["src/a.ts#f"]\n}\n', 'policydrift.config.json'),
  );
  assert.is(e.message, 'policydrift.config.json:3:3: invalid config file: (top level): unknown property "leHandler"');
  assert.equal(fields(e), { file: 'policydrift.config.json', line: 3, column: 3 });
});

test('bad config value: the offending value position as fields', () => {
  const e = thrown(() => parseConfigText('{\n  "manifest": 42\n}\n', 'HEAD:policydrift.config.json'));
  assert.ok(e.message.startsWith('HEAD:policydrift.config.json:2:15: '), e.message);
  assert.equal(fields(e), { file: 'HEAD:policydrift.config.json', line: 2, column: 15 });
});

test('a file-level config error names the file as a field, without line and column', () => {
  const e = thrown(() =>
    parseConfigText('{ "orders": { "classification": ["unclassified", "secret"] } }', 'policydrift.config.json'),
  );
  assert.is(e.message, 'policydrift.config.json: orders.classification must not list "unclassified"');
  assert.equal(fields(e), { file: 'policydrift.config.json' });
});

test('malformed JSON: the syntax error position as fields', () => {
  const e = thrown(() => parseJsonText('{\n  "manifest": "m.json",\n}\n', 'config', 'policydrift.config.json'));
  assert.match(e.message, /^policydrift\.config\.json:3:1: malformed JSON: trailing comma/);
  assert.equal(fields(e), { file: 'policydrift.config.json', line: 3, column: 1 });
});

test('malformed YAML and a bad policydrift: block: positions as fields', () => {
  const y = thrown(() => parseYamlText('a: [1, 2\nb: 3\n', 'approvals.yaml'));
  assert.is(y.file, 'approvals.yaml');
  assert.type(y.line, 'number');
  assert.type(y.column, 'number');
  assert.ok(y.message.startsWith(`approvals.yaml:${y.line}:${y.column}: malformed YAML: `), y.message);
  const m = thrown(() => parseMetadataText('schema: spec-driven\npolicydrift:\n  from: "x"\n', 'c/.openspec.yaml'));
  assert.equal(fields(m), { file: 'c/.openspec.yaml', line: 3, column: 9 });
  assert.ok(m.message.startsWith('c/.openspec.yaml:3:9: policydrift.from: '), m.message);
});

test('unknown @classification: the tag position as fields', () => {
  const bad = edit(
    fixtureFiles('logging-basic'),
    'src/events.ts',
    '@classification personal\n   * @redact hash',
    '@classification topsecret\n   * @redact hash',
  );
  const e = thrown(() => inMemory(extractLogging, bad));
  assert.is(e.message, 'src/events.ts:15:6: unknown @classification "topsecret"');
  assert.equal(fields(e), { file: 'src/events.ts', line: 15, column: 6 });
});

test('CLI text output of a located error is unchanged (message, then hint)', () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'policydrift.config.json'), '{\n  "leHandler": []\n}\n');
  const r = cli(['extract', '--root', '.'], { cwd: dir });
  assert.is(r.code, 2);
  assert.is(
    r.stderr,
    `policydrift: error: policydrift.config.json:2:3: invalid config file: (top level): unknown property "leHandler"\n  hint: did you mean "leHandlers"? (JSON path /leHandler); the schema is config.schema.json\n`,
  );
});

test.run();
