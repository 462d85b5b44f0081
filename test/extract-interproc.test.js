// Interprocedural key gating (src/extract/analysis/callgraph.ts): sites per entry point through helper chains,
// guard wrappers, async wrappers, callbacks, cycles, class methods, interface dispatch and .call/?.().
// Every case edits a copy of fixtures/extract/keygate-interproc, extracts both sides and diffs them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extractManifest } from '../dist/extract/index.js';
import { defaultConfig, loadConfig } from '../dist/config/index.js';
import { diffManifests } from '../dist/diff/index.js';
import { REPO, tmpdir } from './helpers.js';

const FIXTURE = path.join(REPO, 'fixtures', 'extract', 'keygate-interproc');
const extract = (root) => extractManifest({ root, config: loadConfig(root) });
const BASE = extract(FIXTURE);

/** The folder of the last variant() (for a second extraction of the same tree). */
let lastVariant = '';

/** A copy of the fixture with edits: [file, from, to] (every occurrence), [file, null, text] writes a file. */
function variant(edits) {
  const dir = tmpdir('policydrift-interproc-');
  fs.cpSync(FIXTURE, dir, { recursive: true });
  for (const [file, from, to] of edits) {
    const p = path.join(dir, file);
    if (from === null) {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, to);
      continue;
    }
    const text = fs.readFileSync(p, 'utf8');
    assert.ok(text.includes(from), `edit target not found in ${file}: ${from}`);
    fs.writeFileSync(p, text.split(from).join(to));
  }
  lastVariant = dir;
  return extract(dir);
}

const guards = (m, key) => {
  const s = m.invariants.keygate.sites[key];
  assert.ok(s, `no site ${key}; have ${Object.keys(m.invariants.keygate.sites).join(', ')}`);
  return s.guards.map((g) => [g.guard, Object.values(g.args)[0], g.awaited]);
};
const significant = (head) =>
  diffManifests(BASE, head, defaultConfig().orders).changes.filter((c) => c.effect !== 'neutral');
const triples = (changes) =>
  changes.map((c) => [c.rule, c.id, c.subject]).sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1));

const ATT = ['requireAttestation', 'TEE_PROD', true];
const Q2 = ['requireQuorum', 2, true];

test('sites are per entry point, through helper chains, wrappers, callbacks, cycles, classes and interfaces', () => {
  const kg = BASE.invariants.keygate;
  assert.equal(Object.keys(kg.sites), [
    'KeyService.rotate -> unwrapKey',
    'exportDeep -> unwrapKey',
    'exportUnawaited -> unwrapKey',
    'exportUserKey -> unwrapKey',
    'exportWithGuards -> unwrapKey',
    'readScoped -> unwrapKey',
    'viaCall -> unwrapKey',
    'viaInterface -> unwrapKey',
    'viaOptional -> unwrapKey',
    'walkChain -> unwrapKey',
  ]);
  // Helpers with callers (openKey, loadKey, chainKey, KeyService.read...) are not sites.
  assert.equal(guards(BASE, 'exportUserKey -> unwrapKey'), [ATT, Q2]);
  // Five calls deep, guards in an awaited async wrapper with the level passed through.
  assert.equal(guards(BASE, 'exportDeep -> unwrapKey'), [ATT, Q2]);
  assert.is(
    BASE.locations['keygate:via:exportDeep -> unwrapKey'],
    'exportDeep (src/service.ts) -> deepKey (src/keys/material.ts) -> fetchKey (src/keys/material.ts) -> loadKey (src/keys/material.ts) -> openKey (src/keys/material.ts) -> unwrapKey',
  );
  // The async wrapper's promise is not awaited: its guards do not stop the sink.
  assert.equal(guards(BASE, 'exportUnawaited -> unwrapKey'), [
    ['requireAttestation', 'TEE_PROD', false],
    ['requireQuorum', 2, false],
  ]);
  // Middleware: the callback runs only where withGuards/scoped call it, after their guards.
  assert.equal(guards(BASE, 'exportWithGuards -> unwrapKey'), [ATT, Q2]);
  assert.equal(guards(BASE, 'readScoped -> unwrapKey'), [['requireScope', 'keys:read', true]]);
  // Recursion adds nothing and loses nothing.
  assert.equal(guards(BASE, 'walkChain -> unwrapKey'), [['requireQuorum', 3, true]]);
  assert.equal(guards(BASE, 'viaCall -> unwrapKey'), [['requireScope', 'keys:call', true]]);
  assert.equal(guards(BASE, 'viaOptional -> unwrapKey'), [['requireScope', 'keys:optional', true]]);
  // this.m(), a static method, and a call through an interface reach the implementation.
  assert.equal(guards(BASE, 'KeyService.rotate -> unwrapKey'), [
    ['requireQuorum', 4, true],
    ['requireScope', 'keys:read', true],
  ]);
  assert.equal(guards(BASE, 'viaInterface -> unwrapKey'), [Q2, ['requireScope', 'keys:read', true]]);
  assert.equal(kg.escapes, {});
});

// ---- weakenings that must be caught

test('a guard removed in a caller of a helper', () => {
  const ch = significant(
    variant([
      [
        'src/service.ts',
        "  await requireAttestation('TEE_PROD');\n  requireQuorum(2);\n  return openKey(id);",
        '  return openKey(id);',
      ],
    ]),
  );
  assert.equal(triples(ch), [
    ['KEYGATE_GUARD_REMOVED', 'exportUserKey -> unwrapKey', 'requireAttestation'],
    ['KEYGATE_GUARD_REMOVED', 'exportUserKey -> unwrapKey', 'requireQuorum'],
  ]);
  assert.match(
    ch.find((c) => c.subject === 'requireQuorum').message,
    'guard requireQuorum is no longer on every path from entry point exportUserKey to key sink unwrapKey (path: exportUserKey (src/service.ts) -> openKey (src/keys/material.ts) -> unwrapKey)',
  );
});

test('a new caller of a guarded helper, in another file', () => {
  const ch = significant(
    variant([
      [
        'src/backup.ts',
        null,
        "import { loadKey } from './keys/material.js';\nexport function backupKey(id: string) {\n  return loadKey(id);\n}\n",
      ],
    ]),
  );
  assert.equal(triples(ch), [['KEYGATE_UNGUARDED_SINK_CALL', 'backupKey -> unwrapKey', '']]);
  assert.match(ch[0].message, 'backupKey (src/backup.ts) -> loadKey (src/keys/material.ts) -> openKey');
});

test("a new guarded entry point is a review item (its sink's entry points share no guard here)", () => {
  const ch = significant(
    variant([
      [
        'src/backup.ts',
        null,
        "import { requireQuorum } from './guards.js';\nimport { unwrapKey } from './store.js';\nexport function backupKey(id: string) {\n  requireQuorum(2);\n  return unwrapKey(id);\n}\n",
      ],
    ]),
  );
  assert.equal(triples(ch), [['KEYGATE_SITE_ADDED', 'backupKey -> unwrapKey', '']]);
  assert.is(ch[0].effect, 'modified');
});

test('a helper referenced as a value becomes an entry point', () => {
  const ch = significant(
    variant([
      ['src/table.ts', null, "import { loadKey } from './keys/material.js';\nexport const handlers = { loadKey };\n"],
    ]),
  );
  assert.equal(triples(ch), [['KEYGATE_UNGUARDED_SINK_CALL', 'loadKey -> unwrapKey', '']]);
});

test('a guard wrapper emptied', () => {
  const ch = significant(
    variant([
      [
        'src/policy.ts',
        '  await requireAttestation(level);\n  requireQuorum(2);\n}',
        '  await requireAttestation(level);\n}',
      ],
    ]),
  );
  assert.equal(triples(ch), [
    ['KEYGATE_GUARD_REMOVED', 'exportDeep -> unwrapKey', 'requireQuorum'],
    ['KEYGATE_GUARD_REMOVED', 'exportUnawaited -> unwrapKey', 'requireQuorum'],
  ]);
});

test('attack: a guard wrapper replaced at run time by a write to its name ensures nothing', () => {
  const emptied = triples(
    significant(
      variant([
        [
          'src/policy.ts',
          'export function scoped<T>',
          '// @ts-ignore\nensureReleasable = async () => {};\nexport function scoped<T>',
        ],
      ]),
    ),
  );
  assert.ok(emptied.length > 0, 'the replaced wrapper still counted');
  assert.ok(
    emptied.every(
      ([rule, , subject]) => rule === 'KEYGATE_GUARD_REMOVED' && /^require(Attestation|Quorum)$/.test(subject),
    ),
    JSON.stringify(emptied),
  );
  // through a namespace, from another module
  const viaNamespace = triples(
    significant(
      variant([
        [
          'src/replace.ts',
          null,
          "import * as P from './policy.js';\nObject.defineProperty(P, 'ensureReleasable', { value: async () => {} });\n",
        ],
      ]),
    ),
  );
  assert.equal(viaNamespace, emptied);
  // in its own body: every later call runs the replacement
  const selfReplaced = triples(
    significant(
      variant([
        [
          'src/policy.ts',
          '  await requireAttestation(level);\n  requireQuorum(2);\n}',
          '  await requireAttestation(level);\n  requireQuorum(2);\n  // @ts-ignore\n  ensureReleasable = async () => {};\n}',
        ],
      ]),
    ),
  );
  assert.equal(selfReplaced, emptied);
  // benign: a local of the same name written elsewhere
  assert.equal(
    significant(
      variant([
        [
          'src/other.ts',
          null,
          'export function f() {\n  let ensureReleasable = 0;\n  ensureReleasable++;\n  return ensureReleasable;\n}\n',
        ],
      ]),
    ),
    [],
  );
});

test('a path added that skips the wrapper', () => {
  const ch = significant(
    variant([
      [
        'src/service.ts',
        "  await ensureReleasable('TEE_PROD');\n  return deepKey(id);",
        "  if (id === 'break-glass') return fetchKey(id);\n  await ensureReleasable('TEE_PROD');\n  return deepKey(id);",
      ],
      ['src/service.ts', 'import { chainKey, deepKey,', 'import { fetchKey, chainKey, deepKey,'],
    ]),
  );
  assert.equal(triples(ch), [
    ['KEYGATE_GUARD_REMOVED', 'exportDeep -> unwrapKey', 'requireAttestation'],
    ['KEYGATE_GUARD_REMOVED', 'exportDeep -> unwrapKey', 'requireQuorum'],
  ]);
  assert.ok(
    ch.every((c) => c.message.includes('exportDeep (src/service.ts) -> fetchKey (src/keys/material.ts)')),
    ch[0].message,
  );
});

test('an async wrapper no longer awaited', () => {
  const ch = significant(
    variant([
      [
        'src/service.ts',
        "  await ensureReleasable('TEE_PROD');\n  return deepKey(id);",
        "  void ensureReleasable('TEE_PROD');\n  return deepKey(id);",
      ],
    ]),
  );
  assert.equal(triples(ch), [
    ['KEYGATE_GUARD_NOT_AWAITED', 'exportDeep -> unwrapKey', 'requireAttestation'],
    ['KEYGATE_GUARD_NOT_AWAITED', 'exportDeep -> unwrapKey', 'requireQuorum'],
  ]);
});

test('an immediately invoked function runs its body here: its guards count, awaited only when it is', () => {
  const AWAITED = "  await ensureReleasable('TEE_PROD');\n  return deepKey(id);";
  // benign: the guards moved into an awaited IIFE (arrow, function expression, returning the promise)
  for (const code of [
    "  await (async () => {\n    await ensureReleasable('TEE_PROD');\n  })();\n  return deepKey(id);",
    "  await (async function () {\n    await ensureReleasable('TEE_PROD');\n  })();\n  return deepKey(id);",
    "  await (async (lvl: 'TEE_PROD') => ensureReleasable(lvl))('TEE_PROD');\n  return deepKey(id);",
  ]) {
    assert.equal(triples(significant(variant([['src/service.ts', AWAITED, code]]))), [], code);
  }
  const NOT = [
    ['KEYGATE_GUARD_NOT_AWAITED', 'exportDeep -> unwrapKey', 'requireAttestation'],
    ['KEYGATE_GUARD_NOT_AWAITED', 'exportDeep -> unwrapKey', 'requireQuorum'],
  ];
  // attacks: the IIFE not awaited, or its own await dropped
  for (const code of [
    "  (async () => {\n    await ensureReleasable('TEE_PROD');\n  })();\n  return deepKey(id);",
    "  await (async () => {\n    void ensureReleasable('TEE_PROD');\n  })();\n  return deepKey(id);",
  ]) {
    assert.equal(triples(significant(variant([['src/service.ts', AWAITED, code]]))), NOT, code);
  }
  // attacks: the guard conditional inside the IIFE, or the IIFE a generator (its body does not run)
  const LOST = [
    ['KEYGATE_GUARD_REMOVED', 'exportDeep -> unwrapKey', 'requireAttestation'],
    ['KEYGATE_GUARD_REMOVED', 'exportDeep -> unwrapKey', 'requireQuorum'],
  ];
  for (const code of [
    "  await (async () => {\n    if (id !== 'x') await ensureReleasable('TEE_PROD');\n  })();\n  return deepKey(id);",
    "  (function* () {\n    yield ensureReleasable('TEE_PROD');\n  })();\n  return deepKey(id);",
  ]) {
    assert.equal(triples(significant(variant([['src/service.ts', AWAITED, code]]))), LOST, code);
  }
  // a lower level through the IIFE's parameter is seen (this fixture configures no order: modified)
  const weak = variant([
    [
      'src/service.ts',
      AWAITED,
      "  await (async (lvl: 'TEE' | 'TEE_PROD') => ensureReleasable(lvl))('TEE');\n  return deepKey(id);",
    ],
  ]);
  assert.equal(
    triples(significant(weak)).map((t) => t[0]),
    ['KEYGATE_GUARD_ARG_CHANGED'],
  );
});

test('a returned guard promise is awaited where the returning function is, and only in a promise-typed function', () => {
  const AWAITED = "  await ensureReleasable('TEE_PROD');\n  return deepKey(id);";
  const helper = (sig, body) => `${AWAITED.replace("ensureReleasable('TEE_PROD')", 'ready()')}\n}\n${sig} {\n${body}`;
  // benign: `return guard()` from an async or promise-typed helper that the caller awaits
  for (const code of [
    helper('async function ready(): Promise<void>', "  return ensureReleasable('TEE_PROD');"),
    helper('function ready(): Promise<void>', "  return ensureReleasable('TEE_PROD').then(() => undefined);"),
  ]) {
    assert.equal(triples(significant(variant([['src/service.ts', AWAITED, code]]))), [], code);
  }
  const NOT = [
    ['KEYGATE_GUARD_NOT_AWAITED', 'exportDeep -> unwrapKey', 'requireAttestation'],
    ['KEYGATE_GUARD_NOT_AWAITED', 'exportDeep -> unwrapKey', 'requireQuorum'],
  ];
  for (const code of [
    // the caller does not await the helper
    helper('async function ready(): Promise<void>', "  return ensureReleasable('TEE_PROD');").replace(
      'await ready()',
      'void ready()',
    ),
    // a helper typed as returning nothing hands the promise to a caller that has no reason to wait
    helper('function ready(): void', "  return ensureReleasable('TEE_PROD') as any;"),
    // a rejection handler in the returned chain
    helper('async function ready(): Promise<unknown>', "  return ensureReleasable('TEE_PROD').catch(() => 0);"),
  ]) {
    assert.equal(triples(significant(variant([['src/service.ts', AWAITED, code]]))), NOT, code);
  }
});

test('a promise chain that can fulfil after the guard rejected is not awaited', () => {
  const AWAITED = "  await ensureReleasable('TEE_PROD');\n  return deepKey(id);";
  const NOT = [
    ['KEYGATE_GUARD_NOT_AWAITED', 'exportDeep -> unwrapKey', 'requireAttestation'],
    ['KEYGATE_GUARD_NOT_AWAITED', 'exportDeep -> unwrapKey', 'requireQuorum'],
  ];
  for (const code of [
    // a rejection handler turns the guard's rejection into a fulfilment
    "  await ensureReleasable('TEE_PROD').then(() => 0, () => 0);\n  return deepKey(id);",
    "  return ensureReleasable('TEE_PROD').catch(() => 0).then(() => deepKey(id));",
    // the sink in the rejection handler, or in finally (runs either way)
    "  return ensureReleasable('TEE_PROD').then(() => new Uint8Array(), () => deepKey(id));",
    "  return ensureReleasable('TEE_PROD').finally(() => deepKey(id)) as unknown as Promise<Uint8Array>;",
    // the sink inside the awaited expression runs before the await completes
    "  const [, k] = await Promise.all([ensureReleasable('TEE_PROD'), deepKey(id)]);\n  return k;",
    "  let k = new Uint8Array();\n  await ensureReleasable('TEE_PROD').finally(() => {\n    k = deepKey(id);\n  });\n  return k;",
    // a promise kept in a const, awaited after the sink or only on one branch
    "  const p = ensureReleasable('TEE_PROD');\n  const k = deepKey(id);\n  await p;\n  return k;",
    "  const p = ensureReleasable('TEE_PROD');\n  if (id === 'x') await p;\n  return deepKey(id);",
    // allSettled fulfils whatever the guard does
    "  await Promise.allSettled([ensureReleasable('TEE_PROD')]);\n  return deepKey(id);",
    // a project `then` is not the standard library's: it may call back at once
    "  const p = { then: (f: () => Promise<Uint8Array>) => f() };\n  void ensureReleasable('TEE_PROD');\n  return p.then(() => deepKey(id));",
  ]) {
    assert.equal(triples(significant(variant([['src/service.ts', AWAITED, code]]))), NOT, code);
  }
  // The guard itself, its rejection swallowed before the fulfilment handler.
  const direct = variant([
    [
      'src/service.ts',
      "  await requireAttestation('TEE_PROD');\n  requireQuorum(2);\n  return openKey(id);",
      "  return requireAttestation('TEE_PROD')\n    .catch(() => undefined)\n    .then(() => {\n      requireQuorum(2);\n      return openKey(id);\n    });",
    ],
  ]);
  assert.equal(triples(significant(direct)), [
    ['KEYGATE_GUARD_NOT_AWAITED', 'exportUserKey -> unwrapKey', 'requireAttestation'],
  ]);
});

test('middleware that no longer guards, or leaks the callback', () => {
  const emptied = significant(
    variant([
      [
        'src/policy.ts',
        "  await requireAttestation('TEE_PROD');\n  requireQuorum(2);\n  return fn();",
        '  return fn();',
      ],
    ]),
  );
  assert.equal(triples(emptied), [
    ['KEYGATE_GUARD_REMOVED', 'exportWithGuards -> unwrapKey', 'requireAttestation'],
    ['KEYGATE_GUARD_REMOVED', 'exportWithGuards -> unwrapKey', 'requireQuorum'],
  ]);
  // The callback stored elsewhere can run without the guards: nothing is credited.
  const leaked = significant(
    variant([
      [
        'src/policy.ts',
        'export function scoped<T>(scope: string, fn: () => T): T {\n',
        'export const saved: Array<() => unknown> = [];\nexport function scoped<T>(scope: string, fn: () => T): T {\n  saved.push(fn);\n',
      ],
    ]),
  );
  assert.equal(triples(leaked), [['KEYGATE_GUARD_REMOVED', 'readScoped -> unwrapKey', 'requireScope']]);
});

test('a guard lost in a class method reached through an interface and a static method', () => {
  const ch = significant(
    variant([
      ['src/service.ts', "    requireScope('keys:read');\n    return this.open(id);", '    return this.open(id);'],
    ]),
  );
  assert.equal(triples(ch), [
    ['KEYGATE_GUARD_REMOVED', 'KeyService.rotate -> unwrapKey', 'requireScope'],
    ['KEYGATE_GUARD_REMOVED', 'viaInterface -> unwrapKey', 'requireScope'],
  ]);
});

test('cycles and .call: a guard moved after the call is lost', () => {
  const ch = significant(
    variant([
      [
        'src/service.ts',
        '  requireQuorum(3);\n  return chainKey(id, 4);',
        '  const k = chainKey(id, 4);\n  requireQuorum(3);\n  return k;',
      ],
      [
        'src/service.ts',
        "  requireScope('keys:call');\n  return openKey.call(undefined, id);",
        "  const k = openKey.call(undefined, id);\n  requireScope('keys:call');\n  return k;",
      ],
    ]),
  );
  assert.equal(triples(ch), [
    ['KEYGATE_GUARD_REMOVED', 'viaCall -> unwrapKey', 'requireScope'],
    ['KEYGATE_GUARD_REMOVED', 'walkChain -> unwrapKey', 'requireQuorum'],
  ]);
});

test('declared entry points: package.json public entries, @entryPoint, config entryPoints', () => {
  const pkg = variant([
    [
      'package.json',
      null,
      JSON.stringify({
        name: 'keys',
        exports: { '.': { types: './dist/keys/material.d.ts', default: './dist/keys/material.js' } },
      }),
    ],
  ]);
  const names = (m) =>
    Object.keys(m.invariants.keygate.sites).filter((k) => !Object.hasOwn(BASE.invariants.keygate.sites, k));
  assert.equal(names(pkg), [
    'chainKey -> unwrapKey',
    'deepKey -> unwrapKey',
    'fetchKey -> unwrapKey',
    'loadKey -> unwrapKey',
    'openKey -> unwrapKey',
  ]);
  assert.equal(guards(pkg, 'openKey -> unwrapKey'), []);
  const tagged = variant([
    ['src/keys/material.ts', 'export function fetchKey(', '/** @entryPoint */\nexport function fetchKey('],
  ]);
  assert.equal(names(tagged), ['fetchKey -> unwrapKey']);
  const configured = variant([
    ['policydrift.config.json', null, JSON.stringify({ entryPoints: ['src/keys/material.ts#loadKey'] })],
  ]);
  assert.equal(names(configured), ['loadKey -> unwrapKey']);
  assert.equal(triples(significant(configured)), [['KEYGATE_UNGUARDED_SINK_CALL', 'loadKey -> unwrapKey', '']]);
});

test('a guard wrapper method counts only when every override in the program ensures the guard', () => {
  const POL =
    "import { requireQuorum } from './guards.js';\nimport { openKey } from './keys/material.js';\nexport class Policy {\n  check(): void {\n    requireQuorum(2);\n  }\n}\nexport function viaPolicy(p: Policy, id: string) {\n  p.check();\n  return openKey(id);\n}\n";
  assert.equal(guards(variant([['src/pol.ts', null, POL]]), 'viaPolicy -> unwrapKey'), [Q2]);
  const lax = variant([
    ['src/pol.ts', null, POL],
    [
      'src/lax.ts',
      null,
      "import { Policy } from './pol.js';\nexport class Lax extends Policy {\n  override check(): void {}\n}\n",
    ],
  ]);
  assert.equal(guards(lax, 'viaPolicy -> unwrapKey'), []);
});

test('a sink called through .call stays an escape; a helper through .call is a resolved call', () => {
  const m = variant([
    [
      'src/direct.ts',
      null,
      "import { unwrapKey } from './store.js';\nexport function direct(id: string) {\n  return unwrapKey.call(undefined, id);\n}\n",
    ],
  ]);
  assert.equal(Object.keys(m.invariants.keygate.escapes), ['direct -> unwrapKey (reference)']);
  assert.equal(guards(m, 'viaCall -> unwrapKey'), [['requireScope', 'keys:call', true]]);
});

// ---- refactors that must stay neutral

const NEUTRAL = {
  'await written as a fulfilment handler': [
    [
      'src/service.ts',
      "  await ensureReleasable('TEE_PROD');\n  return deepKey(id);",
      "  return ensureReleasable('TEE_PROD').then(() => 1).finally(() => 2).then(() => deepKey(id));",
    ],
  ],
  'an awaited guard written as a fulfilment handler': [
    [
      'src/service.ts',
      "  await requireAttestation('TEE_PROD');\n  requireQuorum(2);\n  return openKey(id);",
      "  return requireAttestation('TEE_PROD').then(() => {\n    requireQuorum(2);\n    return openKey(id);\n  });",
    ],
  ],
  'await of the guard promise kept in a const': [
    [
      'src/service.ts',
      "  await ensureReleasable('TEE_PROD');\n  return deepKey(id);",
      "  const ready = ensureReleasable('TEE_PROD');\n  await ready;\n  return deepKey(id);",
    ],
  ],
  'await of Promise.all over the guard': [
    [
      'src/service.ts',
      "  await ensureReleasable('TEE_PROD');\n  return deepKey(id);",
      "  await Promise.all([ensureReleasable('TEE_PROD'), Promise.resolve()]);\n  return deepKey(id);",
    ],
  ],
  'await of a then/finally chain': [
    [
      'src/service.ts',
      "  await ensureReleasable('TEE_PROD');\n  return deepKey(id);",
      "  await ensureReleasable('TEE_PROD').then(() => undefined).finally(() => undefined);\n  return deepKey(id);",
    ],
  ],
  'extract a helper': [
    [
      'src/service.ts',
      '  requireQuorum(2);\n  return openKey(id);\n}',
      '  requireQuorum(2);\n  return viaHelper(id);\n}\n\nfunction viaHelper(id: string): Uint8Array {\n  return openKey(id);\n}',
    ],
  ],
  'inline a helper': [
    [
      'src/service.ts',
      '  requireQuorum(2);\n  return openKey(id);\n}',
      '  requireQuorum(2);\n  return unwrapKey(id);\n}',
    ],
    [
      'src/service.ts',
      'import { ensureReleasable,',
      "import { unwrapKey } from './store.js';\nimport { ensureReleasable,",
    ],
  ],
  'move a helper to another file': [
    [
      'src/keys/material.ts',
      'export function openKey(id: string): Uint8Array {\n  return unwrapKey(id);\n}\n',
      "import { openKey } from './open.js';\nexport { openKey };\n",
    ],
    [
      'src/keys/open.ts',
      null,
      "import { unwrapKey } from '../store.js';\n\nexport function openKey(id: string): Uint8Array {\n  return unwrapKey(id);\n}\n",
    ],
  ],
  'rename a helper': [
    ['src/keys/material.ts', 'loadKey', 'readKeyMaterial'],
    ['src/service.ts', 'loadKey', 'readKeyMaterial'],
  ],
  'move guards into a wrapper': [
    [
      'src/service.ts',
      "  await requireAttestation('TEE_PROD');\n  requireQuorum(2);\n  return openKey(id);",
      "  await ensureReleasable('TEE_PROD');\n  return openKey(id);",
    ],
  ],
  'reorder independent guards': [
    [
      'src/policy.ts',
      '  await requireAttestation(level);\n  requireQuorum(2);\n}',
      '  requireQuorum(2);\n  await requireAttestation(level);\n}',
    ],
  ],
};

for (const [name, edits] of Object.entries(NEUTRAL)) {
  test(`neutral: ${name}`, () => {
    const head = variant(edits);
    assert.equal(triples(significant(head)), []);
    assert.equal(head.invariants.keygate, BASE.invariants.keygate);
  });
}

test('neutral: a moved helper changes only the path (a location)', () => {
  const head = variant(NEUTRAL['move a helper to another file']);
  const all = diffManifests(BASE, head, defaultConfig().orders).changes;
  const via = all.find((c) => c.id === 'keygate:via:exportUserKey -> unwrapKey');
  assert.ok(via, JSON.stringify(all.map((c) => c.id)));
  assert.is(via.rule, 'LOCATION_MOVED');
  assert.match(via.message, 'openKey (src/keys/open.ts)');
});

// ---- strengthening

test('a guard added on the only unguarded path; an async wrapper now awaited', () => {
  const ch = significant(
    variant([
      [
        'src/service.ts',
        "  return scoped('keys:read', () => loadKey(id));",
        "  requireQuorum(2);\n  return scoped('keys:read', () => loadKey(id));",
      ],
      [
        'src/service.ts',
        "  ensureReleasable('TEE_PROD');\n  return loadKey(id);",
        "  await ensureReleasable('TEE_PROD');\n  return loadKey(id);",
      ],
    ]),
  );
  assert.equal(triples(ch), [
    ['KEYGATE_GUARD_ADDED', 'readScoped -> unwrapKey', 'requireQuorum'],
    ['KEYGATE_GUARD_AWAITED', 'exportUnawaited -> unwrapKey', 'requireAttestation'],
    ['KEYGATE_GUARD_AWAITED', 'exportUnawaited -> unwrapKey', 'requireQuorum'],
  ]);
  assert.ok(ch.every((c) => c.effect === 'strengthening'));
});

test('attack: a module namespace used as a value reaches every function it exports (ns[k](), any-typed aliases)', () => {
  for (const body of [
    "import * as material from './keys/material.js';\nconst handlers: any = material;\nexport function dispatch(k: string, id: string) { return handlers[k](id); }\n",
    "import * as material from './keys/material.js';\nexport function dispatch(k: keyof typeof material, id: string) { return (material[k] as (s: string) => unknown)(id); }\n",
    "import * as material from './keys/material.js';\nexport const table = Object.values(material);\n",
  ]) {
    const head = variant([['src/dispatch.ts', null, body]]);
    const rules = triples(significant(head));
    // The fast path (pre-filters) sees the namespace use too.
    assert.equal(head, extractManifest({ root: lastVariant, config: loadConfig(lastVariant), full: true }));
    // openKey has guarded callers only in the base; through the namespace it is callable unguarded.
    assert.ok(
      rules.some(([rule, id]) => rule === 'KEYGATE_UNGUARDED_SINK_CALL' && id === 'openKey -> unwrapKey'),
      `${body}\n${JSON.stringify(rules)}`,
    );
  }
});

test('benign: ns.member calls through a namespace import are resolved calls, nothing is exported by them', () => {
  const head = variant([
    [
      'src/service.ts',
      "import { chainKey, deepKey, loadKey, openKey } from './keys/material.js';",
      "import { chainKey, deepKey, loadKey, openKey } from './keys/material.js';\nimport * as material from './keys/material.js';",
    ],
    [
      'src/service.ts',
      '  requireQuorum(2);\n  return openKey(id);',
      '  requireQuorum(2);\n  return material.openKey(id);',
    ],
  ]);
  assert.equal(triples(significant(head)), []);
});

test.run();
