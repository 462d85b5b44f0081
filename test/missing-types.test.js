// Without node_modules (or without @types), imported packages are `any` and results change: extract warns, naming them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, tmpdir } from './helpers.js';

function project(files) {
  const dir = tmpdir('policydrift-types-');
  const all = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', types: [] },
      include: ['src/**/*.ts'],
    }),
    ...files,
  };
  for (const [rel, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const SOURCE = `import { readFileSync } from 'node:fs';
import { sign } from '@acme/crypto/sign';
import pad from 'untyped-pad';
import { ok } from 'typed-ok';
import { shim } from 'ambient-shim';
/** @keySink */
export function unwrapKey(id: string) {
  return sign(readFileSync(pad(id))) + ok + shim;
}
`;

test('extract warns on stderr naming the packages without types; the manifest is unaffected', () => {
  const dir = project({
    'src/a.ts': SOURCE,
    'src/shim.d.ts': `declare module 'ambient-shim' { export const shim: string; }\n`,
    'node_modules/untyped-pad/package.json': JSON.stringify({
      name: 'untyped-pad',
      version: '1.0.0',
      main: 'index.js',
    }),
    'node_modules/untyped-pad/index.js': 'module.exports = (s) => s;\n',
    'node_modules/typed-ok/package.json': JSON.stringify({ name: 'typed-ok', version: '1.0.0', types: 'index.d.ts' }),
    'node_modules/typed-ok/index.d.ts': 'export declare const ok: string;\n',
  });
  const r = cli(['extract', '--root', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /^policydrift: warning: [^\n]*no type declarations for @acme\/crypto, @types\/node, untyped-pad \(@acme\/crypto is imported by src\/a\.ts\)/,
  );
  assert.match(r.stderr, /hint: install the dependencies/);
  assert.not.match(r.stderr, /typed-ok|ambient-shim/);
  const m = JSON.parse(r.stdout);
  assert.not.ok(JSON.stringify(m).includes('warning'));
  assert.equal(Object.keys(m.invariants.keygate.sinks), ['unwrapKey']);
});

test('no warning when every import resolves', () => {
  const dir = project({
    'src/a.ts': `import { x } from './b.js';\nexport const y = x;\n`,
    'src/b.ts': 'export const x = 1;\n',
  });
  const r = cli(['extract', '--root', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
});

test.run();
