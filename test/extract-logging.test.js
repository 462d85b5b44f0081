import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixtureFiles, edit, onDisk as onDiskWith, inMemory as inMemoryWith } from './helpers/extract.js';
import { resolveConfig } from '../dist/config/index.js';
import { extractLogging } from '../dist/extract/collectors/logging.js';
import { UserError } from '../dist/errors.js';

const onDisk = (name, config) => onDiskWith(extractLogging, name, config);
const inMemory = (files, config) => inMemoryWith(extractLogging, files, config);

/** 1-based line:col of the first occurrence of `needle` in `text`. */
function posOf(text, needle) {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `missing ${needle}`);
  const before = text.slice(0, i).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

const lf = (type, classification = 'unclassified', redaction = 'none', optional = false) => ({
  type,
  optional,
  classification,
  redaction,
});

// --- what it must find -------------------------------------------------------

test('logging-basic: schemas from @logSchema and from @logSink parameters, each recorded once', () => {
  const { data, locations } = onDisk('logging-basic');
  assert.equal(Object.keys(data), [
    'AuditEvent',
    'LoginEvent',
    'PaymentEvent',
    'Telemetry.track.name',
    'Telemetry.track.props',
    'logEvent.event[kind=heartbeat]',
    'logEvent.event[kind=shutdown]',
  ]);
  assert.equal(locations, {
    'logging:AuditEvent': 'src/events.ts',
    'logging:LoginEvent': 'src/events.ts',
    'logging:PaymentEvent': 'src/events.ts',
    'logging:Telemetry.track.name': 'src/logger.ts',
    'logging:Telemetry.track.props': 'src/logger.ts',
    'logging:logEvent.event[kind=heartbeat]': 'src/logger.ts',
    'logging:logEvent.event[kind=shutdown]': 'src/logger.ts',
  });
});

test('logging-basic: LoginEvent has inherited, nested and array fields with tags and retention', () => {
  const { data } = onDisk('logging-basic');
  const { sinks, ...loginEvent } = data.LoginEvent;
  // Logged by the sinks whose parameter is LoginEvent (their bodies' digests).
  assert.equal(Object.keys(sinks), ['audit', 'logEvent']);
  assert.equal(loginEvent, {
    fields: {
      at: lf('Date'),
      device: lf('object'),
      'device.id': lf('string', 'pseudonymous'),
      'device.os': lf('"android" | "ios" | "web"'),
      email: lf('string', 'personal', 'hash'),
      outcome: lf('"failed" | "ok"'),
      password: lf('string', 'secret', 'drop', true),
      requestId: lf('string', 'internal'),
      tags: lf('object[]', 'internal'),
      'tags[].name': lf('string'),
      'tags[].weight': lf('number', 'unclassified', 'none', true),
    },
    open: false,
    openReasons: [],
    retentionDays: 30,
  });
});

test('logging-basic: intersections merge; a tag written on the same line as `{` is still read', () => {
  const { data } = onDisk('logging-basic');
  assert.equal(data.AuditEvent.fields, {
    action: lf('string'),
    at: lf('Date'),
    requestId: lf('string', 'internal'),
    token: lf('null | string', 'secret', 'tokenize'),
    userId: lf('string', 'personal', 'mask'),
  });
  assert.is(data.AuditEvent.retentionDays, null);
  assert.equal(data['Telemetry.track.props'].fields, {
    durationMs: lf('number', 'unclassified', 'none', true),
    screen: lf('string', 'internal'),
  });
});

test('logging-basic: sink members: named types by name, anonymous by sink.param[discriminant=value]; literals skipped', () => {
  const { data } = onDisk('logging-basic');
  assert.equal(data.PaymentEvent.fields, {
    amountCents: lf('number'),
    cardNumber: lf('string', 'sensitive', 'truncate'),
    kind: lf('"payment"'),
  });
  assert.equal(data['logEvent.event[kind=heartbeat]'].fields, { kind: lf('"heartbeat"'), node: lf('string') });
  assert.ok(!Object.keys(data).some((k) => k.startsWith('logEvent.level')));
  // A free-form string parameter can carry anything.
  const { sinks, ...track } = data['Telemetry.track.name'];
  assert.equal(Object.keys(sinks), ['Telemetry.track']);
  assert.equal(track, {
    fields: {},
    open: true,
    openReasons: ['schema type is string'],
    retentionDays: null,
  });
});

test('disk and in-memory runs agree', () => {
  assert.equal(inMemory(fixtureFiles('logging-basic')), onDisk('logging-basic'));
});

test('config logSchemas / logSinks name schemas and sinks without tags', () => {
  const cfg = resolveConfig(
    { logSchemas: ['src/schemas.ts#ConfiguredOnly'], logSinks: ['src/schemas.ts#writeLine'] },
    'test',
  );
  const { data } = inMemory(fixtureFiles('logging-attack'), cfg);
  assert.equal(data.ConfiguredOnly.fields, { region: lf('string', 'public') });
  assert.equal(data['writeLine.line'].fields, { msg: lf('string') });
  assert.not.ok('ConfiguredOnly' in onDisk('logging-attack').data);
});

// --- open schemas ---------------------------------------------------------------

test('logging-attack: every way a schema is open', () => {
  const { data } = onDisk('logging-attack');
  const reasons = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.open ? v.openReasons : null]));
  assert.equal(reasons, {
    Bag: ['schema has an index signature'],
    Deep: ['field "a.b.c.d.e.f.g.h" is nested deeper than the depth limit'],
    Opaque: ['schema type is unknown'],
    TreeNode: ['field "children" is recursive'],
    WithAny: [
      'field "context" accepts any object',
      'field "meta.labels" has an index signature',
      'field "payload" includes any',
    ],
    WithBag: ['field "extra" has an index signature', 'field "extra" includes unknown'],
  });
  assert.equal(data.WithAny.fields['meta.labels'], lf('{ [key: string]: string }'));
  assert.equal(data.WithAny.fields.payload, lf('any', 'internal'));
  assert.equal(Object.keys(data.Deep.fields).length, 8);
});

// --- attacker cases -------------------------------------------------------------

test('attack: a field added to an inherited base (extends) shows up in the schema', () => {
  const files = fixtureFiles('logging-basic');
  const widened = edit(
    files,
    'src/base.ts',
    '  at: Date;\n',
    '  at: Date;\n  /** @classification sensitive */\n  ssn: string;\n',
  );
  const { data } = inMemory(widened);
  assert.equal(data.LoginEvent.fields.ssn, lf('string', 'sensitive'));
  assert.equal(data.AuditEvent.fields.ssn, lf('string', 'sensitive'));
});

test('attack: Record<string, unknown> makes a schema open', () => {
  const files = fixtureFiles('logging-basic');
  const widened = edit(
    files,
    'src/events.ts',
    '  outcome: Outcome;\n',
    '  outcome: Outcome;\n  extra: Record<string, unknown>;\n',
  );
  const s = inMemory(widened).data.LoginEvent;
  assert.is(s.open, true);
  assert.equal(s.openReasons, ['field "extra" has an index signature', 'field "extra" includes unknown']);
  assert.equal(s.fields.extra, lf('{ [key: string]: unknown }'));
});

test('attack: a classification lowered or a redaction weakened is visible', () => {
  const files = fixtureFiles('logging-basic');
  const weakened = edit(
    files,
    'src/events.ts',
    '/** @classification secret @redact drop */',
    '/** @classification internal @redact mask */',
  );
  assert.equal(inMemory(weakened).data.LoginEvent.fields.password, lf('string', 'internal', 'mask', true));
});

test('unknown @classification is a located UserError (exit 2) naming the valid levels', () => {
  const files = fixtureFiles('logging-basic');
  const bad = edit(
    files,
    'src/events.ts',
    '@classification personal\n   * @redact hash',
    '@classification topsecret\n   * @redact hash',
  );
  const where = posOf(bad['src/events.ts'], '@classification topsecret');
  try {
    inMemory(bad);
    assert.unreachable('should have failed');
  } catch (e) {
    assert.instance(e, UserError);
    assert.is(e.exitCode, 2);
    assert.is(e.message, `src/events.ts:${where}: unknown @classification "topsecret"`);
    assert.ok(e.message.startsWith('src/events.ts:15:6: '), e.message); // the `@` of the tag
    assert.is(e.hint, 'use one of: unclassified, public, internal, pseudonymous, personal, sensitive, secret');
  }
});

test('unknown @redact on a same-line tag is located at the tag', () => {
  const files = fixtureFiles('logging-basic');
  const bad = edit(
    files,
    'src/events.ts',
    '@classification personal @redact mask',
    '@classification personal @redact blur',
  );
  const where = posOf(bad['src/events.ts'], '@redact blur');
  try {
    inMemory(bad);
    assert.unreachable('should have failed');
  } catch (e) {
    assert.instance(e, UserError);
    assert.is(e.message, `src/events.ts:${where}: unknown @redact "blur"`);
  }
});

test('@retentionDays must be a non-negative integer', () => {
  const files = fixtureFiles('logging-basic');
  const bad = edit(files, 'src/events.ts', '@retentionDays 30', '@retentionDays thirty');
  try {
    inMemory(bad);
    assert.unreachable('should have failed');
  } catch (e) {
    assert.instance(e, UserError);
    assert.match(e.message, /^src\/events\.ts:\d+:\d+: invalid @retentionDays "thirty"$/);
    assert.ok(e.hint.includes('@retentionDays 30'));
  }
});

test('custom classification order is honoured', () => {
  const cfg = resolveConfig({ orders: { classification: ['low', 'high'] } }, 'test');
  try {
    inMemory(fixtureFiles('logging-basic'), cfg);
    assert.unreachable('"internal" is not a level of this order');
  } catch (e) {
    assert.instance(e, UserError);
    assert.match(e.message, /unknown @classification "internal"/);
    assert.is(e.hint, 'use one of: unclassified, low, high');
  }
});

// --- benign refactors -------------------------------------------------------------

test('refactor: base moved and re-exported, fields reordered, inline types named, alias renamed, comments', () => {
  assert.equal(onDisk('logging-refactor'), onDisk('logging-basic'));
});

test('refactor: comments and blank lines change nothing', () => {
  let files = fixtureFiles('logging-basic');
  const base = inMemory(files);
  files = edit(
    files,
    'src/events.ts',
    "import type { BaseEvent } from './base.js';",
    "// a comment\n\n\nimport type { BaseEvent } from './base.js';\n/* block */",
  );
  assert.equal(inMemory(files), base);
});

// --- strengthening ----------------------------------------------------------------

test('strengthening: a field removed disappears, nothing else changes', () => {
  const files = fixtureFiles('logging-basic');
  const narrowed = edit(
    files,
    'src/events.ts',
    '  /** @classification secret @redact drop */\n  password?: string;\n',
    '',
  );
  const before = inMemory(files).data.LoginEvent;
  const after = inMemory(narrowed).data.LoginEvent;
  const expected = { ...before, fields: { ...before.fields } };
  delete expected.fields.password;
  assert.equal(after, expected);
});

// --- @logSink arguments wider than the schema (issue 11 item 6) ---------------------

const argsBase = fixtureFiles('logging-args');
/** logging-args with `code` appended to onLogin (after its conforming calls). */
const withCall = (code) =>
  edit(argsBase, 'src/app.ts', '  new Logger().write(ev);\n', `  new Logger().write(ev);\n${code}`);
const reasonsWith = (code) => {
  const { data } = inMemory(withCall(code));
  return {
    LoginEvent: data.LoginEvent.openReasons,
    PageView: data.PageView.openReasons,
    'metric.m': data['metric.m'].openReasons,
  };
};
const CLOSED = { LoginEvent: [], PageView: [], 'metric.m': [] };

test('logging-args: conforming calls (literal, typed variable, method, second sink) leave every schema closed', () => {
  const { data } = onDisk('logging-args');
  assert.equal(Object.keys(data), ['LoginEvent', 'PageView', 'metric.m', 'metric.name']);
  for (const id of ['LoginEvent', 'PageView', 'metric.m']) {
    assert.is(data[id].open, false, id);
    assert.equal(data[id].openReasons, [], id);
  }
});

test('sink args: extra properties without a cast are open reasons of the schema they are logged as', () => {
  // an object variable with more properties
  assert.equal(
    reasonsWith("  const wide = { type: 'login' as const, userId: user.userId, ssn: user.ssn };\n  audit(wide);\n"),
    {
      ...CLOSED,
      LoginEvent: ['sink audit is called with undeclared field "ssn"'],
    },
  );
  // a spread, Object.assign
  const spread = [
    'sink audit is called with undeclared field "email"',
    'sink audit is called with undeclared field "ssn"',
  ];
  assert.equal(reasonsWith("  audit({ ...user, type: 'login' });\n"), { ...CLOSED, LoginEvent: spread });
  assert.equal(reasonsWith("  audit(Object.assign({ type: 'login' as const }, user));\n"), {
    ...CLOSED,
    LoginEvent: spread,
  });
  // a class instance with an extra field, matched to the member it is logged as
  assert.equal(
    reasonsWith("  class Ext { type = 'view' as const; path = '/'; email = user.email }\n  audit(new Ext());\n"),
    {
      ...CLOSED,
      PageView: ['sink audit is called with undeclared field "email"'],
    },
  );
  // a method sink, and an anonymous schema of a second parameter
  assert.equal(
    reasonsWith("  const w = { type: 'login' as const, userId: 'x', email: user.email };\n  new Logger().write(w);\n"),
    {
      ...CLOSED,
      LoginEvent: ['sink Logger.write is called with undeclared field "email"'],
    },
  );
  assert.equal(reasonsWith("  const m = { value: 1, email: user.email };\n  metric('x', m);\n"), {
    ...CLOSED,
    'metric.m': ['sink metric is called with undeclared field "email"'],
  });
  // an own getter is a field
  assert.equal(reasonsWith("  audit({ type: 'login', userId: 'x', get email() { return user.email; } });\n"), {
    ...CLOSED,
    LoginEvent: ['sink audit is called with undeclared field "email"'],
  });
});

test('sink args: a cast, any, a spread argument, a helper with a cast, toJSON or a reference are unbounded uses', () => {
  const cast = reasonsWith('  audit(user as any);\n');
  assert.ok(
    cast.LoginEvent.includes('sink audit is called with a type assertion on its argument'),
    cast.LoginEvent.join(),
  );
  assert.ok(cast.LoginEvent.includes('sink audit is called with an any-typed argument'), cast.LoginEvent.join());
  assert.equal(cast.PageView, cast.LoginEvent);
  const spreadArg = reasonsWith('  const args = [ev] as const;\n  audit(...args);\n');
  assert.equal(spreadArg.LoginEvent, ['sink audit is called with a spread argument']);
  const helper = reasonsWith(
    '  audit(build(user));\n}\nfunction build(u: User): LoginEvent {\n  return u as unknown as LoginEvent;\n',
  );
  assert.ok(
    helper.LoginEvent.includes('sink audit is called with a type assertion on its argument'),
    helper.LoginEvent.join(),
  );
  const toJson = reasonsWith("  audit({ type: 'login', userId: 'x', toJSON: () => user });\n");
  assert.ok(
    toJson.LoginEvent.includes('sink audit is called with an object that defines toJSON'),
    toJson.LoginEvent.join(),
  );
  for (const code of ['  [ev].forEach(audit);\n', '  audit.call(null, ev);\n', '  const log = audit;\n  log(ev);\n']) {
    const r = reasonsWith(code);
    assert.equal(r.LoginEvent, ['sink audit is used other than by a direct call'], code);
    assert.equal(r.PageView, ['sink audit is used other than by a direct call'], code);
  }
  // A view through a cast kept in a variable: the write itself has no cast.
  const viewed = reasonsWith("  const bag = ev as unknown as Record<string, unknown>;\n  bag['ssn'] = user.ssn;\n");
  assert.ok(
    viewed.LoginEvent.includes(
      'sink audit is called with an object that can be changed behind its type by a write of an undeclared key',
    ),
    viewed.LoginEvent.join(),
  );
  const proxied = reasonsWith("  audit(new Proxy(ev, { ownKeys: () => ['ssn'] }));\n");
  assert.ok(
    proxied.LoginEvent.includes('sink audit is called with an object that can be changed behind its type by a Proxy'),
    proxied.LoginEvent.join(),
  );
  const defined = reasonsWith("  Object.defineProperty(ev, 'ssn', { value: user.ssn, enumerable: true });\n");
  assert.ok(
    defined.LoginEvent.includes(
      'sink audit is called with an object that can be changed behind its type by Object.defineProperty',
    ),
    defined.LoginEvent.join(),
  );
});

test('sink args through wrappers: what callers pass to a parameter that reaches the sink is what is logged', () => {
  const WIDE = "  const wide = { type: 'login' as const, userId: user.userId, ssn: user.ssn };\n";
  const SSN = 'sink audit is called with undeclared field "ssn"';
  const wrapped = (wrapper, call) =>
    inMemory(
      edit(
        withCall(`${WIDE}  ${call}\n`),
        'src/app.ts',
        'export function onLogin(): void {',
        `${wrapper}\nexport function onLogin(): void {`,
      ),
    ).data.LoginEvent.openReasons;
  // A plain wrapper, a generic one (T is instantiated wider), two levels deep, a method called through its interface.
  assert.equal(wrapped('function logIt(e: LoginEvent): void { audit(e); }', 'logIt(wide);'), [SSN]);
  assert.equal(wrapped('function logIt<T extends LoginEvent>(e: T): void { audit(e); }', 'logIt(wide);'), [SSN]);
  // A destructured parameter whose rest is logged: the rest holds the argument's extra fields.
  assert.equal(
    wrapped('function logIt({ type, ...rest }: LoginEvent): void { audit({ type, ...rest }); }', 'logIt(wide);'),
    [SSN],
  );
  assert.equal(
    wrapped(
      'function logIt(e: LoginEvent): void { audit(e); }\nfunction outer(e: LoginEvent): void { logIt(e); }',
      'outer(wide);',
    ),
    [SSN],
  );
  assert.equal(
    wrapped(
      'interface Log { put(e: LoginEvent): void }\nclass AuditLog implements Log { put(e: LoginEvent): void { audit(e); } }\nconst log: Log = new AuditLog();',
      'log.put(wide);',
    ),
    [SSN],
  );
  // A wrapper passed as a value: its callers are unknown (fail closed).
  assert.equal(wrapped('function logIt(e: LoginEvent): void { audit(e); }', '[wide].forEach(logIt);'), [
    'sink audit is called with a parameter of a function passed or stored as a value (its callers are unknown)',
  ]);
  // Benign: the wrapper called with conforming objects only.
  assert.equal(
    wrapped(
      'function logIt(e: LoginEvent): void { audit(e); }',
      "void wide;\n  logIt({ type: 'login', userId: 'u' });",
    ),
    [],
  );
});

test('sink implementation: each schema records the digest of the sinks that write it (their bodies)', () => {
  const sinksOf = (files) => inMemory(files).data.LoginEvent.sinks;
  const base = sinksOf(argsBase);
  assert.equal(Object.keys(base), ['Logger.write', 'audit']);
  assert.match(base.audit, /^sha256:[0-9a-f]{64}$/);
  const logger = argsBase['src/logger.ts'];
  const body = logger.match(/export function audit\([^)]*\)[^{]*\{([^}]*)\}/)[1];
  assert.ok(body.trim().length > 0, logger);
  // What the sink writes besides the event changed: another digest.
  const widened = edit(argsBase, 'src/logger.ts', body, `${body}  writeLine(JSON.stringify({ env: 'prod' }));\n`);
  assert.is.not(sinksOf(widened).audit, base.audit);
  assert.is(sinksOf(widened)['Logger.write'], base['Logger.write']);
  // Comments and formatting do not count.
  const reformatted = edit(argsBase, 'src/logger.ts', body, `\n  // one line per event\n${body}\n`);
  assert.equal(sinksOf(reformatted), base);
});

test('sink implementation: a transport list it writes to, changed in place elsewhere, changes its digest', () => {
  const sinksOf = (files) => inMemory(files).data.LoginEvent.sinks;
  const LIST =
    'declare function writeLine(line: string): void;\nexport const transports: Array<(line: string) => void> = [writeLine];';
  const viaList = edit(
    edit(argsBase, 'src/logger.ts', 'declare function writeLine(line: string): void;', LIST),
    'src/logger.ts',
    '  writeLine(JSON.stringify(event));\n}\n\n/** @logSink */\nexport function metric',
    '  for (const t of transports) t(JSON.stringify(event));\n}\n\n/** @logSink */\nexport function metric',
  );
  const base = sinksOf(viaList);
  const app = viaList['src/app.ts'];
  const withApp = (line) => ({
    ...viaList,
    'src/app.ts': `import { transports } from './logger.js';\n${line}\n${app}`,
  });
  // another transport pushed in (every event now also goes there)
  assert.is.not(sinksOf(withApp("transports.push((l) => void fetch('https://x.example/' + l));")).audit, base.audit);
  // reading it elsewhere changes nothing
  assert.equal(sinksOf(withApp('export const count = transports.length;')), base);
});

test('a wider value stored where the schema type is declared (a variable, a field, an array, a map) is open', () => {
  const WIDE = "  const wide = { type: 'login' as const, userId: user.userId, ssn: user.ssn };\n";
  const STORED = 'a value with undeclared field "ssn" is put where the schema type is declared';
  const reasons = (code) => reasonsWith(`${WIDE}${code}`).LoginEvent;
  for (const code of [
    '  const e: LoginEvent = wide;\n  audit(structuredClone(e));\n',
    '  const list: LoginEvent[] = [wide];\n  audit(list[0]!);\n',
    '  const m = new Map<string, LoginEvent>();\n  m.set(user.userId, wide);\n  audit(m.get(user.userId)!);\n',
    '  const holder: { ev: LoginEvent } = { ev: wide };\n  audit(holder.ev);\n',
    '  const queue: LoginEvent[] = [];\n  queue.push(wide);\n  for (const e of queue) audit(e);\n',
    // logical assignment, a default parameter, a field, an arrow body, a shorthand property, spreads
    '  let last: LoginEvent | undefined;\n  last ??= wide;\n  audit(last);\n',
    '  const log = (e: LoginEvent = wide) => audit(structuredClone(e));\n  log();\n',
    '  class Box {\n    ev: LoginEvent = wide;\n  }\n  audit(new Box().ev);\n',
    '  const get: () => LoginEvent = () => wide;\n  audit(structuredClone(get()));\n',
    '  const ev2 = wide;\n  const holder: { ev2: LoginEvent } = { ev2 };\n  audit(holder.ev2);\n',
    '  const many = [wide];\n  const list: LoginEvent[] = [...many];\n  audit(list[0]!);\n',
    '  const many = [wide];\n  const list: LoginEvent[] = [];\n  list.push(...many);\n  audit(list[0]!);\n',
  ])
    assert.equal(reasons(code), [STORED], code);
  // Conforming values stored the same ways stay closed; PageView is not touched by a login-shaped value.
  assert.equal(
    reasonsWith(
      "  const queue: LoginEvent[] = [];\n  queue.push({ type: 'login', userId: user.userId });\n  const m = new Map<string, LoginEvent>();\n  m.set('k', ev);\n",
    ),
    CLOSED,
  );
  assert.equal(reasonsWith(`${WIDE}  const list: LoginEvent[] = [wide];\n  void list;\n`).PageView, []);
});

test('a spread of a value that can have any key opens the schema (its index signature is gone from the type)', () => {
  const SPREAD =
    'sink audit is called with a spread of a value that can have any key (an index signature) in its argument';
  const got = reasonsWith(
    "  audit({ type: 'login', userId: user.userId, ...Object.fromEntries(Object.entries(user)) });\n",
  ).LoginEvent;
  assert.ok(got.includes(SPREAD), got.join());
  const stored = reasonsWith(
    "  const e: LoginEvent = { type: 'login', userId: user.userId, ...Object.fromEntries(Object.entries(user)) };\n  audit(structuredClone(e));\n",
  ).LoginEvent;
  assert.equal(stored, ['a value with an object that can hold any field is put where the schema type is declared']);
  // benign: a spread of a declared shape
  assert.equal(reasonsWith("  const base = { userId: user.userId };\n  audit({ type: 'login', ...base });\n"), CLOSED);
});

test('sink args: recorded per sink, not per call (a second wide call, or another conforming call, adds nothing)', () => {
  const once = inMemory(withCall("  audit({ ...user, type: 'login' });\n")).data;
  const twice = inMemory(
    withCall(
      "  audit({ ...user, type: 'login' });\n  audit({ ...user, type: 'login', userId: 'y' });\n  audit({ type: 'view', path: '/x' });\n",
    ),
  ).data;
  assert.equal(twice, once);
  // a conforming call added next to the existing ones changes nothing at all
  assert.equal(inMemory(withCall("  audit({ type: 'login', userId: 'z' });\n")).data, onDisk('logging-args').data);
});

test('sink args: rest and array (batch) parameters compare each logged element', () => {
  const withBatch = (code) => ({
    ...argsBase,
    'src/batch.ts': [
      "import type { LoginEvent, User } from './schemas.js';",
      '/** @logSink */',
      'export function logAll(...events: LoginEvent[]): void { void events; }',
      '/** @logSink */',
      'export function batch(events: LoginEvent[]): void { void events; }',
      'declare const u: User;',
      "const ev: LoginEvent = { type: 'login', userId: 'x' };",
      code,
    ].join('\n'),
  });
  const reasons = (code) => inMemory(withBatch(code)).data.LoginEvent.openReasons;
  assert.equal(reasons('logAll(ev, ev);\nbatch([ev]);'), []);
  assert.equal(reasons("logAll(ev, { ...u, type: 'login' });"), [
    'sink logAll is called with undeclared field "email"',
    'sink logAll is called with undeclared field "ssn"',
  ]);
  assert.equal(reasons("const wide = [{ ...u, type: 'login' as const }];\nbatch(wide);"), [
    'sink batch is called with undeclared field "email"',
    'sink batch is called with undeclared field "ssn"',
  ]);
  assert.equal(reasons('batch([ev, u as any]);'), [
    'sink batch is called with a type assertion on its argument',
    'sink batch is called with an any-typed argument',
  ]);
  assert.equal(reasons('logAll(...[ev]);'), ['sink logAll is called with a spread argument']);
});

test('a schema that defines toJSON (itself or on a field) is open: what is written is what toJSON returns', () => {
  const files = edit(
    argsBase,
    'src/schemas.ts',
    '  /** @classification public */\n  path: string;\n',
    '  /** @classification public */\n  path: string;\n  toJSON?(): string;\n  ref?: { id: string; toJSON(): string };\n',
  );
  const { data } = inMemory(files);
  assert.equal(data.PageView.openReasons, ['field "ref" defines toJSON', 'schema defines toJSON']);
  assert.is(data.PageView.open, true);
  assert.equal(data.LoginEvent.openReasons, []);
});

test('sink args: imported under another name and called through a re-export: still checked', () => {
  const files = {
    ...withCall(''),
    'src/barrel.ts': "export { audit as record } from './logger.js';\n",
    'src/other.ts': [
      "import { record } from './barrel.js';",
      "import type { User } from './schemas.js';",
      'export function f(u: User): void {',
      "  record({ ...u, type: 'login' });",
      '}',
    ].join('\n'),
  };
  const { data } = inMemory(files);
  assert.equal(data.LoginEvent.openReasons, [
    'sink audit is called with undeclared field "email"',
    'sink audit is called with undeclared field "ssn"',
  ]);
});

test('sink args: a field built under a type-check suppression or by a helper with a cast opens the schema', () => {
  // The suppression is in onLogin, which also calls Logger.write: every sink call there is suspect.
  assert.equal(reasonsWith("  // @ts-ignore\n  audit({ type: 'login', userId: user });\n").LoginEvent, [
    'sink Logger.write is called with an argument built under a type-check suppression (@ts-ignore, @ts-expect-error, @ts-nocheck)',
    'sink audit is called with an argument built under a type-check suppression (@ts-ignore, @ts-expect-error, @ts-nocheck)',
  ]);
  const helper = edit(
    withCall("  audit({ type: 'login', userId: idOf(user) });\n"),
    'src/app.ts',
    'export function onLogin(): void {',
    'function idOf(u: User): string { return u as unknown as string; }\nexport function onLogin(): void {',
  );
  assert.equal(inMemory(helper).data.LoginEvent.openReasons, [
    'sink audit is called with a type assertion on its argument',
  ]);
});

test('attack: a function that builds a logged value, replaced at run time by a write to its name, opens the schema', () => {
  const BUILD =
    "function loginOf(u: User): LoginEvent {\n  return { type: 'login', userId: u.userId };\n}\nexport function onLogin(): void {";
  const built = edit(
    edit(argsBase, 'src/app.ts', 'export function onLogin(): void {', BUILD),
    'src/app.ts',
    '  new Logger().write(ev);\n',
    '  new Logger().write(ev);\n  audit(loginOf(user));\n',
  );
  assert.equal(inMemory(built).data.LoginEvent.openReasons, []);
  const replaced = { ...built, 'src/app.ts': `${built['src/app.ts']}\n// @ts-ignore\nloginOf = (u: User) => u;\n` };
  assert.equal(inMemory(replaced).data.LoginEvent.openReasons, [
    'sink audit is called with an argument built by a function replaced at run time by a write to its name',
  ]);
});

test.run();
