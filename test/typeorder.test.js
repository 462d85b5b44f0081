import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareTypes, compareFields, parseTypeText } from '../dist/diff/typeorder.js';
import { compareGuardArg, compareRedaction, compareClassification } from '../dist/diff/order.js';
import { defaultConfig } from '../dist/config/index.js';

const cases = [
  // [before, after, expected]
  ['string', 'string', 'same'],
  ['"A"', 'string', 'wider'],
  ['string', '"A"', 'narrower'],
  ['"A" | "B"', '"A" | "B" | "C"', 'wider'],
  ['"A" | "B" | "C"', '"A" | "C"', 'narrower'],
  ['"A" | "B"', '"A" | "C"', 'incomparable'],
  ['string', 'number', 'incomparable'],
  ['string', 'string | null', 'wider'],
  ['string', 'any', 'wider'],
  ['unknown', 'string', 'narrower'],
  ['any', 'unknown', 'same'],
  ['never', 'string', 'wider'],
  ['42', 'number', 'wider'],
  ['10n', 'bigint', 'wider'],
  ['true', 'boolean', 'wider'],
  ['boolean', 'true', 'narrower'],
  ['boolean', 'false | true | null', 'wider'],
  ['string[]', '(string | number)[]', 'wider'],
  ['("a" | "b")[]', 'string[]', 'wider'],
  ['string[]', 'string', 'incomparable'],
  ['[string, number]', '(string | number)[]', 'wider'],
  ['[string, number]', '[string, number | null]', 'wider'],
  ['[string]', '[string, number]', 'incomparable'],
  ['{ a: string }', '{ a: string; b: number }', 'wider'],
  ['{ a: string; b: number }', '{ a: string }', 'narrower'],
  ['{ a?: string }', '{ a: string }', 'wider'],
  ['{ a: string }', '{ a?: string }', 'narrower'],
  ['{ a: string }', '{ a: number }', 'incomparable'],
  ['{ a: string }', '{ [key: string]: string }', 'wider'],
  ['{ a: string; b: number }', '{ [key: string]: string }', 'incomparable'],
  ['{ "x-y": string }', '{ "x-y": string | null }', 'wider'],
  ['{}', '{ a: string }', 'wider'],
  ['{ a: { b: "x" } }', '{ a: { b: string } }', 'wider'],
  ['Date', 'Date', 'same'],
  ['Date', 'string', 'incomparable'],
  ['Date', 'Date | null', 'wider'],
  ['Map<string, "a">', 'Map<string, string>', 'wider'],
  ['Foo<"a">', 'Foo<string>', 'incomparable'],
  ['Uint8Array', 'Buffer', 'incomparable'],
  ['`user-${string}`', 'string', 'wider'],
  ['"user-1"', '`user-${string}`', 'wider'],
  ['"admin"', '`user-${string}`', 'incomparable'],
  ['(a: string) => number', '(a: string) => number | null', 'wider'],
  ['(a: string) => void', '(b: number) => void', 'incomparable'],
  ['<recursive>', '<recursive>', 'same'],
  ['<recursive>', '{ a: string }', 'incomparable'],
  ['object', 'object | null', 'wider'],
  ['{ a: string }', 'object', 'wider'],
  ['{ a: string } & { b: number }', '{ a: string; b: number }', 'same'],
  ['undefined', 'string | undefined', 'wider'],
  ['string & { brand: "id" }', 'string & { brand: "id" }', 'same'],
  ['string & { brand: "id" }', 'string', 'incomparable'],
  ['string & { brand: "id" }', 'string & { brand: "id" } | null', 'wider'],
  ['Promise<Map<string, "a">>', 'Promise<Map<string, string>>', 'wider'],
  ['NodeJS.Timeout', 'NodeJS.Timeout | null', 'wider'],
  ['-1 | 1.5', 'number', 'wider'],
  // unparseable text: opaque strings; unequal => incomparable (fail closed)
  ['typeof foo', 'typeof foo', 'same'],
  ['typeof foo', 'typeof bar', 'incomparable'],
  ['string', 'keyof X', 'incomparable'],
  ['{ a: string', '{ a: string }', 'incomparable'],
];

for (const [b, a, want] of cases) {
  test(`${b}  ->  ${a}: ${want}`, () => {
    assert.is(compareTypes(b, a), want);
  });
}

test('parser: grammar shapes', () => {
  assert.equal(parseTypeText('"A" | "B"'), {
    k: 'union',
    members: [
      { k: 'lit', base: 'string', value: '"A"' },
      { k: 'lit', base: 'string', value: '"B"' },
    ],
  });
  assert.equal(parseTypeText('(A | B)[]').k, 'array');
  assert.equal(
    /** @type {Extract<import('../dist/diff/typeorder.js').TypeNode, { k: 'object' }>} */ (
      parseTypeText('{ a: string; b?: number; [key: string]: unknown }')
    ).index.length,
    1,
  );
  assert.is(parseTypeText('typeof x'), null);
  assert.is(parseTypeText('string string'), null);
});

test('fields: optionality combines with type', () => {
  assert.is(compareFields({ type: 'string', optional: true }, { type: 'string', optional: false }), 'wider');
  assert.is(compareFields({ type: '"a"', optional: true }, { type: 'string', optional: false }), 'wider');
  assert.is(compareFields({ type: 'string', optional: false }, { type: '"a"', optional: true }), 'narrower');
  assert.is(
    compareFields({ type: 'string', optional: false }, { type: 'string | null', optional: true }),
    'incomparable',
  );
});

test('orders: redaction and classification lattices', () => {
  const o = defaultConfig().orders;
  assert.is(compareRedaction(o, 'hash', 'none'), 'weaker');
  assert.is(compareRedaction(o, 'mask', 'drop'), 'stronger');
  assert.is(compareRedaction(o, 'mask', 'encrypt'), 'unknown');
  assert.is(compareClassification(o, 'unclassified', 'public'), 'stronger');
  assert.is(compareClassification(o, 'secret', 'unclassified'), 'weaker');
  assert.is(compareClassification(o, 'personal', 'confidential'), 'unknown');
});

test('orders: guard arguments', () => {
  /** @type {import('../dist/config/index.js').Orders} */
  const o = {
    ...defaultConfig().orders,
    guardArgs: { 'g.scope': ['read', 'write'], 'g.level': 'higher-is-stronger', 'g.ttl': 'lower-is-stronger' },
  };
  assert.is(compareGuardArg(o, 'g', 'scope', 'read', 'write'), 'stronger');
  assert.is(compareGuardArg(o, 'g', 'scope', 'write', 'read'), 'weaker');
  assert.is(compareGuardArg(o, 'g', 'scope', 'read', 'admin'), 'unknown');
  assert.is(compareGuardArg(o, 'g', 'scope', 'read', '<dynamic>'), 'unknown');
  assert.is(compareGuardArg(o, 'g', 'level', 1, 2), 'stronger');
  assert.is(compareGuardArg(o, 'g', 'level', '1', 2), 'unknown');
  assert.is(compareGuardArg(o, 'g', 'ttl', 60, 30), 'stronger');
  assert.is(compareGuardArg(o, 'g', 'ttl', 30, 60), 'weaker');
  assert.is(compareGuardArg(o, 'g', 'other', 1, 2), 'unknown');
  assert.is(compareGuardArg(o, 'g', 'level', undefined, 2), 'unknown');
  assert.is(compareGuardArg(o, 'g', 'level', 2, 2), 'same');
});

test.run();
