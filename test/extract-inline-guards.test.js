// Issue 15: key gating on real codebases. Condition guards checked inline (`if (!isVerified(dev)) throw`),
// guards that throw and return a value (`this.getOlmMachineOrThrow().exportRoomKeys()`), and sinks named at an
// interface member or at the class method that implements it. Fixture: fixtures/extract/keygate-inline.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSDOC_NEEDLES } from '../dist/extract/index.js';
import { openProject } from '../dist/extract/analysis/program.js';
import { extractManifest } from '../dist/extract/index.js';
import { defaultConfig, loadConfig, resolveConfig } from '../dist/config/index.js';
import { extractKeygate } from '../dist/extract/collectors/keygate.js';
import { diffManifests } from '../dist/diff/index.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIX = path.join(REPO, 'fixtures', 'extract', 'keygate-inline');

const extract = (root, config = defaultConfig()) =>
  extractKeygate(openProject({ root, config, jsDocNeedles: JSDOC_NEEDLES }));

/** `{ site: [[guard, args, awaited]...] }` of every site. */
function sitesOf(r) {
  return Object.fromEntries(
    Object.entries(r.data.sites).map(([k, s]) => [k, s.guards.map((g) => [g.guard, g.args, g.awaited])]),
  );
}
function guardsOf(r, key) {
  const site = r.data.sites[key];
  assert.ok(site, `no site ${key}; have ${Object.keys(r.data.sites).join(', ')}`);
  return site.guards.map((g) => [g.guard, g.args, g.awaited]);
}

const tmpRoots = [];
/** A temporary copy of the fixture with `edits` ([file, from, to]) applied. */
function edited(edits, root = FIX) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policydrift-inline-'));
  tmpRoots.push(dir);
  fs.cpSync(root, dir, { recursive: true });
  for (const [file, from, to] of edits) {
    const p = path.join(dir, file);
    const text = fs.readFileSync(p, 'utf8');
    assert.ok(text.includes(from), `edit target not found in ${file}: ${from}`);
    fs.writeFileSync(p, text.replace(from, to));
  }
  return dir;
}

const VERIFIED = [['isVerified', { dev: '<param#0>' }, true]];
const MACHINE = [['Client.getOlmMachineOrThrow', {}, true]];

test('keygate-inline: guards, their kind, sinks', () => {
  const r = extract(FIX);
  assert.equal(
    Object.fromEntries(Object.entries(r.data.guards).map(([k, g]) => [k, [g.kind ?? 'assertion', g.async, g.params]])),
    {
      'Client.getOlmMachineOrThrow': ['assertion', false, []],
      isAllowed: ['condition', true, ['scope']],
      isVerified: ['condition', false, ['dev']],
    },
  );
  assert.equal(r.data.sinks, {
    'BackupApi.exportBackupKey': { async: false },
    'OlmMachine.exportRoomKeys': { async: false },
    'RustCrypto.exportSecretsBundle': { async: true },
    exportKeys: { async: false },
  });
});

test('keygate-inline: every site, exactly', () => {
  assert.equal(sitesOf(extract(FIX)), {
    // 2. A guard that throws and returns a value, as a const or as the sink's receiver.
    'Client.viaConst -> OlmMachine.exportRoomKeys': MACHINE,
    'Client.viaReceiver -> OlmMachine.exportRoomKeys': MACHINE,
    'Client.viaOptionalCall -> OlmMachine.exportRoomKeys': [],
    'Client.viaShortCircuit -> OlmMachine.exportRoomKeys': [],
    // 1. Condition guards: guarded where their truthy result dominates the sink.
    'negatedThrow -> exportKeys': VERIFIED,
    'negatedReturn -> exportKeys': VERIFIED,
    'consequent -> exportKeys': VERIFIED,
    'orFallThrough -> exportKeys': VERIFIED,
    'shortCircuit -> exportKeys': VERIFIED,
    'ternary -> exportKeys': VERIFIED,
    'constBound -> exportKeys': VERIFIED,
    'awaitedAsync -> exportKeys': [['isAllowed', { scope: 'keys:export' }, true]],
    // the loop variable, not a parameter
    'loopContinue -> exportKeys': [['isVerified', { dev: '<var:d#7966c327>' }, true]],
    'viaWrapper -> exportKeys': VERIFIED,
    // ...and nowhere else.
    'missingNegation -> exportKeys': [],
    'nestedThrow -> exportKeys': [],
    'noExit -> exportKeys': [],
    'andDebug -> exportKeys': [],
    'notAwaited -> exportKeys': [],
    'resultIgnored -> exportKeys': [],
    'localShadow -> exportKeys': [],
    'letBound -> exportKeys': [],
    'elseBranch -> exportKeys': [],
    'swallowed -> exportKeys': [],
    'labelledBreak -> exportKeys': [],
    // 3. Sinks named at the implementation (called through the interface) or at the interface (called on a class).
    'viaInterface -> RustCrypto.exportSecretsBundle': [],
    'viaImplementation -> RustCrypto.exportSecretsBundle': [],
    'viaClass -> BackupApi.exportBackupKey': [],
    'viaSubclass -> BackupApi.exportBackupKey': [],
  });
});

test('keygate-inline: a reference to an interface member implemented by a sink is an escape; an unrelated interface is not a sink', () => {
  const r = extract(FIX);
  assert.equal(r.data.escapes, {
    'referenced -> RustCrypto.exportSecretsBundle (reference)': {
      function: 'referenced',
      sink: 'RustCrypto.exportSecretsBundle',
      kind: 'reference',
    },
  });
  assert.equal(
    Object.keys(r.data.sites).filter((k) => k.startsWith('unrelated')),
    [],
  );
});

// ---------------------------------------------------------------------------
// 1. Condition guards: attacks on the guarded `negatedThrow`, each must lose the guard.

const NEG =
  "  if (!isVerified(dev)) throw new Error('unverified');\n  return exportKeys(dev.id);\n}\nexport function negatedReturn";
const tail = (body) => `${body}\n  return exportKeys(dev.id);\n}\nexport function negatedReturn`;
const conditionAttacks = [
  ['negation dropped', tail("  if (isVerified(dev)) throw new Error('unverified');")],
  [
    'throw moved into a nested conditional',
    tail("  if (!isVerified(dev)) {\n    if (debug) throw new Error('unverified');\n  }"),
  ],
  ['throw replaced by a log', tail('  if (!isVerified(dev)) {\n    setDebug(true);\n  }')],
  ['weakened by && debug', tail("  if (!isVerified(dev) && debug) throw new Error('unverified');")],
  ['result ignored', tail('  isVerified(dev);')],
  [
    'result kept in a let that is reassigned',
    tail("  let ok = isVerified(dev);\n  if (debug) ok = true;\n  if (!ok) throw new Error('unverified');"),
  ],
  [
    'throw swallowed by a catch',
    tail("  try {\n    if (!isVerified(dev)) throw new Error('unverified');\n  } catch {}"),
  ],
  ['break out of a labelled block', tail('  l: {\n    if (!isVerified(dev)) break l;\n  }')],
  [
    'the else exits only sometimes',
    tail("  if (isVerified(dev)) setDebug(false);\n  else if (debug) throw new Error('unverified');"),
  ],
  [
    'condition behind a callback',
    tail("  [dev].forEach((d) => {\n    if (!isVerified(d)) throw new Error('unverified');\n  });"),
  ],
  [
    'a local function of the same name',
    tail("  const isVerified = (_d: Device) => true;\n  if (!isVerified(dev)) throw new Error('unverified');"),
  ],
];
for (const [name, to] of conditionAttacks) {
  test(`attack (condition guard): ${name}`, () => {
    const r = extract(edited([['src/inline.ts', NEG, to]]));
    assert.equal(guardsOf(r, 'negatedThrow -> exportKeys'), [], to);
  });
}

test('attack (condition guard): an async condition tested without await is always truthy', () => {
  const r = extract(
    edited([
      [
        'src/inline.ts',
        "  if (!(await isAllowed('keys:export'))) throw new Error('not allowed');",
        "  const allowed = isAllowed('keys:export');\n  if (!allowed) throw new Error('not allowed');\n  if (!(allowed as unknown)) throw new Error('no');",
      ],
    ]),
  );
  assert.equal(guardsOf(r, 'awaitedAsync -> exportKeys'), []);
});

test('attack (condition guard): a condition tagged as an assertion is still recorded, and the change is a diff', () => {
  // Turning a condition into an assertion-style guard makes a mere call count: the guard declaration changes.
  const before = extractManifest({ root: FIX, config: loadConfig(FIX) });
  const asAssertion = edited([['src/guards.ts', '/** @keyGuard condition: true when', '/** @keyGuard true when']]);
  const after = extractManifest({ root: asAssertion, config: loadConfig(asAssertion) });
  assert.is(after.invariants.keygate.guards.isVerified.kind, undefined);
  // Now a mere call counts: resultIgnored gains the guard.
  assert.equal(after.invariants.keygate.sites['resultIgnored -> exportKeys'].guards.length, 1);
  const d = diffManifests(before, after, defaultConfig().orders);
  const kindChange = d.changes.find((c) => c.id === 'isVerified' && c.rule === 'UNCLASSIFIED_CHANGE');
  assert.ok(kindChange, JSON.stringify(d.changes.map((c) => [c.rule, c.id, c.effect])));
  assert.is(kindChange.effect, 'modified');
});

test('benign (condition guard): `if (!c) throw; sink` rewritten as `if (c) { sink } else throw`, `unless`-style or via a const', () => {
  for (const to of [
    "  if (isVerified(dev)) {\n    return exportKeys(dev.id);\n  } else {\n    throw new Error('unverified');\n  }\n}\nexport function negatedReturn",
    tail("  if (isVerified(dev)) setDebug(false);\n  else throw new Error('unverified');"),
    tail("  if (!isVerified(dev)) {\n    setDebug(false);\n    throw new Error('unverified');\n  }"),
    tail('  const ok = isVerified(dev);\n  const verified = ok;\n  if (!verified) return null;'),
    tail("  if (!(isVerified(dev) && dev.id !== '')) throw new Error('unverified');"),
  ]) {
    const r = extract(edited([['src/inline.ts', NEG, to]]));
    assert.equal(guardsOf(r, 'negatedThrow -> exportKeys'), VERIFIED, to);
  }
});

test('strengthening (condition guard): an inline check added to an unguarded function; the diff says KEYGATE_GUARD_ADDED', () => {
  const before = extractManifest({ root: FIX, config: loadConfig(FIX) });
  const root = edited([
    [
      'src/inline.ts',
      '  isVerified(dev);\n  return exportKeys(dev.id);',
      "  if (!isVerified(dev)) throw new Error('unverified');\n  return exportKeys(dev.id);",
    ],
  ]);
  const after = extractManifest({ root, config: loadConfig(root) });
  assert.equal(after.invariants.keygate.sites['resultIgnored -> exportKeys'].guards, [
    { guard: 'isVerified', args: { dev: '<param#0>' }, awaited: true },
  ]);
  const d = diffManifests(before, after, defaultConfig().orders);
  assert.equal(
    d.changes.map((c) => [c.rule, c.id, c.effect]),
    [['KEYGATE_GUARD_ADDED', 'resultIgnored -> exportKeys', 'strengthening']],
  );
});

test('weakening (condition guard): the negation dropped is KEYGATE_GUARD_REMOVED', () => {
  const before = extractManifest({ root: FIX, config: loadConfig(FIX) });
  const root = edited([['src/inline.ts', NEG, tail("  if (isVerified(dev)) throw new Error('unverified');")]]);
  const d = diffManifests(before, extractManifest({ root, config: loadConfig(root) }), defaultConfig().orders);
  assert.equal(
    d.changes.map((c) => [c.rule, c.id, c.effect]),
    [['KEYGATE_GUARD_REMOVED', 'negatedThrow -> exportKeys', 'weakening']],
  );
});

test('config keyConditions names a condition guard by declaration reference', () => {
  const root = edited([['src/guards.ts', '/** @keyGuard condition: true when the device is cross-signed. */', '']]);
  assert.equal(guardsOf(extract(root), 'negatedThrow -> exportKeys'), []);
  const r = extract(root, resolveConfig({ keyConditions: ['src/guards.ts#isVerified'] }, 'test'));
  assert.equal(r.data.guards.isVerified.kind, 'condition');
  assert.equal(guardsOf(r, 'negatedThrow -> exportKeys'), VERIFIED);
  assert.equal(guardsOf(r, 'resultIgnored -> exportKeys'), []);
  // Listed as an assertion-style guard instead: a mere call counts (the kind is in the manifest).
  const a = extract(root, resolveConfig({ keyGuards: ['src/guards.ts#isVerified'] }, 'test'));
  assert.is(a.data.guards.isVerified.kind, undefined);
  assert.equal(guardsOf(a, 'resultIgnored -> exportKeys'), VERIFIED);
});

// ---------------------------------------------------------------------------
// 2. Guards that throw and return a value.

const VIA_CONST = '    const m = this.getOlmMachineOrThrow();\n    return m.exportRoomKeys();';
test('attack (returning guard): optional call, short-circuit, conditional, after the sink', () => {
  for (const to of [
    '    const m = this.getOlmMachineOrThrow?.() ?? new OlmMachine();\n    return m.exportRoomKeys();',
    '    const m = (this.machine && this.getOlmMachineOrThrow()) || new OlmMachine();\n    return m.exportRoomKeys();',
    '    const m = this.machine ? this.getOlmMachineOrThrow() : new OlmMachine();\n    return m.exportRoomKeys();',
    '    const k = new OlmMachine().exportRoomKeys();\n    this.getOlmMachineOrThrow();\n    return k;',
  ]) {
    const r = extract(edited([['src/machine.ts', VIA_CONST, to]]));
    assert.equal(guardsOf(r, 'Client.viaConst -> OlmMachine.exportRoomKeys'), [], to);
  }
});

test('benign (returning guard): const, receiver, await-free chain and a helper are the same guard', () => {
  for (const to of [
    '    return this.getOlmMachineOrThrow().exportRoomKeys();',
    '    const m = this.getOlmMachineOrThrow();\n    const keys = m.exportRoomKeys();\n    return keys;',
    '    return [this.getOlmMachineOrThrow()].map((m) => m.exportRoomKeys())[0]!;',
  ]) {
    const r = extract(edited([['src/machine.ts', VIA_CONST, to]]));
    assert.equal(guardsOf(r, 'Client.viaConst -> OlmMachine.exportRoomKeys'), MACHINE, to);
  }
});

// ---------------------------------------------------------------------------
// 3. Interface sinks.

test('interface sinks: named at the implementation, a call through the interface is a sink call (and the reverse)', () => {
  const r = extract(FIX);
  assert.is(r.locations['keygate:sink:RustCrypto.exportSecretsBundle'], 'src/crypto.ts');
  assert.is(r.locations['keygate:site:viaInterface -> RustCrypto.exportSecretsBundle'], 'src/crypto.ts');
  // Two implementations that are sinks: a call through the interface is a call of both.
  const two = extract(
    edited([
      [
        'src/crypto.ts',
        'export interface BackupApi {',
        "export class WasmCrypto implements CryptoApi {\n  /** @keySink */\n  async exportSecretsBundle(): Promise<string> {\n    return 'wasm';\n  }\n  bootstrap(): void {}\n}\n\nexport interface BackupApi {",
      ],
    ]),
  );
  assert.equal(
    Object.keys(two.data.sites).filter((k) => k.startsWith('viaInterface') || k.startsWith('referenced')),
    ['viaInterface -> RustCrypto.exportSecretsBundle', 'viaInterface -> WasmCrypto.exportSecretsBundle'],
  );
  assert.equal(Object.keys(two.data.escapes), [
    'referenced -> RustCrypto.exportSecretsBundle (reference)',
    'referenced -> WasmCrypto.exportSecretsBundle (reference)',
  ]);
  // A call on the other implementation is not a sink call.
  const other = extract(
    edited([
      [
        'src/crypto.ts',
        'export interface BackupApi {',
        "export class NullCrypto implements CryptoApi {\n  async exportSecretsBundle(): Promise<string> {\n    return '';\n  }\n  bootstrap(): void {}\n}\nexport const viaNull = (n: NullCrypto) => n.exportSecretsBundle();\n\nexport interface BackupApi {",
      ],
    ]),
  );
  assert.is(other.data.sites['viaNull -> RustCrypto.exportSecretsBundle'], undefined);
  assert.ok(other.data.sites['viaInterface -> RustCrypto.exportSecretsBundle']);
});

const unrelatedSites = (r) => Object.keys(r.data.sites).filter((k) => k.startsWith('unrelated'));
const BEFORE_VIA = 'export function viaInterface';
test('interface sinks: an interface becomes a sink only through a declared relation to a sink', () => {
  // Extending the interface whose implementation is a sink does not make every extension one.
  const extended = extract(
    edited([['src/crypto.ts', 'export interface Unrelated {', 'export interface Unrelated extends CryptoApi {']]),
  );
  assert.equal(unrelatedSites(extended), []);
  // A class that inherits the sink method and implements the interface: a call through it may run the sink.
  const inherited = extract(
    edited([
      [
        'src/crypto.ts',
        BEFORE_VIA,
        "export class Exporter extends RustCrypto implements Unrelated {\n  exportBackupKey(): string {\n    return '';\n  }\n}\n" +
          BEFORE_VIA,
      ],
    ]),
  );
  assert.equal(unrelatedSites(inherited), ['unrelated -> RustCrypto.exportSecretsBundle']);
  const anonymous = extract(
    edited([
      [
        'src/crypto.ts',
        BEFORE_VIA,
        "export const exporter = new (class extends RustCrypto implements Unrelated {\n  exportBackupKey(): string {\n    return '';\n  }\n})();\n" +
          BEFORE_VIA,
      ],
    ]),
  );
  assert.equal(unrelatedSites(anonymous), ['unrelated -> RustCrypto.exportSecretsBundle']);
  // A class implementing it with a sink method of its own.
  const own = extract(
    edited([
      [
        'src/crypto.ts',
        BEFORE_VIA,
        "export class Exporter implements Unrelated {\n  /** @keySink */\n  async exportSecretsBundle(): Promise<string> {\n    return '';\n  }\n  exportBackupKey(): string {\n    return '';\n  }\n}\n" +
          BEFORE_VIA,
      ],
    ]),
  );
  assert.equal(unrelatedSites(own), ['unrelated -> Exporter.exportSecretsBundle']);
  // A sink named at a base class method: an override in a subclass is the sink, a sibling class is not.
  const base = extract(
    edited([
      ['src/crypto.ts', 'export class Backup implements BackupApi {', 'export class Backup {'],
      [
        'src/crypto.ts',
        "  exportBackupKey(): string {\n    return 'k';",
        "  /** @keySink */\n  exportBackupKey(): string {\n    return 'k';",
      ],
      [
        'src/crypto.ts',
        BEFORE_VIA,
        "export class Sibling {\n  exportBackupKey(): string {\n    return '';\n  }\n}\nexport const viaSibling = (s: Sibling) => s.exportBackupKey();\n" +
          BEFORE_VIA,
      ],
    ]),
  );
  assert.equal(
    Object.keys(base.data.sites).filter((k) => k.includes('exportBackupKey')),
    ['viaClass -> Backup.exportBackupKey', 'viaSubclass -> Backup.exportBackupKey'],
  );
});

test('interface sinks: a sink named at a subclass override makes calls through the base class and its interface sink calls', () => {
  const r = extract(
    edited([
      ['src/crypto.ts', '  /** @keySink */\n  exportBackupKey(): string;', '  exportBackupKey(): string;'],
      [
        'src/crypto.ts',
        '  override exportBackupKey(): string {',
        '  /** @keySink */\n  override exportBackupKey(): string {',
      ],
    ]),
  );
  assert.equal(
    Object.keys(r.data.sites).filter((k) => k.includes('exportBackupKey')),
    ['viaClass -> LegacyBackup.exportBackupKey', 'viaSubclass -> LegacyBackup.exportBackupKey'],
  );
  // The unrelated interface is still not a sink.
  assert.equal(unrelatedSites(r), []);
  // Through the interface the base class implements, too.
  const viaApi = extract(
    edited([
      ['src/crypto.ts', '  /** @keySink */\n  exportBackupKey(): string;', '  exportBackupKey(): string;'],
      [
        'src/crypto.ts',
        '  override exportBackupKey(): string {',
        '  /** @keySink */\n  override exportBackupKey(): string {',
      ],
      ['src/crypto.ts', BEFORE_VIA, 'export const viaApi = (b: BackupApi) => b.exportBackupKey();\n' + BEFORE_VIA],
    ]),
  );
  assert.ok(viaApi.data.sites['viaApi -> LegacyBackup.exportBackupKey']);
});

test('interface sinks: a sink named at a member of a type alias that a class implements', () => {
  const r = extract(
    edited([
      ['src/crypto.ts', 'export interface BackupApi {', 'export type BackupApi = {'],
      [
        'src/crypto.ts',
        '  exportBackupKey(): string;\n}\n\nexport class Backup',
        '  exportBackupKey(): string;\n};\n\nexport class Backup',
      ],
    ]),
  );
  assert.equal(
    Object.keys(r.data.sites).filter((k) => k.includes('exportBackupKey')),
    // A type literal's member is named by itself (declarationName).
    ['viaClass -> exportBackupKey', 'viaSubclass -> exportBackupKey'],
  );
});

test('interface sinks: a guard before a call through the interface protects it', () => {
  const r = extract(
    edited([
      [
        'src/crypto.ts',
        'export function viaInterface(api: CryptoApi) {\n  return api.exportSecretsBundle();',
        "import { isVerified, type Device } from './guards.js';\nexport function viaInterface(api: CryptoApi, dev: Device) {\n  if (!isVerified(dev)) throw new Error('unverified');\n  return api.exportSecretsBundle();",
      ],
    ]),
  );
  assert.equal(guardsOf(r, 'viaInterface -> RustCrypto.exportSecretsBundle'), [
    ['isVerified', { dev: '<param#1>' }, true],
  ]);
});

test('fast path = full program on the interface-sink and condition-guard variants', () => {
  const variants = [
    FIX,
    edited([
      [
        'src/crypto.ts',
        BEFORE_VIA,
        "export class Exporter extends RustCrypto implements Unrelated {\n  exportBackupKey(): string {\n    return '';\n  }\n}\n" +
          BEFORE_VIA,
      ],
    ]),
    edited([
      ['src/crypto.ts', '  /** @keySink */\n  exportBackupKey(): string;', '  exportBackupKey(): string;'],
      [
        'src/crypto.ts',
        '  override exportBackupKey(): string {',
        '  /** @keySink */\n  override exportBackupKey(): string {',
      ],
      ['src/crypto.ts', BEFORE_VIA, 'export const viaApi = (b: BackupApi) => b.exportBackupKey();\n' + BEFORE_VIA],
    ]),
  ];
  for (const root of variants) {
    const fast = extractManifest({ root, config: loadConfig(root), full: false });
    const full = extractManifest({ root, config: loadConfig(root), full: true });
    assert.equal(fast, full);
  }
});

test.after(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

test.run();
