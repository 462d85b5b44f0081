// Config errors point at what the user typed: the unknown key (with the closest known key as a suggestion)
// or the offending value, by line and column.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, tmpdir } from './helpers.js';
import { parseConfigText } from '../dist/config/index.js';
import { closest, editDistance } from '../dist/util/jsonfile.js';
import { UserError } from '../dist/errors.js';

function configError(text) {
  try {
    parseConfigText(text, 'policydrift.config.json');
  } catch (e) {
    assert.instance(e, UserError);
    return e;
  }
  assert.unreachable('expected a config error');
}

test('edit distance and the closest known key', () => {
  assert.is(editDistance('leHandler', 'leHandlers'), 1);
  assert.is(editDistance('kitten', 'sitting'), 3);
  assert.is(closest('exlude', ['manifest', 'exclude', 'tsconfig']), 'exclude');
  assert.is(closest('LEHANDLERS', ['leHandlers', 'logSinks']), 'leHandlers');
  assert.is(closest('frobnicate', ['manifest', 'exclude']), null, 'nothing close: no guess');
});

test('an unknown top-level key on line 3 is reported at its key, with the closest known key', () => {
  const e = configError('{\n  "manifest": "m.json",\n  "leHandler": ["src/a.ts#f"]\n}\n');
  assert.is(e.message, 'policydrift.config.json:3:3: invalid config file: (top level): unknown property "leHandler"');
  assert.is(e.hint, 'did you mean "leHandlers"? (JSON path /leHandler); the schema is config.schema.json');
});

test('an unknown nested key (inside a $ref) suggests from that object, or lists its keys when nothing is close', () => {
  const typo = configError(
    '{\n  "profiles": {\n    "prod": { "build": ["npm run build"], "outDir": "dist", "reproducibel": true }\n  }\n}\n',
  );
  assert.is(
    typo.message,
    'policydrift.config.json:3:61: invalid config file: /profiles/prod: unknown property "reproducibel"',
  );
  assert.match(typo.hint, /^did you mean "reproducible"\? \(JSON path \/profiles\/prod\/reproducibel\)/);
  const far = configError('{\n  "orders": {\n    "zzzz": []\n  }\n}\n');
  assert.is(far.message, 'policydrift.config.json:3:5: invalid config file: /orders: unknown property "zzzz"');
  assert.match(
    far.hint,
    /^remove or rename the key at JSON path \/orders\/zzzz; known keys here: redaction, classification, guardArgs;/,
  );
});

test('a wrong value is reported at the value', () => {
  const e = configError('{\n  "approvals": {\n    "mode": "signd"\n  }\n}\n');
  assert.is(
    e.message,
    'policydrift.config.json:3:13: invalid config file: /approvals/mode must be one of "signed", "listed"',
  );
  assert.match(e.hint, /JSON path \/approvals\/mode/);
});

test('CLI: the located error and the suggestion reach stderr, exit 2, before any extraction', () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), '{}');
  fs.writeFileSync(path.join(dir, 'policydrift.config.json'), '{\n  "manifest": "m.json",\n  "exlude": []\n}\n');
  const r = cli(['extract'], { cwd: dir });
  assert.is(r.code, 2);
  assert.is(
    r.stderr,
    'policydrift: error: policydrift.config.json:3:3: invalid config file: (top level): unknown property "exlude"\n  hint: did you mean "exclude"? (JSON path /exlude); the schema is config.schema.json\n',
  );
});

test.run();
