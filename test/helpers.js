// Shared test helpers: run the CLI as a subprocess, make temp dirs and git repos.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(REPO, 'bin', 'policydrift.js');
export const SAMPLE = path.join(REPO, 'fixtures', 'sample-service');

// Progress lines (printed off a TTY once a run passes 3 s, which a loaded machine reaches easily) would make
// stderr assertions depend on the machine's speed: children inherit this. test/progress.test.js turns it on.
process.env.POLICYDRIFT_NO_PROGRESS ??= '1';

/** Subprocess time limit in ms: POLICYDRIFT_TEST_TIMEOUT (seconds) raises it on a slow machine. */
export const SUBPROCESS_TIMEOUT = Number(process.env.POLICYDRIFT_TEST_TIMEOUT || 180) * 1000;

/**
 * spawnSync with a time limit that is never silent: a child that runs out of time (or cannot start) throws
 * "<cmd> timed out after N s", which fails the calling test with that message instead of a puzzling
 * `null !== 0` (or a hang). Call it inside a test, never at module load, so one failure cannot hide the rest.
 */
export function spawnTimed(cmd, args, opts = {}) {
  const timeout = opts.timeout ?? SUBPROCESS_TIMEOUT;
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts, timeout });
  const shown = [path.basename(cmd), ...args.map((a) => (a.length > 80 ? `${a.slice(0, 77)}...` : a))].join(' ');
  if (/** @type {NodeJS.ErrnoException | undefined} */ (r.error)?.code === 'ETIMEDOUT') {
    throw new Error(
      `${shown} timed out after ${Math.round(timeout / 1000)} s (POLICYDRIFT_TEST_TIMEOUT=<seconds> allows more)\n${r.stderr ?? ''}`,
    );
  }
  if (r.error) throw new Error(`${shown} could not run: ${r.error.message}`);
  return r;
}

/** Run `policydrift <args>`; returns { code, stdout, stderr }. Throws "timed out" when it does not finish. */
export function cli(args, opts = {}) {
  const r = spawnTimed(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: '1', OPENSPEC_TELEMETRY: '0', OPENSPEC_NO_UPDATE_CHECK: '1', ...(opts.env ?? {}) },
    input: opts.input,
    timeout: opts.timeout,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A fixture built on first use, inside whichever test needs it first: a failure (or timeout) while building
 * fails the tests that need it, with the same error, instead of aborting the run at module load.
 */
export function lazy(build) {
  let done = false;
  let value;
  let error;
  return () => {
    if (!done) {
      done = true;
      try {
        value = build();
      } catch (e) {
        error = e;
      }
    }
    if (error) throw error;
    return value;
  };
}

const created = [];
// Remove what the suites created once the test process ends (keep it with POLICYDRIFT_KEEP_TMP=1 to debug).
process.on('exit', () => {
  if (process.env.POLICYDRIFT_KEEP_TMP) return;
  for (const d of created) fs.rmSync(d, { recursive: true, force: true });
});

export function tmpdir(prefix = 'policydrift-test-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(d);
  return d;
}

/** Copy a directory tree (no node_modules). */
export function copyTree(from, to) {
  fs.cpSync(from, to, { recursive: true, filter: (src) => !src.split(path.sep).includes('node_modules') });
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(dir, ...args) {
  const r = spawnTimed('git', ['-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], {
    cwd: dir,
    env: { ...process.env, ...GIT_ENV },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Write a scaffolded change set as its author would: replace the TODO placeholders that `policydrift justify`
 * leaves in proposal.md and the delta spec (approve refuses, and check does not count, a set that still has them).
 */
export function writeChangeSet(dir, id) {
  const setDir = path.join(dir, 'openspec', 'changes', id);
  const proposal = path.join(setDir, 'proposal.md');
  const p = fs.readFileSync(proposal, 'utf8');
  if (!p.includes('TODO: why this privacy-relevant behaviour change is needed.'))
    throw new Error(`${proposal} has no scaffold placeholder`);
  fs.writeFileSync(
    proposal,
    p.replace(
      'TODO: why this privacy-relevant behaviour change is needed.',
      `The ${id} change is needed and was reviewed.`,
    ),
  );
  const spec = path.join(setDir, 'specs', 'privacy-invariants', 'spec.md');
  if (fs.existsSync(spec)) {
    const s = fs.readFileSync(spec, 'utf8');
    fs.writeFileSync(
      spec,
      s
        .replace(
          'The system SHALL change its privacy-relevant behaviour only as declared in this change set.\n',
          `The service SHALL behave as the ${id} change describes.\n`,
        )
        .replace('TODO: replace this requirement with the privacy behaviour the change introduces.\n', ''),
    );
  }
}
