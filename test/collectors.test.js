// The collectors register in one list (src/extract/collectors/index.ts) with the JSDoc tags they read; the
// program parses JSDoc only in files that mention one of them (JSDOC_NEEDLES, derived from the list). A tag a
// collector reads but did not declare would be silently missed in files without another needle: this test scans
// each collector's sources (and the analysis that reads tags on its behalf) for the tags they read.
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COLLECTORS, jsDocNeedles } from '../dist/extract/collectors/index.js';
import { JSDOC_NEEDLES } from '../dist/extract/index.js';

/** Sources that read JSDoc for a collector. */
const SOURCES = {
  le: ['collectors/le.ts'],
  logging: ['collectors/logging.ts'],
  keygate: ['collectors/keygate.ts', 'analysis/callgraph.ts'],
  privacy: ['collectors/privacy.ts'],
};

/** The tag names a source reads, by the ways the collectors read tags. */
function tagsRead(text) {
  const found = new Set();
  const lit = `['"\`]@?([A-Za-z][\\w-]*)['"\`]`;
  const patterns = [
    new RegExp(`tagName\\.text\\s*[!=]==?\\s*${lit}`, 'g'),
    new RegExp(`\\.name\\s*[!=]==?\\s*${lit}`, 'g'),
    new RegExp(`(?:hasTag|tagsNamed|collectDeclarations)\\([^)]*?,\\s*${lit}`, 'g'),
    /_TAGS?\s*=\s*(?:new Set\(\[)?([^;]*)/g,
    /['"`]@([A-Za-z][\w-]*)/g,
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      if (re.source.startsWith('_TAGS')) for (const q of m[1].matchAll(/['"]([A-Za-z][\w-]*)['"]/g)) found.add(q[1]);
      else found.add(m[1]);
    }
  }
  return found;
}

const source = (f) => fs.readFileSync(new URL(`../src/extract/${f}`, import.meta.url), 'utf8');

test('the collectors run in one list, in manifest order', () => {
  assert.equal(
    COLLECTORS.map((c) => c.id),
    ['le', 'logging', 'keygate', 'privacy'],
  );
  assert.equal(Object.keys(SOURCES).sort(), COLLECTORS.map((c) => c.id).sort());
});

test('the JSDoc needles are derived from the collectors: every declared tag and name, nothing else', () => {
  assert.equal(JSDOC_NEEDLES, jsDocNeedles());
  assert.equal(
    [...JSDOC_NEEDLES],
    [
      '@entryPoint',
      '@invariant',
      '@keyGated',
      '@keyGuard',
      '@keySink',
      '@leHandler',
      '@logSchema',
      '@logSink',
      '@retentionDays',
      'handle_le_request',
    ],
  );
  for (const c of COLLECTORS) for (const t of c.tags) assert.ok(JSDOC_NEEDLES.includes(`@${t}`), `${c.id}: @${t}`);
});

for (const c of COLLECTORS) {
  test(`collector ${c.id} reads only the JSDoc tags it declares`, () => {
    const declared = new Set([...c.tags, ...c.commentTags, ...c.names]);
    const read = new Set();
    for (const f of SOURCES[c.id]) for (const t of tagsRead(source(f))) read.add(t);
    assert.ok(read.size > 0, `${c.id}: the scan found no tag read at all (scanner out of date?)`);
    const undeclared = [...read].filter((t) => !declared.has(t)).sort();
    assert.equal(undeclared, [], `${c.id} reads tags it does not declare in collectors/index.ts`);
    // Names the collector reacts to without a tag are declared too.
    for (const n of c.names)
      assert.ok(
        SOURCES[c.id].some((f) => source(f).includes(`'${n}'`)),
        n,
      );
  });
}

test('the scan catches an undeclared tag read in each way the collectors read tags', () => {
  const reads = [
    "if (tag.tagName.text !== 'sneaky') continue;",
    "hasTag(n, 'sneaky')",
    "tagsNamed(d, 'sneaky')",
    "collectDeclarations(ctx, 'sneaky', 'keyGuards')",
    "const SNEAKY_TAG = 'sneaky';",
    "const ENTRY_TAGS = new Set(['entryPoint', 'sneaky']);",
    "if (tag.name === 'sneaky') {}",
    'fileMayMatch(ctx, sf, [`@sneaky`])',
  ];
  for (const r of reads) assert.ok(tagsRead(r).has('sneaky'), r);
});

test.run();
