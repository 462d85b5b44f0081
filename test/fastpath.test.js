// The fast path (pre-filters, src/extract/analysis/prefilter.ts) must never change a manifest: every fixture and a
// set of adversarial projects are extracted twice, with the pre-filters and as a full program
// (ExtractOptions.full), and compared byte for byte. No timing is asserted here (see bench/run.js).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ts } from 'ts-morph';
import { extractManifest, extractionMemoStats, JSDOC_NEEDLES } from '../dist/extract/index.js';
import { canonicalJson } from '../dist/manifest/index.js';
import { loadConfig } from '../dist/config/index.js';
import { openProject } from '../dist/extract/analysis/program.js';
import { sinkStatements } from '../dist/extract/analysis/prefilter.js';
import { extractAtRef } from '../dist/extract/from-tree.js';
import { generateCorpus } from '../bench/gen-corpus.js';
import { git, spawnTimed } from './helpers.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmpRoots = [];
function tmp(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpRoots.push(d);
  return d;
}

/** Canonical manifest text, or the error message when extraction fails (both modes must fail alike). */
function extractText(root, full) {
  try {
    return canonicalJson(extractManifest({ root, config: loadConfig(root), full }));
  } catch (e) {
    return `ERROR ${e.constructor.name}: ${e.message}`;
  }
}

function assertSameBothWays(root) {
  const fast = extractText(root, false);
  const full = extractText(root, true);
  assert.ok(full.startsWith('{'), `full extraction failed: ${full.slice(0, 300)}`);
  assert.fixture(fast, full);
  return JSON.parse(fast);
}

function writeProject(files) {
  const dir = tmp('policydrift-fastpath-');
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/** Statements kept by the key-sink filter / all statements, over the project's source files. */
function keptStatements(root) {
  const ctx = openProject({ root, config: loadConfig(root), jsDocNeedles: JSDOC_NEEDLES });
  const sinks = [];
  for (const sf of ctx.sourceFiles) {
    const visit = (n) => {
      if (n.jsDoc?.some((d) => d.tags?.some((t) => t.tagName.text === 'keySink'))) sinks.push(n);
      ts.forEachChild(n, visit);
    };
    visit(sf.compilerNode);
  }
  const names = sinks.map((n) => (n.name ?? n.declarationList?.declarations[0]?.name)?.text).filter(Boolean);
  const keep = sinkStatements(ctx, sinks, names);
  assert.ok(keep, 'the filter gave up (walks everything)');
  let kept = 0;
  let total = 0;
  const byFile = {};
  for (const sf of ctx.sourceFiles) {
    const k = keep(sf.compilerNode).length;
    byFile[ctx.rel(sf)] = k;
    kept += k;
    total += sf.compilerNode.statements.length;
  }
  return { kept, total, byFile };
}

// ---------------------------------------------------------------------------
// Every fixture

const fixtureRoots = [path.join(REPO, 'fixtures', 'sample-service')];
for (const name of fs.readdirSync(path.join(REPO, 'fixtures', 'extract')).sort()) {
  const dir = path.join(REPO, 'fixtures', 'extract', name);
  if (fs.existsSync(path.join(dir, 'tsconfig.json'))) fixtureRoots.push(dir);
}

test('every fixture is covered', () => {
  assert.ok(fixtureRoots.length >= 12, `only ${fixtureRoots.length} fixtures found`);
});

for (const root of fixtureRoots) {
  test(`fast path = full program: ${path.relative(REPO, root)}`, () => {
    assertSameBothWays(root);
  });
}

// ---------------------------------------------------------------------------
// Adversarial: sinks reached without their name in the calling statement.

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  },
  include: ['src/**/*.ts'],
});

const ADVERSARIAL = {
  'tsconfig.json': TSCONFIG,
  'src/keys/store.ts': `declare function hsm(b: string): Uint8Array;
/** @keySink */
export function unwrapKey(id: string): Uint8Array {
  return hsm(id);
}
/** Exports a key. @keySink */
export async function exportKey(id: string): Promise<Uint8Array> {
  return hsm(id);
}
`,
  'src/keys/default-sink.ts': `declare function hsm(b: string): Uint8Array;
/**
 * Opens the escrow.
 *
 * @keySink
 */
export default function openEscrow(id: string): Uint8Array {
  return hsm(id);
}
`,
  'src/keys/only.ts': `declare function hsm(b: string): Uint8Array;
/** @keySink */
export const sealed = (id: string): Uint8Array => hsm(id);
`,
  'src/keys/vault.ts': `declare function hsm(b: string): Uint8Array;
export class BaseVault {
  /** @keySink */
  open(id: string): Uint8Array {
    return hsm(id);
  }
  peek(id: string): number {
    return id.length;
  }
}
export class DerivedVault extends BaseVault {}
export const api = {
  /** @keySink */
  reveal(id: string): Uint8Array {
    return hsm(id);
  },
  other(id: string): string {
    return id;
  },
};
export namespace Deep {
  /** @keySink */
  export const dig = (id: string): Uint8Array => hsm(id);
}
/* @keySink in a plain comment is not a tag */
export function notASink(id: string): string {
  return id;
}
`,
  'src/keys/guards.ts': `/** @keyGuard */
export function requireScope(scope: string, level = 1): void {
  if (!scope || level < 1) throw new Error('denied');
}
/**
 * @keyGuard
 */
export async function assertAttested(level: 'TEE' | 'TEE_PROD'): Promise<void> {
  if (!level) throw new Error('no');
}
`,
  'src/lib/barrel.ts': `export * from '../keys/store.js';
`,
  'src/lib/barrel2.ts': `export * from './barrel.js';
export { unwrapKey as uk } from '../keys/store.js';
export { default as escrow } from '../keys/default-sink.js';
`,
  'src/lib/types.ts': `import type { unwrapKey } from '../keys/store.js';
export type Unwrapper = typeof unwrapKey;
export interface Holder { fn: Unwrapper; name: string }
`,
  'src/lib/evolve.ts': `import { sealed } from '../keys/only.js';
const bag = [];
bag.push(sealed);
export const bagged = bag;
let later;
later = sealed;
export const fromLater = later;
`,
  'src/lib/evolve2.ts': `import { sealed } from '../keys/only.js';
const bag2 = [];
const pushed = bag2.push(sealed);
export const bagged2 = bag2;
`,
  'src/lib/late.ts': `export { unwrapKey } from '../keys/store.js';
export { fromLater } from './evolve.js';
`,
  'src/lib/ns.ts': `import { unwrapKey } from '../keys/store.js';
export namespace Wrap {
  export const inner = unwrapKey;
}
export const grab = unwrapKey;
`,
  'src/use/default.ts': `import esc from '../keys/default-sink.js';
import { escrow as viaBarrel } from '../lib/barrel2.js';
import { requireScope } from '../keys/guards.js';
export function viaDefault(id: string) {
  requireScope('escrow:read');
  return esc(id);
}
export function viaBarrelDefault(id: string) {
  return viaBarrel(id);
}
`,
  'src/use/barrels.ts': `import { unwrapKey as uw, uk } from '../lib/barrel2.js';
import { uk as vk } from '../lib/barrel2.js';
import * as b2 from '../lib/barrel2.js';
import { requireScope as must } from '../keys/guards.js';
export function throughStar(id: string) {
  must('keys:read', 2);
  return uw(id);
}
export function renamedTwice(id: string) {
  return vk(id) ?? uk(id);
}
export function starNamespace(id: string) {
  return b2.exportKey(id);
}
`,
  'src/use/namespace.ts': `import * as ks from '../keys/store.js';
import * as only from '../keys/only.js';
import * as guards from '../keys/guards.js';
export async function nsCall(id: string) {
  await guards.assertAttested('TEE_PROD');
  return ks.unwrapKey(id);
}
export function nsValues(id: string) {
  const fns = Object.values(only);
  return fns[0]!(id);
}
export function nsElement(id: string) {
  return ks['unwrap\\x4bey'](id);
}
export function escaped(id: string) {
  return ks.unwrap\\u004bey(id);
}
`,
  'src/use/alias.ts': `import { requireScope, assertAttested } from '../keys/guards.js';
import { unwrapKey } from '../keys/store.js';
import type { Unwrapper, Holder } from '../lib/types.js';
const must = requireScope;
export function guardAlias(id: string) {
  must('alias');
  return unwrapKey(id);
}
export async function guardConstAlias(id: string) {
  const attest = assertAttested;
  await attest('TEE');
  return unwrapKey(id);
}
export function typeOnly(f: Unwrapper, id: string) {
  requireScope('typed');
  return f(id);
}
export function holder(h: Holder, id: string) {
  return h.fn(id);
}
`,
  'src/use/evolve-use.ts': `import { bagged, fromLater } from '../lib/evolve.js';
import { bagged2 } from '../lib/evolve2.js';
export function fromBag(id: string) {
  return bagged[0]!(id);
}
export function fromBag2(id: string) {
  return bagged2[0]!(id);
}
export function fromLet(id: string) {
  return fromLater(id);
}
`,
  'src/use/members.ts': `import { DerivedVault, api, Deep } from '../keys/vault.js';
import { requireScope } from '../keys/guards.js';
export function derived(id: string) {
  requireScope('vault');
  return new DerivedVault().open(id);
}
export function objectMethod(id: string) {
  return api.reveal(id);
}
export function nsConst(id: string) {
  return Deep.dig(id);
}
export function unrelated(id: string) {
  return new DerivedVault().peek(id) + api.other(id).length;
}
`,
  'src/use/dynamic.ts': `export async function lazy(id: string) {
  const m = await import('../keys/only.js');
  return Object.values(m)[0]!(id);
}
export type Lazy = typeof import('../keys/store.js');
`,
  'src/use/more.ts': `import { unwrapKey } from '../keys/store.js';
import { Wrap, grab } from '../lib/ns.js';
export function escapedDirect(id: string) {
  return unwrap\\u004bey(id);
}
export function viaNs(id: string) {
  return Wrap.inner(id);
}
export function viaConst(id: string) {
  return grab(id);
}
`,
  'src/use/late.ts': `import { unwrapKey, fromLater as lateFn } from '../lib/late.js';
export function viaLate(id: string) {
  return lateFn(id);
}
export function direct(id: string) {
  return unwrapKey(id);
}
`,
  'src/use/late2.ts': `import { unwrapKey } from '../keys/store.js';
import { fromLater } from '../lib/evolve.js';
export function mix(id: string) {
  unwrapKey(id);
  return fromLater;
}
`,
  'src/use/late-use.ts': `import { mix } from './late2.js';
export function viaMix(id: string) {
  return mix(id)(id);
}
`,
  // Calls a function that calls a sink: only the derived-sink rounds reach it (not the sink filter itself).
  'src/use/caller.ts': `import { guardAlias } from './alias.js';
import { add } from './plain.js';
export function callsCaller(id: string) {
  return guardAlias(id).length + add(1, 2);
}
`,
  'src/use/plain.ts': `export function add(a: number, b: number): number {
  return a + b;
}
export const table = [1, 2, 3].map((x) => add(x, 1));
`,
  // JSDoc in unusual places for the other extractors.
  'src/le/handlers.ts': `export interface Req { id: string; tenant: string }
export type Res = { kind: 'OK'; id: string } | { kind: 'NONE' };
export class Svc {
  async handle_le_request(r: Req): Promise<Res> {
    return r.id ? { kind: 'OK', id: r.id } : { kind: 'NONE' };
  }
}
/** @leHandler */
export function overloaded(r: Req): Res;
export function overloaded(r: Req, extra: number): Res;
export function overloaded(r: Req): Res {
  return { kind: 'OK', id: r.id };
}
/**
 * Documented on its statement.
 * @leHandler
 */
export const arrowHandler = async (r: Req): Promise<Res> => ({ kind: 'OK', id: r.id });
`,
  'src/logging/event.ts': `/** @retentionDays 7 */
export interface Event {
  type: 'event';
  /** @classification internal */ name: string;
}
`,
  'src/logging/logger.ts': `import type { Event } from './event.js';
/** @logSchema @retentionDays 30 */
export type Access = { type: 'access'; /** @classification personal @redact mask */ ip: string };
export class Logger {
  /** @logSink */
  write(e: Event | Access | { type: 'raw'; line: string }): void {
    void e;
  }
}
`,
  'src/misc/invariants.ts': `export function f(): number {
  /** @invariant adv.inside Tags inside function bodies count. */
  return 1;
}
/* @invariant not.a.tag A plain comment is not JSDoc. */
export const g = 2;
/** @invariant adv.eof Tags at the end of a file count. */
`,
};

test('adversarial aliases: fast path = full program, and every aliased call is found', () => {
  const root = writeProject(ADVERSARIAL);
  const m = assertSameBothWays(root);
  const kg = m.invariants.keygate;
  assert.equal(Object.keys(kg.sinks), [
    'BaseVault.open',
    'api.reveal',
    'dig',
    'exportKey',
    'openEscrow',
    'sealed',
    'unwrapKey',
  ]);
  // Sites are per entry point: guardAlias and mix are helpers of callsCaller and viaMix.
  assert.equal(Object.keys(kg.sites), [
    'callsCaller -> unwrapKey',
    'derived -> BaseVault.open',
    'direct -> unwrapKey',
    'escaped -> unwrapKey',
    'escapedDirect -> unwrapKey',
    'fromBag -> sealed',
    'fromBag2 -> sealed',
    'fromLet -> sealed',
    'guardConstAlias -> unwrapKey',
    'holder -> unwrapKey',
    'lazy -> sealed',
    'nsCall -> unwrapKey',
    'nsConst -> dig',
    'nsElement -> unwrapKey',
    'nsValues -> sealed',
    'objectMethod -> api.reveal',
    'renamedTwice -> unwrapKey',
    'starNamespace -> exportKey',
    'throughStar -> unwrapKey',
    'typeOnly -> unwrapKey',
    'viaBarrelDefault -> openEscrow',
    'viaConst -> unwrapKey',
    'viaDefault -> openEscrow',
    'viaLate -> sealed',
    'viaMix -> sealed',
    'viaMix -> unwrapKey',
    'viaNs -> unwrapKey',
  ]);
  // Guards through a renamed import, a const alias and a namespace are resolved by declaration.
  assert.equal(kg.sites['throughStar -> unwrapKey'].guards, [
    { guard: 'requireScope', args: { scope: 'keys:read', level: 2 }, awaited: true },
  ]);
  assert.equal(kg.sites['callsCaller -> unwrapKey'].guards, [
    { guard: 'requireScope', args: { scope: 'alias' }, awaited: true },
  ]);
  assert.equal(kg.sites['guardConstAlias -> unwrapKey'].guards, [
    { guard: 'assertAttested', args: { level: 'TEE' }, awaited: true },
  ]);
  assert.equal(kg.sites['nsCall -> unwrapKey'].guards, [
    { guard: 'assertAttested', args: { level: 'TEE_PROD' }, awaited: true },
  ]);
  assert.equal(Object.keys(kg.escapes), [
    '<module:src/lib/evolve.ts> -> sealed (reference)',
    '<module:src/lib/evolve2.ts> -> sealed (reference)',
    '<module:src/lib/ns.ts> -> unwrapKey (reference)',
    // Object.values(only): the namespace object, with the sink in it, leaves as a value.
    'nsValues -> sealed (reference)',
  ]);
  // The other extractors: tags on overloads, statements, members, inside bodies and at the end of a file.
  assert.equal(Object.keys(m.invariants.le.handlers), ['Svc.handle_le_request', 'arrowHandler', 'overloaded']);
  assert.equal(Object.keys(m.invariants.logging.schemas), ['Access', 'Event', 'Logger.write.e[type=raw]']);
  assert.is(m.invariants.logging.schemas.Event.retentionDays, 7);
  assert.equal(Object.keys(m.invariants.privacy.invariants), ['adv.eof', 'adv.inside']);
});

// Helper layers: the derived-sink rounds re-seed the filter with every function that reaches a sink, so callers
// that never mention a sink (through barrels, aliases, namespaces, default exports, cycles across files,
// interface dispatch, callbacks) are walked; the fast path must still equal the full program.
const HELPERS = {
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      target: 'es2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      skipLibCheck: true,
      types: [],
    },
    include: ['src/**/*.ts'],
  }),
  'src/store.ts': `/** @keySink */
export function unwrapKey(id: string): Uint8Array {
  return new Uint8Array(id.length);
}
`,
  'src/guards.ts': `/** @keyGuard */
export async function attest(level: string): Promise<void> {
  if (level !== 'PROD') throw new Error(level);
}
/** @keyGuard */
export function quorum(n: number): void {
  if (n < 2) throw new Error(String(n));
}
export async function releasable(level: string): Promise<void> {
  await attest(level);
  quorum(2);
}
`,
  'src/h/one.ts': `import { unwrapKey } from '../store.js';
export function one(id: string) {
  return unwrapKey(id);
}
`,
  'src/h/two.ts': `import { one as first } from './one.js';
export default function two(id: string) {
  return first(id);
}
`,
  'src/h/barrel.ts': `export { default as two } from './two.js';
export * from './three.js';
`,
  'src/h/three.ts': `import * as b from './barrel.js';
export const three = (id: string) => b.two(id);
`,
  'src/h/ping.ts': `import { pong } from './pong.js';
import { three } from './three.js';
export function ping(id: string, n: number): Uint8Array {
  return n > 0 ? pong(id, n - 1) : three(id);
}
`,
  'src/h/pong.ts': `import { ping } from './ping.js';
import { quorum } from '../guards.js';
export function pong(id: string, n: number): Uint8Array {
  quorum(3);
  return ping(id, n);
}
`,
  'src/h/reader.ts': `import { three } from './three.js';
export interface Reader { read(id: string): Uint8Array }
export class ThreeReader implements Reader {
  read(id: string) { return this.inner(id); }
  private inner(id: string) { return three(id); }
}
`,
  'src/h/mw.ts': `import { releasable } from '../guards.js';
export async function guarded<T>(fn: () => T): Promise<T> {
  await releasable('PROD');
  return fn();
}
`,
  'src/api/a.ts': `import { ping } from '../h/ping.js';
import { releasable } from '../guards.js';
export async function apiPing(id: string) {
  await releasable('PROD');
  return ping(id, 3);
}
`,
  'src/api/b.ts': `import type { Reader } from '../h/reader.js';
import { quorum } from '../guards.js';
export function apiRead(r: Reader, id: string) {
  quorum(2);
  return r.read(id);
}
`,
  'src/api/c.ts': `import { guarded } from '../h/mw.js';
import { two } from '../h/barrel.js';
export function apiMw(id: string) {
  return guarded(() => two(id));
}
const alias = two;
export const table = { alias };
`,
};

test('helper layers and cycles across files: fast path = full program, sites per entry point', () => {
  const root = writeProject(HELPERS);
  const m = assertSameBothWays(root);
  const kg = m.invariants.keygate;
  assert.equal(Object.keys(kg.sites), [
    'apiMw -> unwrapKey',
    'apiPing -> unwrapKey',
    'apiRead -> unwrapKey',
    'two -> unwrapKey',
  ]);
  const g = (k) => kg.sites[k].guards.map((x) => [x.guard, Object.values(x.args)[0], x.awaited]);
  assert.equal(g('apiPing -> unwrapKey'), [
    ['attest', 'PROD', true],
    ['quorum', 2, true],
  ]);
  assert.equal(g('apiRead -> unwrapKey'), [['quorum', 2, true]]);
  assert.equal(g('apiMw -> unwrapKey'), [
    ['attest', 'PROD', true],
    ['quorum', 2, true],
  ]);
  // Referenced as a value: an entry point with its own guards (none).
  assert.equal(g('two -> unwrapKey'), []);
  assert.is(
    m.locations['keygate:via:apiPing -> unwrapKey'],
    'apiPing (src/api/a.ts) -> ping (src/h/ping.ts) -> three (src/h/three.ts) -> two (src/h/two.ts) -> one (src/h/one.ts) -> unwrapKey',
  );
});

// Implicit invocations (src/extract/analysis/implicit.ts): constructors, field initializers, accessors and tags
// reached across files through aliases, default exports, factories and subclasses; the calling statements name
// neither the sink nor the class.
const IMPLICIT = {
  'tsconfig.json': HELPERS['tsconfig.json'],
  'src/store.ts': HELPERS['src/store.ts'],
  'src/guards.ts': HELPERS['src/guards.ts'],
  'src/k/holder.ts': `import { unwrapKey } from '../store.js';
export default class Holder {
  constructor(private readonly id: string) {}
  get opened(): Uint8Array {
    return unwrapKey(this.id);
  }
}
export class Eager {
  readonly key = unwrapKey('eager');
}
export const tag = (s: TemplateStringsArray): Uint8Array => unwrapKey(s.join(''));
`,
  'src/k/sub.ts': `import { Eager as E } from './holder.js';
export class Later extends E {}
`,
  'src/k/make.ts': `import H from './holder.js';
export const make = (id: string) => new H(id);
`,
  'src/api/a.ts': `import { make } from '../k/make.js';
import { attest } from '../guards.js';
export async function apiGet(id: string) {
  await attest('PROD');
  const { opened } = make(id);
  return opened;
}
`,
  'src/api/b.ts': `import * as sub from '../k/sub.js';
import { tag as t } from '../k/holder.js';
import { quorum } from '../guards.js';
export function apiNew() {
  quorum(2);
  return new sub.Later();
}
export function apiTag() {
  quorum(3);
  return t\`x\`;
}
`,
};

test('implicit invocations across files: fast path = full program, the caller is the site', () => {
  const m = assertSameBothWays(writeProject(IMPLICIT));
  const kg = m.invariants.keygate;
  assert.equal(Object.keys(kg.sites), ['apiGet -> unwrapKey', 'apiNew -> unwrapKey', 'apiTag -> unwrapKey']);
  const g = (k) => kg.sites[k].guards.map((x) => [x.guard, Object.values(x.args)[0], x.awaited]);
  assert.equal(g('apiGet -> unwrapKey'), [['attest', 'PROD', true]]);
  assert.equal(g('apiNew -> unwrapKey'), [['quorum', 2, true]]);
  assert.equal(g('apiTag -> unwrapKey'), [['quorum', 3, true]]);
  assert.is(
    m.locations['keygate:via:apiGet -> unwrapKey'],
    'apiGet (src/api/a.ts) -> Holder.opened (src/k/holder.ts) -> unwrapKey',
  );
  // A dynamic read elsewhere (no word of the getter or the class in its statement) keeps the getter an entry point.
  const leaky = assertSameBothWays(
    writeProject({
      ...IMPLICIT,
      'src/api/c.ts': `export function peek(o: Record<string, unknown>, k: string) {
  return o[k];
}
`,
    }),
  );
  assert.equal(Object.keys(leaky.invariants.keygate.sites), [
    'Holder.opened -> unwrapKey',
    'apiGet -> unwrapKey',
    'apiNew -> unwrapKey',
    'apiTag -> unwrapKey',
  ]);
});

test('adversarial: the filter skips what cannot matter', () => {
  const root = writeProject(ADVERSARIAL);
  const { kept, total, byFile } = keptStatements(root);
  assert.ok(kept < total, `kept ${kept} of ${total}`);
  // Calling a function that calls a sink does not make the caller's caller a candidate.
  assert.is(byFile['src/use/caller.ts'], 0);
  assert.is(byFile['src/use/plain.ts'], 0);
  assert.is(byFile['src/keys/guards.ts'], 0);
});

test('global declarations, JavaScript and module augmentations make the filter walk everything (still equal)', () => {
  const base = {
    'tsconfig.json': TSCONFIG,
    'src/store.ts': `/** @keySink */\nexport function unwrapKey(id: string): string {\n  return id;\n}\n`,
  };
  const globalRoot = writeProject({
    ...base,
    'src/globals.d.ts': `declare var KS: typeof import('./store.js');\n`,
    'src/use.ts': `export function viaGlobal(id: string) {\n  return KS.unwrapKey(id);\n}\n`,
  });
  const m = assertSameBothWays(globalRoot);
  assert.equal(Object.keys(m.invariants.keygate.sites), ['viaGlobal -> unwrapKey']);
  const augRoot = writeProject({
    ...base,
    'src/aug.ts': `import type { unwrapKey } from './store.js';\ndeclare global {\n  interface Array<T> { pick: typeof unwrapKey }\n}\nexport {};\n`,
    'src/use.ts': `export function viaArray(id: string) {\n  return [1].pick(id);\n}\n`,
  });
  const a = assertSameBothWays(augRoot);
  assert.equal(Object.keys(a.invariants.keygate.sites), ['viaArray -> unwrapKey']);
});

test('code committed under node_modules is project code to the filter too (equal, still bounded); libraries stay outside', () => {
  const root = writeProject({
    'tsconfig.json': TSCONFIG,
    'src/keys/store.ts': `/** @keySink */\nexport function unwrapKey(id: string): Uint8Array {\n  return new Uint8Array(id.length);\n}\n`,
    // Re-exported through a committed folder: the alias must reach the caller's statement.
    'src/keys/node_modules/relay.ts': `export { unwrapKey as open } from '../store.js';\n`,
    'src/keys/node_modules/vend/package.json': '{ "name": "vend", "main": "index.js" }',
    'src/keys/node_modules/vend/index.ts': `import { open } from '../relay.js';\nexport function vendored(id: string) {\n  return open(id);\n}\n`,
    'src/keys/use.ts': `import { open } from './node_modules/relay.js';\nimport { vendored } from 'vend';\nimport { pad } from 'padlib';\nexport function viaRelay(id: string) {\n  return open(pad(id));\n}\nexport const plain = (id: string) => vendored(id);\n`,
    'node_modules/padlib/package.json': '{ "name": "padlib", "main": "index.js" }',
    'node_modules/padlib/index.ts': `export function pad(s: string): string {\n  return s;\n}\n`,
  });
  const m = assertSameBothWays(root);
  // vendored is a helper of plain (sites per entry point); the path goes through the committed folder.
  assert.equal(Object.keys(m.invariants.keygate.sites), ['plain -> unwrapKey', 'viaRelay -> unwrapKey']);
  assert.is(
    m.locations['keygate:via:plain -> unwrapKey'],
    'plain (src/keys/use.ts) -> vendored (src/keys/node_modules/vend/index.ts) -> unwrapKey',
  );
  const { byFile } = keptStatements(root);
  assert.equal(byFile, {
    'src/keys/node_modules/relay.ts': 1,
    'src/keys/node_modules/vend/index.ts': 2,
    'src/keys/store.ts': 1,
    'src/keys/use.ts': 2,
  });
});

// ---------------------------------------------------------------------------
// The benchmark corpus: equal, and most statements skipped.

test('benchmark corpus (150 files): fast path = full program; the filter keeps a small fraction', () => {
  const root = tmp('policydrift-fastpath-corpus-');
  assert.is(generateCorpus(root, 150), 150);
  const m = assertSameBothWays(root);
  assert.ok(Object.keys(m.invariants.keygate.sites).length >= 2, 'the corpus has gated sites');
  assert.equal(Object.keys(m.invariants.keygate.sinks), ['unwrapKey']);
  const { kept, total } = keptStatements(root);
  assert.ok(kept > 0 && kept * 10 < total, `kept ${kept} of ${total} statements`);
});

// ---------------------------------------------------------------------------
// Same tree, same extraction: reused only when every file answer is identical.

test('extractions from git objects: reused only for identical trees; unchanged files shared between commits', () => {
  const dir = tmp('policydrift-fastpath-repo-');
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), TSCONFIG);
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(
    path.join(dir, 'src', 'store.ts'),
    `/** @keyGuard */\nexport function g(x: string): void {\n  if (!x) throw new Error();\n}\n/** @keySink */\nexport function s(id: string): string {\n  return id;\n}\n`,
  );
  fs.writeFileSync(
    path.join(dir, 'src', 'other.ts'),
    `import { g, s } from './store.js';\nexport function other(id: string) {\n  g('other');\n  return s(id);\n}\n`,
  );
  const write = (guard) =>
    fs.writeFileSync(
      path.join(dir, 'src', 'a.ts'),
      `import { g, s } from './store.js';\nexport function use(id: string) {\n  ${guard ? "g('x');\n  " : ''}return s(id);\n}\n`,
    );
  write(true);
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'guarded');
  write(false);
  git(dir, 'commit', '-qam', 'unguarded');
  const before = extractionMemoStats();
  const head1 = canonicalJson(extractAtRef({ repoDir: dir, rev: 'HEAD' }).manifest);
  const prev1 = canonicalJson(extractAtRef({ repoDir: dir, rev: 'HEAD~1' }).manifest);
  const prev2 = canonicalJson(extractAtRef({ repoDir: dir, rev: 'HEAD~1' }).manifest);
  const head2 = canonicalJson(extractAtRef({ repoDir: dir, rev: 'HEAD' }).manifest);
  const after = extractionMemoStats();
  assert.is(prev2, prev1);
  assert.is(head2, head1);
  assert.is.not(prev1, head1);
  assert.equal(JSON.parse(head1).invariants.keygate.sites['use -> s'].guards, []);
  assert.equal(
    JSON.parse(prev1).invariants.keygate.sites['use -> s'].guards.map((x) => x.guard),
    ['g'],
  );
  assert.equal(
    JSON.parse(head1).invariants.keygate.sites['other -> s'].guards.map((x) => x.guard),
    ['g'],
  );
  assert.equal([after.misses - before.misses, after.hits - before.hits], [3, 1]);
  // Each is what a fresh, full-program extraction of a checkout gives.
  assert.is(extractText(dir, true), head1);
  git(dir, 'checkout', '-q', 'HEAD~1');
  assert.is(extractText(dir, true), prev2);
});

// ---------------------------------------------------------------------------
// The CLI loads the TypeScript compiler only for commands that extract.

// Calls the call filter must not skip, references the name filter must not skip, and
// statements the statement filter must keep (computed member names, module augmentation).
const RESOLVED = {
  'tsconfig.json': TSCONFIG,
  'src/keys/store.ts': `declare function hsm(b: string): Uint8Array;
/** @keySink */
export function unwrapKey(id: string): Uint8Array {
  return hsm(id);
}
export function other(id: string): Uint8Array {
  return hsm(id);
}
export { unwrapKey as uk };
`,
  'src/keys/base.ts': `export interface Box { label: string }
export const box: Box = { label: 'b' };
`,
  'src/keys/augment.ts': `import { unwrapKey } from './store.js';
declare module './base.js' {
  interface Box { open: typeof unwrapKey }
}
`,
  'src/keys/table.ts': `import { unwrapKey } from './store.js';
export const E = { K: 'opener' } as const;
export const SYM: unique symbol = Symbol('s');
export const table = { [E.K]: unwrapKey };
export const bySymbol = { [SYM]: unwrapKey };
`,
  'src/use/calls.ts': `import { unwrapKey, other } from '../keys/store.js';
import * as ns from '../keys/store.js';
import { box } from '../keys/base.js';
import { table, bySymbol, E, SYM } from '../keys/table.js';
type Pref<T> = { [K in keyof T as \`x_\${string & K}\`]: T[K] };
declare const pref: Pref<typeof ns>;
export function viaUnion(id: string) {
  const f = id.length > 1 ? unwrapKey : other;
  return f(id);
}
export function viaGeneric<T extends typeof unwrapKey>(f: T, id: string) {
  return f(id);
}
export function viaRemap(id: string) {
  return pref.x_unwrapKey(id);
}
export function viaAugmented(id: string) {
  return box.open(id);
}
export function viaComputed(id: string) {
  return table.opener(id);
}
export function viaComputedKey(id: string) {
  return table[E.K](id);
}
export function viaSymbol(id: string) {
  return bySymbol[SYM](id);
}
export function viaExportAlias() {
  return [ns.uk, ns['unwrapKey']];
}
export function plain(id: string) {
  return other(id).length + new Map<string, number>().get(id)!;
}
`,
};

test('calls and references through unions, generics, mapped types, augmentations and computed names: fast path = full program', () => {
  const root = writeProject(RESOLVED);
  const m = assertSameBothWays(root);
  const kg = m.invariants.keygate;
  assert.equal(Object.keys(kg.sites), [
    'viaAugmented -> unwrapKey',
    'viaComputed -> unwrapKey',
    'viaComputedKey -> unwrapKey',
    'viaGeneric -> unwrapKey',
    'viaRemap -> unwrapKey',
    'viaSymbol -> unwrapKey',
    'viaUnion -> unwrapKey',
  ]);
  assert.equal(Object.keys(kg.escapes), [
    '<module:src/keys/table.ts> -> unwrapKey (reference)',
    'viaExportAlias -> unwrapKey (reference)',
    'viaUnion -> unwrapKey (reference)',
  ]);
  // The statement filter holds (computed names and the augmentation are bounded), and skips `plain`'s file parts.
  const { kept, total } = keptStatements(root);
  assert.ok(kept < total, `${kept}/${total}`);
});

test('commands that do not extract never load ts-morph', () => {
  const probe = path.join(tmp('policydrift-fastpath-probe-'), 'probe.mjs');
  fs.writeFileSync(
    probe,
    `const m = await import(${JSON.stringify(new URL('../dist/cli/index.js', import.meta.url).href)});
const code = await m.main(['node', 'policydrift', ...process.argv.slice(2)]);
const loaded = Object.keys((await import('node:module')).default._cache).filter((k) => /node_modules[\\\\/](ts-morph|@ts-morph)[\\\\/]/.test(k));
process.stderr.write('LOADED=' + loaded.length + ' CODE=' + code + '\\n');
`,
  );
  const run = (...args) => {
    const r = spawnTimed(process.execPath, [probe, ...args], { cwd: REPO, encoding: 'utf8' });
    return /LOADED=(\d+) CODE=(\d+)/.exec(r.stderr)?.slice(1).map(Number) ?? r.stderr;
  };
  assert.equal(run('--version'), [0, 0]);
  assert.equal(run('explain', 'LE_RESPONSE_ADDED'), [0, 0]);
  assert.equal(
    run('registry', 'list', '--root', 'fixtures/sample-service', '--registry', 'no-such-registry.json'),
    [0, 2],
  );
  const loaded = run('extract', '--root', 'fixtures/extract/le-basic');
  assert.ok(Array.isArray(loaded) && loaded[0] > 0 && loaded[1] === 0, `extract should load ts-morph: ${loaded}`);
});

test.after(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

test.run();
