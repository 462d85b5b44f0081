import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURES, fixtureFiles, edit, onDisk as onDiskWith, inMemory as inMemoryWith } from './helpers/extract.js';
import { lazy } from './helpers.js';
import { resolveConfig } from '../dist/config/index.js';
import { extractLe } from '../dist/extract/collectors/le.js';

const onDisk = (name, config) => onDiskWith(extractLe, name, config);
const inMemory = (files, config) => inMemoryWith(extractLe, files, config);

const f = (type, optional = false) => ({ type, optional });

// --- what it must find -------------------------------------------------------

test('le-basic: finds every handler by name, @leHandler tag (overloads, const arrow)', () => {
  const { data } = onDisk('le-basic');
  assert.equal(Object.keys(data), ['CaseDesk.status', 'handle_le_request', 'ping']);
});

test('le-basic: handle_le_request variants, fields, request and locations', () => {
  const { data, locations } = onDisk('le-basic');
  const h = data.handle_le_request;
  assert.is(h.discriminant, 'kind');
  assert.equal(Object.keys(h.variants), ['ACCOUNT_METADATA', 'ERROR', 'NO_RECORD']);
  assert.equal(h.variants.NO_RECORD.fields, { kind: f('"NO_RECORD"'), requestId: f('string') });
  // Enum-typed field prints the enum's values; optional property drops its own undefined.
  assert.equal(h.variants.ERROR.fields, {
    code: f('"DENIED" | "NOT_FOUND"'),
    kind: f('"ERROR"'),
    message: f('string', true),
  });
  assert.equal(h.variants.ACCOUNT_METADATA.fields, {
    createdAt: f('Date'),
    kind: f('"ACCOUNT_METADATA"'),
    subscriber: f('object'),
    'subscriber.address': f('object'),
    'subscriber.address.city': f('string'),
    'subscriber.address.country': f('string'),
    'subscriber.devices': f('object[]'),
    'subscriber.devices[].imei': f('string'),
    'subscriber.devices[].lastSeen': f('Date | null'),
    'subscriber.email': f('string'),
    'subscriber.id': f('string'),
    'subscriber.phone': f('null | string', true),
  });
  assert.equal(h.request, {
    requiredFields: { agency: 'string', requestId: 'string', warrantId: 'string' },
    unbounded: false,
  });
  assert.is(h.unbounded, false);
  assert.equal(h.unboundedReasons, []);
  assert.equal(locations, {
    'le:CaseDesk.status': 'src/status.ts',
    'le:CaseDesk.status:variant:closed': 'src/status.ts',
    'le:CaseDesk.status:variant:open': 'src/status.ts',
    'le:CaseDesk.status:variant:unknown': 'src/status.ts',
    'le:handle_le_request': 'src/handler.ts',
    'le:handle_le_request:variant:ACCOUNT_METADATA': 'src/types.ts',
    'le:handle_le_request:variant:ERROR': 'src/types.ts',
    'le:handle_le_request:variant:NO_RECORD': 'src/types.ts',
    'le:ping': 'src/status.ts',
    'le:ping:variant:true': 'src/status.ts',
  });
});

test('le-basic: overloads are unioned; an enum return gives bare literal variants', () => {
  const { data } = onDisk('le-basic');
  const s = data['CaseDesk.status'];
  // "unknown" only appears in the second overload's return type.
  assert.equal(s, {
    discriminant: null,
    variants: { closed: { fields: {} }, open: { fields: {} }, unknown: { fields: {} } },
    request: { requiredFields: {}, unbounded: false },
    unbounded: false,
    unboundedReasons: [],
  });
});

test('le-basic: inferred return type of a const arrow; `as const` literal is a discriminant', () => {
  const { data } = onDisk('le-basic');
  assert.equal(data.ping, {
    discriminant: 'ok',
    variants: { true: { fields: { at: f('number'), ok: f('true') } } },
    request: { requiredFields: { caller: 'string' }, unbounded: false },
    unbounded: false,
    unboundedReasons: [],
  });
});

test('same data and locations on disk and in memory (no absolute paths, no cwd dependence)', () => {
  const disk = onDisk('le-basic');
  const mem = inMemory(fixtureFiles('le-basic'));
  assert.equal(mem, disk);
  assert.not.ok(JSON.stringify(disk).includes(FIXTURES));
});

test('config leHandlers adds a handler that is neither named nor tagged', () => {
  const files = {
    ...fixtureFiles('le-basic'),
    'src/extra.ts': `export function lookupOnly(q: { msisdn: string }): { kind: 'HIT'; imsi: string } | { kind: 'MISS' } {\n  return q.msisdn ? { kind: 'HIT', imsi: '1' } : { kind: 'MISS' };\n}\nexport function handle_le_request_v2() { return 1; }\n`,
  };
  assert.not.ok('lookupOnly' in inMemory(files).data);
  const { data, locations } = inMemory(files, resolveConfig({ leHandlers: ['src/extra.ts#lookupOnly'] }, 'test'));
  assert.equal(Object.keys(data), ['CaseDesk.status', 'handle_le_request', 'lookupOnly', 'ping']);
  assert.equal(Object.keys(data.lookupOnly.variants), ['HIT', 'MISS']);
  assert.is(locations['le:lookupOnly'], 'src/extra.ts');
});

// --- attacker cases -------------------------------------------------------------

// Extracted by the first attack test (not at module load): an extraction failure fails those tests, not the run.
const attackData = lazy(() => onDisk('le-attack').data);
const reasonsOf = (id) => attackData()[id].unboundedReasons;

test('attack: a cast `as LeResponse` on the return path is unbounded, variants still recorded', () => {
  const h = attackData().handle_le_request;
  assert.is(h.unbounded, true);
  assert.equal(h.unboundedReasons, [
    'returned value has properties the response type does not declare',
    'type assertion on a return path',
  ]);
  assert.equal(Object.keys(h.variants), ['ACCOUNT_METADATA', 'NO_RECORD']);
});

test('attack: casts inside the returned value and through local variables', () => {
  assert.equal(reasonsOf('castInField'), [
    'returned value has properties the response type does not declare',
    'type assertion on a return path',
  ]);
  assert.equal(reasonsOf('castViaLocal'), ['any-typed expression on a return path']);
  assert.equal(reasonsOf('asConstIsFine'), []);
  assert.is(attackData().asConstIsFine.unbounded, false);
});

test('attack: a wider value flowing into the declared type without a cast', () => {
  assert.equal(reasonsOf('widthLeak'), ['returned value has properties the response type does not declare']);
  assert.equal(reasonsOf('spreadLeak'), ['returned value has properties the response type does not declare']);
  assert.equal(reasonsOf('narrowedByHand'), []);
});

test('attack: any returns fail closed', () => {
  assert.equal(attackData().anyReturn, {
    discriminant: null,
    variants: {},
    request: { requiredFields: { requestId: 'string', warrantId: 'string' }, unbounded: false },
    unbounded: true,
    unboundedReasons: ['any-typed expression on a return path', 'return type includes any'],
  });
  assert.equal(reasonsOf('anyInferred'), ['any-typed expression on a return path', 'return type includes any']);
  assert.equal(reasonsOf('anyIntoTypedField'), ['any-typed expression on a return path']);
});

test('attack: unknown payload, index signature and non-object returns are unbounded', () => {
  assert.equal(reasonsOf('unknownPayload'), ['field "payload" includes unknown (variant DUMP)']);
  assert.equal(attackData().unknownPayload.variants.DUMP.fields, { kind: f('"DUMP"'), payload: f('unknown') });
  assert.equal(reasonsOf('indexed'), ['return type has an index signature']);
  assert.equal(reasonsOf('bareString'), ['return type is not an object or literal union']);
});

test('unbounded reasons name the field path and the variant; object-typed fields stay unbounded', () => {
  const files = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { strict: true, target: 'es2022', module: 'es2022', moduleResolution: 'bundler', types: [] },
      include: ['src/**/*.ts'],
    }),
    'src/h.ts': `export interface Profile { name: string; extra: any; meta: object; tags: { labels: unknown } }
export type Res = { kind: 'OK'; profile: Profile } | { kind: 'NONE' };
export function handle_le_request(r: { requestId: string }): Res {
  return r.requestId ? { kind: 'OK', profile: { name: 'n', extra: 1, meta: {}, tags: { labels: 1 } } } : { kind: 'NONE' };
}
export function plainBag(r: { requestId: string }): { bag: object } {
  return { bag: r };
}
`,
  };
  const { data } = inMemory(files, resolveConfig({ leHandlers: ['src/h.ts#plainBag'] }, 'test'));
  const h = data.handle_le_request;
  assert.is(h.unbounded, true);
  assert.equal(h.unboundedReasons, [
    'field "profile.extra" includes any (variant OK)',
    'field "profile.meta" accepts any object (variant OK)',
    'field "profile.tags.labels" includes unknown (variant OK)',
  ]);
  // The fields stay in the manifest, complete.
  assert.equal(h.variants.OK.fields['profile.extra'], f('any'));
  assert.equal(h.variants.NONE.fields, { kind: f('"NONE"') });
  assert.equal(data.plainBag.unboundedReasons, ['field "bag" accepts any object']);
});

test('attack: a discriminant that is not literal in every member', () => {
  const h = attackData().widenedKind;
  assert.is(h.discriminant, 'kind');
  assert.equal(h.unboundedReasons, ['discriminant "kind" is not a literal in every member']);
  assert.equal(h.variants, {
    '*': { fields: { blob: f('string'), kind: f('string') } },
    OK: { fields: { id: f('string'), kind: f('"OK"') } },
  });
});

test('attack: no common discriminant merges members into "*" and is unbounded', () => {
  assert.equal(attackData().noDiscriminant.variants, {
    '*': { fields: { a: f('string', true), b: f('number', true) } },
  });
  assert.equal(reasonsOf('noDiscriminant'), ['no common literal discriminant across 2 members']);
  assert.is(attackData().noDiscriminant.discriminant, null);
});

test('attack: enum discriminants are keyed by value (string and numeric enums)', () => {
  assert.is(attackData().enumKinds.discriminant, 'kind');
  assert.equal(attackData().enumKinds.variants, {
    META: { fields: { id: f('string'), kind: f('"META"') } },
    NONE: { fields: { kind: f('"NONE"') } },
  });
  assert.is(attackData().numericEnum.discriminant, 'status');
  assert.equal(Object.keys(attackData().numericEnum.variants), ['0', '1']);
  assert.equal(attackData().numericEnum.variants['0'].fields, { body: f('string'), status: f('0') });
});

test('attack: an intersection adding a field shows the field', () => {
  assert.equal(attackData().intersection.variants.ENRICHED.fields, {
    imsi: f('string'),
    kind: f('"ENRICHED"'),
    requestId: f('string'),
    servedAt: f('Date'),
  });
  assert.equal(attackData().intersection.variants.PLAIN.fields, {
    kind: f('"PLAIN"'),
    requestId: f('string'),
    servedAt: f('Date'),
  });
});

test('attack: a return type chosen by a type parameter is unbounded; its constraint is recorded', () => {
  assert.equal(attackData().genericEcho.unboundedReasons, ['return type depends on a type parameter']);
  assert.equal(attackData().genericEcho.variants, { '*': { fields: { requestId: f('string') } } });
  assert.equal(attackData().genericEcho.request, { requiredFields: { requestId: 'string' }, unbounded: false });
});

test('members sharing a discriminant value are merged; missing-in-some is optional', () => {
  assert.equal(attackData().sharedKind.variants.HIT.fields, {
    imsi: f('string', true),
    kind: f('"HIT"'),
    msisdn: f('string'),
  });
});

test('request: any / index signature are unbounded; no parameter is empty and bounded', () => {
  assert.equal(attackData().anyRequest.request, { requiredFields: {}, unbounded: true });
  assert.equal(attackData().indexRequest.request, { requiredFields: { caseId: 'string' }, unbounded: true });
  assert.equal(attackData().noParams.request, { requiredFields: {}, unbounded: false });
  assert.equal(Object.keys(attackData().noParams.variants), ['void']);
});

test('attack: an extra variant added through a re-exported alias in another file', () => {
  const files = fixtureFiles('le-reexport');
  const before = inMemory(files);
  assert.equal(Object.keys(before.data.handle_le_request.variants), ['FOUND', 'NOT_FOUND']);
  // The handler file is untouched: only the re-export in api.ts now points at a wider alias.
  const widened = edit(
    files,
    'src/api.ts',
    "export type { LookupResponse } from './responses.js';",
    "export type { LookupResponseWithDump as LookupResponse } from './debug.js';",
  );
  const after = inMemory(widened);
  const h = after.data.handle_le_request;
  assert.equal(Object.keys(h.variants), ['FOUND', 'NOT_FOUND', 'RAW_DUMP']);
  assert.equal(h.variants.RAW_DUMP.fields, {
    kind: f('"RAW_DUMP"'),
    rows: f('object[]'),
    'rows[].cellId': f('number'),
    'rows[].imsi': f('string'),
    'rows[].msisdn': f('string'),
  });
  assert.is(after.locations['le:handle_le_request:variant:RAW_DUMP'], 'src/debug.ts');
  assert.equal(h.variants.FOUND, before.data.handle_le_request.variants.FOUND);
});

// --- benign refactors: identical data -------------------------------------------

test('refactor: types moved, re-exported, renamed, unions and members reordered, tag moved between overloads', () => {
  assert.equal(onDisk('le-refactor').data, onDisk('le-basic').data);
});

test('refactor: reordered union in place gives identical data and locations', () => {
  const files = fixtureFiles('le-basic');
  const reordered = edit(
    files,
    'src/types.ts',
    'export type LeResponse = AccountMetadata | NoRecord | ErrorResponse;',
    'export type LeResponse = ErrorResponse | AccountMetadata | NoRecord;',
  );
  assert.equal(inMemory(reordered), inMemory(files));
});

test('refactor: renamed alias gives identical data', () => {
  let files = fixtureFiles('le-basic');
  files = edit(
    files,
    'src/types.ts',
    'export type LeResponse = AccountMetadata',
    'export type LawfulAnswer = AccountMetadata',
  );
  files = edit(
    files,
    'src/types.ts',
    'export interface LeRequest',
    'export type LeResponse = LawfulAnswer;\nexport interface LeRequest',
  );
  assert.equal(inMemory(files).data, inMemory(fixtureFiles('le-basic')).data);
});

test('refactor: comments and line shifts change nothing, not even locations', () => {
  let files = fixtureFiles('le-basic');
  const base = inMemory(files);
  files = edit(
    files,
    'src/types.ts',
    'export enum ErrorCode {',
    '// header\n\n/* block */\n\n\nexport enum ErrorCode {',
  );
  files = edit(
    files,
    'src/handler.ts',
    'export async function',
    '// TODO: audit\n\n\n/** more docs */\nexport async function',
  );
  assert.equal(inMemory(files), base);
});

// --- strengthening ----------------------------------------------------------------

test('strengthening: a variant removed disappears, the rest is unchanged', () => {
  const files = fixtureFiles('le-basic');
  let narrowed = edit(
    files,
    'src/types.ts',
    'AccountMetadata | NoRecord | ErrorResponse',
    'AccountMetadata | ErrorResponse',
  );
  narrowed = edit(
    narrowed,
    'src/handler.ts',
    "return { kind: 'NO_RECORD', requestId: req.requestId };",
    "return { kind: 'ERROR', code: ErrorCode.NotFound };",
  );
  const before = inMemory(files).data.handle_le_request;
  const after = inMemory(narrowed).data.handle_le_request;
  assert.equal(Object.keys(after.variants), ['ACCOUNT_METADATA', 'ERROR']);
  assert.equal(after.variants.ERROR, before.variants.ERROR);
  assert.is(after.unbounded, false);
});

test('strengthening: a field removed disappears from its variant', () => {
  const files = fixtureFiles('le-basic');
  const narrowed = edit(files, 'src/types.ts', '  phone?: string | null;\n', '');
  const before = inMemory(files).data.handle_le_request.variants.ACCOUNT_METADATA.fields;
  const after = inMemory(narrowed).data.handle_le_request.variants.ACCOUNT_METADATA.fields;
  const expected = { ...before };
  delete expected['subscriber.phone'];
  assert.equal(after, expected);
});

test('a cast or any smuggled in through a helper the handler returns from makes it unbounded', () => {
  const files = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { strict: true, target: 'es2022', module: 'nodenext' },
      include: ['src'],
    }),
    'src/a.ts': [
      "export interface Ok { kind: 'OK'; id: string }",
      "export interface No { kind: 'NO' }",
      'export type Resp = Ok | No;',
      'declare function load(): any;',
      'function deep(): Resp { return load(); }',
      'function helper(): Resp { return deep(); }',
      'export function handle_le_request(req: { id: string }): Resp {',
      "  if (req.id === 'x') return helper();",
      "  return { kind: 'OK', id: req.id };",
      '}',
    ].join('\n'),
  };
  const smuggled = inMemory(files).data.handle_le_request;
  assert.is(smuggled.unbounded, true);
  assert.equal(smuggled.unboundedReasons, ['any-typed expression on a return path']);
  // the same helper without the any is bounded
  const clean = inMemory({
    ...files,
    'src/a.ts': files['src/a.ts'].replace('return load();', "return { kind: 'NO' };"),
  }).data.handle_le_request;
  assert.is(clean.unbounded, false);
  assert.equal(Object.keys(clean.variants), ['NO', 'OK']);
  // a cast inside the helper is caught too
  const cast = inMemory({
    ...files,
    'src/a.ts': files['src/a.ts'].replace('return load();', "return { kind: 'OK', id: 1 } as unknown as Resp;"),
  }).data.handle_le_request;
  assert.ok(cast.unboundedReasons.includes('type assertion on a return path'), cast.unboundedReasons.join());
});

// --- what JSON.stringify writes beyond the type (issue 11 item 5) ----------------

const serialize = onDisk('le-serialize').data;
const WIDER = 'returned value has properties the response type does not declare';

test('serialize: getters are fields (object literal, class, inherited from a base class)', () => {
  const GETTER = 'returned object has a getter the response type does not declare at "ssn"';
  assert.equal(serialize.handle_le_request.unboundedReasons, [GETTER]);
  // the class also keeps its row in a (TypeScript-)private field, which is serialized
  assert.equal(serialize.classGetter.unboundedReasons, [GETTER, WIDER]);
  assert.equal(serialize.inheritedGetter.unboundedReasons, [GETTER]);
  assert.is(serialize.handle_le_request.unbounded, true);
});

test('serialize: toJSON (own, inherited, on a nested field) and computed keys are unbounded', () => {
  assert.equal(serialize.ownToJson.unboundedReasons, ['returned object defines toJSON', WIDER]);
  assert.equal(serialize.inheritedToJson.unboundedReasons, ['returned object defines toJSON']);
  assert.equal(serialize.nestedToJson.unboundedReasons, ['returned object defines toJSON at "meta"', WIDER]);
  assert.equal(serialize.computedKey.unboundedReasons, [WIDER]);
});

test('serialize: #private members, methods and setter-only accessors are not serialized: still bounded', () => {
  for (const id of ['privateFields', 'plain', 'setterOnly']) {
    assert.is(serialize[id].unbounded, false, id);
    assert.equal(serialize[id].unboundedReasons, [], id);
  }
  assert.equal(serialize.privateFields.variants, serialize.plain.variants);
});

test('serialize: a toJSON in the declared response type is unbounded even when the body returns plain data', () => {
  const files = fixtureFiles('le-serialize');
  const withToJson = edit(files, 'src/types.ts', "  kind: 'NONE';\n", "  kind: 'NONE';\n  toJSON?(): string;\n");
  const h = inMemory(withToJson).data.plain;
  assert.equal(h.unboundedReasons, ['returned object defines toJSON']);
});

test('serialize: a library object where a plain shape is declared carries its own fields; the same library type is fine', () => {
  const files = {
    'tsconfig.json': fixtureFiles('le-serialize')['tsconfig.json'],
    'src/h.ts': [
      "interface Stamp { kind: 'STAMP'; at: { getTime(): number } }",
      "export function handle_le_request(req: { id: string }): Stamp { void req; return { kind: 'STAMP', at: new Date() }; }",
      "/** @leHandler */ export function same(req: { id: string }): { kind: 'D'; at: Date } { void req; return { kind: 'D', at: new Date() }; }",
    ].join('\n'),
  };
  const { data } = inMemory(files);
  assert.equal(data.handle_le_request.unboundedReasons, [WIDER]);
  assert.equal(data.same.unboundedReasons, []);
});

/** A one-file project: the types of le-serialize plus `body` (a handler and whatever it needs). */
const reflective = (body) => ({
  'tsconfig.json': fixtureFiles('le-serialize')['tsconfig.json'],
  'src/types.ts': fixtureFiles('le-serialize')['src/types.ts'],
  'src/h.ts': [
    "import type { None, Ok, Req, Resp, Row } from './types.js';",
    'declare function load(id: string): Row;',
    ...body,
  ].join('\n'),
});
const reflectReasons = (body) => inMemory(reflective(body)).data.handle_le_request.unboundedReasons;

test('reflect: Object.defineProperty / defineProperties / setPrototypeOf / assign / Reflect on a response object', () => {
  const handler = (line) => [
    'export function handle_le_request(req: Req): Resp {',
    '  const row = load(req.id);',
    "  const out: Ok = { kind: 'OK', id: row.id };",
    `  ${line}`,
    '  return out;',
    '}',
  ];
  const by = (how) => [`returned object can be changed behind its type by ${how}`];
  assert.equal(
    reflectReasons(handler("Object.defineProperty(out, 'ssn', { value: row.ssn, enumerable: true });")),
    by('Object.defineProperty'),
  );
  assert.equal(
    reflectReasons(handler('Object.defineProperties(out, { ssn: { value: row.ssn, enumerable: true } });')),
    by('Object.defineProperties'),
  );
  assert.equal(
    reflectReasons(handler('Object.setPrototypeOf(out, { toJSON: () => row });')),
    by('Object.setPrototypeOf'),
  );
  assert.equal(reflectReasons(handler('Object.assign(out, row);')), by('Object.assign'));
  assert.equal(
    reflectReasons(handler("Reflect.defineProperty(out, 'ssn', { value: row.ssn, enumerable: true });")),
    by('Reflect.defineProperty'),
  );
  assert.equal(reflectReasons(handler('(out as any).ssn = row.ssn;')), by('a property write through a type assertion'));
  assert.equal(reflectReasons(handler("Reflect.set(out, 'ssn', row.ssn);")), by('Reflect.set'));
  // a mutator taken under another name is loose: it may change anything
  assert.equal(
    reflectReasons(
      handler("const { defineProperty: dp } = Object;\n  dp(out, 'ssn', { value: row.ssn, enumerable: true });"),
    ),
    by('Object.defineProperty'),
  );
  assert.equal(reflectReasons(handler("const set = Reflect.set;\n  set(out, 'ssn', row.ssn);")), by('Reflect.set'));
  assert.equal(reflectReasons(handler("const R = Reflect;\n  R.set(out, 'ssn', row.ssn);")), by('Reflect'));
  // a Map's set is not Reflect.set
  assert.equal(reflectReasons(handler("new Map<string, string>().set('k', row.ssn);")), []);
  // the same handler without the change is bounded
  assert.equal(reflectReasons(handler('void row;')), []);
});

test('reflect: a change made in a helper, a constructor or on a class prototype elsewhere in the program', () => {
  const helper = reflectReasons([
    'function decorate(o: Ok, row: Row): void {',
    "  Object.defineProperty(o, 'ssn', { get: () => row.ssn, enumerable: true });",
    '}',
    'export function handle_le_request(req: Req): Resp {',
    "  const out: Ok = { kind: 'OK', id: req.id };",
    '  decorate(out, load(req.id));',
    '  return out;',
    '}',
  ]);
  assert.equal(helper, ['returned object can be changed behind its type by Object.defineProperty']);
  const ctor = reflectReasons([
    'class Answer implements Ok {',
    "  readonly kind = 'OK' as const;",
    '  constructor(readonly id: string, row: Row) {',
    "    Object.defineProperty(this, 'ssn', { value: row.ssn, enumerable: true });",
    '  }',
    '}',
    'export function handle_le_request(req: Req): Resp {',
    '  return new Answer(req.id, load(req.id));',
    '}',
  ]);
  assert.equal(ctor, ['returned object can be changed behind its type by Object.defineProperty']);
  const proto = reflectReasons([
    'class Answer implements Ok {',
    "  readonly kind = 'OK' as const;",
    '  constructor(readonly id: string) {}',
    '}',
    "(Answer.prototype as unknown as { toJSON(): unknown }).toJSON = () => load('x');",
    'export function handle_le_request(req: Req): Resp {',
    '  return new Answer(req.id);',
    '}',
  ]);
  assert.equal(proto, [
    'returned object can be changed behind its type by Answer.prototype',
    'returned object can be changed behind its type by a property write through a type assertion',
    'returned object can be changed behind its type by a type assertion to { toJSON(): unknown; }',
  ]);
  // A generic mutator accepts any object: fail closed.
  const generic = reflectReasons([
    "function tag<T extends object>(o: T): T { Object.defineProperty(o, 'x', { value: 1, enumerable: true }); return o; }",
    "export function handle_le_request(req: Req): Resp { void tag; return { kind: 'OK', id: req.id }; }",
  ]);
  assert.equal(generic, ['returned object can be changed behind its type by Object.defineProperty']);
});

test('reflect: views that add keys: a Proxy, a cast kept in a variable or passed on, an index-signature write', () => {
  const handler = (...lines) => [
    'export function handle_le_request(req: Req): Resp {',
    '  const row = load(req.id);',
    "  const out: Ok = { kind: 'OK', id: row.id };",
    ...lines.map((l) => `  ${l}`),
    '  return out;',
    '}',
  ];
  const by = (...hows) => hows.map((how) => `returned object can be changed behind its type by ${how}`);
  // The proxy's traps answer keys Ok never declares (JSON.stringify asks ownKeys).
  assert.equal(
    reflectReasons([
      'export function handle_le_request(req: Req): Resp {',
      "  const out: Ok = { kind: 'OK', id: req.id };",
      "  return new Proxy(out, { ownKeys: () => ['ssn'], get: () => load(req.id).ssn });",
      '}',
    ]),
    by('a Proxy'),
  );
  // No cast at the write: the cast made a view of `out` that takes any key.
  assert.equal(
    reflectReasons(handler('const bag = out as unknown as Record<string, unknown>;', "bag['ssn'] = row.ssn;")),
    by('a type assertion to Record<string, unknown>', 'a write of an undeclared key'),
  );
  // The view handed to a helper that writes a key its parameter's index signature allows.
  assert.equal(
    reflectReasons([
      'function enrich(o: Record<string, unknown>, row: Row): void { o.ssn = row.ssn; }',
      ...handler('enrich(out as unknown as Record<string, unknown>, row);'),
    ]),
    by('a type assertion to Record<string, unknown>', 'a write of an undeclared key'),
  );
  // Without any cast: an object literal type is assignable to Record<string, unknown>.
  assert.equal(
    reflectReasons([
      'function enrich(o: Record<string, unknown>, row: Row): void { o.ssn = row.ssn; }',
      'export function handle_le_request(req: Req): Resp {',
      '  const row = load(req.id);',
      "  const out = { kind: 'OK' as const, id: row.id };",
      '  enrich(out, row);',
      '  return out;',
      '}',
    ]),
    by('a write of an undeclared key'),
  );
  // The same through a property of another object.
  assert.equal(
    reflectReasons([
      'export function handle_le_request(req: Req): Resp {',
      '  const row = load(req.id);',
      "  const out = { kind: 'OK' as const, id: row.id };",
      '  const holder: { bag: Record<string, unknown> } = { bag: out };',
      '  holder.bag.ssn = row.ssn;',
      '  return out;',
      '}',
    ]),
    by('a write of an undeclared key'),
  );
});

test('a helper that returns its parameter returns what its call site passes', () => {
  const via = (arg) =>
    reflectReasons([
      'function pass(x: Ok): Ok { return x; }',
      'export function handle_le_request(req: Req): Resp {',
      '  const row = load(req.id);',
      `  const out = ${arg};`,
      '  return pass(out);',
      '}',
    ]);
  assert.equal(via("{ kind: 'OK' as const, id: row.id, ssn: row.ssn }"), [
    'returned value has properties the response type does not declare',
  ]);
  assert.equal(via("{ kind: 'OK' as const, id: row.id }"), []);
});

test('a wider value stored where a response type is declared, and returned from there later', () => {
  const STORED = 'a value with properties the response type does not declare is put where a response type is declared';
  const via = (...lines) =>
    reflectReasons([
      'const cache: Ok[] = [];',
      'export function handle_le_request(req: Req): Resp {',
      '  const row = load(req.id);',
      ...lines.map((l) => `  ${l}`),
      '  return cache[0] ?? { kind: "NONE" };',
      '}',
    ]);
  assert.equal(via("const wide = { kind: 'OK' as const, id: row.id, ssn: row.ssn };", 'cache.push(wide);'), [STORED]);
  assert.equal(via("cache.push({ kind: 'OK', id: row.id });"), []);
});

test('a spread of a value that can have any key: TypeScript drops its index signature, the spread copies every key', () => {
  const SPREAD = 'a spread of a value that can have any key (an index signature) on a return path';
  const via = (...lines) =>
    reflectReasons([
      'export function handle_le_request(req: Req): Resp {',
      '  const row = load(req.id);',
      ...lines.map((l) => `  ${l}`),
      '}',
    ]);
  // attacks: the typed literal shows `{ kind, id }`, the runtime object has every field of the row
  assert.equal(via("return { kind: 'OK', id: row.id, ...Object.fromEntries(Object.entries(row)) };"), [SPREAD]);
  assert.equal(
    via('const extra: Record<string, string> = { ssn: row.ssn };', "return { kind: 'OK', id: row.id, ...extra };"),
    [SPREAD],
  );
  // kept in a declared slot first, returned later
  assert.equal(
    via(
      "const out: Ok = { kind: 'OK', id: row.id, ...Object.fromEntries(Object.entries(row)) };",
      'const list = [out];',
      'return list[0]!;',
    ),
    ['a value with properties the response type does not declare is put where a response type is declared'],
  );
  // benign: spreads of declared shapes
  assert.equal(via('const base = { id: row.id };', "return { kind: 'OK', ...base };"), []);
});

test('a call through an interface method returns what its implementations return', () => {
  const via = (body) =>
    reflectReasons([
      'interface Finder { find(row: Row): Ok }',
      `class Impl implements Finder { find(row: Row) { return ${body}; } }`,
      'const finder: Finder = new Impl();',
      'export function handle_le_request(req: Req): Resp {',
      '  return finder.find(load(req.id));',
      '}',
    ]);
  assert.equal(via("{ kind: 'OK' as const, id: row.id, ssn: row.ssn }"), [
    'returned value has properties the response type does not declare',
  ]);
  assert.equal(via('row as unknown as Ok'), [
    'returned object can be changed behind its type by a type assertion to Ok',
    'returned value has properties the response type does not declare',
    'type assertion on a return path',
  ]);
  assert.equal(via("{ kind: 'OK' as const, id: row.id }"), []);
});

test('reflect: an upcast, a fresh local bag and a declared key stay bounded', () => {
  assert.equal(
    reflectReasons([
      'function trim(o: { id: string }): void { o.id = o.id.trim(); }',
      'export function handle_le_request(req: Req): Resp {',
      "  const out: Ok = { kind: 'OK', id: req.id };",
      '  const headers: Record<string, string> = {};',
      '  headers[req.id] = out.id;',
      '  trim(out as { id: string });',
      '  return out;',
      '}',
    ]),
    [],
  );
});

test('reflect: benign uses elsewhere (a fresh Object.assign, an unrelated object, a local Object) stay bounded', () => {
  const reasons = reflectReasons([
    'interface Settings { retries: number; verbose: boolean }',
    'const settings: Settings = { retries: 1, verbose: false };',
    'Object.assign(settings, { retries: 2 });',
    "Object.defineProperty(settings, 'frozen', { value: true });",
    'const copy = Object.assign({}, settings);',
    'const Obj = { defineProperty: (o: unknown, k: string) => [o, k] };',
    "Obj.defineProperty({ kind: 'OK' }, 'x');",
    'export function handle_le_request(req: Req): Resp {',
    '  void copy;',
    "  return req.id ? { kind: 'OK', id: req.id } : { kind: 'NONE' };",
    '}',
  ]);
  assert.equal(reasons, []);
});
// --- what the checker was told to ignore, and field values from helpers ----------------------------------

const SUPPRESSED = 'a type-check suppression (@ts-ignore, @ts-expect-error, @ts-nocheck) on a return path';

test('suppressed type errors: @ts-ignore / @ts-expect-error / @ts-nocheck on a return path are unbounded', () => {
  // The checker types the literal as the declared response; at run time it is another variant with the ssn.
  const ignored = (directive) => [
    'export function handle_le_request(req: Req): Resp {',
    '  const row = load(req.id);',
    `  ${directive}`,
    "  return { kind: 'OK', id: row.ssn.split('') };",
    '}',
  ];
  assert.equal(reflectReasons(ignored('// @ts-ignore')), [SUPPRESSED]);
  assert.equal(reflectReasons(ignored('// @ts-expect-error: the id is a string')), [SUPPRESSED]);
  assert.equal(reflectReasons(ignored('/* @ts-ignore */')), [SUPPRESSED]);
  // A write of an undeclared property, silenced: no cast, and not on the returned expression's line.
  assert.equal(
    reflectReasons([
      'export function handle_le_request(req: Req): Resp {',
      '  const row = load(req.id);',
      "  const out: Ok = { kind: 'OK', id: row.id };",
      '  // @ts-ignore',
      '  out.ssn = row.ssn;',
      '  return out;',
      '}',
    ]),
    [SUPPRESSED],
  );
  // In a helper the handler returns from.
  assert.equal(
    reflectReasons([
      'function build(row: Row): Ok {',
      '  // @ts-ignore',
      "  return { kind: 'OK', id: row };",
      '}',
      'export function handle_le_request(req: Req): Resp { return build(load(req.id)); }',
    ]),
    [SUPPRESSED],
  );
  // @ts-nocheck anywhere in the handler's file.
  assert.equal(
    reflectReasons([
      '// @ts-nocheck',
      "export function handle_le_request(req: Req): Resp { return { kind: 'OK', id: load(req.id) }; }",
    ]),
    [SUPPRESSED],
  );
});

test('field values from project helpers: a cast, an any or a suppression inside the helper is unbounded', () => {
  const withHelper = (helper) => [
    ...helper,
    'export function handle_le_request(req: Req): Resp {',
    "  return { kind: 'OK', id: idOf(load(req.id)) };",
    '}',
  ];
  assert.equal(reflectReasons(withHelper(['function idOf(r: Row): string { return r as unknown as string; }'])), [
    'type assertion on a return path',
  ]);
  assert.equal(reflectReasons(withHelper(['function idOf(r: any): string { return r.ssn; }'])), [
    'any-typed expression on a return path',
  ]);
  assert.equal(
    reflectReasons(withHelper(['function idOf(r: Row): string {', '  // @ts-expect-error', '  return r;', '}'])),
    [SUPPRESSED],
  );
  // Method helpers and helpers of helpers are followed too.
  assert.equal(
    reflectReasons([
      'class Ids { of(r: Row): string { return inner(r); } }',
      'function inner(r: Row): string { return r as never; }',
      "export function handle_le_request(req: Req): Resp { return { kind: 'OK', id: new Ids().of(load(req.id)) }; }",
    ]),
    ['type assertion on a return path'],
  );
});

test('benign: helpers that compute a field honestly, and suppressions elsewhere in the program, stay bounded', () => {
  assert.equal(
    reflectReasons([
      '// a suppression in an unrelated function of the same file',
      'export function unrelated(): number {',
      '  // @ts-ignore',
      "  return 'x';",
      '}',
      'function idOf(r: Row): string { return r.id.trim(); }',
      "export function handle_le_request(req: Req): Resp { return req.id ? { kind: 'OK', id: idOf(load(req.id)) } : { kind: 'NONE' }; }",
    ]),
    [],
  );
});

test('attack: the handler, or a helper on its return path, replaced at run time by a write to its name', () => {
  const HANDLER = 'export function handle_le_request(req: Req): Resp {';
  const helper = [
    "function make(id: string): Ok { return { kind: 'OK', id }; }",
    HANDLER,
    '  return make(req.id);',
    '}',
  ];
  assert.equal(reflectReasons(helper), []);
  // The helper's body is not what runs: it is reassigned (under @ts-ignore) to one that returns the whole row.
  assert.equal(reflectReasons([...helper, '// @ts-ignore', 'make = (id: string) => load(id);']), [
    'a function on a return path is replaced at run time by a write to its name',
  ]);
  // The handler itself, reassigned in its module or through a namespace elsewhere in the program.
  const own = [HANDLER, "  return { kind: 'OK', id: req.id };", '}'];
  assert.equal(reflectReasons(own), []);
  assert.equal(reflectReasons([...own, '// @ts-ignore', 'handle_le_request = (req: Req) => load(req.id);']), [
    'the handler is replaced at run time by a write to its name',
  ]);
  const viaNamespace = {
    ...reflective(own),
    'src/other.ts':
      "import * as H from './h.js';\nObject.defineProperty(H, 'handle_le_request', { value: () => ({}) });\n",
  };
  assert.equal(inMemory(viaNamespace).data.handle_le_request.unboundedReasons, [
    'the handler is replaced at run time by a write to its name',
  ]);
  // benign: a local of the same name elsewhere is written, not the handler
  const local = {
    ...reflective(own),
    'src/other.ts': 'export function f() {\n  let make = 1;\n  make++;\n  return make;\n}\n',
  };
  assert.equal(inMemory(local).data.handle_le_request.unboundedReasons, []);
});

test.run();
