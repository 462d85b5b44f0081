import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InMemoryFileSystemHost } from 'ts-morph';
import { JSDOC_NEEDLES } from '../dist/extract/index.js';
import { openProject } from '../dist/extract/analysis/program.js';
import { defaultConfig } from '../dist/config/index.js';
import {
  discriminate,
  emptyFacts,
  flattenFields,
  isProjectDeclared,
  literalValues,
  printType,
  splitTopLevel,
  unionMembers,
  unionTexts,
} from '../dist/extract/analysis/types.js';

const TSCONFIG = JSON.stringify({
  compilerOptions: { strict: true, target: 'es2022', module: 'es2022', moduleResolution: 'bundler', types: [] },
  include: ['src/**/*.ts'],
});

/** An in-memory project; returns a function printing the named type alias / interface of src/a.ts. */
function project(files) {
  const host = new InMemoryFileSystemHost();
  host.writeFileSync('/p/tsconfig.json', TSCONFIG);
  for (const [rel, text] of Object.entries(files)) host.writeFileSync(`/p/${rel}`, text);
  const ctx = openProject({ root: '/p', config: defaultConfig(), fileSystem: host, jsDocNeedles: JSDOC_NEEDLES });
  const typeOf = (name, file = 'src/a.ts') => {
    const sf = ctx.project.getSourceFileOrThrow(`/p/${file}`);
    const decl = sf.getTypeAlias(name) ?? sf.getInterface(name) ?? sf.getEnum(name);
    assert.ok(decl, `no ${name} in ${file}`);
    return decl.getType();
  };
  const print = (name, opts, file) => printType(ctx, typeOf(name, file), undefined, opts);
  return { ctx, typeOf, print };
}

const SRC = `
export enum E { A = 'a', B = 'b' }
export enum N { X, Y }
interface Node1 { value: number; next: Node1 | null }
export type Prims = string | number | boolean | undefined;
export type Shapes = {
  b?: string | undefined;
  a: readonly (string | number)[];
  'x-y': [string, number?];
  fn: (a: string, b?: number, ...rest: boolean[]) => Promise<void>;
  e: E;
  n: N;
  lit: -1 | 1.5 | 10n | \`id-\${string}\`;
};
export type Lib = Map<string, Date> | Set<string> | Record<string, unknown> | Partial<{ a: string }>;
export type Rec = Node1;
export type Inter = { a: string } & { b: number };
export type Brand = string & { __brand: 'Id' };
export type Fns = Array<() => void>;
export type AnyAbsorbs = {} | object | symbol | bigint | null | void | any;
export type Picked = Pick<{ a: string; b: number; c: boolean }, 'a' | 'c'>;
export type Methods = { m(x: number): string; readonly r: true | false; [k: string]: unknown };
export type Nested = { a: { b: { c: string } }; list: { x: number }[]; opt?: { y: string } | null };
export interface Buffer { bytes: number[] }
export type Shadow = Buffer;
`;

test('printType: primitives, unions sorted, boolean collapsed', () => {
  const { print } = project({ 'src/a.ts': SRC });
  assert.is(print('Prims'), 'boolean | number | string | undefined');
  assert.is(print('Prims', { stripUndefined: true }), 'boolean | number | string');
});

test('printType: objects, optional, quoted names, tuples, functions, enums by value, literals, templates', () => {
  const { print } = project({ 'src/a.ts': SRC });
  assert.is(
    print('Shapes'),
    '{ a: (number | string)[]; b?: string; e: "a" | "b"; fn: (a: string, b?: number, ...rest: boolean[]) => Promise<void>; ' +
      'lit: -1 | 1.5 | 10n | `id-${string}`; n: 0 | 1; "x-y": [string, number?] }',
  );
});

test('printType: library types are opaque, utility aliases are expanded', () => {
  const { print } = project({ 'src/a.ts': SRC });
  const facts = emptyFacts();
  assert.is(print('Lib', { facts }), 'Map<string, Date> | Set<string> | { [key: string]: unknown } | { a?: string }');
  assert.equal(facts, { any: false, unknown: true, object: false, index: true, recursive: false, depth: false });
  assert.is(print('Picked'), '{ a: string; c: boolean }');
});

test('printType: a project type named like a library type is expanded', () => {
  const { print } = project({ 'src/a.ts': SRC });
  assert.is(print('Shadow'), '{ bytes: number[] }');
});

test('printType: recursion, intersections, brands, arrays of functions, any absorbs', () => {
  const { print } = project({ 'src/a.ts': SRC });
  const facts = emptyFacts();
  assert.is(print('Rec', { facts }), '{ next: <recursive> | null; value: number }');
  assert.is(facts.recursive, true);
  assert.is(print('Inter'), '{ a: string; b: number }');
  assert.is(print('Brand'), 'string & { __brand: "Id" }');
  assert.is(print('Fns'), '(() => void)[]');
  const anyFacts = emptyFacts();
  assert.is(print('AnyAbsorbs', { facts: anyFacts }), 'any');
  assert.is(anyFacts.any, true);
  assert.is(print('Methods'), '{ m: (x: number) => string; r: boolean; [key: string]: unknown }');
});

test('printType: renamed alias, reordered union and a type moved to another file print the same', () => {
  const a = project({
    'src/a.ts': `export type R = { kind: 'A'; x: string } | { kind: 'B'; y: Date[] };`,
  });
  const b = project({
    'src/parts.ts': `export interface PartB { y: Array<Date>; kind: 'B' }\nexport type PartA = { x: string; kind: 'A' };`,
    'src/index.ts': `export type { PartA as First, PartB } from './parts.js';`,
    'src/a.ts': `import type { First, PartB } from './index.js';\n// reordered and renamed\nexport type Answer = PartB | First;`,
  });
  const expected = '{ kind: "A"; x: string } | { kind: "B"; y: Date[] }';
  assert.is(a.print('R'), expected);
  assert.is(b.print('Answer'), expected);
});

test('printType: unknown and object are reported; function parameters are not', () => {
  const { print } = project({
    'src/a.ts': `export type P = { cb: (e: unknown) => void }; export type O = { o: object; e: {} };`,
  });
  const pf = emptyFacts();
  assert.is(print('P', { facts: pf }), '{ cb: (e: unknown) => void }');
  assert.is(pf.unknown, false);
  const of = emptyFacts();
  assert.is(print('O', { facts: of }), '{ e: {}; o: object }');
  assert.is(of.object, true);
});

test('flattenFields: dotted paths, object markers, arrays of objects, optional own flag only', () => {
  const { ctx, typeOf } = project({ 'src/a.ts': SRC });
  assert.equal(flattenFields(ctx, typeOf('Nested')), {
    a: { type: 'object', optional: false },
    'a.b': { type: 'object', optional: false },
    'a.b.c': { type: 'string', optional: false },
    list: { type: 'object[]', optional: false },
    'list[].x': { type: 'number', optional: false },
    opt: { type: 'null | object', optional: true },
    'opt.y': { type: 'string', optional: false },
  });
  assert.equal(flattenFields(ctx, typeOf('Rec')), {
    next: { type: '<recursive> | null', optional: false },
    value: { type: 'number', optional: false },
  });
});

test('flattenFields: a union of objects merges, missing-in-some is optional', () => {
  const { ctx, typeOf } = project({
    'src/a.ts': `export type U = { a: string; both: number } | { b: boolean; both: string };`,
  });
  assert.equal(flattenFields(ctx, typeOf('U')), {
    a: { type: 'string', optional: true },
    b: { type: 'boolean', optional: true },
    both: { type: 'number | string', optional: false },
  });
});

test('literalValues: enum members by value, booleans, non-literals', () => {
  const { ctx, typeOf } = project({
    'src/a.ts': SRC + `export type Mixed = 'x' | number; export type Bool = boolean;`,
  });
  assert.equal(literalValues(typeOf('E')), [
    { key: 'a', text: '"a"' },
    { key: 'b', text: '"b"' },
  ]);
  assert.equal(
    literalValues(typeOf('N')).map((v) => v.text),
    ['0', '1'],
  );
  assert.equal(
    literalValues(typeOf('Bool')).map((v) => v.key),
    ['false', 'true'],
  );
  assert.is(literalValues(typeOf('Mixed')), undefined);
  assert.ok(isProjectDeclared(ctx, ctx.project.getSourceFileOrThrow('/p/src/a.ts').getEnumOrThrow('E')));
});

test('discriminate: prefers kind, then type, then status, then alphabetical', () => {
  const { ctx, typeOf } = project({
    'src/a.ts': `export type K = { a: 1; type: 'x'; kind: 'k1' } | { a: 2; type: 'y'; kind: 'k2' };
export type T = { a: 1; type: 'x' } | { a: 2; type: 'y' };
export type A = { b: 'p'; a: 1 } | { b: 'q'; a: 2 };
export type None = { a: string } | { b: string };`,
  });
  const pick = (n) => discriminate(ctx, unionMembers(ctx, typeOf(n)));
  assert.is(pick('K').name, 'kind');
  assert.equal(
    pick('K').groups.map((g) => g.value.key),
    ['k1', 'k2'],
  );
  assert.is(pick('T').name, 'type');
  assert.is(pick('A').name, 'a');
  assert.equal(pick('None'), {
    name: null,
    groups: [],
    rest: pick('None').rest,
    reason: 'no common literal discriminant across 2 members',
  });
});

test('unionTexts / splitTopLevel respect nesting and strings', () => {
  assert.equal(splitTopLevel('{ a: "x | y" } | (() => A | B)[] | Map<A | B, C>', ' | '), [
    '{ a: "x | y" }',
    '(() => A | B)[]',
    'Map<A | B, C>',
  ]);
  assert.is(unionTexts(['string | null', 'true', 'false', 'null']), 'boolean | null | string');
  assert.is(unionTexts(['(a: string) => void', 'number']), '((a: string) => void) | number');
  assert.is(unionTexts(['string', 'any']), 'any');
});

test.run();
