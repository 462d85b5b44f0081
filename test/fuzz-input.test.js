// Hostile input to every JSON and YAML reader, through the CLI (issue 16): a byte order mark, CRLF, nesting 10^5
// deep, huge strings, alias bombs, wrong types and NaN-like numbers. Every run must end with exit 0, 1 or 2 -
// never 70 (internal error) and never a stack trace on stderr. A few cases also pin the exact outcome.
//
// Speed: one base temp repo holds every case file; the cases run through the CLI's main() in ONE child process
// (a driver that calls main(argv) per case, as bin/policydrift.js does), and a few run through the real bin.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { cli, git, tmpdir, REPO, SAMPLE } from './helpers.js';

const DEEP = 100_000;
const HUGE = 4_000_000;

const OK_MANIFEST = fs.readFileSync(path.join(SAMPLE, 'invariants.manifest.json'), 'utf8');
const OK_CONFIG = fs.readFileSync(path.join(SAMPLE, 'policydrift.config.json'), 'utf8');
const OK_REGISTRY =
  JSON.stringify(
    {
      schemaVersion: 1,
      events: [
        {
          seq: 1,
          type: 'release',
          version: '1.0.0',
          git_commit: 'a'.repeat(40),
          profile: 'prod',
          manifestVersion: 1,
          manifestDigest: `sha256:${'b'.repeat(64)}`,
          artifact: { name: 'x-1.0.0.tgz', sha256: 'c'.repeat(64) },
          time: '2026-01-02T03:04:05Z',
          prev: `sha256:${'0'.repeat(64)}`,
        },
      ],
    },
    null,
    2,
  ) + '\n';
const OK_META = 'schema: spec-driven\ncreated: 2026-01-02\n';
const OK_APPROVALS = 'approvals: []\n';

/** `valid` with the value at `keys` replaced by raw JSON text (which need not be valid JSON). */
function withRaw(valid, keys, raw) {
  const v = JSON.parse(valid);
  let o = v;
  for (const k of keys.slice(0, -1)) o = o[k];
  o[keys.at(-1)] = '__RAW__';
  return JSON.stringify(v, null, 2).replace('"__RAW__"', () => raw);
}

const crlf = (s) => s.replace(/\n/g, '\r\n');
const BOM = '\uFEFF';

/** JSON variants of a reader's valid text; `num` is the path of an integer field for the number cases. */
function jsonCases(valid, num) {
  const cases = {
    valid: valid,
    bom: BOM + valid,
    crlf: crlf(valid),
    'bom+crlf': BOM + crlf(valid),
    'bom twice': BOM + BOM + valid,
    'bom inside': valid.replace('{', `{${BOM}`),
    'utf-16le with bom': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid, 'utf16le')]),
    'invalid utf-8': Buffer.concat([
      Buffer.from(valid.slice(0, 20)),
      Buffer.from([0xff, 0xc3, 0x28]),
      Buffer.from(valid.slice(20)),
    ]),
    'nul bytes': valid.replace('{', '{\u0000'),
    empty: '',
    whitespace: ' \r\n\t ',
    truncated: valid.slice(0, Math.floor(valid.length / 2)),
    'trailing comma': valid.replace(/\n}\s*$/, ',\n}\n'),
    comment: `// comment\n${valid}`,
    'deep arrays': '['.repeat(DEEP) + ']'.repeat(DEEP),
    'deep objects': '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP),
    'deep inside a valid document': withRaw(valid, ['$schema'], '['.repeat(DEEP) + ']'.repeat(DEEP)),
    'deep unterminated': '['.repeat(DEEP),
    'huge string': withRaw(valid, ['$schema'], JSON.stringify('x'.repeat(HUGE))),
    'huge key': `{${JSON.stringify('k'.repeat(HUGE))}: 1}`,
    'huge number': withRaw(valid, num, '9'.repeat(5000)),
    'many keys': `{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`,
    'lone surrogate': withRaw(valid, ['$schema'], '"\\ud800"'),
    'raw control character in a string': withRaw(valid, ['$schema'], '"a\tb"'),
    'duplicate keys': valid.replace('{', '{"schemaVersion": 7,'),
    'top-level null': 'null',
    'top-level array': '[]',
    'top-level string': '"manifest"',
    'top-level number': '42',
    'top-level object, empty': '{}',
  };
  for (const [name, raw] of Object.entries({
    NaN: 'NaN',
    Infinity: 'Infinity',
    '-Infinity': '-Infinity',
    '1e400 (Infinity)': '1e400',
    '1e30': '1e30',
    '2^53+1': '9007199254740993',
    '-0': '-0',
    1.5: '1.5',
    '1.0': '1.0',
    hex: '0x10',
    'leading zero': '01',
    string: '"1"',
    null: 'null',
    array: '[1]',
    object: '{"n": 1}',
  })) {
    cases[`number ${name}`] = withRaw(valid, num, raw);
  }
  return cases;
}

/** YAML variants; `kind` is 'approvals' or 'meta' (.openspec.yaml). */
function yamlCases(valid, kind) {
  const top = kind === 'approvals' ? 'approvals' : 'policydrift';
  const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++)
    bomb.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  const cases = {
    valid,
    bom: BOM + valid,
    crlf: crlf(valid),
    'bom+crlf': BOM + crlf(valid),
    'bom inside': valid.replace(':', `:${BOM}`),
    'invalid utf-8': Buffer.concat([Buffer.from(valid), Buffer.from([0xff, 0xfe, 0x0a])]),
    'nul bytes': `${valid}x: "\u0000"\n`,
    empty: '',
    'alias bomb': `${bomb.join('\n')}\n${top}: *i\n`,
    'alias bomb in the block': `${top}:\n  - &x [${Array(50).fill('"y"').join(',')}]\n${Array.from({ length: 200 }, () => '  - *x').join('\n')}\n`,
    'unresolved alias': `${top}: *nothing\n`,
    'cyclic alias': `${top}: &c [*c]\n`,
    'cyclic alias in a mapping': `${top}: &m {self: *m}\n`,
    'merge key': `base: &b {from: 1}\n${top}:\n  <<: *b\n`,
    'deep flow sequences': `${top}: ${'['.repeat(DEEP)}${']'.repeat(DEEP)}\n`,
    'deep flow mappings': `${top}: ${'{a: '.repeat(DEEP)}1${'}'.repeat(DEEP)}\n`,
    'deep compact sequences': `${top}:\n${'- '.repeat(DEEP)}x\n`,
    'deep block mappings': Array.from({ length: 1500 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n',
    'deep unterminated flow': `${top}: ${'['.repeat(DEEP)}\n`,
    'huge string': `${valid}huge: "${'x'.repeat(HUGE / 4)}"\n`,
    'huge key': `${'k'.repeat(HUGE / 4)}: 1\n`,
    'top-level list': '- a\n- b\n',
    'top-level scalar': 'just text\n',
    'top-level number': '42\n',
    [`${top} is a number`]: `${top}: 5\n`,
    [`${top} is a string`]: `${top}: "x"\n`,
    [`${top} is a mapping`]: `${top}: {a: 1}\n`,
    [`${top} is a list of odd things`]: `${top}: [1, null, [], "x", {identity: [1]}]\n`,
    'NaN-like numbers':
      kind === 'approvals'
        ? 'approvals:\n  - identity: .nan\n    digest: .inf\n    time: -.inf\n'
        : 'policydrift:\n  from: .nan\n  to: .inf\n  justifies: []\n',
    'huge numbers':
      kind === 'approvals'
        ? 'approvals:\n  - identity: 1e400\n    digest: 0x1F\n'
        : 'policydrift:\n  from: 1e30\n  to: 1e400\n  justifies: []\n',
    tags: `x: !!binary aGVsbG8=\ny: !!set {a, b}\nz: !!omap [{a: 1}]\nw: !custom thing\nv: !!js/function "function () {}"\nt: !!timestamp 2026-01-02\n${valid}`,
    'multiple documents': `${valid}---\n${valid}`,
    'tab indentation': `${top}:\n\t- x\n`,
    'duplicate keys': `${valid}${valid}`,
  };
  return cases;
}

let base;
let results;
let realBin = {};

test.before(() => {
  const t0 = Date.now();
  base = tmpdir('policydrift-fuzz-');
  fs.writeFileSync(path.join(base, 'ok.manifest.json'), OK_MANIFEST);
  fs.writeFileSync(
    path.join(base, 'ok.config.json'),
    OK_CONFIG.replace('"$schema": "../../config.schema.json"', '"$schema": "config.schema.json"'),
  );
  fs.writeFileSync(path.join(base, 'ok.registry.json'), OK_REGISTRY);
  git(base, 'init', '-q');
  const cases = [];
  const add = (reader, name, file, content, args) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    cases.push({ reader, name, args, cwd: base });
  };
  let n = 0;
  const json = (reader, valid, num, argsFor) => {
    for (const [name, content] of Object.entries(jsonCases(valid, num))) {
      const file = path.join(base, 'json', `${reader}-${n++}.json`);
      add(reader, name, file, content, argsFor(file));
    }
  };
  const ok = (f) => path.join(base, f);
  json('manifest (diff base)', OK_MANIFEST, ['manifestVersion'], (f) => ['diff', f, ok('ok.manifest.json')]);
  json('manifest (diff head)', OK_MANIFEST, ['manifestVersion'], (f) => [
    'diff',
    ok('ok.manifest.json'),
    f,
    '--format',
    'json',
  ]);
  json('config (--config)', fs.readFileSync(ok('ok.config.json'), 'utf8'), ['approvals', 'minApprovals'], (f) => [
    'diff',
    ok('ok.manifest.json'),
    ok('ok.manifest.json'),
    '--config',
    f,
  ]);
  json('registry (list)', OK_REGISTRY, ['events', 0, 'seq'], (f) => ['registry', 'list', '--registry', f]);
  json('registry (verify)', OK_REGISTRY, ['events', 0, 'manifestVersion'], (f) => [
    'registry',
    'verify',
    '--registry',
    f,
    '--no-extract',
  ]);
  // The config at the project root (not --config): policydrift.config.json of a root per case.
  for (const [name, content] of Object.entries(
    jsonCases(fs.readFileSync(ok('ok.config.json'), 'utf8'), ['approvals', 'minApprovals']),
  )) {
    const root = path.join(base, 'roots', `config-${n++}`);
    fs.mkdirSync(path.join(root, 'release'), { recursive: true });
    fs.writeFileSync(path.join(root, 'release', 'registry.json'), OK_REGISTRY);
    add('config (project root)', name, path.join(root, 'policydrift.config.json'), content, [
      'registry',
      'list',
      '--root',
      root,
    ]);
  }
  // YAML: one project root per case, with the change set `demo`.
  const yaml = (reader, file, valid) => {
    for (const [name, content] of Object.entries(
      yamlCases(valid, reader === 'approvals.yaml' ? 'approvals' : 'meta'),
    )) {
      const set = path.join(base, 'roots', `yaml-${n++}`, 'openspec', 'changes', 'demo');
      fs.mkdirSync(set, { recursive: true });
      fs.writeFileSync(path.join(set, 'proposal.md'), '# Demo\n\n## Why\n\nA test.\n');
      fs.writeFileSync(path.join(set, '.openspec.yaml'), OK_META);
      fs.writeFileSync(path.join(set, 'approvals.yaml'), OK_APPROVALS);
      add(reader, name, path.join(set, file), content, [
        'approvals',
        'demo',
        '--root',
        path.resolve(set, '..', '..', '..'),
      ]);
    }
  };
  yaml('approvals.yaml', 'approvals.yaml', OK_APPROVALS);
  yaml('.openspec.yaml', '.openspec.yaml', OK_META);

  // One child process runs every case through main(argv).
  const driver = path.join(base, 'driver.mjs');
  fs.writeFileSync(
    driver,
    `import * as fs from 'node:fs';
import { main } from ${JSON.stringify(pathToFileURL(path.join(REPO, 'dist', 'cli', 'index.js')).href)};
const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = process.stdout.write.bind(process.stdout);
const err = process.stderr.write.bind(process.stderr);
const results = [];
for (const c of cases) {
  let so = '', se = '';
  process.stdout.write = (s) => { so += s; return true; };
  process.stderr.write = (s) => { se += s; return true; };
  process.chdir(c.cwd);
  const t0 = Date.now();
  let code;
  try {
    code = await main(['node', 'policydrift', ...c.args]);
  } catch (e) {
    code = 'threw';
    se += String(e && e.stack);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  results.push({ reader: c.reader, name: c.name, code, stdout: so.slice(0, 2000), stderr: se.slice(0, 4000), ms: Date.now() - t0 });
  err('.');
}
fs.writeFileSync(process.argv[3], JSON.stringify(results));
`,
  );
  const casesFile = path.join(base, 'cases.json');
  const resultsFile = path.join(base, 'results.json');
  fs.writeFileSync(casesFile, JSON.stringify(cases));
  const r = spawnSync(process.execPath, [driver, casesFile, resultsFile], {
    cwd: base,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', OPENSPEC_TELEMETRY: '0', OPENSPEC_NO_UPDATE_CHECK: '1' },
    timeout: 300_000,
  });
  assert.is(
    r.status,
    0,
    `the driver died (${r.signal ?? r.status}) after ${(r.stderr.match(/\./g) ?? []).length} of ${cases.length} cases: ${r.stderr.slice(-3000)}`,
  );
  results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  assert.is(results.length, cases.length);

  // The same through the real bin, for a few of them.
  const pick = (reader, name) => cases.find((c) => c.reader === reader && c.name === name);
  for (const [reader, name] of [
    ['manifest (diff base)', 'bom+crlf'],
    ['registry (list)', 'deep objects'],
    ['approvals.yaml', 'alias bomb'],
  ]) {
    realBin[`${reader} / ${name}`] = cli(pick(reader, name).args, { cwd: base });
  }
  process.stderr.write(`  fuzz: ${cases.length} cases in ${Date.now() - t0} ms\n`);
});

const find = (reader, name) => {
  const r = results.find((x) => x.reader === reader && x.name === name);
  if (!r) throw new Error(`no case ${reader} / ${name}`);
  return r;
};
const STACK = /^\s+at .*(:\d+:\d+\)?|<anonymous>\)?)$/m;

test('every case ends with exit 0, 1 or 2: never 70, never a stack trace, and exit 2 is one located error', () => {
  const bad = [];
  for (const r of results) {
    const problems = [];
    if (![0, 1, 2].includes(r.code)) problems.push(`exit ${r.code}`);
    if (STACK.test(r.stderr)) problems.push('stack trace on stderr');
    if (/internal error|This is a bug/.test(r.stderr)) problems.push('internal error');
    if (r.code === 2 && !/^policydrift: error: \S/.test(r.stderr)) problems.push('exit 2 without an error line');
    if (r.ms > 20_000) problems.push(`took ${r.ms} ms`);
    if (problems.length)
      bad.push(
        `${r.reader} / ${r.name}: ${problems.join(', ')}\n    ${r.stderr.split('\n').slice(0, 6).join('\n    ')}`,
      );
  }
  assert.is(bad.length, 0, `\n${bad.join('\n')}`);
});

test('exit 2 names the file it is about (with line:col for syntax and nesting errors)', () => {
  for (const r of results.filter((x) => x.code === 2)) {
    const file = r.reader.endsWith('.yaml')
      ? r.reader
      : r.reader.startsWith('config (project root)')
        ? 'policydrift.config.json'
        : '.json';
    assert.ok(r.stderr.split('\n')[0].includes(file), `${r.reader} / ${r.name}: ${r.stderr}`);
    if (/malformed (JSON|YAML)/.test(r.stderr))
      assert.match(r.stderr, /:\d+:\d+: malformed (JSON|YAML)/, `${r.reader} / ${r.name}`);
    if (r.reader.endsWith('.yaml'))
      assert.match(
        r.stderr.split('\n')[0],
        new RegExp(`${r.reader.replace('.', '\\.')}:\\d+:\\d+: `),
        `${r.reader} / ${r.name}: ${r.stderr}`,
      );
  }
});

test('a leading byte order mark, CRLF or both are accepted by every reader', () => {
  for (const reader of [
    'manifest (diff base)',
    'manifest (diff head)',
    'config (--config)',
    'registry (list)',
    'config (project root)',
  ]) {
    const valid = find(reader, 'valid');
    assert.is(valid.code, 0, `${reader}: ${valid.stderr}`);
    for (const name of ['bom', 'crlf', 'bom+crlf']) {
      const r = find(reader, name);
      assert.is(r.code, 0, `${reader} / ${name}: ${r.stderr}`);
      assert.is(r.stdout, valid.stdout, `${reader} / ${name}: same output as without`);
    }
    assert.is(find(reader, 'bom twice').code, 2);
    assert.match(find(reader, 'bom inside').stderr, /:1:2: malformed JSON: /);
  }
  for (const reader of ['approvals.yaml', '.openspec.yaml']) {
    const valid = find(reader, 'valid');
    assert.is(valid.code, 1, `${reader}: ${valid.stderr}`); // not approved: no allowed signers configured
    for (const name of ['bom', 'crlf', 'bom+crlf'])
      assert.is(find(reader, name).stdout, valid.stdout, `${reader} / ${name}`);
  }
  assert.is(find('registry (verify)', 'bom').code, find('registry (verify)', 'valid').code);
});

test('nesting 10^5 deep is a located exit 2 at the first bracket past the bound', () => {
  for (const reader of ['manifest (diff base)', 'config (--config)', 'registry (list)', 'registry (verify)']) {
    assert.match(find(reader, 'deep arrays').stderr, /:1:257: malformed JSON: nesting deeper than 256 levels/, reader);
    assert.match(
      find(reader, 'deep objects').stderr,
      /:1:1281: malformed JSON: nesting deeper than 256 levels/,
      reader,
    );
    assert.is(find(reader, 'deep unterminated').code, 2);
  }
  for (const reader of ['approvals.yaml', '.openspec.yaml']) {
    for (const name of ['deep flow sequences', 'deep flow mappings', 'deep compact sequences', 'deep block mappings']) {
      const r = find(reader, name);
      assert.is(r.code, 2, `${reader} / ${name}`);
      assert.match(
        r.stderr,
        new RegExp(`${reader.replace('.', '\\.')}:\\d+:\\d+: malformed YAML: nesting deeper than 100 levels`),
        `${reader} / ${name}: ${r.stderr}`,
      );
    }
  }
});

test('alias bombs, unresolved and cyclic aliases are located exit-2 errors', () => {
  for (const reader of ['approvals.yaml', '.openspec.yaml']) {
    for (const name of [
      'alias bomb',
      'alias bomb in the block',
      'unresolved alias',
      'cyclic alias',
      'cyclic alias in a mapping',
    ]) {
      const r = find(reader, name);
      assert.is(r.code, 2, `${reader} / ${name}: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(`${reader.replace('.', '\\.')}:\\d+:\\d+: invalid YAML: `),
        `${reader} / ${name}: ${r.stderr}`,
      );
    }
    assert.match(find(reader, 'alias bomb').stderr, /resource exhaustion/);
    assert.match(find(reader, 'cyclic alias').stderr, /a cycle/);
  }
});

test('integers must be safe integers: 1e30, 2^53+1, 1.5, NaN-likes are rejected; 1.0 and -0 are numbers JSON allows', () => {
  for (const reader of ['manifest (diff base)', 'config (--config)', 'registry (list)']) {
    for (const name of ['number 1e30', 'number 2^53+1']) {
      const r = find(reader, name);
      assert.is(r.code, 2, `${reader} / ${name}`);
      assert.match(r.stderr, /must be <= 9007199254740991/, `${reader} / ${name}: ${r.stderr}`);
    }
    for (const name of ['number NaN', 'number Infinity', 'number hex', 'number leading zero'])
      assert.match(find(reader, name).stderr, /malformed JSON/, `${reader} / ${name}`);
    assert.match(find(reader, 'number 1e400 (Infinity)').stderr, /must be integer/, reader);
    assert.match(find(reader, 'huge number').stderr, /must be integer/, reader); // 5000 digits: Infinity
    assert.match(find(reader, 'number 1.5').stderr, /must be integer/, reader);
  }
  assert.match(
    find('manifest (diff base)', 'number 1e30').stderr,
    /:\d+:\d+: invalid manifest file: \/manifestVersion must be <= 9007199254740991/,
  );
});

test('YAML numbers: from/to of the policydrift block must be safe integers', () => {
  const r = find('.openspec.yaml', 'huge numbers');
  assert.is(r.code, 2);
  assert.match(r.stderr, /\.openspec\.yaml:2:9: policydrift\.from: "from" must be a positive integer/);
});

test('the real bin agrees: BOM+CRLF accepted, deep JSON and an alias bomb are exit 2 without a stack trace', () => {
  const a = realBin['manifest (diff base) / bom+crlf'];
  assert.is(a.code, 0, a.stderr);
  const b = realBin['registry (list) / deep objects'];
  assert.is(b.code, 2, b.stderr);
  assert.match(b.stderr, /^policydrift: error: .*:1:1281: malformed JSON: nesting deeper than 256 levels\n  hint: /);
  const c = realBin['approvals.yaml / alias bomb'];
  assert.is(c.code, 2, c.stderr);
  assert.match(c.stderr, /approvals\.yaml:\d+:\d+: invalid YAML: .*resource exhaustion/);
  for (const r of [a, b, c]) assert.not.match(r.stderr, STACK);
});

test.run();
