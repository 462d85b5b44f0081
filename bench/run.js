#!/usr/bin/env node
// `npm run bench`: policydrift's extraction cost against the type check users already run.
//
//   node bench/run.js [--runs N] [--sizes 500,2000,5000] [--out bench/results.json]
//   node bench/run.js --project <dir> [--config <file>] [--runs N] [--out FILE]
//
// With --project, a real checked-out codebase is measured instead (see benchProject): cold extract
// with the given config, tsc6 and tsc7 on the tsconfig the config names, interleaved in one run.
//
// For each size, a deterministic synthetic corpus (bench/gen-corpus.js) is generated once and cached
// under os.tmpdir()/policydrift-bench/<n>-<corpus version>, as a git repository whose HEAD commits
// the corpus and its manifest. Then, in the same run and interleaved (so that machine load hits every
// command alike), each command is timed N times in a fresh process:
//   extract      node bin/policydrift.js extract --root <corpus>          (cold: new process, checkout)
//   extract-ref  node bin/policydrift.js extract --ref HEAD               (from git objects, no checkout)
//   check        node bin/policydrift.js check --against HEAD             (two extractions of one tree + the gate)
//   check-change node bin/policydrift.js check --against main --candidate bench-change
//                (two different trees: a side branch raises one guard argument in one file)
//   tsc6         node node_modules/typescript6/bin/tsc --noEmit -p <corpus>   (TypeScript 6, what ts-morph wraps)
//   tsc7         node node_modules/typescript7/bin/tsc --noEmit -p <corpus>    (TypeScript 7, native)
// Reported: median wall time, time per file, peak RSS (GNU time's %M when /usr/bin/time exists), and
// the ratios the performance targets are stated in. No timing is asserted anywhere in the tests.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS_VERSION, generateCorpus } from './gen-corpus.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(REPO, 'bin', 'policydrift.js');
const TSC6 = path.join(REPO, 'node_modules', 'typescript6', 'bin', 'tsc');
// The `typescript` package (7.x, native). Its bin is used directly: node_modules/.bin/tsc can be linked to
// either package's `tsc` (both `typescript` and `typescript6` declare one).
const TSC7 = path.join(REPO, 'node_modules', 'typescript7', 'bin', 'tsc');
const GNU_TIME =
  fs.existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%e %M', 'true']).status === 0
    ? '/usr/bin/time'
    : null;

const TARGETS = {
  'extract/tsc6': { max: 0.5, what: 'cold extract <= 0.5x TS6 tsc --noEmit' },
  'ref/checkout': { max: 1.2, what: 'extract --ref <= 1.2x checkout extraction' },
  'check/extract': { max: 1.5, what: 'check < 1.5x one extraction' },
  'memory extract/tsc6': { max: 1.0, what: 'extract peak RSS below tsc6' },
  'precommit seconds': { max: 0.3, what: 'pre-commit run without a relevant change < 300 ms' },
};

function parseArgs(argv) {
  const opts = {
    runs: 3,
    sizes: [500, 2000, 5000],
    out: path.join(REPO, 'bench', 'results.json'),
    project: null,
    config: null,
    outGiven: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--runs') opts.runs = Number(next());
    else if (a === '--sizes')
      opts.sizes = next()
        .split(',')
        .map((s) => Number(s.trim()));
    else if (a === '--out') {
      opts.out = path.resolve(next());
      opts.outGiven = true;
    } else if (a === '--project') opts.project = path.resolve(next());
    else if (a === '--config') opts.config = path.resolve(next());
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) usage('--runs must be a positive integer');
  if (opts.sizes.some((n) => !Number.isInteger(n) || n < 20)) usage('--sizes must be integers >= 20');
  if (opts.config && !opts.project) usage('--config needs --project');
  if (opts.project && !fs.existsSync(opts.project)) usage(`--project ${opts.project} does not exist`);
  if (opts.config && !fs.existsSync(opts.config)) usage(`--config ${opts.config} does not exist`);
  return opts;
}

function usage(msg) {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write(
    'usage: node bench/run.js [--runs N] [--sizes 500,2000,5000] [--out FILE]\n       node bench/run.js --project DIR [--config FILE] [--runs N] [--out FILE]\n',
  );
  process.exit(msg ? 2 : 0);
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

function git(dir, ...args) {
  const r = spawnSync('git', ['-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...GIT_ENV },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${dir}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The corpus of `n` files as a committed git repository; its manifest is refreshed (and committed) for this build of policydrift. */
function prepareCorpus(n) {
  const dir = path.join(os.tmpdir(), 'policydrift-bench', `${n}-${CORPUS_VERSION}`);
  const ready = path.join(dir, '.git', 'policydrift-bench-ready');
  if (!fs.existsSync(ready)) {
    process.stderr.write(`bench: generating ${n} files in ${dir}\n`);
    generateCorpus(dir, n);
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', `corpus ${n}`);
    fs.writeFileSync(ready, '');
  }
  // `check` fails on a stale manifest: commit the one this build extracts (untimed).
  const w = spawnSync(process.execPath, [BIN, 'extract', '--write'], { cwd: dir, encoding: 'utf8' });
  if (w.status !== 0) throw new Error(`extract --write failed in ${dir}: ${w.stderr}`);
  if (git(dir, 'status', '--porcelain')) {
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'manifest');
  }
  // A side branch with one change (a guard argument), for a check across two different trees.
  if (spawnSync('git', ['rev-parse', '--verify', '-q', 'refs/heads/bench-change'], { cwd: dir }).status !== 0) {
    const file = git(dir, 'grep', '-l', 'requireQuorum(approvals, 2);').split('\n')[0];
    git(dir, 'checkout', '-q', '-b', 'bench-change');
    const p = path.join(dir, file);
    fs.writeFileSync(
      p,
      fs.readFileSync(p, 'utf8').replace('requireQuorum(approvals, 2);', 'requireQuorum(approvals, 3);'),
    );
    spawnSync(process.execPath, [BIN, 'extract', '--write'], { cwd: dir, encoding: 'utf8' });
    git(dir, 'commit', '-qam', 'raise a quorum');
    git(dir, 'checkout', '-q', 'main');
  }
  const files = Number(JSON.parse(fs.readFileSync(path.join(dir, '.corpus'), 'utf8')).n);
  return { dir, files };
}

/** The timed commands; each runs with the corpus as its working directory. */
function commandsFor(dir) {
  return [
    {
      id: 'extract',
      label: 'node bin/policydrift.js extract --root <corpus>',
      argv: [process.execPath, BIN, 'extract', '--root', dir],
    },
    {
      id: 'extract-ref',
      label: 'node bin/policydrift.js extract --ref HEAD',
      argv: [process.execPath, BIN, 'extract', '--ref', 'HEAD'],
    },
    {
      id: 'check',
      label: 'node bin/policydrift.js check --against HEAD',
      argv: [process.execPath, BIN, 'check', '--against', 'HEAD'],
    },
    {
      id: 'check-change',
      label: 'node bin/policydrift.js check --against main --candidate bench-change',
      argv: [process.execPath, BIN, 'check', '--against', 'main', '--candidate', 'bench-change'],
    },
    {
      id: 'precommit',
      label: 'node bin/policydrift.js extract --write --staged (no relevant change, warm cache)',
      argv: [process.execPath, BIN, 'extract', '--write', '--staged'],
    },
    {
      id: 'tsc6',
      label: 'node node_modules/typescript6/bin/tsc --noEmit -p <corpus>',
      argv: [process.execPath, TSC6, '--noEmit', '-p', dir],
    },
    {
      id: 'tsc7',
      label: 'node node_modules/typescript7/bin/tsc --noEmit -p <corpus>',
      argv: [process.execPath, TSC7, '--noEmit', '-p', dir],
    },
  ];
}

/** One timed run in a fresh process: wall seconds (hrtime), peak RSS in MB (GNU time) or null, exit code. */
function timeOnce(argv, cwd) {
  const memFile = path.join(os.tmpdir(), `policydrift-bench-${process.pid}.time`);
  const [cmd, ...args] = GNU_TIME ? [GNU_TIME, '-f', '%e %M', '-o', memFile, ...argv] : argv;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' } });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let peakMB = null;
  if (GNU_TIME) {
    const m = /(\S+)\s+(\d+)\s*$/.exec(fs.readFileSync(memFile, 'utf8'));
    if (m) peakMB = Number(m[2]) / 1024;
    fs.rmSync(memFile, { force: true });
  }
  return { seconds, peakMB, code: r.status, stderr: r.status === 0 ? '' : (r.stderr || r.stdout).slice(0, 400) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function benchSize(n, runs) {
  const { dir, files } = prepareCorpus(n);
  const cmds = commandsFor(dir);
  // The hook's cache is warm after the first commit of a session: prime it once.
  spawnSync(process.execPath, [BIN, 'extract', '--write', '--staged'], { cwd: dir, encoding: 'utf8' });
  const samples = Object.fromEntries(cmds.map((c) => [c.id, []]));
  for (let r = 0; r < runs; r++) {
    for (const c of cmds) {
      const s = timeOnce(c.argv, dir);
      samples[c.id].push(s);
      process.stderr.write(
        `bench: ${n} files, run ${r + 1}/${runs}: ${c.id.padEnd(11)} ${s.seconds.toFixed(2)} s${s.peakMB !== null ? `, ${s.peakMB.toFixed(0)} MB` : ''}${s.code !== 0 ? ` (exit ${s.code})` : ''}\n`,
      );
      if (s.code !== 0 && s.stderr) process.stderr.write(`  ${s.stderr.split('\n').join('\n  ')}\n`);
    }
  }
  const commands = {};
  for (const c of cmds) {
    const xs = samples[c.id];
    const med = median(xs.map((x) => x.seconds));
    const mems = xs.map((x) => x.peakMB).filter((m) => m !== null);
    commands[c.id] = {
      command: c.label,
      seconds: xs.map((x) => round(x.seconds, 3)),
      median: round(med, 3),
      msPerFile: round((med * 1000) / files, 3),
      peakMB: mems.length ? round(median(mems), 1) : null,
      exitCodes: [...new Set(xs.map((x) => x.code))],
    };
  }
  const ratio = (a, b) => round(commands[a].median / commands[b].median, 3);
  const ratios = {
    'extract/tsc6': ratio('extract', 'tsc6'),
    'extract/tsc7': ratio('extract', 'tsc7'),
    'ref/checkout': ratio('extract-ref', 'extract'),
    'check/extract': ratio('check', 'extract'),
    'check-change/extract': ratio('check-change', 'extract'),
  };
  ratios['precommit seconds'] = round(commands.precommit.median, 3);
  if (commands.extract.peakMB !== null && commands.tsc6.peakMB !== null)
    ratios['memory extract/tsc6'] = round(commands.extract.peakMB / commands.tsc6.peakMB, 3);
  return { files, corpus: dir, commands, ratios };
}

function round(x, d) {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

function table(results) {
  const ids = ['extract', 'extract-ref', 'check', 'check-change', 'precommit', 'tsc6', 'tsc7'];
  const rows = [['files', 'command', 'median s', 'ms/file', 'peak MB', 'runs (s)']];
  for (const r of results) {
    for (const id of ids) {
      const c = r.commands[id];
      rows.push([
        String(r.files),
        id,
        c.median.toFixed(2),
        c.msPerFile.toFixed(2),
        c.peakMB === null ? '-' : c.peakMB.toFixed(0),
        c.seconds.map((s) => s.toFixed(2)).join(' ') +
          (c.exitCodes.some((x) => x !== 0) ? ` (exit ${c.exitCodes.join('/')})` : ''),
      ]);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const fmt = (r) =>
    r
      .map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [fmt(rows[0]), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows.slice(1)) out.push(fmt(r));
  out.push('');
  const rrows = [
    [
      'files',
      'extract/tsc6',
      'extract/tsc7',
      'ref/checkout',
      'check/extract',
      'check-change/extract',
      'mem extract/tsc6',
      'precommit s',
    ],
  ];
  for (const r of results) {
    const x = r.ratios;
    const mark = (k) =>
      x[k] === undefined ? '-' : `${x[k].toFixed(2)}${TARGETS[k] ? (x[k] <= TARGETS[k].max ? ' ok' : ' MISS') : ''}`;
    rrows.push([
      String(r.files),
      mark('extract/tsc6'),
      x['extract/tsc7'].toFixed(2),
      mark('ref/checkout'),
      mark('check/extract'),
      x['check-change/extract'].toFixed(2),
      mark('memory extract/tsc6'),
      mark('precommit seconds'),
    ]);
  }
  const rw = rrows[0].map((_, i) => Math.max(...rrows.map((r) => r[i].length)));
  for (const r of rrows)
    out.push(
      r
        .map((c, i) => c.padEnd(rw[i]))
        .join('  ')
        .trimEnd(),
    );
  out.push('');
  out.push(
    `targets: ${Object.values(TARGETS)
      .map((t) => t.what)
      .join('; ')}`,
  );
  return out.join('\n') + '\n';
}

/**
 * A real codebase: `--project DIR [--config FILE]`. Times, interleaved in one run and in fresh processes,
 *   extract  node bin/policydrift.js extract --root DIR [--config FILE] --out <tmp>   (cold)
 *   tsc6     node node_modules/typescript6/bin/tsc --noEmit -p DIR/<tsconfig>
 *   tsc7     node node_modules/typescript7/bin/tsc --noEmit -p DIR/<tsconfig>
 * where <tsconfig> is the config's "tsconfig" (default tsconfig.json). Type errors do not matter
 * (tsc exits 1 or 2 on them and still does the whole check); a failing extract is reported.
 */
function benchProject(opts) {
  const dir = opts.project;
  const configFile =
    opts.config ??
    (fs.existsSync(path.join(dir, 'policydrift.config.json')) ? path.join(dir, 'policydrift.config.json') : null);
  const config = configFile ? JSON.parse(fs.readFileSync(configFile, 'utf8')) : {};
  const tsconfig = path.join(dir, config.tsconfig ?? 'tsconfig.json');
  if (!fs.existsSync(tsconfig)) usage(`no tsconfig at ${tsconfig} (set "tsconfig" in the config)`);
  const manifestOut = path.join(os.tmpdir(), `policydrift-bench-project-${process.pid}.json`);
  const cmds = [
    {
      id: 'extract',
      label: `node bin/policydrift.js extract --root <project>${configFile ? ' --config <config>' : ''} --out <tmp>`,
      argv: [
        process.execPath,
        BIN,
        'extract',
        '--root',
        dir,
        ...(configFile ? ['--config', configFile] : []),
        '--out',
        manifestOut,
      ],
    },
    {
      id: 'tsc6',
      label: 'node node_modules/typescript6/bin/tsc --noEmit -p <tsconfig>',
      argv: [process.execPath, TSC6, '--noEmit', '-p', tsconfig],
    },
    {
      id: 'tsc7',
      label: 'node node_modules/typescript7/bin/tsc --noEmit -p <tsconfig>',
      argv: [process.execPath, TSC7, '--noEmit', '-p', tsconfig],
    },
  ];
  // Program size: the files tsc7 lists (cheap: no check), split into project sources and the rest.
  const listed = spawnSync(process.execPath, [TSC7, '--listFilesOnly', '-p', tsconfig], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  })
    .stdout.split('\n')
    .filter(Boolean);
  const sources = listed.filter((f) => !/\.d\.[cm]?ts$/.test(f) && !f.split(/[\\/]/).includes('node_modules')).length;
  const samples = Object.fromEntries(cmds.map((c) => [c.id, []]));
  for (let r = 0; r < opts.runs; r++) {
    for (const c of cmds) {
      const t = timeOnce(c.argv, dir);
      samples[c.id].push(t);
      process.stderr.write(
        `bench: ${path.basename(dir)}, run ${r + 1}/${opts.runs}: ${c.id.padEnd(7)} ${t.seconds.toFixed(2)} s${t.peakMB !== null ? `, ${t.peakMB.toFixed(0)} MB` : ''}${t.code !== 0 ? ` (exit ${t.code})` : ''}\n`,
      );
      if (c.id === 'extract' && t.code !== 0) process.stderr.write(`  ${t.stderr.split('\n').join('\n  ')}\n`);
    }
  }
  const commands = {};
  for (const c of cmds) {
    const xs = samples[c.id];
    const mems = xs.map((x) => x.peakMB).filter((m) => m !== null);
    commands[c.id] = {
      command: c.label,
      seconds: xs.map((x) => round(x.seconds, 3)),
      median: round(median(xs.map((x) => x.seconds)), 3),
      peakMB: mems.length ? round(median(mems), 1) : null,
      exitCodes: [...new Set(xs.map((x) => x.code))],
    };
  }
  let manifest = null;
  if (fs.existsSync(manifestOut)) {
    const kg = JSON.parse(fs.readFileSync(manifestOut, 'utf8')).invariants.keygate;
    manifest = {
      keySinks: Object.keys(kg.sinks).length,
      keyGuards: Object.keys(kg.guards).length,
      sites: Object.keys(kg.sites).length,
      escapes: Object.keys(kg.escapes).length,
    };
    fs.rmSync(manifestOut, { force: true });
  }
  const ratios = {
    'extract/tsc6': round(commands.extract.median / commands.tsc6.median, 3),
    'extract/tsc7': round(commands.extract.median / commands.tsc7.median, 3),
  };
  if (commands.extract.peakMB !== null && commands.tsc6.peakMB !== null)
    ratios['memory extract/tsc6'] = round(commands.extract.peakMB / commands.tsc6.peakMB, 3);
  let pkg = null;
  try {
    const j = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    pkg = `${j.name}@${j.version}`;
  } catch {
    // not an npm package
  }
  return {
    project: dir,
    package: pkg,
    config: configFile,
    tsconfig: path.relative(dir, tsconfig),
    files: { sources, program: listed.length },
    manifest,
    commands,
    ratios,
  };
}

function projectTable(r) {
  const out = [
    `${r.package ?? path.basename(r.project)}: ${r.files.sources} source files (${r.files.program} in the program)${r.manifest ? `; ${r.manifest.keySinks} key sinks, ${r.manifest.keyGuards} guards, ${r.manifest.sites} sites, ${r.manifest.escapes} escapes` : ''}`,
    '',
  ];
  const rows = [['command', 'median s', 'peak MB', 'runs (s)']];
  for (const [id, c] of Object.entries(r.commands))
    rows.push([
      id,
      c.median.toFixed(2),
      c.peakMB === null ? '-' : c.peakMB.toFixed(0),
      c.seconds.map((x) => x.toFixed(2)).join(' ') +
        (c.exitCodes.some((x) => x !== 0) ? ` (exit ${c.exitCodes.join('/')})` : ''),
    ]);
  const w = rows[0].map((_, i) => Math.max(...rows.map((x) => x[i].length)));
  for (const row of rows)
    out.push(
      row
        .map((c, i) => (i === 1 || i === 2 ? c.padStart(w[i]) : c.padEnd(w[i])))
        .join('  ')
        .trimEnd(),
    );
  out.push('');
  const x = r.ratios;
  const mark = (k) =>
    x[k] === undefined ? '-' : `${x[k].toFixed(2)}${TARGETS[k] ? (x[k] <= TARGETS[k].max ? ' ok' : ' MISS') : ''}`;
  out.push(
    `extract/tsc6 ${mark('extract/tsc6')}   extract/tsc7 ${x['extract/tsc7'].toFixed(2)}   memory extract/tsc6 ${mark('memory extract/tsc6')}`,
  );
  return out.join('\n') + '\n';
}

function main() {
  if (process.argv.includes('--workspace')) {
    // Workspace mode (bench/workspace.js): the corpus split into packages.
    const r = spawnSync(process.execPath, [path.join(REPO, 'bench', 'workspace.js'), ...process.argv.slice(2)], {
      stdio: 'inherit',
    });
    process.exit(r.status ?? 1);
  }
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(REPO, 'dist', 'cli', 'index.js'))) {
    process.stderr.write('bench: dist/ is missing; run `npm run build` first\n');
    process.exit(2);
  }
  for (const [what, p] of [
    ['TypeScript 6', TSC6],
    ['TypeScript 7', TSC7],
  ]) {
    if (!fs.existsSync(p)) {
      process.stderr.write(`bench: ${what} not found at ${p}; run \`npm ci\`\n`);
      process.exit(2);
    }
  }
  const version = (bin) => spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).stdout.trim();
  const versions = { tsc6: version(TSC6), tsc7: version(TSC7) };
  process.stderr.write(`bench: tsc6 = ${versions.tsc6}, tsc7 = ${versions.tsc7}\n`);
  if (opts.project) {
    const result = benchProject(opts);
    const out = opts.outGiven ? opts.out : path.join(os.tmpdir(), 'policydrift-bench-project.json');
    const machine = {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      memoryGB: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadAverageAtEnd: os.loadavg().map((v) => round(v, 2)),
    };
    fs.writeFileSync(
      out,
      JSON.stringify(
        {
          command: `node bench/run.js --project <dir>${opts.config ? ' --config <file>' : ''} --runs ${opts.runs}`,
          machine,
          peakMemory: GNU_TIME ? 'GNU time %M (max RSS), MB' : null,
          compilers: versions,
          runs: opts.runs,
          targets: TARGETS,
          ...result,
        },
        null,
        2,
      ) + '\n',
    );
    process.stdout.write(projectTable(result));
    process.stdout.write(`\nresults: ${out}\n`);
    return;
  }
  const results = opts.sizes.map((n) => benchSize(n, opts.runs));
  const report = {
    command: `node bench/run.js --runs ${opts.runs} --sizes ${opts.sizes.join(',')}`,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      memoryGB: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)),
    },
    peakMemory: GNU_TIME ? 'GNU time %M (max RSS), MB' : null,
    compilers: versions,
    corpusVersion: CORPUS_VERSION,
    runs: opts.runs,
    targets: TARGETS,
    sizes: results,
  };
  fs.writeFileSync(opts.out, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(table(results));
  process.stdout.write(`\nresults: ${path.relative(process.cwd(), opts.out) || opts.out}\n`);
}

main();
