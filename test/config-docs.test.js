import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import { renderConfigReference } from '../scripts/gen-docs.js';
import { REPO, spawnTimed } from './helpers.js';

const schema = () => JSON.parse(fs.readFileSync(new URL('../config.schema.json', import.meta.url), 'utf8'));

test('docs/config.md is up to date (regenerate with `node scripts/gen-docs.js`)', () => {
  const committed = fs.readFileSync(new URL('../docs/config.md', import.meta.url), 'utf8');
  assert.fixture(committed, renderConfigReference());
});

test('`gen-docs.js --check` does not report docs/config.md', () => {
  const r = spawnTimed(process.execPath, ['scripts/gen-docs.js', '--check'], { cwd: REPO, encoding: 'utf8' });
  assert.not.match(r.stderr, /docs\/config\.md/);
});

/** Every property path of the schema, nested objects and profile maps included. */
function propertyPaths(s) {
  const out = [];
  const resolve = (n) => (n.$ref ? { ...s.$defs[n.$ref.replace('#/$defs/', '')], ...n } : n);
  const walk = (label, obj) => {
    for (const [name, raw] of Object.entries(obj.properties)) {
      const n = resolve(raw);
      const full = label ? `${label}.${name}` : name;
      out.push([label, name]);
      if (n.properties) walk(full, n);
      else if (
        n.additionalProperties &&
        typeof n.additionalProperties === 'object' &&
        resolve(n.additionalProperties).properties
      )
        walk(`${full}.<name>`, resolve(n.additionalProperties));
    }
  };
  walk('', s);
  return out;
}

test('every property, nested ones included, has a row with type, default and a description', () => {
  const doc = renderConfigReference();
  const paths = propertyPaths(schema());
  assert.ok(paths.length >= 25, `only ${paths.length} properties found`);
  for (const [label, name] of paths) {
    const section = label === '' ? '## top level' : `## \`${label}\``;
    const start = doc.indexOf(`${section}\n`);
    assert.ok(start >= 0, `section ${section}`);
    const end = doc.indexOf('\n## ', start + 1);
    const body = doc.slice(start, end < 0 ? undefined : end);
    const row = body.split('\n').find((l) => l.startsWith(`| \`${name}\``));
    assert.ok(row, `row for ${label ? label + '.' : ''}${name}`);
    const cells = row
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    assert.is(cells.length, 4, row);
    assert.ok(cells[1].length > 0, `type of ${name}`);
    assert.ok(cells[3] !== '—' && cells[3].length > 10, `description of ${label}.${name}: ${row}`);
  }
  // exact values for a few rows
  assert.match(
    doc,
    /\| `manifest` \| string \(non-empty\) \| `"invariants\.manifest\.json"` \| Path of the committed manifest/,
  );
  assert.match(doc, /\| `mode` \| `"signed"` or `"listed"` \| `"signed"` \|/);
  assert.match(doc, /\| `build` \*\*\(required\)\*\* \| array of strings \(at least 1 item\) \| — \|/);
  assert.match(
    doc,
    /\| `redaction` \| array of strings \(each non-empty; at least 1 item; no duplicates\) \| `\["none", "mask", "truncate", "hash", "tokenize", "drop"\]` \|/,
  );
});

test('the reference follows the schema: a new or changed property changes the document', () => {
  const s = schema();
  const before = renderConfigReference(s);
  s.properties.approvals.properties.quorumTimeout = {
    type: 'integer',
    minimum: 0,
    default: 30,
    description: 'Minutes | to wait.',
  };
  s.properties.manifest.default = 'other.manifest.json';
  const after = renderConfigReference(s);
  assert.is.not(after, before);
  assert.match(after, /\| `quorumTimeout` \| integer \(≥ 0\) \| `30` \| Minutes \\\| to wait\. \|/);
  assert.match(after, /`"other\.manifest\.json"`/);
});

test.run();
