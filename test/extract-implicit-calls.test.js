// Implicit invocations in the key-gating call graph (src/extract/analysis/implicit.ts): `new` (constructors,
// inherited constructors, field initializers), accessor reads and writes, tagged templates. A getter, constructor,
// setter or tag reached only from guarded callers is a helper: the caller's site names the path through it, so
// removing the caller's guard is a weakening. Whatever can also run where no edge records it (reflection, `any`,
// computed keys, object-literal accessors, a class used as a value) stays an entry point.
// Every case edits a copy of fixtures/extract/keygate-implicit, extracts both sides and diffs them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extractManifest } from '../dist/extract/index.js';
import { canonicalJson } from '../dist/manifest/index.js';
import { defaultConfig, loadConfig } from '../dist/config/index.js';
import { diffManifests } from '../dist/diff/index.js';
import { REPO, tmpdir } from './helpers.js';

const FIXTURE = path.join(REPO, 'fixtures', 'extract', 'keygate-implicit');
const extract = (root, full = false) => extractManifest({ root, config: loadConfig(root), full });
const BASE = extract(FIXTURE);

let lastVariant = '';

/** A copy of the fixture with edits: [file, from, to] (every occurrence), [file, null, text] appends to a file. */
function variant(edits) {
  const dir = tmpdir('policydrift-implicit-');
  fs.cpSync(FIXTURE, dir, { recursive: true });
  for (const [file, from, to] of edits) {
    const p = path.join(dir, file);
    const text = fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '';
    if (from === null) {
      fs.writeFileSync(p, text + to);
      continue;
    }
    assert.ok(text.includes(from), `edit target not found in ${file}: ${from}`);
    fs.writeFileSync(p, text.split(from).join(to));
  }
  lastVariant = dir;
  return extract(dir);
}

const sites = (m) => Object.keys(m.invariants.keygate.sites);
const guards = (m, key) => {
  const s = m.invariants.keygate.sites[key];
  assert.ok(s, `no site ${key}; have ${sites(m).join(', ')}`);
  return s.guards.map((g) => [g.guard, Object.values(g.args)[0], g.awaited]);
};
const significant = (before, after) =>
  diffManifests(before, after, defaultConfig().orders).changes.filter((c) => c.effect !== 'neutral');
const triples = (changes) =>
  changes.map((c) => [c.effect, c.rule, c.id]).sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1));

const ATT = ['requireAttestation', 'TEE_PROD', true];
const Q2 = ['requireQuorum', 2, true];
const SERVICE = 'src/service.ts';
const HOLDERS = 'src/holders.ts';

/** Opener's constructor without the sink: both of its callers inline it (the benign refactor's "before"). */
const CTOR_UNHELP = [
  [HOLDERS, '    this.key = unwrapKey(id);', '    this.key = new Uint8Array(id.length);'],
  [SERVICE, '  return new Opener(id).key;', '  return unwrapKey(id);'],
  [SERVICE, '  return new DerivedOpener(id).key;', '  return unwrapKey(id);'],
];

/** Each form: the caller, the marker on its guard line, and the inline sink call it replaces (benign refactor). */
const FORMS = [
  {
    form: 'getter',
    fn: 'viaGetter',
    helper: 'Holder.opened',
    unhelp: [[HOLDERS, '  get opened(): Uint8Array {\n    return unwrapKey(this.id);\n  }\n', '']],
    through: '  const h = new Holder(id);\n  return h.opened;',
    inline: '  return unwrapKey(id);',
  },
  {
    form: 'ctor',
    fn: 'viaCtor',
    helper: 'Opener.constructor',
    unhelp: CTOR_UNHELP,
    through: '  return new Opener(id).key;',
    inline: '  return unwrapKey(id);',
  },
  {
    form: 'inherited',
    fn: 'viaInherited',
    helper: 'Opener.constructor',
    unhelp: CTOR_UNHELP,
    through: '  return new DerivedOpener(id).key;',
    inline: '  return unwrapKey(id);',
  },
  {
    form: 'field',
    fn: 'viaField',
    helper: 'FieldOpener.key',
    unhelp: [[HOLDERS, "  readonly key = unwrapKey('field');", '  readonly key = new Uint8Array(0);']],
    through: '  return new FieldOpener().key;',
    inline: "  return unwrapKey('field');",
  },
  {
    form: 'setter',
    fn: 'viaSetter',
    helper: 'Box.key',
    unhelp: [[HOLDERS, '    this.k = unwrapKey(id);', '    this.k = new Uint8Array(id.length);']],
    through: '  const b = new Box();\n  b.key = id;\n  return b.size;',
    inline: '  return unwrapKey(id).length;',
  },
  {
    form: 'tag',
    fn: 'viaTag',
    helper: 'open',
    unhelp: [
      [
        HOLDERS,
        "  return unwrapKey(strings.join('') + ids.join(''));",
        '  return new Uint8Array(strings.length + ids.length);',
      ],
    ],
    through: '  return open`key:${id}`;',
    inline: "  return unwrapKey('key:' + id);",
  },
];

const guardLine = (form) => `  await requireAttestation('TEE_PROD'); // ${form}\n`;
const IMPORT_SINK = [
  SERVICE,
  "import { requireAttestation } from './guards.js';",
  "import { requireAttestation, requireQuorum } from './guards.js';\nimport { unwrapKey } from './store.js';",
];

test('each implicit invocation is an edge: the guarded caller is the site, the helper is in its path only', () => {
  assert.equal(sites(BASE), [
    'viaCtor -> unwrapKey',
    'viaField -> unwrapKey',
    'viaGetter -> unwrapKey',
    'viaInherited -> unwrapKey',
    'viaSetter -> unwrapKey',
    'viaTag -> unwrapKey',
  ]);
  for (const { fn, helper } of FORMS) {
    assert.equal(guards(BASE, `${fn} -> unwrapKey`), [ATT], fn);
    assert.is(
      BASE.locations[`keygate:via:${fn} -> unwrapKey`],
      `${fn} (src/service.ts) -> ${helper} (src/holders.ts) -> unwrapKey`,
    );
  }
  assert.equal(Object.keys(BASE.invariants.keygate.escapes), []);
});

for (const { form, fn, helper } of FORMS) {
  test(`${form}: removing the caller's guard is a weakening of the caller's site`, () => {
    const head = variant([[SERVICE, guardLine(form), '']]);
    assert.equal(guards(head, `${fn} -> unwrapKey`), []);
    assert.not.ok(
      sites(head).some((s) => s.startsWith(`${helper} `)),
      `${helper} became an entry point`,
    );
    assert.equal(triples(significant(BASE, head)), [['weakening', 'KEYGATE_GUARD_REMOVED', `${fn} -> unwrapKey`]]);
  });
}

for (const { form, fn, unhelp, through, inline } of FORMS) {
  test(`${form}: moving the inline sink call into the helper class is not a change of the caller's gating`, () => {
    // Before: the caller calls the sink itself and the helper class does not touch it.
    const before = variant([IMPORT_SINK, ...(unhelp === CTOR_UNHELP ? [] : [[SERVICE, through, inline]]), ...unhelp]);
    assert.equal(sites(before), sites(BASE));
    assert.equal(guards(before, `${fn} -> unwrapKey`), [ATT]);
    assert.equal(triples(significant(before, BASE)), []);
    assert.equal(triples(significant(BASE, before)), []);
  });
}

for (const { form, fn } of FORMS) {
  test(`${form}: a guard added in the caller is a strengthening`, () => {
    const head = variant([IMPORT_SINK, [SERVICE, guardLine(form), `${guardLine(form)}  requireQuorum(2);\n`]]);
    assert.equal(guards(head, `${fn} -> unwrapKey`), [ATT, Q2]);
    assert.equal(triples(significant(BASE, head)), [['strengthening', 'KEYGATE_GUARD_ADDED', `${fn} -> unwrapKey`]]);
  });
}

test('a guard inside the getter, constructor or setter protects every caller (strengthening)', () => {
  const head = variant([
    [
      HOLDERS,
      "import { unwrapKey } from './store.js';",
      "import { unwrapKey } from './store.js';\nimport { requireQuorum } from './guards.js';",
    ],
    [HOLDERS, '    return unwrapKey(this.id);', '    requireQuorum(2);\n    return unwrapKey(this.id);'],
    [HOLDERS, '    this.key = unwrapKey(id);', '    requireQuorum(2);\n    this.key = unwrapKey(id);'],
    [HOLDERS, '    this.k = unwrapKey(id);', '    requireQuorum(2);\n    this.k = unwrapKey(id);'],
  ]);
  for (const fn of ['viaGetter', 'viaCtor', 'viaInherited', 'viaSetter'])
    assert.equal(guards(head, `${fn} -> unwrapKey`), [ATT, Q2], fn);
  assert.equal(triples(significant(BASE, head)), [
    ['strengthening', 'KEYGATE_GUARD_ADDED', 'viaCtor -> unwrapKey'],
    ['strengthening', 'KEYGATE_GUARD_ADDED', 'viaGetter -> unwrapKey'],
    ['strengthening', 'KEYGATE_GUARD_ADDED', 'viaInherited -> unwrapKey'],
    ['strengthening', 'KEYGATE_GUARD_ADDED', 'viaSetter -> unwrapKey'],
  ]);
});

test('every way of reading the getter or writing the setter is an edge', () => {
  const reads = [
    '  return h?.opened;',
    "  return h['opened'];",
    '  const { opened } = h;\n  return opened;',
    '  const { opened: o } = h;\n  return o;',
    '  return (h).opened!;',
  ];
  for (const r of reads) {
    const m = variant([[SERVICE, '  return h.opened;', r]]);
    assert.equal(sites(m), sites(BASE), r);
    assert.equal(guards(m, 'viaGetter -> unwrapKey'), [ATT], r);
  }
  const writes = ['  b.key ??= id;', '  [b.key] = [id];', '  ({ k: b.key } = { k: id });', '  for (b.key of [id]);'];
  for (const w of writes) {
    const m = variant([[SERVICE, '  b.key = id;', w]]);
    assert.equal(sites(m), sites(BASE), w);
    assert.equal(guards(m, 'viaSetter -> unwrapKey'), [ATT], w);
  }
  // A getter of the base read through a subclass instance, through `this` in a method, and `super.x`.
  const m = variant([
    [
      HOLDERS,
      null,
      'export class SubHolder extends Holder {\n  reveal(): Uint8Array {\n    return this.opened;\n  }\n  override get opened(): Uint8Array {\n    return super.opened;\n  }\n}\n',
    ],
    [
      SERVICE,
      "import { Box, DerivedOpener, FieldOpener, Holder, Opener, open } from './holders.js';",
      "import { Box, DerivedOpener, FieldOpener, Holder, Opener, SubHolder, open } from './holders.js';",
    ],
    [
      SERVICE,
      null,
      "export async function viaSub(id: string): Promise<Uint8Array> {\n  await requireAttestation('TEE_PROD');\n  return new SubHolder(id).reveal();\n}\n",
    ],
  ]);
  assert.equal(guards(m, 'viaSub -> unwrapKey'), [ATT]);
  assert.is(
    m.locations['keygate:via:viaSub -> unwrapKey'],
    'viaSub (src/service.ts) -> SubHolder.reveal (src/holders.ts) -> SubHolder.opened (src/holders.ts) -> Holder.opened (src/holders.ts) -> unwrapKey',
  );
  assert.not.ok(
    sites(m).some((s) => s.startsWith('Holder.') || s.startsWith('SubHolder.')),
    sites(m).join(', '),
  );
});

test('static accessors and base constructors through super(…) and their field initializers are edges', () => {
  const m = variant([
    [
      HOLDERS,
      null,
      "export class Keys {\n  static get current(): Uint8Array {\n    return unwrapKey('now');\n  }\n}\nexport class Base {\n  readonly early = unwrapKey('base-field');\n}\nexport class Multi {\n  constructor(id: string);\n  constructor(id: number);\n  constructor(id: string | number) {\n    unwrapKey(String(id));\n  }\n}\nexport class Child extends Base {\n  constructor() {\n    super();\n  }\n}\n",
    ],
    [
      SERVICE,
      "import { Box, DerivedOpener, FieldOpener, Holder, Opener, open } from './holders.js';",
      "import { Box, Child, DerivedOpener, FieldOpener, Holder, Keys, Multi, Opener, open } from './holders.js';",
    ],
    [
      SERVICE,
      null,
      "export async function viaStatic(): Promise<Uint8Array> {\n  await requireAttestation('TEE_PROD');\n  return Keys.current;\n}\nexport async function viaMulti(): Promise<Multi> {\n  await requireAttestation('TEE_PROD');\n  return new Multi('x');\n}\nexport async function viaSuper(): Promise<Child> {\n  await requireAttestation('TEE_PROD');\n  return new Child();\n}\n",
    ],
  ]);
  assert.equal(guards(m, 'viaStatic -> unwrapKey'), [ATT]);
  assert.equal(guards(m, 'viaMulti -> unwrapKey'), [ATT]);
  assert.equal(guards(m, 'viaSuper -> unwrapKey'), [ATT]);
  assert.is(
    m.locations['keygate:via:viaSuper -> unwrapKey'],
    'viaSuper (src/service.ts) -> Child.constructor (src/holders.ts) -> Base.early (src/holders.ts) -> unwrapKey',
  );
  assert.equal(
    sites(m).filter((s) => !s.startsWith('via')),
    [],
  );
});

/** Appends an unguarded use to service.ts: the helper must be (or stay) an entry point with no guard. */
function leaks(code, imports = []) {
  const names = ['Box', 'DerivedOpener', 'FieldOpener', 'Holder', 'Opener', 'open', ...imports].sort((a, b) =>
    a.toLowerCase() < b.toLowerCase() ? -1 : 1,
  );
  return variant([
    [
      SERVICE,
      "import { Box, DerivedOpener, FieldOpener, Holder, Opener, open } from './holders.js';",
      `import { ${names.join(', ')} } from './holders.js';`,
    ],
    [SERVICE, null, code],
  ]);
}

test('fail closed: an accessor reached by name, reflectively, through any or a computed key stays an entry point', () => {
  const cases = [
    "export function leak(h: Holder): unknown {\n  return Reflect.get(h, 'opened');\n}\n",
    'export function leak(h: Holder): unknown {\n  return (h as any).opened;\n}\n',
    'export function leak(h: Holder, k: keyof Holder): unknown {\n  return h[k];\n}\n',
    'export function leak(o: any, k: string): unknown {\n  return o[k];\n}\n',
    'export function leak<T>(o: T, k: keyof T): unknown {\n  return o[k];\n}\n',
    'export function leak(k: string): unknown {\n  return Object.getOwnPropertyDescriptor(Holder.prototype, k);\n}\n',
    'export function leak(o: object, k: string): unknown {\n  return Reflect.get(o, k);\n}\n',
    'export function leak(o: object, k: string): unknown {\n  const { get } = Reflect;\n  return get(o, k);\n}\n',
    "export function leak(h: Holder): unknown {\n  const k = 'open' + 'ed';\n  return (h as unknown as Record<string, unknown>)[k];\n}\n",
  ];
  for (const code of cases) {
    const m = variant([[SERVICE, null, code]]);
    assert.equal(guards(m, 'Holder.opened -> unwrapKey'), [], code);
    // The guarded caller still names the path through the getter.
    assert.equal(guards(m, 'viaGetter -> unwrapKey'), [ATT], code);
  }
  // A setter: Object.assign and Reflect.set run it without naming it as a property write.
  for (const code of [
    'export function leak(id: string): Box {\n  return Object.assign(new Box(), { key: id });\n}\n',
    "export function leak(b: Box, id: string): boolean {\n  return Reflect.set(b, 'key', id);\n}\n",
    // A parameter property (or a subclass field without define semantics) assigns `this.key` in construction.
    'export class SubBox extends Box {\n  // @ts-expect-error a property over an accessor\n  constructor(public key: string) {\n    super();\n  }\n}\n',
  ]) {
    const m = variant([[SERVICE, null, code]]);
    assert.equal(guards(m, 'Box.key -> unwrapKey'), [], code);
  }
});

test('fail closed: a class used as a value, a class expression, `.constructor` and object-literal accessors stay entry points', () => {
  let m = leaks(
    'function make(c: new (id: string) => Opener): Opener {\n  return new c("x");\n}\nexport function leak(): Opener {\n  return make(Opener);\n}\n',
  );
  assert.equal(guards(m, 'Opener.constructor -> unwrapKey'), []);
  // `this` in a static member is the class: handing it out is using the class as a value.
  m = variant([
    [
      SERVICE,
      null,
      "import { unwrapKey } from './store.js';\nexport class Svc {\n  readonly k = unwrapKey('svc');\n  static self(): unknown {\n    return this;\n  }\n}\nexport async function viaSvc(): Promise<Svc> {\n  await requireAttestation('TEE_PROD');\n  return new Svc();\n}\n",
    ],
  ]);
  assert.equal(guards(m, 'viaSvc -> unwrapKey'), [ATT]);
  assert.equal(guards(m, 'Svc.k -> unwrapKey'), []);
  // A subclass used as a value constructs its base.
  m = leaks('export const registry: unknown[] = [DerivedOpener];\n');
  assert.equal(guards(m, 'Opener.constructor -> unwrapKey'), []);
  m = leaks(
    'export function leak(o: FieldOpener): unknown {\n  return new (o.constructor as typeof FieldOpener)();\n}\n',
  );
  assert.equal(guards(m, 'FieldOpener.key -> unwrapKey'), []);
  m = variant([
    [
      SERVICE,
      null,
      "import { unwrapKey } from './store.js';\nconst Anon = class {\n  readonly key = unwrapKey('anon');\n};\nexport async function viaAnon(): Promise<unknown> {\n  await requireAttestation('TEE_PROD');\n  return new Anon();\n}\n",
    ],
  ]);
  assert.equal(guards(m, 'viaAnon -> unwrapKey'), [ATT]);
  assert.ok(
    sites(m).some((s) => s.endsWith('.key -> unwrapKey') && m.invariants.keygate.sites[s].guards.length === 0),
    sites(m).join(', '),
  );
  // A decorated class is handed to its decorator: its construction and accessors stay entry points.
  m = variant([
    [
      SERVICE,
      null,
      "import { unwrapKey } from './store.js';\nfunction sealed<T>(c: T, _ctx: ClassDecoratorContext): T {\n  return c;\n}\n@sealed\nclass Dec {\n  readonly k = unwrapKey('dec');\n  get peek(): Uint8Array {\n    return unwrapKey('peek');\n  }\n}\nexport async function viaDec(): Promise<Uint8Array> {\n  await requireAttestation('TEE_PROD');\n  return new Dec().peek;\n}\n",
    ],
  ]);
  assert.equal(guards(m, 'viaDec -> unwrapKey'), [ATT]);
  assert.equal(guards(m, 'Dec.k -> unwrapKey'), []);
  assert.equal(guards(m, 'Dec.peek -> unwrapKey'), []);
  // Object-literal accessors run under spread, Object.assign, JSON.stringify…: the edge adds the caller's site,
  // the accessor stays an entry point.
  m = variant([
    [
      SERVICE,
      null,
      "import { unwrapKey } from './store.js';\nconst vault = {\n  get opened(): Uint8Array {\n    return unwrapKey('vault');\n  },\n};\nexport async function viaVault(): Promise<Uint8Array> {\n  await requireAttestation('TEE_PROD');\n  return vault.opened;\n}\n",
    ],
  ]);
  assert.equal(guards(m, 'viaVault -> unwrapKey'), [ATT]);
  assert.equal(guards(m, 'vault.opened -> unwrapKey'), []);
  // Object.defineProperty: the getter is a function nobody calls by name (an entry point, as before).
  m = variant([
    [
      SERVICE,
      null,
      "import { unwrapKey } from './store.js';\nexport const target: { opened?: Uint8Array } = {};\nObject.defineProperty(target, 'opened', {\n  get() {\n    return unwrapKey('defined');\n  },\n});\n",
    ],
  ]);
  assert.ok(
    sites(m).some((s) => !s.startsWith('via') && m.invariants.keygate.sites[s].guards.length === 0),
    sites(m).join(', '),
  );
});

test('fail closed: accessors the runtime reads by protocol (then, toJSON, length…) stay entry points', () => {
  const m = variant([
    [
      SERVICE,
      null,
      "import { unwrapKey } from './store.js';\nclass Sized {\n  get length(): number {\n    return unwrapKey('len').length;\n  }\n}\nexport async function viaLength(): Promise<number> {\n  await requireAttestation('TEE_PROD');\n  return new Sized().length;\n}\n",
    ],
  ]);
  assert.equal(guards(m, 'viaLength -> unwrapKey'), [ATT]);
  // Array.from(new Sized()) reads it with no property access in the program.
  assert.equal(guards(m, 'Sized.length -> unwrapKey'), []);
});

test("a class exported from the package's public entry keeps its constructor and accessors as entry points", () => {
  const m = variant([['package.json', null, JSON.stringify({ name: 'x', exports: './dist/holders.js' })]]);
  assert.equal(guards(m, 'Holder.opened -> unwrapKey'), []);
  assert.equal(guards(m, 'Opener.constructor -> unwrapKey'), []);
  assert.equal(guards(m, 'Box.key -> unwrapKey'), []);
  assert.equal(guards(m, 'viaGetter -> unwrapKey'), [ATT]);
});

test('accessors are dispatched like methods: interfaces they implement, bases they override, abstract getters', () => {
  const m = variant([
    [
      SERVICE,
      null,
      [
        "import { unwrapKey } from './store.js';",
        'interface Sealed {',
        '  readonly sealed: Uint8Array;',
        '}',
        'class Impl implements Sealed {',
        '  get sealed(): Uint8Array {',
        "    return unwrapKey('impl');",
        '  }',
        '}',
        'abstract class Source {',
        '  abstract get raw(): Uint8Array;',
        '}',
        'class Disk extends Source {',
        '  get raw(): Uint8Array {',
        "    return unwrapKey('disk');",
        '  }',
        '}',
        'export async function viaIface(x: Sealed): Promise<Uint8Array> {',
        "  await requireAttestation('TEE_PROD');",
        '  return x.sealed;',
        '}',
        'export async function viaImpl(): Promise<Uint8Array> {',
        "  await requireAttestation('TEE_PROD');",
        '  return new Impl().sealed;',
        '}',
        'export function viaAbstract(s: Source): Uint8Array {',
        '  return s.raw;',
        '}',
        'export async function viaDisk(): Promise<Uint8Array> {',
        "  await requireAttestation('TEE_PROD');",
        '  return new Disk().raw;',
        '}',
        '',
      ].join('\n'),
    ],
  ]);
  assert.equal(guards(m, 'viaIface -> unwrapKey'), [ATT]);
  assert.equal(guards(m, 'viaImpl -> unwrapKey'), [ATT]);
  assert.equal(guards(m, 'viaDisk -> unwrapKey'), [ATT]);
  // The read through the abstract base runs the override: the unguarded reader is a site.
  assert.equal(guards(m, 'viaAbstract -> unwrapKey'), []);
  assert.is(
    m.locations['keygate:via:viaAbstract -> unwrapKey'],
    'viaAbstract (src/service.ts) -> Disk.raw (src/service.ts) -> unwrapKey',
  );
  assert.not.ok(
    sites(m).some((s) => s.startsWith('Impl.') || s.startsWith('Disk.')),
    sites(m).join(', '),
  );
});

test('fail closed: a read through a structurally compatible type keeps the getter an entry point', () => {
  const m = variant([
    [
      SERVICE,
      null,
      'export function leak(h: Holder): Uint8Array {\n  const v: { readonly opened: Uint8Array } = h;\n  return v.opened;\n}\n',
    ],
  ]);
  assert.equal(guards(m, 'Holder.opened -> unwrapKey'), []);
  // An unrelated read of a property with the name of a setter, or of a getter on a type Holder cannot be, is not.
  const benign = variant([
    [
      SERVICE,
      null,
      'export function size(m: Map<string, number>, o: { opened: number }): number {\n  return m.size + o.opened;\n}\n',
    ],
  ]);
  assert.equal(sites(benign), sites(BASE));
});

test('weakening through a getter still caught when another unguarded use keeps the getter an entry point', () => {
  const leak = "export function leak(h: Holder): unknown {\n  return Reflect.get(h, 'opened');\n}\n";
  const base = variant([[SERVICE, null, leak]]);
  const head = variant([
    [SERVICE, null, leak],
    [SERVICE, guardLine('getter'), ''],
  ]);
  assert.equal(triples(significant(base, head)), [['weakening', 'KEYGATE_GUARD_REMOVED', 'viaGetter -> unwrapKey']]);
});

test('the reported case on sample-service: deleting the guard before a getter read is a weakening', () => {
  const copy = (extra) => {
    const dir = tmpdir('policydrift-implicit-sample-');
    fs.cpSync(path.join(REPO, 'fixtures', 'sample-service'), dir, { recursive: true });
    const p = path.join(dir, 'src', 'keys', 'service.ts');
    fs.writeFileSync(p, fs.readFileSync(p, 'utf8') + extra);
    return extract(dir);
  };
  const code = (guard) =>
    [
      "import { unwrapDeviceKey } from './store.js';",
      'class Holder { constructor(private k: WrappedKey) {} get opened(): Promise<Uint8Array> { return unwrapDeviceKey(this.k); } }',
      `export async function viaGetter(k: WrappedKey): Promise<Uint8Array> { ${guard}const h = new Holder(k); return h.opened; }`,
      '',
    ].join('\n');
  const base = copy(code("await assertAttested('TEE_PROD'); "));
  const head = copy(code(''));
  assert.equal(guards(base, 'viaGetter -> unwrapDeviceKey'), [['assertAttested', 'TEE_PROD', true]]);
  assert.not.ok(
    sites(base).some((s) => s.startsWith('Holder.')),
    sites(base).join(', '),
  );
  assert.equal(triples(significant(base, head)), [
    ['weakening', 'KEYGATE_GUARD_REMOVED', 'viaGetter -> unwrapDeviceKey'],
  ]);
});

test('fast path = full program with implicit edges and their fail-closed references', () => {
  const m = variant([
    [SERVICE, null, 'export function leak(o: any, k: string): unknown {\n  return o[k];\n}\n'],
    [
      'src/far.ts',
      null,
      "import { Holder } from './holders.js';\nexport const make = (id: string): Holder => new Holder(id);\n",
    ],
    [
      'src/user.ts',
      null,
      "import { make } from './far.js';\nimport { requireQuorum } from './guards.js';\nexport function viaFar(id: string): unknown {\n  requireQuorum(2);\n  return make(id).opened;\n}\n",
    ],
  ]);
  assert.equal(guards(m, 'viaFar -> unwrapKey'), [Q2]);
  assert.equal(guards(m, 'Holder.opened -> unwrapKey'), []);
  assert.fixture(canonicalJson(m), canonicalJson(extract(lastVariant, true)));
  assert.fixture(canonicalJson(BASE), canonicalJson(extract(FIXTURE, true)));
});

test.run();
