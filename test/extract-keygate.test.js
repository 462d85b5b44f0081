// Key-gating extractor: fixture-driven, exact expected values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSDOC_NEEDLES } from '../dist/extract/index.js';
import { openProject } from '../dist/extract/analysis/program.js';
import { defaultConfig, resolveConfig } from '../dist/config/index.js';
import { extractKeygate } from '../dist/extract/collectors/keygate.js';
import { compareGuardArg } from '../dist/diff/order.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIX = (name) => path.join(REPO, 'fixtures', 'extract', name);

function extract(root, config = defaultConfig()) {
  return extractKeygate(openProject({ root, config, jsDocNeedles: JSDOC_NEEDLES }));
}

/** `[guard, args, awaited]` triples of a site, for compact expectations. */
function guardsOf(result, key) {
  const site = result.data.sites[key];
  assert.ok(site, `no site ${key}; have ${Object.keys(result.data.sites).join(', ')}`);
  return site.guards.map((g) => [g.guard, g.args, g.awaited]);
}

/** A temporary copy of a fixture with `edits` ([file, from, to]) applied. */
const tmpRoots = [];
function edited(fixture, edits) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policydrift-keygate-'));
  tmpRoots.push(dir);
  fs.cpSync(FIX(fixture), dir, { recursive: true });
  for (const [file, from, to] of edits) {
    const p = path.join(dir, file);
    const text = fs.readFileSync(p, 'utf8');
    assert.ok(text.includes(from), `edit target not found in ${file}: ${from}`);
    fs.writeFileSync(p, text.replace(from, to));
  }
  return dir;
}

const READ = { scope: 'keys:read' };

test('keygate-basic: guards and sinks by declaration', () => {
  const r = extract(FIX('keygate-basic'));
  const g = r.data.guards;
  assert.equal(Object.keys(g), ['Auth.requireRole', 'assertAttested', 'checkPolicy', 'requireScope', 'verifyToken']);
  assert.equal([g.requireScope.async, g.requireScope.params], [false, ['scope', 'level']]);
  assert.equal([g.assertAttested.async, g.assertAttested.params], [true, ['level']]);
  assert.equal([g.verifyToken.async, g.checkPolicy.async, g.checkPolicy.params], [true, false, ['opts']]);
  assert.equal(g['Auth.requireRole'].params, ['role', 'extra']);
  for (const d of Object.values(g)) assert.match(d.implDigest, /^sha256:[0-9a-f]{64}$/);
  // eraseKey is not tagged: not a sink without config.
  assert.equal(r.data.sinks, { exportKey: { async: true }, unwrapKey: { async: false } });
  assert.is(r.locations['keygate:guard:requireScope'], 'src/guards.ts');
  assert.is(r.locations['keygate:sink:unwrapKey'], 'src/store.ts');
  assert.is(r.locations['keygate:site:guarded -> unwrapKey'], 'src/service.ts');
  assert.is(r.locations['keygate:site:<module:src/boot.ts> -> unwrapKey'], 'src/boot.ts');
});

test('keygate-basic: every site, exactly', () => {
  const r = extract(FIX('keygate-basic'));
  const sites = Object.fromEntries(Object.keys(r.data.sites).map((k) => [k, guardsOf(r, k)]));
  assert.equal(sites, {
    '<module:src/boot.ts> -> unwrapKey': [['requireScope', { scope: 'boot' }, true]],
    'KeyService.rotate -> exportKey': [['requireScope', { scope: 'keys:write' }, true]],
    'afterSink -> unwrapKey': [],
    'bound -> unwrapKey': [],
    'conditionalExpr -> unwrapKey': [],
    'constAlias -> unwrapKey': [['requireScope', { scope: 'keys:write' }, true]],
    'earlyReturn -> unwrapKey': [['requireScope', READ, true]],
    'finallyGuard -> unwrapKey': [['requireScope', READ, true]],
    'guardInCallbackOnly -> unwrapKey': [],
    'guarded -> unwrapKey': [['requireScope', { scope: 'keys:read', level: 2 }, true]],
    'guardedAsync -> exportKey': [['assertAttested', { level: 'TEE' }, true]],
    'inArgs -> unwrapKey': [['requireScope', READ, true]],
    'inBranch -> unwrapKey': [],
    'inCallback -> unwrapKey': [
      // the callback's own parameter
      ['requireScope', { scope: '<param#0>' }, true],
      ['requireScope', READ, true],
    ],
    'inCondition -> exportKey': [['verifyToken', { token: 't0' }, true]],
    'loopBody -> unwrapKey': [],
    'methodGuard -> unwrapKey': [['Auth.requireRole', { role: 'ops', '#1': 'extra', '#2': '<dynamic>' }, true]],
    'notAwaited -> exportKey': [['assertAttested', { level: 'TEE' }, false]],
    'objectArg -> unwrapKey': [['checkPolicy', { 'opts.tenant': 'acme', 'opts.strict': true }, true]],
    'optionalGuard -> unwrapKey': [],
    'rethrown -> unwrapKey': [['requireScope', READ, true]],
    'sameTryBlock -> unwrapKey': [['requireScope', READ, true]],
    'shadowed -> unwrapKey': [],
    'shortCircuit -> unwrapKey': [],
    'swallowed -> unwrapKey': [],
    'switchCase -> unwrapKey': [],
    'thenChained -> exportKey': [['assertAttested', { level: 'TEE' }, false]],
    'twoCalls -> unwrapKey': [['requireScope', READ, true]],
    'viaBarrelAlias -> unwrapKey': [['requireScope', READ, true]],
    'viaConstAndEnum -> unwrapKey': [['requireScope', { scope: 'admin', level: 3 }, true]],
  });
  const s = r.data.sites['guarded -> unwrapKey'];
  assert.equal([s.function, s.sink], ['guarded', 'unwrapKey']);
});

test('keygate-basic: escapes', () => {
  const r = extract(FIX('keygate-basic'));
  assert.equal(r.data.escapes, {
    '<module:src/boot.ts> -> unwrapKey (reference)': {
      function: '<module:src/boot.ts>',
      sink: 'unwrapKey',
      kind: 'reference',
    },
    'bound -> unwrapKey (reference)': { function: 'bound', sink: 'unwrapKey', kind: 'reference' },
    'constAlias -> unwrapKey (reference)': { function: 'constAlias', sink: 'unwrapKey', kind: 'reference' },
    'passedAsCallback -> unwrapKey (reference)': { function: 'passedAsCallback', sink: 'unwrapKey', kind: 'reference' },
    'unresolved -> unwrapKey (unresolved-call)': { function: 'unresolved', sink: 'unwrapKey', kind: 'unresolved-call' },
  });
  // A sink only passed as a callback has no call site.
  assert.is(r.data.sites['passedAsCallback -> unwrapKey'], undefined);
  assert.is(r.data.sites['unresolved -> unwrapKey'], undefined);
});

test('keygate-basic: config names a sink by declaration reference', () => {
  const r = extract(FIX('keygate-basic'), resolveConfig({ keySinks: ['src/store.ts#eraseKey'] }, 'test'));
  assert.equal(r.data.sinks.eraseKey, { async: false });
  assert.equal(guardsOf(r, 'erase -> eraseKey'), [['requireScope', { scope: 'keys:write', level: 3 }, true]]);
  assert.is(r.locations['keygate:sink:eraseKey'], 'src/store.ts');
});

test('keygate-escapes: references, default imports, element access, unresolved calls', () => {
  const r = extract(FIX('keygate-escapes'));
  assert.equal(Object.keys(r.data.sites), [
    'elementCall -> Vault.open',
    'parenthesized -> unwrapKey',
    'viaDefaultImport -> unwrapKey',
  ]);
  assert.equal(Object.keys(r.data.escapes), [
    'anyElement -> Vault.open (unresolved-call)',
    'destructured -> Vault.open (reference)',
    'methodRef -> Vault.open (reference)',
    'returned -> unwrapKey (reference)',
    'shorthand -> unwrapKey (reference)',
  ]);
});

test('benign refactor: reorder, comments, line shifts, early return, guard moved + re-exported + aliased', () => {
  const before = extract(FIX('keygate-refactor-before'));
  const after = extract(FIX('keygate-refactor-after'));
  assert.equal(after.data, before.data);
  assert.equal(guardsOf(before, 'rotate -> unwrapKey'), [
    ['assertAttested', { level: 'TEE_PROD' }, true],
    ['requireScope', { scope: 'keys:write', tenant: 'acme' }, true],
  ]);
  assert.is(before.locations['keygate:guard:requireScope'], 'src/guards.ts');
  assert.is(after.locations['keygate:guard:requireScope'], 'src/auth/checks.ts');
});

test('deterministic: same data from another cwd', () => {
  const a = extract(FIX('keygate-basic'));
  const cwd = process.cwd();
  try {
    process.chdir(os.tmpdir());
    const b = extract(FIX('keygate-basic'));
    assert.equal(JSON.stringify(b), JSON.stringify(a));
  } finally {
    process.chdir(cwd);
  }
});

// Attacks on the guarded `rotate` of keygate-refactor-before: each edit must show in the data.
const ATTESTED = ['assertAttested', { level: 'TEE_PROD' }, true];
const SCOPED = ['requireScope', { scope: 'keys:write', tenant: 'acme' }, true];
const GUARD_LINE = '  requireScope(Scope.Write, TENANT);\n';
const attacks = [
  ['guard moved into an if branch', GUARD_LINE, '  if (id) requireScope(Scope.Write, TENANT);\n', [ATTESTED]],
  [
    'guard moved after the sink',
    `${GUARD_LINE}  audit.push(label);\n  return unwrapKey(id);`,
    '  audit.push(label);\n  const k = unwrapKey(id);\n  requireScope(Scope.Write, TENANT);\n  return k;',
    [ATTESTED],
  ],
  [
    'guard wrapped in a swallowing try/catch',
    GUARD_LINE,
    '  try { requireScope(Scope.Write, TENANT); } catch { audit.push("denied"); }\n',
    [ATTESTED],
  ],
  ['guard behind cond &&', GUARD_LINE, '  audit.length > 0 && requireScope(Scope.Write, TENANT);\n', [ATTESTED]],
  [
    'async guard no longer awaited',
    "  await assertAttested('TEE_PROD');",
    "  assertAttested('TEE_PROD');",
    [['assertAttested', { level: 'TEE_PROD' }, false], SCOPED],
  ],
  [
    'async guard chained with .then',
    "  await assertAttested('TEE_PROD');",
    "  assertAttested('TEE_PROD').then(() => audit.push('ok'));",
    [['assertAttested', { level: 'TEE_PROD' }, false], SCOPED],
  ],
  [
    'local function shadows the guard',
    '  audit.push(id);\n',
    '  audit.push(id);\n  function requireScope(_s: string, _t: string): void {}\n',
    [ATTESTED],
  ],
  ['guard argument literal changed', "'TEE_PROD'", "'TEE'", [['assertAttested', { level: 'TEE' }, true], SCOPED]],
  [
    'const behind a guard argument changed',
    "const TENANT = 'acme';",
    "const TENANT = 'other';",
    [ATTESTED, ['requireScope', { scope: 'keys:write', tenant: 'other' }, true]],
  ],
  [
    'enum argument changed',
    'requireScope(Scope.Write,',
    'requireScope(Scope.Read,',
    [ATTESTED, ['requireScope', { scope: 'keys:read', tenant: 'acme' }, true]],
  ],
  [
    'guard argument made dynamic by a cast',
    'requireScope(Scope.Write, TENANT)',
    'requireScope(Scope.Write, TENANT as string)',
    [ATTESTED, ['requireScope', { scope: 'keys:write', tenant: '<expr:TENANT as string>@…' }, true]],
  ],
  // Issue 11 item 3: a finally that completes abruptly discards the guard's rejection.
  [
    "finally breaks out of the guard's label",
    "  await assertAttested('TEE_PROD');",
    "  attest: try { await assertAttested('TEE_PROD'); } finally { break attest; }",
    [SCOPED],
  ],
  [
    'finally breaks out of a labelled block',
    GUARD_LINE,
    '  scoped: { try { requireScope(Scope.Write, TENANT); } finally { if (audit.length > 9) break scoped; } }\n',
    [ATTESTED],
  ],
  [
    'finally returns',
    GUARD_LINE,
    '  try { requireScope(Scope.Write, TENANT); } finally { if (!id) return; }\n',
    [ATTESTED],
  ],
  [
    'catch rethrows but finally breaks',
    GUARD_LINE,
    '  g: try { requireScope(Scope.Write, TENANT); } catch (e) { throw e; } finally { break g; }\n',
    [ATTESTED],
  ],
];
for (const [name, from, to, expected] of attacks) {
  test(`attack: ${name}`, () => {
    const r = extract(edited('keygate-refactor-before', [['src/service.ts', from, to]]));
    // a described argument's state digest (`@1a2b3c4d`) is checked for presence, not value
    const got = JSON.parse(JSON.stringify(guardsOf(r, 'rotate -> unwrapKey')).replace(/@[0-9a-f]{8}"/g, '@…"'));
    assert.equal(got, expected);
    assert.equal(r.data.escapes, {});
  });
}

test('benign: a guard in a try whose finally only cleans up still dominates', () => {
  const r = extract(
    edited('keygate-refactor-before', [
      [
        'src/service.ts',
        "  await assertAttested('TEE_PROD');",
        "  try { await assertAttested('TEE_PROD'); } finally { audit.push('attest'); for (const a of audit) { if (a) break; } }",
      ],
      [
        'src/service.ts',
        GUARD_LINE,
        '  scoped: try { requireScope(Scope.Write, TENANT); } catch (e) { throw e; } finally { audit.push(label); }\n',
      ],
    ]),
  );
  assert.equal(guardsOf(r, 'rotate -> unwrapKey'), [ATTESTED, SCOPED]);
});

// Issue 11 item 9: only `await`, and `yield` in an `async function*`, settle the guard's promise.
const ASYNC_ROTATE = 'export async function rotate(id: string, audit: string[]) {';
const AWAIT_ATTEST = "  await assertAttested('TEE_PROD');";
test('a guard invoked through the standard call/apply counts, with its arguments; a patched call does not', () => {
  const guards = (to, extra = '') =>
    guardsOf(
      extract(
        edited('keygate-refactor-before', [
          ['src/service.ts', 'requireScope(Scope.Write, TENANT);', to],
          ...(extra ? [['src/service.ts', 'const TENANT', `${extra}\nconst TENANT`]] : []),
        ]),
      ),
      'rotate -> unwrapKey',
    );
  assert.equal(guards('requireScope.call(undefined, Scope.Write, TENANT);'), [ATTESTED, SCOPED]);
  assert.equal(guards('requireScope.apply(null, [Scope.Write, TENANT]);'), [ATTESTED, SCOPED]);
  // the arguments are the guard's: a weaker one shows, a list that is not a literal is not known
  assert.equal(guards("requireScope.call(undefined, Scope.Read, 'other');"), [
    ATTESTED,
    ['requireScope', { scope: 'keys:read', tenant: 'other' }, true],
  ]);
  assert.equal(guards('requireScope.apply(null, ARGS);', "const ARGS = [Scope.Write, 'acme'] as const;"), [
    ATTESTED,
    ['requireScope', { scope: '<dynamic>', tenant: '<dynamic>' }, true],
  ]);
  // `call`/`apply` choose `this`: a guard that reads it (`this.skip`) is not credited through them
  const THIS = [
    'src/guards.ts',
    "export function requireScope(scope: string, tenant: string): void {\n  if (scope !== 'keys:write' || tenant === '') throw new Error('denied');",
    "export function requireScope(this: { skip?: boolean } | void, scope: string, tenant: string): void {\n  if (this && this.skip) return;\n  if (scope !== 'keys:write' || tenant === '') throw new Error('denied');",
  ];
  assert.equal(
    guardsOf(
      extract(
        edited('keygate-refactor-before', [
          THIS,
          [
            'src/service.ts',
            'requireScope(Scope.Write, TENANT);',
            'requireScope.call({ skip: true }, Scope.Write, TENANT);',
          ],
        ]),
      ),
      'rotate -> unwrapKey',
    ),
    [ATTESTED],
  );
  // a guard wrapper invoked through call: it runs only while the standard call does
  const WRAP = [
    'src/service.ts',
    'const TENANT',
    'function ensureScope(): void {\n  requireScope(Scope.Write, TENANT);\n}\nconst TENANT',
  ];
  const viaWrapper = (extra) =>
    guardsOf(
      extract(
        edited('keygate-refactor-before', [
          ['src/service.ts', 'requireScope(Scope.Write, TENANT);', 'ensureScope.call(undefined);'],
          WRAP,
          ...(extra ? [['src/service.ts', 'const TENANT', `${extra}\nconst TENANT`]] : []),
        ]),
      ),
      'rotate -> unwrapKey',
    );
  assert.equal(viaWrapper(''), [ATTESTED, SCOPED]);
  assert.equal(viaWrapper('(Function.prototype as any).call = () => undefined;'), [ATTESTED]);
  // the standard method replaced anywhere in the program: nothing says what runs
  for (const patch of [
    '(Function.prototype as any).call = () => undefined;',
    "const K = 'ca' + 'll';\n(Function.prototype as any)[K] = () => undefined;",
    'Object.setPrototypeOf(requireScope, { call: () => undefined });',
  ])
    assert.equal(guards('requireScope.call(undefined, Scope.Write, TENANT);', patch), [ATTESTED], patch);
});

test('attack: yield of the async guard in a plain generator is not awaited', () => {
  const r = extract(
    edited('keygate-refactor-before', [
      ['src/service.ts', ASYNC_ROTATE, 'export function* rotate(id: string, audit: string[]) {'],
      ['src/service.ts', AWAIT_ATTEST, "  yield assertAttested('TEE_PROD');"],
    ]),
  );
  assert.equal(guardsOf(r, 'rotate -> unwrapKey'), [['assertAttested', { level: 'TEE_PROD' }, false], SCOPED]);
  const delegated = extract(
    edited('keygate-refactor-before', [
      ['src/service.ts', ASYNC_ROTATE, 'export async function* rotate(id: string, audit: string[]) {'],
      ['src/service.ts', AWAIT_ATTEST, "  yield* (assertAttested('TEE_PROD') as any);"],
    ]),
  );
  assert.equal(guardsOf(delegated, 'rotate -> unwrapKey'), [['assertAttested', { level: 'TEE_PROD' }, false], SCOPED]);
  // A yield inside a callback of an async generator belongs to that callback's own (plain) generator.
  const nested = extract(
    edited('keygate-refactor-before', [
      ['src/service.ts', ASYNC_ROTATE, 'export async function* rotate(id: string, audit: string[]) {'],
      [
        'src/service.ts',
        AWAIT_ATTEST,
        "  [...(function* () { yield assertAttested('TEE_PROD'); yield unwrapKey(id); })()];",
      ],
      ['src/service.ts', '  return unwrapKey(id);', '  return 0;'],
    ]),
  );
  assert.equal(guardsOf(nested, 'rotate -> unwrapKey'), [['assertAttested', { level: 'TEE_PROD' }, false]]);
});

test('benign: yield of the async guard in an async generator awaits it', () => {
  const r = extract(
    edited('keygate-refactor-before', [
      ['src/service.ts', ASYNC_ROTATE, 'export async function* rotate(id: string, audit: string[]) {'],
      ['src/service.ts', AWAIT_ATTEST, "  yield assertAttested('TEE_PROD');"],
    ]),
  );
  assert.equal(guardsOf(r, 'rotate -> unwrapKey'), [ATTESTED, SCOPED]);
});

// Issue 11 item 4: a guard is identified by the called value, not by its type.
const SCOPE_CALL = 'requireScope(Scope.Write, TENANT);';
test('attack: a no-op typed as the guard is not the guard', () => {
  const noop = extract(
    edited('keygate-refactor-before', [
      [
        'src/service.ts',
        AWAIT_ATTEST,
        "  const attestNoop: typeof assertAttested = async () => {};\n  await attestNoop('TEE_PROD');",
      ],
    ]),
  );
  assert.equal(guardsOf(noop, 'rotate -> unwrapKey'), [SCOPED]);
  const declared = extract(
    edited('keygate-refactor-before', [
      [
        'src/service.ts',
        GUARD_LINE,
        '  const check: (s: string, t: string) => void = () => {};\n  check(Scope.Write, TENANT);\n',
      ],
    ]),
  );
  assert.equal(guardsOf(declared, 'rotate -> unwrapKey'), [ATTESTED]);
  // A `let` may be reassigned; a factory's result, an object's property or a destructured binding is not the guard's declaration.
  for (const to of [
    `let check = requireScope;\n  check = () => {};\n  check(Scope.Write, TENANT);`,
    `const pick = (): typeof requireScope => () => {};\n  pick()(Scope.Write, TENANT);`,
    `const g = { requireScope };\n  g.requireScope = () => {};\n  g.requireScope(Scope.Write, TENANT);`,
    `const { check } = { check: requireScope as typeof requireScope };\n  check(Scope.Write, TENANT);`,
  ]) {
    const r = extract(edited('keygate-refactor-before', [['src/service.ts', SCOPE_CALL, to]]));
    assert.equal(guardsOf(r, 'rotate -> unwrapKey'), [ATTESTED], to);
  }
  // A `let` that nothing in its file writes (it is not exported) holds the guard like a `const`; written in a
  // closure or by destructuring, it does not.
  const letAlias = (to) =>
    guardsOf(extract(edited('keygate-refactor-before', [['src/service.ts', SCOPE_CALL, to]])), 'rotate -> unwrapKey');
  assert.equal(letAlias('let check = requireScope;\n  check(Scope.Write, TENANT);'), [ATTESTED, SCOPED]);
  for (const to of [
    'let check = requireScope;\n  const off = () => {\n    check = () => {};\n  };\n  off();\n  check(Scope.Write, TENANT);',
    'let check = requireScope;\n  [check] = [() => {}];\n  check(Scope.Write, TENANT);',
    "let check = requireScope;\n  eval('check = () => {}');\n  check(Scope.Write, TENANT);",
  ])
    assert.equal(letAlias(to), [ATTESTED], to);
});

test("attack: a look-alike of the guard's module or object is not the guard; the module and the object are", () => {
  const IMPORTS = "import { unwrapKey } from './store.js';";
  const fakeModule = extract(
    edited('keygate-refactor-before', [
      [
        'src/service.ts',
        IMPORTS,
        `${IMPORTS}\nimport * as real from './guards.js';\nconst fake: typeof real = { ...real, requireScope: () => {} };\nconst ns = real;`,
      ],
      ['src/service.ts', SCOPE_CALL, 'fake.requireScope(Scope.Write, TENANT);\n  ns.requireScope(Scope.Read, TENANT);'],
    ]),
  );
  assert.equal(guardsOf(fakeModule, 'rotate -> unwrapKey'), [
    ATTESTED,
    ['requireScope', { scope: 'keys:read', tenant: 'acme' }, true],
  ]);
  const objectGuard = (call) =>
    extract(
      edited('keygate-refactor-before', [
        [
          'src/guards.ts',
          'export enum Scope {',
          'export const authz = {\n  /** @keyGuard */\n  check(scope: string): void {\n    if (!scope) throw new Error();\n  },\n};\nexport enum Scope {',
        ],
        [
          'src/service.ts',
          'import { requireScope, assertAttested, Scope }',
          'import { requireScope, assertAttested, Scope, authz }',
        ],
        ['src/service.ts', SCOPE_CALL, call],
      ]),
    );
  assert.equal(guardsOf(objectGuard('authz.check(TENANT);'), 'rotate -> unwrapKey'), [
    ATTESTED,
    ['authz.check', { scope: 'acme' }, true],
  ]);
  assert.equal(
    guardsOf(
      objectGuard('const other: typeof authz = { check: () => {} };\n  other.check(TENANT);'),
      'rotate -> unwrapKey',
    ),
    [ATTESTED],
  );
});

test('benign: the guard through const aliases, casts, a comma and a namespace import is still the guard', () => {
  const r = extract(
    edited('keygate-refactor-before', [
      [
        'src/service.ts',
        "import { unwrapKey } from './store.js';",
        "import { unwrapKey } from './store.js';\nimport * as checks from './index.js';\nconst attest: typeof assertAttested = assertAttested;\nconst attest2 = attest;",
      ],
      ['src/service.ts', AWAIT_ATTEST, "  await (attest2 as typeof assertAttested)('TEE_PROD');"],
      ['src/service.ts', SCOPE_CALL, '(0, checks.requireScope)(Scope.Write, TENANT);'],
    ]),
  );
  assert.equal(guardsOf(r, 'rotate -> unwrapKey'), [ATTESTED, SCOPED]);
});

test('sinks stay sinks through typed aliases: a call site (by signature) or an escape (fail closed)', () => {
  const typeofAlias = extract(
    edited('keygate-refactor-before', [
      ['src/service.ts', '  return unwrapKey(id);', '  const open: typeof unwrapKey = unwrapKey;\n  return open(id);'],
    ]),
  );
  assert.equal(guardsOf(typeofAlias, 'rotate -> unwrapKey'), [ATTESTED, SCOPED]);
  assert.equal(Object.keys(typeofAlias.data.escapes), ['rotate -> unwrapKey (reference)']);
  const fnTyped = extract(
    edited('keygate-refactor-before', [
      [
        'src/service.ts',
        '  return unwrapKey(id);',
        '  const open: (k: string) => Uint8Array = unwrapKey;\n  return open(id);',
      ],
    ]),
  );
  assert.equal(fnTyped.data.escapes, {
    'rotate -> unwrapKey (reference)': { function: 'rotate', sink: 'unwrapKey', kind: 'reference' },
  });
  // Anything typed as the sink is treated as the sink.
  const lookalike = extract(
    edited('keygate-refactor-before', [
      [
        'src/service.ts',
        '  return unwrapKey(id);',
        '  const open: typeof unwrapKey = (k) => new Uint8Array(k.length);\n  return open(id);',
      ],
    ]),
  );
  assert.equal(guardsOf(lookalike, 'rotate -> unwrapKey'), [ATTESTED, SCOPED]);
});

test('attack: sink called through a const alias still counts as a call (and escapes)', () => {
  const r = extract(
    edited('keygate-refactor-before', [
      ['src/service.ts', '  return unwrapKey(id);', '  const open = unwrapKey;\n  return open(id);'],
    ]),
  );
  assert.equal(guardsOf(r, 'rotate -> unwrapKey'), [ATTESTED, SCOPED]);
  assert.equal(Object.keys(r.data.escapes), ['rotate -> unwrapKey (reference)']);
});

test('attack: sink passed as a callback is an escape, not a guarded site', () => {
  const r = extract(
    edited('keygate-refactor-before', [
      ['src/service.ts', '  return unwrapKey(id);', '  return [id].map(unwrapKey)[0];'],
    ]),
  );
  assert.equal(r.data.sites, {});
  assert.equal(r.data.escapes, {
    'rotate -> unwrapKey (reference)': { function: 'rotate', sink: 'unwrapKey', kind: 'reference' },
  });
});

// Issue 11 item 7: code committed under a node_modules folder is project code; only library files are left out.
function withFiles(dir, files) {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}
const COMMITTED_NODE_MODULES = {
  // Imported by path: a file of the source tree.
  'src/node_modules/backdoor.ts':
    "import { unwrapKey } from '../store.js';\nexport function backdoor(id: string) { return unwrapKey(id); }\n",
  // A package in a nested node_modules that calls into the project.
  'src/vendor/node_modules/vend/package.json': '{ "name": "vend", "main": "index.js" }',
  'src/vendor/node_modules/vend/index.ts':
    "import { unwrapKey as open } from '../../../store.js';\nexport const vendored = (id: string) => open(id);\n",
  'src/vendor/use.ts':
    "import { vendored } from 'vend';\nimport { backdoor } from '../node_modules/backdoor.js';\nimport { pad } from 'padlib';\nexport const all = [vendored, backdoor, pad];\n",
  // An installed package that does not know the project: a library, its tags are not the project's.
  'node_modules/padlib/package.json': '{ "name": "padlib", "main": "index.js" }',
  'node_modules/padlib/index.ts': '/** @keySink */\nexport function pad(s: string): string { return s; }\n',
};
test('attack: sink calls in code committed under node_modules are sites; installed libraries are not analysed', () => {
  const dir = withFiles(edited('keygate-refactor-before', []), COMMITTED_NODE_MODULES);
  const r = extract(dir);
  assert.equal(Object.keys(r.data.sinks), ['unwrapKey']);
  assert.equal(Object.keys(r.data.sites), ['backdoor -> unwrapKey', 'rotate -> unwrapKey', 'vendored -> unwrapKey']);
  assert.equal(guardsOf(r, 'backdoor -> unwrapKey'), []);
  assert.equal(guardsOf(r, 'vendored -> unwrapKey'), []);
  assert.is(r.locations['keygate:site:backdoor -> unwrapKey'], 'src/node_modules/backdoor.ts');
  assert.is(r.locations['keygate:site:vendored -> unwrapKey'], 'src/vendor/node_modules/vend/index.ts');
  // The config's own excludes still apply (a config change, approved like any other).
  const excluded = extract(dir, resolveConfig({ exclude: ['src/node_modules/**'] }, 'test'));
  assert.equal(Object.keys(excluded.data.sites), ['rotate -> unwrapKey', 'vendored -> unwrapKey']);
});

test('JavaScript committed under node_modules that TypeScript does not load is a located error (exit 2), analysed once loaded', () => {
  const tsconfig = (extra) =>
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        allowJs: true,
        types: [],
        ...extra,
      },
      include: ['src/**/*.ts'],
    });
  const files = {
    'src/store.ts': '/** @keySink */\nexport function unwrapKey(id: string): string {\n  return id;\n}\n',
    'src/node_modules/back.js':
      "import { unwrapKey } from '../store.js';\nexport function back(id) {\n  return unwrapKey(id);\n}\n",
    'src/use.ts': "import { back } from './node_modules/back.js';\nexport const b = back;\n",
  };
  const dir = withFiles(fs.mkdtempSync(path.join(os.tmpdir(), 'policydrift-keygate-')), {
    ...files,
    'tsconfig.json': tsconfig({}),
  });
  tmpRoots.push(dir);
  assert.throws(
    () => extract(dir),
    (e) =>
      e.name === 'UserError' &&
      e.exitCode === 2 &&
      e.message ===
        'src/use.ts:1:22: ./node_modules/back.js is JavaScript under a node_modules folder: TypeScript does not load it, so its code cannot be analysed',
  );
  withFiles(dir, { 'tsconfig.json': tsconfig({ maxNodeModuleJsDepth: 1 }) });
  const r = extract(dir);
  assert.equal(guardsOf(r, 'back -> unwrapKey'), []);
  assert.is(r.locations['keygate:site:back -> unwrapKey'], 'src/node_modules/back.js');
});

test('a non-literal guard argument is described by where it comes from, so that forging it is a change', () => {
  const FROM = "export function guarded(id: string) {\n  requireScope('keys:read', 2);";
  const arg = (sig, body) =>
    guardsOf(
      extract(edited('keygate-basic', [['src/service.ts', FROM, `export function guarded(${sig}) {\n${body}`]])),
      'guarded -> unwrapKey',
    )[0][1].scope;
  const PARAM = '<param#1>';
  // benign: the same input under another name, through a const, reformatted
  assert.is(arg('id: string, scope: string', '  requireScope(scope, 2);'), PARAM);
  assert.is(arg('id: string, wanted: string', '  requireScope(wanted, 2);'), PARAM);
  assert.is(arg('id: string, scope: string', '  const s = scope;\n  requireScope(s, 2);'), PARAM);
  assert.is(arg('id: string, scope: string', "  requireScope(\n    scope, // the caller's\n    2,\n  );"), PARAM);
  assert.is(arg('id: string, req: { scope: string }', '  requireScope(req.scope, 2);'), '<param#1>.scope');
  // attacks: another input, a forged or defaulted one, a reassigned parameter
  assert.is(arg('id: string, scope: string', '  requireScope(id, 2);'), '<param#0>');
  assert.is(
    arg('id: string, scope: string', "  requireScope(scope || 'keys:read', 2);"),
    "<expr:scope || 'keys:read'>",
  );
  const reassigned = arg('id: string, scope: string', "  scope = 'keys:read';\n  requireScope(scope, 2);");
  assert.match(reassigned, /^<var:scope#[0-9a-f]{8}>$/);
  // a `let`: what can set it is part of its description, so a new write to it is a change
  const viaLet = (extra) => arg('id: string, scope: string', `  let s = scope;\n${extra}  requireScope(s, 2);`);
  assert.match(viaLet(''), /^<var:s#[0-9a-f]{8}>$/);
  assert.is(viaLet('  // a comment\n'), viaLet(''));
  assert.is.not(viaLet("  if (id === 'root') s = 'keys:read';\n"), viaLet(''));
  assert.is.not(viaLet("  if (id === 'root') s = 'keys:write';\n"), viaLet("  if (id === 'root') s = 'keys:read';\n"));
  assert.is(
    arg('id: string, req: { scope: string }', "  requireScope({ ...req, scope: 'keys:read' }.scope, 2);"),
    "<expr:{ ...req, scope: 'keys:read' }.scope>",
  );
  // through a wrapper that reads a member of its parameter: resolved at the call site
  const NEED = 'function need(req: { scope: string }) {\n  requireScope(req.scope, 2);\n}\n';
  const wrapped = (sig, call) =>
    guardsOf(
      extract(
        edited('keygate-basic', [['src/service.ts', FROM, `${NEED}export function guarded(${sig}) {\n  ${call};`]]),
      ),
      'guarded -> unwrapKey',
    )[0][1].scope;
  assert.is(wrapped('id: string', "need({ scope: 'keys:read' })"), 'keys:read');
  assert.is(wrapped('id: string, opts: { scope: string }', 'need(opts)'), '<param#1>.scope');
  assert.is(wrapped('id: string, s: string', 'need({ scope: s })'), '<param#1>');
  assert.is(
    wrapped('id: string, s: string', "need({ scope: 'keys:read', ...{ scope: s } })"),
    "<expr:{ scope: 'keys:read', ...{ scope: s } }>.scope",
  );
  // the diff: a described argument that changes is modified (no order ranks descriptions)
  assert.is(compareGuardArg(defaultConfig().orders, 'requireScope', 'scope', PARAM, '<var:scope>'), 'unknown');
  assert.is(compareGuardArg(defaultConfig().orders, 'requireScope', 'scope', PARAM, PARAM), 'same');
});

test('a described guard argument carries a digest of the state behind it: a getter, a write elsewhere', () => {
  const arg = (edits) =>
    guardsOf(extract(edited('keygate-refactor-before', edits)), 'rotate -> unwrapKey').find(
      (g) => g[0] === 'requireScope',
    )[1].tenant;
  const CALL = ['src/service.ts', 'requireScope(Scope.Write, TENANT);', 'requireScope(Scope.Write, CFG.tenant);'];
  const cfg = (decl, extra = '') => ['src/service.ts', "const TENANT = 'acme';", `${decl}\n${extra}`];
  const base = arg([cfg("export const CFG = { tenant: 'acme' };"), CALL]);
  assert.match(base, /^<expr:CFG\.tenant>@[0-9a-f]{8}$/);
  // a write anywhere, a direct call of a function that writes it, a changed getter
  assert.is.not(arg([cfg("export const CFG = { tenant: 'acme' };", "CFG.tenant = '';"), CALL]), base);
  assert.is.not(
    arg([cfg("export const CFG = { tenant: 'acme' };", "function reset() {\n  CFG.tenant = '';\n}\nreset();"), CALL]),
    arg([cfg("export const CFG = { tenant: 'acme' };", "function reset() {\n  CFG.tenant = '';\n}"), CALL]),
  );
  const getter = (v) =>
    arg([cfg(`export const CFG = {\n  get tenant(): string {\n    return '${v}';\n  },\n};`), CALL]);
  assert.is.not(getter(''), getter('acme'));
  // a class member read through this
  const member = (v, extra = '') =>
    guardsOf(
      extract(
        edited('keygate-refactor-before', [
          [
            'src/service.ts',
            'export async function rotate(id: string, audit: string[]) {',
            `export class Svc {\n  tenant = '${v}';\n  async rotate(id: string, audit: string[]) {\n    return rotate(id, audit, this.tenant);\n  }\n}\n${extra}export async function rotate(id: string, audit: string[], tenant: string) {`,
          ],
          ['src/service.ts', 'requireScope(Scope.Write, TENANT);', 'requireScope(Scope.Write, tenant);'],
        ]),
      ),
      'Svc.rotate -> unwrapKey',
    ).find((g) => g[0] === 'requireScope')[1].tenant;
  assert.match(member('acme'), /^<this>\.tenant@[0-9a-f]{8}$/);
  assert.is.not(member(''), member('acme'));
  assert.is.not(member('acme', "new Svc().tenant = '';\n"), member('acme'));
  // unrelated code elsewhere does not count
  assert.is(member('acme', 'export const other = 1;\n'), member('acme'));
});

test('a member of a constant object literal is its value; one that can change is described by its access', () => {
  const FROM = "export function guarded(id: string) {\n  requireScope('keys:read', 2);";
  const scope = (decl, body = '  requireScope(POLICY.scope, 2);') =>
    guardsOf(
      extract(
        edited('keygate-basic', [['src/service.ts', FROM, `${decl}\nexport function guarded(id: string) {\n${body}`]]),
      ),
      'guarded -> unwrapKey',
    )[0][1].scope;
  const DESCRIBED = '<expr:POLICY.scope>';
  assert.is(scope("const POLICY = { scope: 'keys:read', level: 2 };"), 'keys:read');
  // the policy's value changed is a change of the argument
  assert.is(scope("const POLICY = { scope: 'keys:write', level: 2 };"), 'keys:write');
  assert.is(scope("const POLICY = { scope: 'keys:read' } as const;"), 'keys:read');
  assert.is(scope("const POLICY = { scope: 'keys:read' };", "  requireScope(POLICY['scope'], 2);"), 'keys:read');
  // exported and writable, written, aliased, passed on, spread into: what it holds at the call is not known
  for (const decl of [
    "export const POLICY = { scope: 'keys:read' };",
    // exported: another module can write it through a cast, `as const` or not
    "export const POLICY = { scope: 'keys:read' } as const;",
    "const POLICY = { scope: 'keys:read' };\nPOLICY.scope = 'x';",
    "const POLICY = { scope: 'keys:read' };\nconst alias = POLICY;\nalias.scope = 'x';",
    "const POLICY = { scope: 'keys:read' };\nObject.assign(POLICY, { scope: 'x' });",
    "const POLICY = { scope: 'keys:read' };\n({ s: POLICY.scope } = { s: 'x' });",
    "const POLICY = { scope: 'keys:read' };\ndelete (POLICY as { scope?: string }).scope;",
    "const BASE = { scope: 'keys:read' };\nconst POLICY = { ...BASE };",
    // an object held by the member can be changed in place: not resolved
    "const POLICY = { scope: { v: 'keys:read' } };\nPOLICY.scope.v = 'x';",
  ]) {
    const v = scope(decl);
    assert.match(v, /^<expr:POLICY\.scope>@[0-9a-f]{8}$/, decl);
    assert.is(v.slice(0, DESCRIBED.length), DESCRIBED);
  }
  // described, but the value behind the description is part of it: changing it is a change of the argument
  assert.is.not(
    scope("export const POLICY = { scope: 'keys:write' };"),
    scope("export const POLICY = { scope: 'keys:read' };"),
  );
  assert.is(
    scope("export const POLICY = { scope: 'keys:read' };"),
    scope("// the policy\nexport const POLICY = {\n  scope: 'keys:read',\n};"),
  );
});

test('implDigest: comments and whitespace ignored, code edits detected', () => {
  const base = extract(FIX('keygate-refactor-before')).data.guards.requireScope.implDigest;
  const cosmetic = edited('keygate-refactor-before', [
    [
      'src/guards.ts',
      "  if (scope !== 'keys:write' || tenant === '') throw new Error('denied');",
      "  // deny by default\n  if (scope !== 'keys:write' ||   tenant === '')\n    throw new Error('denied'); /* done */",
    ],
    [
      'src/guards.ts',
      '/** @keyGuard */\nexport function requireScope',
      '\n\n/**\n * Scope check.\n * @keyGuard\n */\nexport function requireScope',
    ],
  ]);
  assert.is(extract(cosmetic).data.guards.requireScope.implDigest, base);
  // Its own name does not count (KEYGATE_GUARD_RENAMED pairs a renamed guard by its digest).
  const renamed = edited('keygate-refactor-before', [
    ['src/guards.ts', 'export function requireScope(', 'export function ensureScope('],
    ['src/service.ts', 'import { requireScope,', 'import { ensureScope as requireScope,'],
  ]);
  assert.is(extract(renamed).data.guards.ensureScope.implDigest, base);
  const changedOperator = edited('keygate-refactor-before', [
    ['src/guards.ts', "scope !== 'keys:write'", "scope != 'keys:write'"],
  ]);
  assert.is.not(extract(changedOperator).data.guards.requireScope.implDigest, base);
  const changedLiteral = edited('keygate-refactor-before', [['src/guards.ts', "tenant === ''", "tenant === ' '"]]);
  assert.is.not(extract(changedLiteral).data.guards.requireScope.implDigest, base);
  // A comment-looking string inside a template continuation is code, not trivia.
  const tpl = edited('keygate-refactor-before', [
    ['src/guards.ts', "throw new Error('denied');", 'throw new Error(`${scope} // a`);'],
  ]);
  const tpl2 = edited('keygate-refactor-before', [
    ['src/guards.ts', "throw new Error('denied');", 'throw new Error(`${scope} // b`);'],
  ]);
  assert.is.not(extract(tpl).data.guards.requireScope.implDigest, extract(tpl2).data.guards.requireScope.implDigest);
});

test('implDigest: what TypeScript erases on emit does not count; what it emits does', () => {
  const digest = (edits) => extract(edited('keygate-refactor-before', edits)).data.guards.requireScope.implDigest;
  const base = extract(FIX('keygate-refactor-before')).data.guards.requireScope.implDigest;
  const fn = 'export function requireScope(scope: string, tenant: string): void {';
  const body = "  if (scope !== 'keys:write' || tenant === '') throw new Error('denied');";
  // Type-only refactors: annotations, generics, assertions, non-null marks, nested types, optional marks; each
  // against the same code without them (or the original).
  const same = (typed, plain) => [
    [['src/guards.ts', body, typed]],
    plain === undefined ? undefined : [['src/guards.ts', body, plain]],
  ];
  for (const [edits, plainEdits] of [
    [
      [
        [
          'src/guards.ts',
          fn,
          'export function requireScope(scope: Scope | string, tenant: string | undefined): void {',
        ],
      ],
    ],
    [[['src/guards.ts', fn, 'export function requireScope<S extends string>(scope: S, tenant: string) {']]],
    [[['src/guards.ts', fn, 'export function requireScope(scope: string, tenant?: string): void {']]],
    same(
      "  type T = string;\n  if ((scope as T) !== 'keys:write' || tenant! === '') throw new Error('denied');",
      "  if ((scope) !== 'keys:write' || tenant === '') throw new Error('denied');",
    ),
    same(
      "  if (<string>scope !== ('keys:write' satisfies string) || tenant === '') throw new Error('denied');",
      "  if (scope !== ('keys:write') || tenant === '') throw new Error('denied');",
    ),
    same(
      "  const denied: Error = new Error('denied');\n  if (scope !== 'keys:write' || tenant === '') throw denied;",
      "  const denied = new Error('denied');\n  if (scope !== 'keys:write' || tenant === '') throw denied;",
    ),
    same(
      "  const seen = new Set<string>([scope]);\n  if (!seen.has('keys:write') || tenant === '') throw new Error('denied');",
      "  const seen = new Set([scope]);\n  if (!seen.has('keys:write') || tenant === '') throw new Error('denied');",
    ),
  ])
    assert.is(digest(edits), plainEdits ? digest(plainEdits) : base, edits[0][2]);
  // a template literal type keeps the scanner in step: the code after it still counts
  const tlt = 'export function requireScope(scope: `keys:${string}`, tenant: string): void {';
  assert.is(digest([['src/guards.ts', fn, tlt]]), base, 'template literal type');
  assert.is.not(
    digest([
      ['src/guards.ts', fn, tlt],
      ['src/guards.ts', "tenant === '')", "tenant !== '')"],
    ]),
    base,
    'an edit after a template literal type',
  );
  assert.is(
    digest([
      [
        'src/guards.ts',
        '/** @keyGuard */\n' + fn,
        'export function requireScope(scope: Scope): void;\nexport function requireScope(scope: string, tenant: string): void;\n/** @keyGuard */\n' +
          fn,
      ],
    ]),
    base,
    'overload signatures',
  );
  // Edits that look like types but change what runs: a default value, a non-null mark turned into optional
  // chaining, a type argument that is really a comparison.
  for (const edits of [
    [['src/guards.ts', fn, "export function requireScope(scope: string, tenant: string = 'acme'): void {"]],
    [['src/guards.ts', body, "  if (scope !== 'keys:write' || tenant?.length === 0) throw new Error('denied');"]],
    [
      [
        'src/guards.ts',
        body,
        "  if (scope !== 'keys:write' || tenant === '' || (scope as string) < tenant) throw new Error('denied');",
      ],
    ],
  ])
    assert.is.not(digest(edits), base, edits[0][2]);
  // A class guard: member modifiers are erased, a constructor parameter's are not (they declare a field).
  const cls = (ctor, field) =>
    extract(
      edited('keygate-refactor-before', [
        [
          'src/guards.ts',
          'export enum Scope {',
          `export class Quorum {\n  ${field}\n  ${ctor} {}\n  /** @keyGuard */\n  check(n: number): void {\n    if (n < this.min || n < this.floor) throw new Error('quorum');\n  }\n}\nexport enum Scope {`,
        ],
      ]),
    ).data.guards['Quorum.check'].implDigest;
  const plain = cls('constructor(private readonly min: number)', 'floor = 2;');
  assert.is(cls('constructor(private readonly min: number)', 'private readonly floor: number = 2;'), plain);
  assert.is(cls('constructor(private readonly min: number)', 'public floor = 2;'), plain);
  assert.is.not(cls('constructor(min: number)', 'floor = 2;'), plain, 'the parameter no longer declares a field');
  assert.is.not(cls('constructor(private readonly min: number)', 'declare floor: number;'), plain, 'declare');
});

test('implDigest: state set from a parameter holds what the callers pass: construction and call sites count', () => {
  const CLS = (ctor, tail = '') => [
    'src/guards.ts',
    'export enum Scope {',
    `export class Quorum {\n  ${ctor}\n  /** @keyGuard */\n  check(n: number): void {\n    if (n < this.min) throw new Error('quorum');\n  }\n}\n${tail}export enum Scope {`,
  ];
  const IMP = "import { unwrapKey } from './store.js';";
  const digest = (ctor, tail, line) =>
    extract(
      edited('keygate-refactor-before', [
        CLS(ctor, tail),
        ...(line ? [['src/service.ts', IMP, `${IMP}\nimport { Quorum, QUORUM } from './guards.js';\n${line}`]] : []),
      ]),
    ).data.guards['Quorum.check'].implDigest;
  const PROP = 'constructor(private readonly min: number) {}';
  const ASSIGNED =
    'private min: number;\n  constructor(min: number) {\n    this.min = min;\n  }\n  setMin(n: number) {\n    this.min = n;\n  }';
  for (const ctor of [PROP, ASSIGNED]) {
    const base = digest(ctor, 'export const QUORUM = new Quorum(2);\n');
    // the construction's argument, directly or through a constant or an alias of the class
    assert.is.not(digest(ctor, 'export const QUORUM = new Quorum(1);\n'), base, ctor);
    const viaConst = (n) => digest(ctor, `const N = ${n};\nexport const QUORUM = new Quorum(N);\n`);
    assert.is.not(viaConst(1), viaConst(2), ctor);
    const viaAlias = (n) => digest(ctor, `const Q = Quorum;\nexport const QUORUM = new Q(${n});\n`);
    assert.is.not(viaAlias(1), viaAlias(2), ctor);
    // a subclass passing its own construction on through super(…)
    const sub = (n) =>
      digest(
        ctor,
        `class Lax extends Quorum {\n  constructor(n: number) {\n    super(n);\n  }\n}\nexport const QUORUM: Quorum = new Lax(${n});\n`,
      );
    assert.is.not(sub(1), sub(2), ctor);
    // a new construction elsewhere
    assert.is.not(
      digest(ctor, 'export const QUORUM = new Quorum(2);\n', 'export const weak = new Quorum(0);'),
      base,
      ctor,
    );
    // unrelated code elsewhere does not count
    assert.is(digest(ctor, 'export const QUORUM = new Quorum(2);\n', 'export const other = Scope.Read;'), base, ctor);
    assert.is(
      digest(ctor, 'export const QUORUM = new Quorum(2);\n', 'export function f(q: Quorum) { return q; }'),
      base,
    );
  }
  // a method that sets the state: its calls anywhere count
  const base = digest(ASSIGNED, 'export const QUORUM = new Quorum(2);\n');
  assert.is.not(digest(ASSIGNED, 'export const QUORUM = new Quorum(2);\n', 'QUORUM.setMin(0);'), base);
});

test('implDigest: a function that changes what a guard reads counts where it is called', () => {
  const G = [
    'src/guards.ts',
    "  if (scope !== 'keys:write' || tenant === '') throw new Error('denied');",
    "  if (strict && (scope !== 'keys:write' || tenant === '')) throw new Error('denied');",
  ];
  const STATE = [
    'src/guards.ts',
    'export enum Scope {',
    'let strict = true;\nexport function relax(): void {\n  strict = false;\n}\nexport function init(): void {\n  relax();\n}\nexport enum Scope {',
  ];
  const IMP = "import { unwrapKey } from './store.js';";
  const digest = (line) =>
    extract(
      edited('keygate-refactor-before', [
        G,
        STATE,
        ...(line ? [['src/service.ts', IMP, `${IMP}\nimport { init, relax } from './guards.js';\n${line}`]] : []),
      ]),
    ).data.guards.requireScope.implDigest;
  const base = digest(undefined);
  for (const line of [
    'relax();',
    'export function main(): void {\n  relax();\n}',
    'export class App {\n  private ready = relax();\n}',
    'export const boot = () => relax();',
  ])
    assert.is.not(digest(line), base, line);
  // code that does not run them does not count
  assert.is(digest('export const n = Scope.Read;'), base);
  // a call through an object that holds the function (`{ relax }`, `{ r: relax }`) is a call of it
  const HOLDER = 'export const api = { relax, r: relax };';
  assert.is.not(digest(`${HOLDER}\napi.relax();`), digest(HOLDER));
  assert.is.not(digest(`${HOLDER}\napi.r();`), digest(HOLDER));
});

test('implDigest: a write that replaces the guard, or state it reads, anywhere in the program is part of it', () => {
  const digest = (edits) => extract(edited('keygate-refactor-before', edits)).data.guards.requireScope.implDigest;
  const base = extract(FIX('keygate-refactor-before')).data.guards.requireScope.implDigest;
  const SVC = ['src/service.ts', "const TENANT = 'acme';"];
  // attacks: the guard's binding replaced in its own module, through an import, an alias, a namespace, reflection
  const attacks = [
    [
      [
        'src/guards.ts',
        '/** @keyGuard */\nexport async',
        '// @ts-ignore\nrequireScope = () => {};\n/** @keyGuard */\nexport async',
      ],
    ],
    [[...SVC, "const TENANT = 'acme';\n// @ts-ignore\nrequireScope = () => {};"]],
    [
      [
        'src/service.ts',
        "import { unwrapKey } from './store.js';",
        "import { unwrapKey } from './store.js';\nimport { requireScope as rs } from './guards.js';\nexport function off() {\n  // @ts-ignore\n  rs = () => {};\n}",
      ],
    ],
    [
      [
        'src/service.ts',
        "import { unwrapKey } from './store.js';",
        "import { unwrapKey } from './store.js';\nimport * as G from './guards.js';\n(G as any).requireScope = () => {};",
      ],
    ],
    [
      [
        'src/service.ts',
        "import { unwrapKey } from './store.js';",
        "import { unwrapKey } from './store.js';\nimport * as G from './guards.js';\nObject.defineProperty(G, 'requireScope', { value: () => {} });",
      ],
    ],
  ];
  // reflective writes by a member name only (an object literal's key, an aliased Reflect), and a shorthand
  // destructuring target
  const IMP = "import { unwrapKey } from './store.js';";
  for (const line of [
    'Object.assign(G as object, { requireScope: () => {} });',
    'Object.defineProperties(G, { requireScope: { value: () => {} } });',
    "const R = Reflect;\nR.set(G, 'requireScope', () => {});",
    '// @ts-ignore\n({ requireScope } = { requireScope: () => {} });',
    // computed names: a key or a source whose names are not written out
    "const k = ['require', 'Scope'].join('');\n(G as any)[k] = () => {};",
    "const k = 'requireS' + 'cope';\nReflect.set(G, k, () => {});",
    'const overrides: object = JSON.parse("{}");\nObject.assign(G, overrides);',
    "const k = 'requireScope';\nObject.assign(G, { [k]: () => {} });",
    'Object.setPrototypeOf(G, { requireScope() {} });',
  ])
    attacks.push([['src/service.ts', IMP, `${IMP}\nimport * as G from './guards.js';\n${line}`]]);
  for (const edits of attacks) assert.is.not(digest(edits), base, JSON.stringify(edits));
  // state the guard reads, written elsewhere
  const READS = [
    'src/guards.ts',
    "  if (scope !== 'keys:write' || tenant === '') throw new Error('denied');",
    "  if (strict && (scope !== 'keys:write' || tenant === '')) throw new Error('denied');",
  ];
  const STATE = ['src/guards.ts', 'export enum Scope {', 'export let strict = true;\nexport enum Scope {'];
  const withState = digest([READS, STATE]);
  assert.is.not(
    digest([READS, STATE, [...SVC, "const TENANT = 'acme';\nexport function relax() {\n  strict = false;\n}"]]),
    withState,
  );
  assert.is.not(
    digest([
      READS,
      STATE,
      [
        'src/service.ts',
        "import { unwrapKey } from './store.js';",
        "import { unwrapKey } from './store.js';\nimport { strict } from './guards.js';\n// @ts-ignore\nstrict = !strict;",
      ],
    ]),
    withState,
  );
  // benign: a computed write to an object that holds no guard
  assert.is(
    digest([
      [...SVC, "const TENANT = 'acme';\nconst m: Record<string, number> = {};\nconst key = TENANT + 'x';\nm[key] = 1;"],
    ]),
    base,
  );
  // benign: writes to other bindings, or to a local that shares the guard's name, change nothing
  assert.is(
    digest([
      [
        ...SVC,
        "let TENANT = 'acme';\nexport function retenant(t: string) {\n  TENANT = t;\n  let requireScope = 0;\n  requireScope++;\n  return requireScope;\n}",
      ],
    ]),
    base,
  );
});

test('implDigest: state the guard looks into, changed in place anywhere in the program, is part of it', () => {
  const digest = (edits) => extract(edited('keygate-refactor-before', edits)).data.guards.requireScope.implDigest;
  // The guard consults a module-level list and a set: their contents decide it.
  const READS = [
    'src/guards.ts',
    "  if (scope !== 'keys:write' || tenant === '') throw new Error('denied');",
    "  if (SCOPES.indexOf(scope) < 0 || !TENANTS.has(tenant)) throw new Error('denied');",
  ];
  const STATE = [
    'src/guards.ts',
    'export enum Scope {',
    "export const SCOPES: string[] = ['keys:write'];\nexport const CFG = { tenants: new Set(['acme']) };\nconst TENANTS = CFG.tenants;\nexport enum Scope {",
  ];
  const IMP = "import { unwrapKey } from './store.js';";
  const use = (line) => ['src/service.ts', IMP, `${IMP}\nimport { SCOPES, CFG } from './guards.js';\n${line}`];
  const base = digest([READS, STATE]);
  // attacks: mutating calls, writes through the binding, handing it on, aliasing it, a nested object
  for (const line of [
    "SCOPES.push('keys:read');",
    "SCOPES.splice(0, 1, 'keys:read');",
    'SCOPES.length = 0;',
    "SCOPES[0] = 'keys:read';",
    "Array.prototype.push.call(SCOPES, 'keys:read');",
    'const s = SCOPES;\ns.reverse();',
    "export function widen(xs: string[]) {\n  xs.push('keys:read');\n}\nwiden(SCOPES);",
    "CFG.tenants.add('mallory');",
    'CFG.tenants.clear();',
    "SCOPES.forEach((x, i, all) => { all[i] = 'keys:read'; });",
    // a built-in read method replaced in the program is no longer a read
    "// @ts-ignore\nArray.prototype.includes = function () {\n  this.length = 0;\n  return false;\n};\nSCOPES.includes('x');",
  ])
    assert.is.not(digest([READS, STATE, use(line)]), base, line);
  // in the guard's own module, by a function nobody calls yet
  assert.is.not(
    digest([
      READS,
      STATE,
      ['src/guards.ts', 'export enum Scope {', "export function open() {\n  SCOPES.push('*');\n}\nexport enum Scope {"],
    ]),
    base,
  );
  // benign: reading it elsewhere changes nothing
  for (const line of [
    "console.log(SCOPES.join(','), SCOPES.length, SCOPES[0], SCOPES.includes('x'));",
    'export const copy = [...SCOPES];\nfor (const s of SCOPES) console.log(s);',
    'export const lower = SCOPES.map((s) => s.toLowerCase()).filter((s, i) => i > 0);',
    "export const known = CFG.tenants.has('acme') && CFG.tenants.size > 0;",
    'export type Scopes = typeof SCOPES;',
  ])
    assert.is(digest([READS, STATE, use(line)]), base, line);
});

test('implDigest: a class field a guard method looks into, changed in place elsewhere (typed, through any, by key)', () => {
  const CLS = [
    'src/guards.ts',
    'export enum Scope {',
    "export class Custodians {\n  private trusted = new Set(['alice']);\n  /** @keyGuard */\n  check(c: string): void {\n    if (!this.trusted.has(c)) throw new Error('untrusted');\n  }\n}\nexport const custodians = new Custodians();\nexport enum Scope {",
  ];
  const IMP = "import { unwrapKey } from './store.js';";
  const digest = (line) =>
    extract(
      edited('keygate-refactor-before', [
        CLS,
        ...(line ? [['src/service.ts', IMP, `${IMP}\nimport { custodians } from './guards.js';\n${line}`]] : []),
      ]),
    ).data.guards['Custodians.check'].implDigest;
  const base = digest(undefined);
  for (const line of [
    "(custodians as any).trusted.add('mallory');",
    "(custodians as any)['trusted'].clear();",
    "custodians['trusted'].add('mallory');",
  ])
    assert.is.not(digest(line), base, line);
  assert.is(digest("export const n = custodians['trusted'].size + (custodians['trusted'].has('x') ? 1 : 0);"), base);
});

test('implDigest: a decorator of the class that declares a guard method is part of it (it may replace the method)', () => {
  const CLS =
    "export class Custodians {\n  /** @keyGuard */\n  check(c: string): void {\n    if (c === '') throw new Error('untrusted');\n  }\n}\nexport enum Scope {";
  const digest = (cls) =>
    extract(edited('keygate-refactor-before', [['src/guards.ts', 'export enum Scope {', cls]])).data.guards[
      'Custodians.check'
    ].implDigest;
  const base = digest(CLS);
  const EVIL =
    'function evil<T extends new (...a: any[]) => object>(cls: T, _ctx: ClassDecoratorContext): T {\n  return class extends cls {\n    check(): void {}\n  };\n}\n@evil\n';
  assert.is.not(digest(EVIL + CLS), base);
  // and what the decorator runs: changing its body changes the digest
  assert.is.not(
    digest(EVIL.replace('check(): void {}', 'check(): void {\n      void 0;\n    }') + CLS),
    digest(EVIL + CLS),
  );
});

test('implDigest: state the guard only tests or returns is not looked into (its uses elsewhere do not count)', () => {
  const digest = (edits) => extract(edited('keygate-refactor-before', edits)).data.guards.requireScope.implDigest;
  const READS = [
    'src/guards.ts',
    "  if (scope !== 'keys:write' || tenant === '') throw new Error('denied');",
    "  if (!MACHINE || scope !== 'keys:write' || tenant === '') throw new Error('denied');",
  ];
  const STATE = [
    'src/guards.ts',
    'export enum Scope {',
    'export const MACHINE = { keys: [1, 2] };\nexport enum Scope {',
  ];
  const IMP = "import { unwrapKey } from './store.js';";
  const base = digest([READS, STATE]);
  assert.is(
    digest([
      READS,
      STATE,
      ['src/service.ts', IMP, `${IMP}\nimport { MACHINE } from './guards.js';\nMACHINE.keys.push(3);`],
    ]),
    base,
  );
});

test('attack: a direct eval names the sink in a string: it escapes there (an indirect eval cannot see module bindings)', () => {
  const IMP = "import { unwrapKey } from './store.js';";
  const base = extract(FIX('keygate-refactor-before')).data;
  const withLeak = (body) =>
    extract(
      edited('keygate-refactor-before', [
        ['src/service.ts', IMP, `${IMP}\nexport function leak(id: string) {\n${body}\n}`],
      ]),
    ).data;
  for (const body of ["  return eval('unwrapKey')(id);", "  return eval(atob('dW53cmFwS2V5'))(id);"]) {
    const r = withLeak(body);
    assert.ok(r.escapes['leak -> unwrapKey (eval)'], body);
    assert.equal(r.escapes['leak -> unwrapKey (eval)'], { function: 'leak', kind: 'eval', sink: 'unwrapKey' });
  }
  // No eval, no new escape: an ordinary helper without the sink changes no escape.
  assert.equal(withLeak('  return JSON.parse(id);').escapes, base.escapes);
});

test('a @keyGuard tag on something that is not a function is a located error', () => {
  const dir = edited('keygate-refactor-before', [
    ['src/guards.ts', 'export enum Scope {', '/** @keyGuard */\nexport enum Scope {'],
  ]);
  assert.throws(
    () => extract(dir),
    (e) => e.name === 'UserError' && /^src\/guards\.ts:2:1: @keyGuard must annotate a function/.test(e.message),
  );
});

test('a @keyGuard tag on a typed const that holds no function (a list) is a located error', () => {
  const dir = edited('keygate-refactor-before', [
    [
      'src/guards.ts',
      'export enum Scope {',
      "/** @keyGuard */\nexport const LEVELS: string[] = ['TEE'];\nexport enum Scope {",
    ],
  ]);
  assert.throws(
    () => extract(dir),
    (e) => e.name === 'UserError' && /^src\/guards\.ts:2:1: @keyGuard must annotate a function/.test(e.message),
  );
  // A const typed as a function (its value made elsewhere) stays a guard.
  const typed = edited('keygate-refactor-before', [
    [
      'src/guards.ts',
      'export enum Scope {',
      'type Check = (s: string) => void;\ndeclare function makeCheck(): Check;\n/** @keyGuard */\nexport const check: Check = makeCheck();\nexport enum Scope {',
    ],
  ]);
  assert.ok(extract(typed).data.guards.check, 'typed const guard');
});

test.after(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

test('attack: a subclass overrides a guard method with an untagged no-op: calls through the base type prove nothing', () => {
  const before = guardsOf(extract(FIX('keygate-basic')), 'methodGuard -> unwrapKey').map((g) => g[0]);
  assert.equal(before, ['Auth.requireRole']);
  const noop = [
    'src/guards.ts',
    'export class Auth {',
    'export class NoAuth extends Auth {\n  override requireRole(_role: string): void {}\n}\nexport class Auth {',
  ];
  assert.equal(guardsOf(extract(edited('keygate-basic', [noop])), 'methodGuard -> unwrapKey'), []);
  // Below a chain of tagged overrides, and through `implements` of the class, too.
  const chain = [
    'src/guards.ts',
    'export class Auth {',
    [
      'export class StrictAuth extends Auth {',
      '  /** @keyGuard */',
      '  override requireRole(role: string): void { if (role !== "ops") throw new Error("no"); }',
      '}',
      'export class Loose extends StrictAuth {',
      '  override requireRole(): void {}',
      '}',
      'export class Auth {',
    ].join('\n'),
  ];
  assert.equal(guardsOf(extract(edited('keygate-basic', [chain])), 'methodGuard -> unwrapKey'), []);
  const impl = [
    'src/guards.ts',
    'export class Auth {',
    'export class FakeAuth implements Auth {\n  requireRole(): void {}\n}\nexport class Auth {',
  ];
  assert.equal(guardsOf(extract(edited('keygate-basic', [impl])), 'methodGuard -> unwrapKey'), []);
});

test('benign: a subclass that overrides a guard method with another guard, or overrides other members, keeps the guard', () => {
  const tagged = [
    'src/guards.ts',
    'export class Auth {',
    [
      'export class StrictAuth extends Auth {',
      '  /** @keyGuard */',
      '  override requireRole(role: string): void { if (role !== "ops") throw new Error("no"); }',
      '  other(): void {}',
      '}',
      'export class Auth {',
    ].join('\n'),
  ];
  assert.equal(
    guardsOf(extract(edited('keygate-basic', [tagged])), 'methodGuard -> unwrapKey').map((g) => g[0]),
    ['Auth.requireRole'],
  );
});

test('attack: a structural look-alike of a guard class (object literal, unrelated class) hollows the guard', () => {
  const literal = [
    'src/guards.ts',
    'export class Auth {',
    'export const fakeAuth = { requireRole(_role: string, ..._extra: string[]): void {} };\nexport class Auth {',
  ];
  assert.equal(guardsOf(extract(edited('keygate-basic', [literal])), 'methodGuard -> unwrapKey'), []);
  const lookAlike = [
    'src/guards.ts',
    'export class Auth {',
    'export class NotAuth {\n  requireRole(_role: string): void {}\n}\nexport class Auth {',
  ];
  assert.equal(guardsOf(extract(edited('keygate-basic', [lookAlike])), 'methodGuard -> unwrapKey'), []);
  // Behind a cast, even a class TypeScript treats nominally (a #private member) can be faked.
  const cast = [
    'src/guards.ts',
    'export class Auth {',
    'export const castAuth = { requireRole(): void {} } as unknown as Auth;\nexport class Auth {\n  #sealed = 1;',
  ];
  assert.equal(guardsOf(extract(edited('keygate-basic', [cast])), 'methodGuard -> unwrapKey'), []);
  // Benign: a same-named property of another shape cannot stand in for Auth.
  const other = [
    'src/guards.ts',
    'export class Auth {',
    "export const labels = { requireRole: 'ops' };\nexport class Auth {",
  ];
  assert.equal(
    guardsOf(extract(edited('keygate-basic', [other])), 'methodGuard -> unwrapKey').map((g) => g[0]),
    ['Auth.requireRole'],
  );
});

test.run();
