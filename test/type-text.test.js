// Every type text the extractor prints into a manifest follows docs/type-text.md, which src/diff/typeorder.ts
// parses: a text the parser rejects is compared as an opaque string, so the diff could only call its changes
// "modified". Every fixture project is extracted and every printed type text must parse.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InMemoryFileSystemHost } from 'ts-morph';
import { extractManifest } from '../dist/extract/index.js';
import { defaultConfig, loadConfig } from '../dist/config/index.js';
import { compareTypes, parseTypeText } from '../dist/diff/typeorder.js';
import { REPO } from './helpers.js';

const FIXTURES = path.join(REPO, 'fixtures');

/**
 * Every fixture project: a folder with a tsconfig.json and a policydrift config or a manifest (their own
 * config), plus the extractor fixtures under fixtures/extract (the default config). A workspace root without a
 * tsconfig is a gate over its packages, which are listed themselves.
 */
function fixtureProjects() {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      const has = (f) => fs.existsSync(path.join(p, f));
      const configured = has('policydrift.config.json') || fs.readdirSync(p).some((f) => f.endsWith('.manifest.json'));
      const extractFixture = path.dirname(p) === path.join(FIXTURES, 'extract');
      if (has('tsconfig.json') && (configured || extractFixture)) out.push(p);
      walk(p);
    }
  };
  walk(FIXTURES);
  return out.sort();
}

/** Every type text of a manifest, with where it is (`le.handlers.h.variants.V.fields.f`). */
function typeTexts(m) {
  const out = [];
  const fields = (where, fs_) => {
    for (const [k, f] of Object.entries(fs_)) out.push({ where: `${where}.fields.${k}`, text: f.type });
  };
  for (const [h, handler] of Object.entries(m.invariants.le.handlers)) {
    for (const [k, t] of Object.entries(handler.request.requiredFields))
      out.push({ where: `le.handlers.${h}.request.requiredFields.${k}`, text: t });
    for (const [v, variant] of Object.entries(handler.variants))
      fields(`le.handlers.${h}.variants.${v}`, variant.fields);
  }
  for (const [s, schema] of Object.entries(m.invariants.logging.schemas)) fields(`logging.schemas.${s}`, schema.fields);
  return out;
}

/** The texts the parser rejects, as `where: text`. */
function rejected(texts) {
  return texts.filter((t) => parseTypeText(t.text) === null).map((t) => `${t.where}: ${t.text}`);
}

test('the fixture list holds the configured projects and the extractor fixtures', () => {
  const rel = fixtureProjects().map((p) => path.relative(FIXTURES, p).split(path.sep).join('/'));
  assert.ok(rel.includes('sample-service'), rel.join(', '));
  assert.ok(rel.includes('workspace/packages/crypto'), rel.join(', '));
  assert.ok(rel.includes('extract/le-attack'), rel.join(', '));
  assert.ok(rel.includes('extract/logging-basic'), rel.join(', '));
});

test('every type text printed for every fixture parses (and compares the same as itself)', () => {
  let total = 0;
  for (const root of fixtureProjects()) {
    const configured = fs.existsSync(path.join(root, 'policydrift.config.json'));
    const m = extractManifest({ root, config: configured ? loadConfig(root) : defaultConfig() });
    const texts = typeTexts(m);
    total += texts.length;
    assert.equal(rejected(texts), [], path.relative(REPO, root));
    for (const t of texts) assert.is(compareTypes(t.text, t.text), 'same', `${t.where}: ${t.text}`);
  }
  // The fixtures print hundreds of texts; far fewer means the walk above lost them.
  assert.ok(total > 300, `only ${total} type texts`);
});

test('the parser rejects text outside the grammar (the check above can fail)', () => {
  assert.equal(rejected([{ where: 'x', text: '{ a: string' }]), ['x: { a: string']);
  assert.is(parseTypeText('string |'), null);
  assert.ok(parseTypeText('string'));
});

/** A project whose logging schema prints every production of docs/type-text.md. */
const EVERY_PRODUCTION = `
class Widget { static count = 0; constructor(public n: number) {} }
const SYM = Symbol('s');
type Rec = { v: number; next?: Rec };
/** @logSchema */
export interface Ev {
  fn: (a: string, b?: number, ...rest: boolean[]) => void;
  ctor: new (n: number) => Widget;
  cls: typeof Widget;
  callable: { (x: string): number; tag: string };
  overloaded: { (x: string): number; (x: number): string };
  idx: { [key: string]: number; fixed: string };
  symu: { [SYM]: string } | string;
  tup: [string, number?, ...boolean[]];
  named: [first: string, second?: number];
  tpl: \`id-\${number}\`;
  up: Uppercase<string>;
  map: Map<string, number[]>;
  prom: Promise<string | null>;
  inter: Date & { brand: 'x' };
  rec: Rec;
  lit: -1 | 10n | "q\\"x" | true;
  arr: Array<string | number>;
  fnarr: Array<() => void>;
  obj: object;
  emp: {};
  uk: unknown;
}
`;

test('every production: the texts are as documented, and the parser rejects exactly the documented gaps', () => {
  const host = new InMemoryFileSystemHost();
  host.writeFileSync(
    '/repo/tsconfig.json',
    JSON.stringify({ compilerOptions: { strict: true, target: 'es2022', module: 'nodenext' }, include: ['src'] }),
  );
  host.writeFileSync('/repo/src/a.ts', EVERY_PRODUCTION);
  const m = extractManifest({ root: '/repo', config: defaultConfig(), fileSystem: host });
  const f = m.invariants.logging.schemas.Ev.fields;
  const text = (k) => f[k].type;
  assert.is(text('fn'), '(a: string, b?: number, ...rest: boolean[]) => void');
  assert.is(text('tup'), '[string, number?, ...boolean[]]');
  assert.is(text('named'), '[string, number?]');
  assert.is(text('tpl'), '`id-${number}`');
  assert.is(text('up'), 'Uppercase<string>');
  assert.is(text('map'), 'Map<string, number[]>');
  assert.is(text('prom'), 'Promise<null | string>');
  assert.is(text('inter'), 'Date & { brand: "x" }');
  assert.is(text('rec.next'), '<recursive>');
  assert.is(text('lit'), '"q\\"x" | -1 | 10n | true');
  assert.is(text('arr'), '(number | string)[]');
  assert.is(text('fnarr'), '(() => void)[]');
  assert.is(text('idx'), '{ fixed: string; [key: string]: number }');
  assert.is(text('ctor'), 'new (n: number) => { n: number }');
  assert.is(text('callable'), '{ tag: string; (x: string): number }');
  // docs/type-text.md, "What the parser accepts": construct types, call signatures in objects, computed names.
  assert.equal(rejected(Object.entries(f).map(([k, v]) => ({ where: k, text: v.type }))), [
    'callable: { tag: string; (x: string): number }',
    'cls: { count: number; prototype: { n: number }; new (n: number): { n: number } }',
    'ctor: new (n: number) => { n: number }',
    'overloaded: { (x: number): string; (x: string): number }',
    'symu: string | { [SYM]: string }',
  ]);
});

test.run();
