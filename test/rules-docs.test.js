import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import { renderRulesReference, renderRuleText } from '../dist/diff/rules/reference.js';
import { RULES } from '../dist/diff/rules/index.js';

test('docs/rules.md is up to date (regenerate with `node scripts/gen-docs.js`)', () => {
  const committed = fs.readFileSync(new URL('../docs/rules.md', import.meta.url), 'utf8');
  assert.fixture(committed, renderRulesReference());
});

test('every rule has complete metadata and a reference section', () => {
  const ref = renderRulesReference();
  for (const r of RULES) {
    assert.match(r.id, /^[A-Z][A-Z0-9_]*$/);
    for (const k of ['summary', 'description', 'justifyHint']) assert.ok(r[k] && r[k].length > 5, `${r.id}.${k}`);
    assert.ok(ref.includes(`### ${r.id}\n`), `${r.id} section`);
    assert.match(renderRuleText(r), new RegExp(`^${r.id}  \\(${r.category}, ${r.effect}\\)\\n`));
  }
});

test.run();
