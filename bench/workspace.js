#!/usr/bin/env node
// `npm run bench -- --workspace`: the generated corpus split into workspace packages.
//
//   node bench/workspace.js [--files 2000] [--packages 10,50] [--runs 1] [--out bench/results-workspace.json]
//
// The corpus of bench/gen-corpus.js is split in generation order into K packages (packages/pNN/src/mXXX/...;
// the fixed LE/logging/key files go to p00), relative imports rewritten to the new places (so the
// packages import each other's sources, as workspace packages linked through node_modules or `paths`
// do), each package with its own tsconfig, package.json and policydrift.config.json. Timed, each in a
// fresh process:
//   one-process  node bin/policydrift.js extract --workspace            (every package, one process:
//                                                                        lib files and shared sources parsed once)
//   per-package  node bin/policydrift.js extract, in each package       (what a Turborepo/Nx task runs;
//                                                                        sum = one machine, max = one
//                                                                        package per machine)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS_VERSION, generateCorpus } from './gen-corpus.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(REPO, 'bin', 'policydrift.js');

function parseArgs(argv) {
  const o = { files: 2000, packages: [10, 50], runs: 1, out: path.join(REPO, 'bench', 'results-workspace.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--workspace') continue;
    else if (a === '--files') o.files = Number(v());
    else if (a === '--packages') o.packages = v().split(',').map(Number);
    else if (a === '--runs') o.runs = Number(v());
    else if (a === '--out') o.out = path.resolve(v());
    else {
      console.error(
        `unknown argument ${a}\nusage: node bench/workspace.js [--files N] [--packages 10,50] [--runs N] [--out FILE]`,
      );
      process.exit(2);
    }
  }
  return o;
}

/** Split a generated corpus into `k` packages under `out`. */
export function splitCorpus(flat, out, k) {
  fs.rmSync(out, { recursive: true, force: true });
  const files = [];
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(flat, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (r.endsWith('.ts')) files.push(r);
    }
  };
  walk('src');
  // Ordinary files (src/mXXX/fYYY.ts) in generation order, split into k consecutive runs; the fixed files go to p00.
  const ordinary = files.filter((f) => /^src\/m\d+\//.test(f)).sort();
  const index = new Map(ordinary.map((f, i) => [f, i]));
  const pkgOf = (f) => {
    const i = index.get(f);
    return i === undefined ? 0 : Math.min(k - 1, Math.floor((i * k) / ordinary.length));
  };
  const name = (p) => `p${String(p).padStart(2, '0')}`;
  const place = new Map(files.map((f) => [f, `packages/${name(pkgOf(f))}/${f}`]));
  const tsconfig = JSON.parse(fs.readFileSync(path.join(flat, 'tsconfig.json'), 'utf8'));
  for (const [from, to] of place) {
    let text = fs.readFileSync(path.join(flat, from), 'utf8');
    text = text.replace(/from '(\.{1,2}\/[^']+)'/g, (m, spec) => {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec.replace(/\.js$/, '.ts')));
      const moved = place.get(target);
      if (!moved) return m;
      let r = path.posix.relative(path.posix.dirname(to), moved).replace(/\.ts$/, '.js');
      if (!r.startsWith('.')) r = `./${r}`;
      return `from '${r}'`;
    });
    fs.mkdirSync(path.dirname(path.join(out, to)), { recursive: true });
    fs.writeFileSync(path.join(out, to), text);
  }
  const used = [...new Set([...place.values()].map((p) => p.split('/')[1]))].sort();
  for (const p of used) {
    const dir = path.join(out, 'packages', p);
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: `@bench/${p}`, version: '1.0.0', private: true, type: 'module' }, null, 2) + '\n',
    );
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ ...tsconfig, include: ['src/**/*.ts'] }, null, 2) + '\n',
    );
    fs.writeFileSync(path.join(dir, 'policydrift.config.json'), '{}\n');
  }
  fs.writeFileSync(
    path.join(out, 'package.json'),
    JSON.stringify({ name: 'bench-workspace', private: true, workspaces: ['packages/*'] }, null, 2) + '\n',
  );
  return used.map((p) => path.join(out, 'packages', p));
}

function timed(args, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 1 << 28,
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`policydrift ${args.join(' ')} in ${cwd} failed: ${r.stderr}`);
  return s;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const o = parseArgs(process.argv.slice(2));
  const base = path.join(os.tmpdir(), 'policydrift-bench-ws');
  const flat = path.join(base, `flat-${o.files}-${CORPUS_VERSION}`);
  if (!fs.existsSync(path.join(flat, '.corpus'))) generateCorpus(flat, o.files);
  const results = {
    files: o.files,
    corpusVersion: CORPUS_VERSION,
    node: process.version,
    cpus: os.cpus().length,
    loadavg: os.loadavg()[0],
    rows: [],
  };
  console.log(`files  packages  command        median s   (runs)`);
  const flatRuns = [];
  for (let i = 0; i < o.runs; i++) flatRuns.push(timed(['extract'], flat));
  results.rows.push({ packages: 1, command: 'single project', runs: flatRuns, median: median(flatRuns) });
  console.log(
    `${String(o.files).padStart(5)}  ${'1'.padStart(8)}  single project  ${median(flatRuns).toFixed(2).padStart(7)}   (${flatRuns.map((x) => x.toFixed(2)).join(', ')})`,
  );
  for (const k of o.packages) {
    const ws = path.join(base, `ws-${o.files}-${k}-${CORPUS_VERSION}`);
    const pkgs = splitCorpus(flat, ws, k);
    const one = [];
    const sums = [];
    const maxes = [];
    for (let i = 0; i < o.runs; i++) {
      one.push(timed(['extract', '--workspace'], ws));
      const each = pkgs.map((p) => timed(['extract'], p));
      sums.push(each.reduce((a, b) => a + b, 0));
      maxes.push(Math.max(...each));
    }
    for (const [command, runs] of /** @type {Array<[string, number[]]>} */ ([
      ['one-process', one],
      ['per-package sum', sums],
      ['per-package max', maxes],
    ])) {
      results.rows.push({ packages: pkgs.length, command, runs, median: median(runs) });
      console.log(
        `${String(o.files).padStart(5)}  ${String(pkgs.length).padStart(8)}  ${command.padEnd(15)} ${median(runs).toFixed(2).padStart(7)}   (${runs.map((x) => x.toFixed(2)).join(', ')})`,
      );
    }
  }
  fs.writeFileSync(o.out, JSON.stringify(results, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), o.out)}`);
}
