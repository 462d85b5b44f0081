import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  escapeId,
  escapeSiteId,
  formatKey,
  formatVia,
  keys,
  moduleFunctionId,
  outsideLocation,
  packageLocation,
  parseEscapeId,
  parseKey,
  parsePackageLocation,
  parseSiteId,
  parseVia,
  qualifiedId,
  siteId,
} from '../dist/manifest/keys.js';
import { SAMPLE } from './helpers.js';

test('builders print the documented key texts', () => {
  assert.is(keys.handler('handle_le_request'), 'le:handle_le_request');
  assert.is(keys.variant('h', 'NO_RECORDS'), 'le:h:variant:NO_RECORDS');
  assert.is(keys.schema('AccessLog'), 'logging:AccessLog');
  assert.is(keys.guard('assertAttested'), 'keygate:guard:assertAttested');
  assert.is(keys.sink('exportEscrowKey'), 'keygate:sink:exportEscrowKey');
  assert.is(keys.site('f -> s'), 'keygate:site:f -> s');
  assert.is(keys.via('f -> s'), 'keygate:via:f -> s');
  assert.is(keys.escape('f -> s (alias)'), 'keygate:escape:f -> s (alias)');
  assert.is(keys.invariant('keys.quorum'), 'privacy:keys.quorum');
  assert.is(keys.entity('keygate:escape', 'x'), 'keygate:escape:x');
  assert.is(qualifiedId('open', 'src/a.ts'), 'open@src/a.ts');
  assert.is(moduleFunctionId('src/boot.ts'), '<module:src/boot.ts>');
  assert.is(
    siteId({ function: 'EscrowService.recover', sink: 'exportEscrowKey' }),
    'EscrowService.recover -> exportEscrowKey',
  );
  assert.is(escapeId({ function: 'f', sink: 's', kind: 'value' }), 'f -> s (value)');
  assert.is(packageLocation('@acme/keys', 'src/a.ts'), '@acme/keys:src/a.ts');
  assert.is(outsideLocation('x.ts'), '(outside):x.ts');
});

/** Ids holding the separators: `:` everywhere, `@file` qualifiers with `:` and ` (` in the path. */
const awkward = [
  'plain',
  'Class.method',
  'a:b',
  'le:nested',
  'keygate:guard:x',
  'open@src/c:d/e.ts',
  '<module:src/we:ird.ts>',
  'name@C:/win/path.ts',
  'trailing:',
  ':leading',
];

test('every key kind round-trips, with `:` inside ids', () => {
  const kinds = /** @type {const} */ ([
    'le',
    'logging',
    'keygate:guard',
    'keygate:sink',
    'keygate:site',
    'keygate:escape',
    'keygate:via',
    'privacy',
  ]);
  for (const kind of kinds) {
    for (const id of awkward) {
      const text = formatKey({ kind, id });
      assert.is(text, `${kind}:${id}`);
      assert.equal(parseKey(text), { kind, id }, text);
    }
  }
  for (const id of awkward) {
    for (const variant of ['A', 'a:b', 'x:variant:y', '', 'with space']) {
      const text = keys.variant(id, variant);
      assert.equal(parseKey(text), { kind: 'le:variant', id, variant }, text);
    }
  }
});

test('parseKey: the longest prefix wins and unknown texts are undefined', () => {
  assert.equal(parseKey('keygate:site:f -> s'), { kind: 'keygate:site', id: 'f -> s' });
  assert.equal(parseKey('le:h:variant:X'), { kind: 'le:variant', id: 'h', variant: 'X' });
  assert.is(parseKey('keygate:other:x'), undefined);
  assert.is(parseKey('src/a.ts'), undefined);
  assert.is(parseKey('lex:a'), undefined);
  assert.is(parseKey('le'), undefined);
});

test('site and escape ids round-trip, with `:` and parentheses in function ids', () => {
  for (const fn of awkward) {
    for (const sink of ['s', 'K.unwrap', 'x@src/a:b.ts']) {
      const s = { function: fn, sink };
      assert.equal(parseSiteId(siteId(s)), s);
      for (const kind of ['alias', 'value', 'unresolved-call']) {
        const e = { function: fn, sink, kind };
        assert.equal(parseEscapeId(escapeId(e)), e);
        assert.is(escapeSiteId(escapeId(e)), siteId(s));
      }
    }
  }
  assert.equal(parseSiteId('f (x) -> s'), { function: 'f (x)', sink: 's' });
  assert.is(parseSiteId('no arrow'), undefined);
  assert.is(parseEscapeId('f -> s'), undefined);
});

test('via paths round-trip, with `:`, ` (` and parentheses in file paths', () => {
  const cases = [
    { hops: [], sink: 's' },
    { hops: [{ name: 'rotate', file: 'src/keys/service.ts' }], sink: 'unwrap' },
    { hops: [{ file: 'src/boot.ts' }, { name: 'K.open', file: 'src/a:b.ts' }], sink: 'open@src/c:d.ts' },
    { hops: [{ name: 'f', file: 'src/old (copy)/a.ts' }], sink: 's' },
    { hops: [{ name: 'g', file: 'src/(group)/x.ts' }], sink: 's' },
    { hops: [{ name: 'h', file: 'pkg:src/x.ts' }], sink: 's' },
  ];
  for (const v of cases) assert.equal(parseVia(formatVia(v)), v, formatVia(v));
  assert.is(formatVia(cases[2]), '<module> (src/boot.ts) -> K.open (src/a:b.ts) -> open@src/c:d.ts');
});

test('the sample manifest: every location key parses, and builders reproduce it', () => {
  const m = JSON.parse(fs.readFileSync(path.join(SAMPLE, 'invariants.manifest.json'), 'utf8'));
  const kg = m.invariants.keygate;
  for (const k of Object.keys(m.locations)) {
    const p = parseKey(k);
    assert.ok(p, k);
    assert.is(formatKey(p), k);
  }
  for (const [k, s] of Object.entries(kg.sites)) {
    assert.is(siteId(/** @type {any} */ (s)), k);
    const via = m.locations[keys.via(k)];
    assert.is(formatVia(parseVia(via)), via);
    assert.is(parseVia(via).hops[0].name, /** @type {any} */ (s).function);
  }
  assert.is(m.locations[keys.variant('handle_le_request', 'NO_RECORDS')], 'src/le/types.ts');
});

test('package locations: scoped and plain names, `:` in the path; plain paths are not', () => {
  for (const [pkg, p] of [
    ['@acme/keys', 'src/a.ts'],
    ['keys', 'src/a:b.ts'],
    ['@s/n', 'x:y:z.ts'],
  ]) {
    assert.equal(parsePackageLocation(packageLocation(pkg, p)), { package: pkg, path: p });
  }
  assert.equal(parsePackageLocation(outsideLocation('a:b.ts')), { package: '(outside)', path: 'a:b.ts' });
  assert.is(parsePackageLocation('src/a.ts'), undefined);
  assert.is(parsePackageLocation('src/a:b.ts'), undefined);
  assert.is(parsePackageLocation('@types/x.ts'), undefined);
  assert.is(parsePackageLocation('policydrift.config.json'), undefined);
});

test.run();
