import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diffManifests } from '../dist/diff/index.js';
import { RULES } from '../dist/diff/rules/index.js';
import { renderText } from '../dist/report/text.js';
import { renderMarkdown } from '../dist/report/markdown.js';
import { renderSarif } from '../dist/report/sarif.js';
import { renderGithub, escapeData, escapeProperty } from '../dist/report/github.js';
import { renderJson } from '../dist/report/json.js';
import { positionResolver } from '../dist/report/positions.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SAMPLE } from './helpers.js';
import { validator } from '../dist/util/jsonfile.js';
import { baseLocations, baseParts, clone, field, manifest, testOrders } from './helpers/manifests.js';

function mixed() {
  const bp = baseParts();
  const bl = baseLocations();
  const ap = clone(bp);
  const al = clone(bl);
  ap.handlers.handle_le_request.variants.WIRETAP_CONTENT = { fields: { audio: field('Uint8Array') } }; // weakening
  al['le:handle_le_request:variant:WIRETAP_CONTENT'] = 'src/le/wiretap.ts';
  ap.guards.requireScope.implDigest = `sha256:${'e'.repeat(64)}`; // modified
  delete ap.schemas.AuditEvent.fields.ip; // strengthening
  al['privacy:le.response.closed'] = 'src/le/invariants.ts'; // neutral
  return diffManifests(manifest(bp, bl), manifest(ap, al), testOrders());
}
const same = () =>
  diffManifests(manifest(baseParts(), baseLocations()), manifest(baseParts(), baseLocations()), testOrders());
const onlyStrengthening = () => {
  const ap = baseParts();
  delete ap.schemas.AuditEvent.fields.ip;
  return diffManifests(manifest(baseParts(), baseLocations()), manifest(ap, baseLocations()), testOrders());
};

test('text: verdict, groups by effect, rule id and location per line, no colour unless asked', () => {
  const out = renderText(mixed(), {});
  const lines = out.split('\n');
  assert.match(lines[0], /^policydrift diff: base v1 \([0-9a-f]{12}\) -> head v1 \([0-9a-f]{12}\)$/);
  assert.is(lines[1], '❌ 1 weakening, 1 modified — justification required');
  const order = ['1 weakening:', '1 modified:', '1 strengthening:', '1 neutral:'].map((h) => lines.indexOf(h));
  assert.ok(
    order.every((i) => i > 0),
    'every group header present',
  );
  assert.equal(
    [...order].sort((a, b) => a - b),
    order,
    'weakening, modified, strengthening, neutral',
  );
  assert.ok(
    lines.includes(
      '  LE_RESPONSE_ADDED  LE handler handle_le_request can now return response variant "WIRETAP_CONTENT"  (src/le/wiretap.ts, src/le/handler.ts)',
    ),
  );
  assert.ok(
    lines.includes(
      '  KEYGATE_GUARD_IMPL_CHANGED  the implementation of key guard requireScope changed  (src/auth/guards.ts)',
    ),
  );
  assert.ok(
    lines.includes(
      '  LOCATION_MOVED  privacy:le.response.closed moved from src/le/handler.ts to src/le/invariants.ts  (src/le/invariants.ts, src/le/handler.ts)',
    ),
  );
  assert.not.match(out, /\u001b\[/);
  assert.match(renderText(mixed(), { color: true }), /\u001b\[31mLE_RESPONSE_ADDED\u001b\[0m/);
  assert.is(renderText(same(), {}).split('\n')[1], '✅ no behaviour change');
});

/** A variant with 227 fields (some nested) and a field widened to a 100-member literal union. */
function large() {
  const bp = baseParts();
  const ap = clone(bp);
  const al = clone(baseLocations());
  const union = Array.from({ length: 100 }, (_, i) => `"S${i}"`).join(' | ');
  ap.handlers.handle_le_request.variants.ACCOUNT_METADATA.fields.email = field(union);
  const fields = { kind: field('"BIG"') };
  for (let i = 0; i < 226; i++) fields[i % 40 === 0 ? `entity.part${i}.value` : `f${i}`] = field('string');
  ap.handlers.handle_le_request.variants.BIG = { fields };
  al['le:handle_le_request:variant:BIG'] = 'src/le/big.ts';
  return { result: diffManifests(manifest(bp, baseLocations()), manifest(ap, al), testOrders()), union };
}

test('text and markdown summarise long unions and large variants; json keeps everything', () => {
  const { result, union } = large();
  const text = renderText(result, {});
  assert.ok(
    text.includes(
      'LE handler handle_le_request can now return response variant "BIG" [227 fields, depth 3; all in the manifest]',
    ),
    text,
  );
  assert.match(
    text,
    /field "email" of response variant "ACCOUNT_METADATA" of handle_le_request [a-z ]+: string -> "S0" \| "S1" \| "S2" \| "S3" \| … \(100 members\)/,
  );
  assert.not.ok(text.includes('"S4"'));
  assert.ok(
    text.split('\n').every((l) => l.length < 300),
    'no unreadably long line',
  );
  const md = renderMarkdown(result, {});
  assert.match(md, /\{ 227 fields, depth 3: /);
  assert.not.ok(md.includes('"S4"'));
  // The machine-readable report is complete.
  const json = renderJson(result);
  assert.ok(json.includes(union.replace(/"/g, '\\"')));
  assert.ok(json.includes('f225'));
});

test('markdown: verdict first, table of weakenings+modified, strengthening and neutral collapsed', () => {
  const out = renderMarkdown(mixed(), {});
  const lines = out.split('\n');
  assert.is(lines[0], '**❌ 1 weakening, 1 modified — justification required**');
  assert.ok(lines.includes('| effect | rule | id | subject | before → after | location |'));
  assert.ok(
    lines.includes(
      '| weakening | `LE_RESPONSE_ADDED` | `handle_le_request` | `WIRETAP_CONTENT` | `∅` → `{ audio: Uint8Array }` | src/le/wiretap.ts, src/le/handler.ts |',
    ),
  );
  assert.ok(
    lines.includes(
      '| modified | `KEYGATE_GUARD_IMPL_CHANGED` | `requireScope` |  | `sha256:aaaaaaaaaaaa…` → `sha256:eeeeeeeeeeee…` | src/auth/guards.ts |',
    ),
  );
  assert.ok(lines.includes('<details><summary>1 strengthening</summary>'));
  assert.ok(lines.includes('<details><summary>1 neutral</summary>'));
  assert.not.ok(
    lines.some((l) => l.startsWith('| strengthening')),
    'strengthenings are not in the table',
  );
  assert.is(renderMarkdown(same(), {}).split('\n')[0], '**✅ no behaviour change**');
  assert.is(renderMarkdown(onlyStrengthening(), {}).split('\n')[0], '**✅ no weakening — 1 strengthening**');
  assert.is(
    renderMarkdown(onlyStrengthening(), { failOn: 'any' }).split('\n')[0],
    '**❌ 1 strengthening — justification required**',
  );
  assert.is(
    renderMarkdown(mixed(), { failOn: 'none' }).split('\n')[0],
    '**⚠️ 1 weakening, 1 modified — not gated (--fail-on none)**',
  );
});

test('markdown: pipes and newlines in values cannot break the table', () => {
  const bp = baseParts();
  const ap = clone(bp);
  ap.handlers.handle_le_request.variants.SUBSCRIBER_INFO.fields.plan = field('string | number');
  const out = renderMarkdown(diffManifests(manifest(bp), manifest(ap), testOrders()), {});
  const row = out.split('\n').find((l) => l.includes('LE_RESPONSE_FIELD_WIDENED'));
  assert.ok(row.includes('`"free" \\| "pro"` → `string \\| number`'), row);
  assert.is(row.split(/(?<!\\)\|/).length, 8, 'six cells');
});

test('sarif: 2.1.0 structure, every catalogue rule, levels, relative uris, stable fingerprints', () => {
  const a = JSON.parse(renderSarif(mixed(), {}));
  const b = JSON.parse(renderSarif(mixed(), {}));
  assert.is(a.version, '2.1.0');
  assert.is(a.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
  const driver = a.runs[0].tool.driver;
  assert.is(driver.name, 'policydrift');
  assert.match(driver.version, /^\d+\.\d+\.\d+/);
  assert.is(driver.informationUri, 'https://policydrift.dev');
  assert.equal(
    driver.rules.map((r) => r.id),
    RULES.map((r) => r.id),
  );
  const rule = driver.rules.find((r) => r.id === 'LE_RESPONSE_ADDED');
  assert.is(rule.defaultConfiguration.level, 'error');
  assert.ok(rule.shortDescription.text && rule.fullDescription.text);
  assert.match(rule.help.text, /How to justify: /);
  assert.is(driver.rules.find((r) => r.id === 'LE_RESPONSE_REMOVED').defaultConfiguration.level, 'note');
  const results = a.runs[0].results;
  assert.equal(
    results.map((r) => [r.ruleId, r.level]),
    [
      ['LE_RESPONSE_ADDED', 'error'],
      ['KEYGATE_GUARD_IMPL_CHANGED', 'error'],
      ['LOG_FIELD_REMOVED', 'note'],
    ],
  );
  for (const r of results) {
    assert.is(driver.rules[r.ruleIndex].id, r.ruleId);
    assert.match(r.partialFingerprints['policydrift/v1'], /^[0-9a-f]{16}$/);
    for (const l of r.locations) assert.not.match(l.physicalLocation.artifactLocation.uri, /^(\/|[A-Za-z]:|\.\.\/)/);
  }
  assert.is(results[0].locations[0].physicalLocation.artifactLocation.uri, 'src/le/wiretap.ts');
  assert.equal(
    results.map((r) => r.partialFingerprints),
    b.runs[0].results.map((r) => r.partialFingerprints),
  );
});

test('sarif: a change without a location falls back to the given uri', () => {
  const ap = baseParts();
  ap.privacy['x.y'] = { statement: 'new' };
  const r = diffManifests(manifest(baseParts(), {}), manifest(ap, {}), testOrders());
  const s = JSON.parse(renderSarif(r, { fallbackUri: 'invariants.manifest.json' }));
  assert.equal(s.runs[0].results[0].locations, [
    { physicalLocation: { artifactLocation: { uri: 'invariants.manifest.json' } } },
  ]);
  assert.is(JSON.parse(renderSarif(r, {})).runs[0].results[0].locations, undefined);
});

test('github: workflow commands, error for weakening+modified, notice for strengthening, neutral omitted', () => {
  const lines = renderGithub(mixed(), {}).trimEnd().split('\n');
  assert.equal(lines, [
    '::error file=src/le/wiretap.ts,title=LE_RESPONSE_ADDED::LE handler handle_le_request can now return response variant "WIRETAP_CONTENT"',
    '::error file=src/auth/guards.ts,title=KEYGATE_GUARD_IMPL_CHANGED::the implementation of key guard requireScope changed',
    '::notice file=src/logging/audit.ts,title=LOG_FIELD_REMOVED::logging schema AuditEvent no longer records field "ip"',
    'policydrift: ❌ 1 weakening, 1 modified — justification required',
  ]);
});

test('github: escaping of data and properties', () => {
  assert.is(escapeData('50% done\r\nnext: a,b'), '50%25 done%0D%0Anext: a,b');
  assert.is(escapeProperty('src/a:b,c%.ts\n'), 'src/a%3Ab%2Cc%25.ts%0A');
  const ap = baseParts();
  ap.privacy['le.response.closed'].statement = 'changed';
  const r = diffManifests(
    manifest(baseParts(), { 'privacy:le.response.closed': 'src/we,ird:name.ts' }),
    manifest(ap, { 'privacy:le.response.closed': 'src/we,ird:name.ts' }),
    testOrders(),
  );
  r.changes[0].message = 'line one\nline two 100%';
  assert.is(
    renderGithub(r, {}).split('\n')[0],
    '::error file=src/we%2Cird%3Aname.ts,title=PRIVACY_INVARIANT_CHANGED::line one%0Aline two 100%25',
  );
});

// Positions are resolved at report time from the sources (the manifest holds none): the fixture's files here.
const fromSample = () =>
  positionResolver((f) => {
    try {
      return fs.readFileSync(path.join(SAMPLE, f), 'utf8');
    } catch {
      return null;
    }
  });
const positioned = () => {
  const r = same();
  const base = { before: null, after: null, fingerprint: '0123456789ab' };
  r.changes = [
    // An LE handler change (a variant added): the variant's literal in the response type.
    {
      ...base,
      rule: 'LE_RESPONSE_ADDED',
      category: 'le',
      effect: 'weakening',
      id: 'handle_le_request',
      subject: 'NO_RECORDS',
      message: 'variant added',
      locations: ['src/le/types.ts'],
    },
    // The handler itself: its declaration's name.
    {
      ...base,
      rule: 'LE_HANDLER_REMOVED',
      category: 'le',
      effect: 'weakening',
      id: 'handle_le_request',
      subject: '',
      message: 'handler changed',
      locations: ['src/le/handler.ts'],
    },
    // A logging schema field: the property in the interface.
    {
      ...base,
      rule: 'LOG_FIELD_ADDED',
      category: 'logging',
      effect: 'weakening',
      id: 'AccessLog',
      subject: 'status',
      message: 'field added',
      locations: ['src/logging/schemas.ts'],
    },
    // A keygate site reached through a helper: the entry's call of the next hop on the path.
    {
      ...base,
      rule: 'KEYGATE_GUARD_REMOVED',
      category: 'keygate',
      effect: 'weakening',
      id: 'rotateDeviceKey -> unwrapDeviceKey',
      subject: 'requireQuorum',
      message:
        'guard removed (path: rotateDeviceKey (src/keys/service.ts) -> openDeviceKey (src/keys/material.ts) -> unwrapDeviceKey)',
      locations: ['src/keys/service.ts'],
    },
    // Not found (renamed away): file-level, no region.
    {
      ...base,
      rule: 'KEYGATE_SINK_REMOVED',
      category: 'keygate',
      effect: 'weakening',
      id: 'noSuchSink',
      subject: '',
      message: 'sink removed',
      locations: ['src/keys/store.ts'],
    },
  ];
  return r;
};

test('sarif: regions (startLine/startColumn) resolved from the sources at report time; none when not found', () => {
  const sarif = JSON.parse(renderSarif(positioned(), { positions: fromSample() }));
  const regions = sarif.runs[0].results.map((x) => [
    x.locations[0].physicalLocation.artifactLocation.uri,
    x.locations[0].physicalLocation.region,
  ]);
  assert.equal(regions, [
    ['src/le/types.ts', { startLine: 49, startColumn: 9 }], // kind: 'NO_RECORDS'
    ['src/le/handler.ts', { startLine: 11, startColumn: 23 }], // export async function handle_le_request
    ['src/logging/schemas.ts', { startLine: 67, startColumn: 3 }], // status: number (in AccessLog)
    ['src/keys/service.ts', { startLine: 15, startColumn: 10 }], // return openDeviceKey(key)
    ['src/keys/store.ts', undefined],
  ]);
  // Without a resolver (e.g. diff of two manifest files): file-level, as before.
  const plain = JSON.parse(renderSarif(positioned(), {}));
  assert.ok(plain.runs[0].results.every((x) => x.locations[0].physicalLocation.region === undefined));
});

test('github: line and col from the resolver, file-level when the declaration is not found', () => {
  const out = renderGithub(positioned(), { positions: fromSample() }).split('\n');
  assert.is(out[0], '::error file=src/le/types.ts,line=49,col=9,title=LE_RESPONSE_ADDED::variant added');
  assert.is(out[1], '::error file=src/le/handler.ts,line=11,col=23,title=LE_HANDLER_REMOVED::handler changed');
  assert.is(out[2], '::error file=src/logging/schemas.ts,line=67,col=3,title=LOG_FIELD_ADDED::field added');
  assert.match(
    out[3],
    /^::error file=src\/keys\/service\.ts,line=15,col=10,title=KEYGATE_GUARD_REMOVED::guard removed/,
  );
  assert.is(out[4], '::error file=src/keys/store.ts,title=KEYGATE_SINK_REMOVED::sink removed');
});

test('json: canonical, validates against diff.schema.json, round-trips', () => {
  const r = mixed();
  const text = renderJson(r);
  const parsed = JSON.parse(text);
  assert.ok(validator('diff')(parsed));
  assert.equal(parsed, JSON.parse(JSON.stringify(r)));
  assert.ok(text.indexOf('"base"') < text.indexOf('"changes"'), 'sorted keys');
  assert.is(renderJson(mixed()), text, 'deterministic');
  const broken = {
    ...r,
    changes: [
      {
        ...r.changes[0],
        effect: /** @type {import('../dist/diff/types.js').Effect} */ (/** @type {string} */ ('catastrophic')),
      },
    ],
  }; // deliberately not an Effect
  assert.throws(() => renderJson(broken), /does not match diff\.schema\.json/);
});

test.run();
