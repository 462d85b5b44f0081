// Solution-style tsconfigs (`"files": []` + `references`): extract and init load the referenced projects as one program.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, tmpdir } from './helpers.js';
import { programTsconfigs } from '../dist/extract/analysis/program.js';

const OPTIONS = {
  strict: true,
  target: 'es2022',
  module: 'nodenext',
  moduleResolution: 'nodenext',
  skipLibCheck: true,
  types: [],
  composite: true,
};

function write(dir, files) {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), typeof text === 'string' ? text : JSON.stringify(text, null, 2));
  }
  return dir;
}

/** packages/core (a sink and a guard) and packages/app (calls them across the project boundary), under a solution tsconfig. */
function solution(
  rootTsconfig = { files: [], references: [{ path: './packages/core' }, { path: './packages/app/tsconfig.json' }] },
) {
  return write(tmpdir('policydrift-refs-'), {
    'tsconfig.json': rootTsconfig,
    'packages/core/tsconfig.json': {
      compilerOptions: { ...OPTIONS, rootDir: 'src', outDir: 'dist' },
      include: ['src/**/*.ts'],
    },
    'packages/core/src/keys.ts': `/** @keyGuard */
export function requireScope(scope: string): void {
  if (!scope) throw new Error('scope');
}
/** @keySink */
export function unwrapKey(id: string): string {
  return id;
}
`,
    'packages/app/tsconfig.json': {
      compilerOptions: { ...OPTIONS, rootDir: 'src', outDir: 'dist' },
      include: ['src/**/*.ts'],
      references: [{ path: '../core' }],
    },
    'packages/app/src/use.ts': `import { requireScope, unwrapKey } from '../../core/src/keys.js';
export function reveal(id: string): string {
  requireScope('admin');
  return unwrapKey(id);
}
`,
  });
}

test('programTsconfigs: a plain tsconfig stands for itself; a solution for its references, nested solutions expanded', () => {
  const dir = solution();
  const p = (rel) => path.join(dir, rel).split(path.sep).join('/');
  assert.equal(programTsconfigs(p('packages/app/tsconfig.json'), 'packages/app/tsconfig.json'), [
    p('packages/app/tsconfig.json'),
  ]);
  assert.equal(programTsconfigs(p('tsconfig.json'), 'tsconfig.json'), [
    p('packages/core/tsconfig.json'),
    p('packages/app/tsconfig.json'),
  ]);
  write(dir, {
    'tsconfig.all.json': { files: [], references: [{ path: './tsconfig.json' }, { path: './packages/core' }] },
  });
  assert.equal(programTsconfigs(p('tsconfig.all.json'), 'tsconfig.all.json'), [
    p('packages/core/tsconfig.json'),
    p('packages/app/tsconfig.json'),
  ]);
});

test('extract on a solution tsconfig: one manifest over the referenced projects, identities across them', () => {
  const dir = solution();
  const r = cli(['extract', '--root', dir]);
  assert.is(r.code, 0, r.stderr);
  const kg = JSON.parse(r.stdout).invariants.keygate;
  assert.equal(Object.keys(kg.sinks), ['unwrapKey']);
  assert.equal(kg.sites['reveal -> unwrapKey'], {
    function: 'reveal',
    sink: 'unwrapKey',
    guards: [{ guard: 'requireScope', args: { scope: 'admin' }, awaited: true }],
  });
  assert.is(JSON.parse(r.stdout).locations['keygate:site:reveal -> unwrapKey'], 'packages/app/src/use.ts');
});

test('init on a solution tsconfig works', () => {
  const dir = solution();
  const r = cli(['init', '--root', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /created\s+policydrift\.config\.json/);
  assert.match(
    r.stdout,
    /created\s+invariants\.manifest\.json\s+\(version 1: 0 invariants, 0 LE handlers, 0 log schemas, 1 key guard, 1 gated site\)/,
  );
  assert.is(JSON.parse(fs.readFileSync(path.join(dir, 'policydrift.config.json'), 'utf8')).tsconfig, 'tsconfig.json');
});

test('a reference to nothing: exit 2 naming it, and init leaves no config behind', () => {
  const dir = solution({ files: [], references: [{ path: './packages/core' }, { path: './packages/gone' }] });
  const before = fs.readdirSync(dir).sort();
  const r = cli(['init', '--root', dir]);
  assert.is(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /tsconfig\.json: reference "\.\/packages\/gone" names no tsconfig \(no packages\/gone\/tsconfig\.json\)/,
  );
  assert.match(r.stderr, /hint: /);
  assert.not.match(r.stderr, /\n\s+at /);
  assert.equal(fs.readdirSync(dir).sort(), before);
});

test('init whose extraction fails for any reason writes nothing', () => {
  const dir = write(tmpdir('policydrift-refs-'), {
    'tsconfig.json': { compilerOptions: OPTIONS, include: ['src/**/*.ts'] },
    'README.md': 'no sources\n',
  });
  const r = cli(['init', '--root', dir]);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /has no source files/);
  assert.equal(fs.readdirSync(dir).sort(), ['README.md', 'tsconfig.json']);
});

test.run();
