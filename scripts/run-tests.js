#!/usr/bin/env node
// Runs the uvu suite with one uvu process per test file, several files at a time (one per core by default), and
// prints one set of uvu-style totals at the end. The e2e files spend most of their time waiting on git, OpenSpec
// and child CLIs, so two workers on two cores roughly halve the wall time. Each file's output is printed whole
// when it ends (never interleaved), followed by a one-line result; a file that dies before printing uvu's totals
// (a throw at module load, a crash, a kill) counts as one failed test, never as silence.
//
//   node scripts/run-tests.js [pattern]      pattern: a regex on the path under test/ (default: \.test\.js$)
//   node scripts/run-tests.js --dir DIR      the test files under DIR instead of test/ (the runner's own test)
//   TEST_JOBS=1 node scripts/run-tests.js    run the files one after another
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const UVU = path.join(REPO, 'node_modules', 'uvu', 'bin.js');

const args = process.argv.slice(2);
const dirAt = args.indexOf('--dir');
const TEST_DIR = dirAt >= 0 ? path.resolve(args.splice(dirAt, 2)[1] ?? 'test') : path.join(REPO, 'test');
const pattern = new RegExp(args[0] ?? '\\.test\\.js$', 'i');
const jobs = Math.max(1, Number(process.env.TEST_JOBS) || os.availableParallelism());

/** @param {string} dir @param {string} rel @returns {string[]} */
function collect(dir, rel) {
  /** @type {string[]} */
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const name = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && !e.name.startsWith('.')) out.push(...collect(path.join(dir, e.name), name));
    } else if (pattern.test(name)) out.push(name);
  }
  return out;
}

/** Larger files first (the e2e suites), so the last worker does not start a long file alone at the end. */
function schedule(/** @type {string[]} */ files) {
  const weight = (/** @type {string} */ f) => fs.statSync(path.join(TEST_DIR, f)).size * (f.startsWith('e2e/') ? 4 : 1);
  return [...files].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b));
}

const escape = (/** @type {string} */ s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// eslint-disable-next-line no-control-regex
const stripAnsi = (/** @type {string} */ s) => s.replace(/\x1b\[[0-9;]*m/g, '');
const count = (/** @type {string} */ text, /** @type {string} */ label) => {
  const m = new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : null;
};

/**
 * @param {string} file
 * @returns {Promise<{ file: string, total: number, passed: number, skipped: number, ms: number, output: string, code: number | null }>}
 */
function runFile(file) {
  const start = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [UVU, path.basename(TEST_DIR), `^${escape(file)}$`], {
      cwd: path.dirname(TEST_DIR),
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => {
      const plain = stripAnsi(output);
      const total = count(plain, 'Total');
      const passed = count(plain, 'Passed');
      const skipped = count(plain, 'Skipped') ?? 0;
      const ms = Date.now() - start;
      if (total === null || passed === null) {
        // No totals: the file never ran to the end. Count it as one failure and keep its output.
        resolve({ file, total: 1, passed: 0, skipped: 0, ms, output, code });
      } else {
        const failedByCode = code !== 0 && total - passed - skipped === 0 ? 1 : 0;
        resolve({ file, total: total + failedByCode, passed, skipped, ms, output, code });
      }
    });
  });
}

const files = schedule(collect(TEST_DIR, ''));
if (files.length === 0) {
  console.error(`no test file under ${TEST_DIR} matches ${pattern}`);
  process.exit(2);
}
console.log(`${files.length} test files, ${jobs} at a time`);

const started = Date.now();
const queue = [...files];
/** @type {Awaited<ReturnType<typeof runFile>>[]} */
const results = [];
await Promise.all(
  Array.from({ length: Math.min(jobs, files.length) }, async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
      const r = await runFile(f);
      results.push(r);
      // uvu's own totals block is replaced by one line per file, so the only totals printed are the sum below.
      const body = r.output
        .split('\n')
        .filter((l) => !/^\s*(Total|Passed|Skipped|Duration):/.test(stripAnsi(l)))
        .join('\n')
        .trimEnd();
      const failed = r.total - r.passed - r.skipped;
      if (body) console.log(body);
      console.log(`-- ${r.file}: ${r.passed} passed, ${failed} failed (${(r.ms / 1000).toFixed(1)} s)\n`);
    }
  }),
);

const total = results.reduce((n, r) => n + r.total, 0);
const passed = results.reduce((n, r) => n + r.passed, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
const failedFiles = results.filter((r) => r.total - r.passed - r.skipped > 0).map((r) => r.file);
if (failedFiles.length > 0) console.log(`Failed files: ${failedFiles.sort().join(', ')}`);
console.log(`  Total:     ${total}`);
console.log(`  Passed:    ${passed}`);
console.log(`  Skipped:   ${skipped}`);
console.log(`  Duration:  ${((Date.now() - started) / 1000).toFixed(2)}s`);
process.exitCode = failedFiles.length > 0 ? 1 : 0;
