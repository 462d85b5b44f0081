// Shared test helpers: run the CLI as a subprocess, make temp dirs and git repos.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(REPO, 'bin', 'policydrift.js');
export const SAMPLE = path.join(REPO, 'fixtures', 'sample-service');

/** Run `policydrift <args>`; returns { code, stdout, stderr }. */
export function cli(args, opts = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', OPENSPEC_TELEMETRY: '0', OPENSPEC_NO_UPDATE_CHECK: '1', ...(opts.env ?? {}) },
    input: opts.input,
    timeout: opts.timeout ?? 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
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
  const r = spawnSync('git', ['-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...GIT_ENV },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** A temp git repo holding a copy of `fixture`, committed once. */
export function gitRepoFrom(fixture) {
  const dir = tmpdir('policydrift-repo-');
  copyTree(fixture, dir);
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'initial');
  return dir;
}
