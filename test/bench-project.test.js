// `npm run bench -- --project DIR --config FILE`: a real codebase, extract vs tsc6/tsc7 in one run (no timing asserted).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, tmpdir } from './helpers.js';

const RUN = path.join(REPO, 'bench', 'run.js');
const bench = (...args) => spawnSync(process.execPath, [RUN, ...args], { cwd: REPO, encoding: 'utf8' });

test('--project with a config: extract, tsc6 and tsc7 timed in one run; ratios printed and written', () => {
  const dir = tmpdir('policydrift-bench-project-');
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'tiny-vault', version: '1.2.3' }));
  fs.writeFileSync(
    path.join(dir, 'tsconfig.app.json'),
    JSON.stringify({
      compilerOptions: { strict: true, target: 'es2022', module: 'es2022', moduleResolution: 'bundler', types: [] },
      include: ['src/**/*.ts'],
    }),
  );
  fs.writeFileSync(
    path.join(dir, 'src', 'vault.ts'),
    'export function guard(s: string): void { if (!s) throw new Error(); }\nexport function unwrap(id: string): string { return id; }\nexport function use(id: string) { guard("x"); return unwrap(id); }\n',
  );
  const config = path.join(tmpdir('policydrift-bench-config-'), 'vault.config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      tsconfig: 'tsconfig.app.json',
      keySinks: ['src/vault.ts#unwrap'],
      keyGuards: ['src/vault.ts#guard'],
    }),
  );
  const out = path.join(tmpdir('policydrift-bench-out-'), 'r.json');
  const r = bench('--project', dir, '--config', config, '--runs', '1', '--out', out);
  assert.is(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^tiny-vault@1\.2\.3: 1 source files \(\d+ in the program\); 1 key sinks, 1 guards, 1 sites, 0 escapes/,
  );
  assert.match(r.stdout, /\nextract +\d+\.\d\d/);
  assert.match(r.stdout, /\ntsc6 +\d+\.\d\d/);
  assert.match(r.stdout, /\ntsc7 +\d+\.\d\d/);
  assert.match(r.stdout, /extract\/tsc6 \d+\.\d\d (ok|MISS) +extract\/tsc7 \d+\.\d\d +memory extract\/tsc6 /);
  const j = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.is(j.package, 'tiny-vault@1.2.3');
  assert.is(j.tsconfig, 'tsconfig.app.json');
  assert.equal(j.manifest, { keySinks: 1, keyGuards: 1, sites: 1, escapes: 0 });
  assert.equal(Object.keys(j.commands), ['extract', 'tsc6', 'tsc7']);
  for (const c of Object.values(j.commands)) assert.equal(c.exitCodes, [0]);
  assert.ok(j.ratios['extract/tsc6'] > 0 && j.ratios['extract/tsc7'] > 0);
});

test('usage errors exit 2', () => {
  let r = bench('--config', 'x.json');
  assert.is(r.status, 2);
  assert.match(r.stderr, /--config needs --project/);
  r = bench('--project', path.join(tmpdir('policydrift-bench-none-'), 'missing'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /does not exist/);
  const empty = tmpdir('policydrift-bench-empty-');
  r = bench('--project', empty);
  assert.is(r.status, 2);
  assert.match(r.stderr, /no tsconfig at /);
});

test.run();
