// Key sinks reached through structurally compatible types (src/extract/analysis/structural.ts): a call through an
// interface, type literal, abstract member or generic constraint that a sink's (or derived sink's) class is
// assignable to, without declared heritage, and nameless element-access calls (`(svc as any)[k](id)`).
// Every case edits a copy of fixtures/extract/keygate-structural, extracts it (fast path and full program alike)
// and diffs it against the fixture.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extractManifest } from '../dist/extract/index.js';
import { defaultConfig, loadConfig } from '../dist/config/index.js';
import { diffManifests } from '../dist/diff/index.js';
import { REPO, tmpdir } from './helpers.js';

const FIXTURE = path.join(REPO, 'fixtures', 'extract', 'keygate-structural');
const extract = (root, full = false) => extractManifest({ root, config: loadConfig(root), full });
const BASE = extract(FIXTURE);

/** A copy of the fixture with edits: [file, from, to] (every occurrence), [file, null, text] writes a file. Fast path = full program. */
function variant(edits) {
  const dir = tmpdir('policydrift-structural-');
  fs.cpSync(FIXTURE, dir, { recursive: true });
  for (const [file, from, to] of edits) {
    const p = path.join(dir, file);
    if (from === null) {
      fs.writeFileSync(p, to);
      continue;
    }
    const text = fs.readFileSync(p, 'utf8');
    assert.ok(text.includes(from), `edit target not found in ${file}: ${from}`);
    fs.writeFileSync(p, text.split(from).join(to));
  }
  const m = extract(dir);
  assert.equal(m, extract(dir, true), 'fast path differs from the full program');
  return m;
}

const HEADER =
  "import { Hsm, SecretStore, Vault, type WrappedKey } from './hsm.js';\n" +
  "import { requireAttestation } from './guards.js';\n" +
  "import { viaIface, viaOpener, type Unwrapper } from './ports.js';\n" +
  'const hsm = new Hsm();\nconst vault = new Vault(hsm);\nconst store = new SecretStore();\n' +
  'export type { Unwrapper, WrappedKey };\n';
const withFile = (body) => variant([['src/extra.ts', null, HEADER + body]]);

const sites = (m) => Object.keys(m.invariants.keygate.sites);
const guardsOf = (m, key) => {
  const s = m.invariants.keygate.sites[key];
  assert.ok(s, `no site ${key}; have ${sites(m).join(', ')}`);
  return s.guards.map((g) => g.guard);
};
const significant = (base, head) =>
  diffManifests(base, head, defaultConfig().orders).changes.filter((c) => c.effect !== 'neutral');
const triples = (changes) =>
  changes.map((c) => [c.rule, c.id, c.effect]).sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1));

test('fixture: guarded paths through an interface, a generic constraint and a derived sink; look-alike names ignored', () => {
  assert.equal(sites(BASE), [
    'Vault.open -> Hsm.unwrap',
    'guardedDirect -> Hsm.unwrap',
    'guardedGeneric -> Hsm.unwrap',
    'guardedIface -> Hsm.unwrap',
    'guardedOpen -> Hsm.unwrap',
    'guardedSecret -> SecretStore.get',
  ]);
  for (const k of ['guardedIface', 'guardedGeneric', 'guardedOpen'])
    assert.equal(guardsOf(BASE, `${k} -> Hsm.unwrap`), ['requireAttestation']);
  assert.is(
    BASE.locations['keygate:via:guardedIface -> Hsm.unwrap'],
    'guardedIface (src/service.ts) -> viaIface (src/ports.ts) -> Hsm.unwrap',
  );
  assert.is(
    BASE.locations['keygate:via:guardedOpen -> Hsm.unwrap'],
    'guardedOpen (src/service.ts) -> viaOpener (src/ports.ts) -> Vault.open (src/hsm.ts) -> Hsm.unwrap',
  );
  // Map.get, an unrelated Lookup.get, an interface Hsm is not assignable to (SizedUnwrapper) and a nameless call
  // whose literal keys name no sink reach nothing: cached, looked, sized and label are no sites.
  assert.equal(BASE.invariants.keygate.escapes, {});
  // A structural caller never hides an entry point: Vault.open (no resolved caller) stays one.
  assert.equal(guardsOf(BASE, 'Vault.open -> Hsm.unwrap'), []);
});

test('attack: an unguarded path to a sink method through an interface it only matches structurally', () => {
  const head = withFile(
    'export async function leakStruct(k: WrappedKey): Promise<Uint8Array> {\n  return viaIface(hsm, k);\n}\n',
  );
  assert.equal(guardsOf(head, 'leakStruct -> Hsm.unwrap'), []);
  assert.is(
    head.locations['keygate:via:leakStruct -> Hsm.unwrap'],
    'leakStruct (src/extra.ts) -> viaIface (src/ports.ts) -> Hsm.unwrap',
  );
  assert.equal(triples(significant(BASE, head)), [
    ['KEYGATE_UNGUARDED_SINK_CALL', 'leakStruct -> Hsm.unwrap', 'weakening'],
  ]);
});

test('attack: generic constraint, abstract member, type literal, a derived sink, a subclass and a static sink', () => {
  const head = withFile(
    [
      'function viaGen<T extends Unwrapper>(u: T, k: WrappedKey) {\n  return u.unwrap(k);\n}',
      'export function leakGeneric(k: WrappedKey) {\n  return viaGen(hsm, k);\n}',
      'export abstract class Base {\n  abstract unwrap(k: WrappedKey): Promise<Uint8Array>;\n}',
      'export function viaAbstract(b: Base, k: WrappedKey) {\n  return b.unwrap(k);\n}',
      'export function viaLiteral(u: { unwrap(k: WrappedKey): Promise<Uint8Array> }, k: WrappedKey) {\n  return u.unwrap(k);\n}',
      'export function leakOpen(k: WrappedKey) {\n  return viaOpener(vault, k);\n}',
      // Only the subclass (it has `tag`) fits Tagged; it inherits Hsm.unwrap.
      "class Labeled extends Hsm {\n  tag = 'x';\n}",
      'interface Tagged {\n  tag: string;\n  unwrap(k: WrappedKey): Promise<Uint8Array>;\n}',
      'function viaTagged(u: Tagged, k: WrappedKey) {\n  return u.unwrap(k);\n}',
      'export function leakSub(k: WrappedKey) {\n  return viaTagged(new Labeled(), k);\n}',
      // A `get` sink behind a type literal (SecretStore is not assignable to Lookup, but is to this).
      "export function viaGetter(g: { get(id: string): Uint8Array }) {\n  return g.get('a');\n}",
      '',
    ].join('\n'),
  );
  for (const key of [
    'leakGeneric -> Hsm.unwrap',
    'viaAbstract -> Hsm.unwrap',
    'viaLiteral -> Hsm.unwrap',
    'leakOpen -> Hsm.unwrap',
    'leakSub -> Hsm.unwrap',
    'viaGetter -> SecretStore.get',
  ])
    assert.equal(guardsOf(head, key), [], key);
  assert.is(
    head.locations['keygate:via:leakOpen -> Hsm.unwrap'],
    'leakOpen (src/extra.ts) -> viaOpener (src/ports.ts) -> Vault.open (src/hsm.ts) -> Hsm.unwrap',
  );
  const ch = significant(BASE, head);
  assert.ok(ch.filter((c) => c.rule === 'KEYGATE_UNGUARDED_SINK_CALL').length === 6, JSON.stringify(triples(ch)));

  const statics = withFile(
    'export class Kms {\n  /** @keySink */\n  static async unwrap(k: WrappedKey): Promise<Uint8Array> {\n    return k.blob;\n  }\n}\n' +
      'export function leakStatic(k: WrappedKey) {\n  return viaIface(Kms, k);\n}\n',
  );
  assert.equal(guardsOf(statics, 'leakStatic -> Kms.unwrap'), []);
  // viaIface may run either sink: its guarded caller reaches the new one guarded.
  assert.equal(guardsOf(statics, 'guardedIface -> Kms.unwrap'), ['requireAttestation']);
});

test('attack: nameless element-access calls reach every sink member of the receiver type', () => {
  const head = withFile(
    [
      'export function leakAny(k: string, key: WrappedKey) {\n  return (hsm as any)[k](key);\n}',
      'export function leakKeyof(k: keyof Vault, key: WrappedKey) {\n  return (vault[k] as any)(key);\n}',
      'export function leakIface(u: Unwrapper, k: string, key: WrappedKey) {\n  return (u as any)[k](key);\n}',
      'export function leakNonNull(k: string) {\n  return (store! as any)[k]!(k);\n}',
      // A key of literal type names its members exactly: 'unwrap' is among them.
      "export function leakLiteral(k: 'unwrap' | 'label', key: WrappedKey) {\n  return (hsm as any)[k](key);\n}",
      '',
    ].join('\n'),
  );
  for (const key of [
    'leakAny -> Hsm.unwrap',
    'leakKeyof -> Hsm.unwrap',
    'leakIface -> Hsm.unwrap',
    'leakNonNull -> SecretStore.get',
    'leakLiteral -> Hsm.unwrap',
  ])
    assert.equal(guardsOf(head, key), [], key);
  // The derived sink Vault.open is what the nameless call on a Vault runs.
  assert.is(
    head.locations['keygate:via:leakKeyof -> Hsm.unwrap'],
    'leakKeyof (src/extra.ts) -> Vault.open (src/hsm.ts) -> Hsm.unwrap',
  );
  assert.ok(
    significant(BASE, head).every((c) => c.rule === 'KEYGATE_UNGUARDED_SINK_CALL'),
    JSON.stringify(triples(significant(BASE, head))),
  );
  // A guard before the nameless call protects it like any call.
  const guarded = withFile(
    "export async function dispatch(k: string, key: WrappedKey) {\n  await requireAttestation('TEE_PROD');\n  return (hsm as any)[k](key);\n}\n",
  );
  assert.equal(guardsOf(guarded, 'dispatch -> Hsm.unwrap'), ['requireAttestation']);
});

test('attack: a member taken out of a structural receiver as a value is an escape', () => {
  const head = withFile(
    [
      'export function refOnly(u: Unwrapper) {\n  const f = u.unwrap;\n  return f;\n}',
      'export function destructured(u: Unwrapper) {\n  const { unwrap } = u;\n  return unwrap;\n}',
      'export function bound(u: Unwrapper, k: WrappedKey) {\n  return u.unwrap.call(u, k);\n}',
      '',
    ].join('\n'),
  );
  assert.equal(Object.keys(head.invariants.keygate.escapes), [
    'bound -> Hsm.unwrap (reference)',
    'destructured -> Hsm.unwrap (reference)',
    'refOnly -> Hsm.unwrap (reference)',
  ]);
});

test('already caught: a sink borrowed into an object literal or passed as a function value escapes', () => {
  const head = withFile(
    [
      'export const borrowed: Unwrapper = { unwrap: hsm.unwrap };',
      '/** @keySink */\nexport async function rawUnwrap(k: WrappedKey): Promise<Uint8Array> {\n  return k.blob;\n}',
      'export const fnTyped: (k: WrappedKey) => Promise<Uint8Array> = rawUnwrap;',
      'function run(f: (k: WrappedKey) => Promise<Uint8Array>, k: WrappedKey) {\n  return f(k);\n}',
      'export function passIt(k: WrappedKey) {\n  return run(rawUnwrap, k);\n}',
      // A wrapper literal stays an entry point of its own (a structural caller does not hide it).
      'export const wrapped: Unwrapper = { unwrap: (k) => hsm.unwrap(k) };',
      '',
    ].join('\n'),
  );
  assert.equal(Object.keys(head.invariants.keygate.escapes), [
    '<module:src/extra.ts> -> Hsm.unwrap (reference)',
    '<module:src/extra.ts> -> rawUnwrap (reference)',
    'passIt -> rawUnwrap (reference)',
  ]);
  assert.equal(guardsOf(head, 'wrapped.unwrap -> Hsm.unwrap'), []);
});

test('benign: same member names on receivers no sink class can stand behind', () => {
  const head = withFile(
    [
      'const m = new Map<string, Uint8Array>();',
      "export function mapGet(id: string) {\n  return m.get(id) ?? new Map<string, number>().get('x');\n}",
      'interface Cache {\n  get(id: string): Uint8Array;\n  clear(): void;\n}',
      'export function cacheGet(c: Cache, id: string) {\n  return c.get(id);\n}',
      'interface OtherUnwrap {\n  unwrap(key: string, retries: number): string;\n}',
      "export function other(o: OtherUnwrap) {\n  return o.unwrap('k', 1);\n}",
      // A sibling class's concrete method is not a look-alike of the sink.
      'export class Null {\n  async unwrap(k: WrappedKey): Promise<Uint8Array> {\n    return k.blob;\n  }\n}',
      'export function viaNull(n: Null, k: WrappedKey) {\n  return n.unwrap(k);\n}',
      // A literal key names its member exactly.
      "export function labelled(k: 'label') {\n  return (hsm as any)[k]();\n}",
      '',
    ].join('\n'),
  );
  assert.equal(triples(significant(BASE, head)), []);
  assert.equal(sites(head), sites(BASE));
});

test('benign: a guarded call routed through an interface stays guarded (only the path moves)', () => {
  const head = variant([['src/service.ts', '  return hsm.unwrap(key);', '  return viaIface(hsm, key);']]);
  assert.equal(triples(significant(BASE, head)), []);
  assert.equal(guardsOf(head, 'guardedDirect -> Hsm.unwrap'), ['requireAttestation']);
  const via = diffManifests(BASE, head, defaultConfig().orders).changes.find(
    (c) => c.id === 'keygate:via:guardedDirect -> Hsm.unwrap',
  );
  assert.ok(via);
  assert.is(via.rule, 'LOCATION_MOVED');
});

test('strengthening: a guard added on a structural path', () => {
  const body = (guard) =>
    `export async function leakStruct(k: WrappedKey): Promise<Uint8Array> {\n${guard}  return viaIface(hsm, k);\n}\n` +
    `export async function leakNameless(k: string, key: WrappedKey) {\n${guard}  return (hsm as any)[k](key);\n}\n`;
  const before = withFile(body(''));
  const after = withFile(body("  await requireAttestation('TEE_PROD');\n"));
  assert.equal(triples(significant(before, after)), [
    ['KEYGATE_GUARD_ADDED', 'leakNameless -> Hsm.unwrap', 'strengthening'],
    ['KEYGATE_GUARD_ADDED', 'leakStruct -> Hsm.unwrap', 'strengthening'],
  ]);
});

test.run();
