import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors.js';

/** Hint shown whenever a commit may be missing because the clone is shallow. */
export const SHALLOW_HINT =
  'this is a shallow clone: run `git fetch --unshallow` (in GitHub Actions: actions/checkout with `fetch-depth: 0`) so the base commit is present';

export interface GitResult {
  status: number;
  stdout: Buffer;
  stderr: string;
}

/**
 * Environment for every git we run: never prompt, never take optional locks
 * (so even a read never rewrites the user's index), stable English messages.
 */
function gitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C', LANG: 'C' };
}

/**
 * Run `git -C <dir> <args...>` without a shell. Arguments are passed as an
 * array, so nothing in them is ever interpreted by a shell. Never throws for
 * a non-zero exit (the caller decides); throws a UserError when git itself
 * cannot be started.
 */
export function runGit(dir: string, args: string[], opts: { input?: Buffer | string } = {}): GitResult {
  const r = spawnSync('git', ['-C', dir, ...args], {
    input: opts.input,
    env: gitEnv(),
    maxBuffer: 1024 * 1024 * 1024,
    windowsHide: true,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new UserError('git is not installed or not on PATH', {
        hint: 'install git; policydrift reads commits with it',
      });
    throw new UserError(`cannot run git: ${r.error.message}`);
  }
  return {
    status: r.status ?? 128,
    stdout: r.stdout ?? Buffer.alloc(0),
    stderr: (r.stderr ?? Buffer.alloc(0)).toString('utf8'),
  };
}

function firstLine(s: string): string {
  return (
    s
      .trim()
      .split('\n')[0]
      ?.replace(/^(fatal|error): /, '') ?? ''
  );
}

const SAFE_REV = /^[A-Za-z0-9._/~^@{}:+-]+$/;

/**
 * Reject a revision before git sees it: a leading `-` would be read as an
 * option (`--output=x`), and range syntax or unusual characters have no place
 * in a single commit reference.
 */
export function assertSafeRev(rev: string): void {
  if (typeof rev !== 'string' || rev.length === 0) {
    throw new UserError('empty git revision', { hint: 'pass a branch, tag or commit sha' });
  }
  if (rev.startsWith('-')) {
    throw new UserError(`unsafe git revision "${rev}": it must not start with "-"`, {
      hint: 'pass a branch, tag or commit sha',
    });
  }
  if (!SAFE_REV.test(rev) || rev.includes('..')) {
    throw new UserError(
      `unsafe git revision "${rev}": only letters, digits and . _ / ~ ^ @ { } : + - are allowed, and no ".."`,
      {
        hint: 'pass a single branch, tag or commit sha (not a range)',
      },
    );
  }
}

function checkDir(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new UserError(`${dir}: no such directory`, { hint: 'check the path given for the repository' });
  }
  if (!st.isDirectory()) throw new UserError(`${dir}: not a directory`);
}

function notARepo(dir: string): UserError {
  return new UserError(`${dir}: not a git repository`, {
    hint: 'run policydrift inside a git checkout (or pass --root DIR inside one)',
  });
}

/** The top-level directory of the work tree containing `dir` (a real, absolute path). */
export function repoRoot(dir: string): string {
  checkDir(dir);
  const r = runGit(dir, ['rev-parse', '--show-toplevel']);
  if (r.status !== 0) {
    if (/not a git repository/i.test(r.stderr)) throw notARepo(dir);
    throw new UserError(`${dir}: cannot find the git work tree: ${firstLine(r.stderr)}`, {
      hint: 'policydrift needs a non-bare git checkout',
    });
  }
  const top = r.stdout.toString('utf8').trim();
  if (!top)
    throw new UserError(`${dir}: not inside a git work tree`, { hint: 'policydrift needs a non-bare git checkout' });
  return fs.realpathSync(path.resolve(top));
}

/** The position of `dir` within its repository, POSIX, '' at the top. */
export function repoPrefix(dir: string): string {
  checkDir(dir);
  const r = runGit(dir, ['rev-parse', '--show-prefix']);
  if (r.status !== 0) {
    if (/not a git repository/i.test(r.stderr)) throw notARepo(dir);
    throw new UserError(`${dir}: ${firstLine(r.stderr)}`);
  }
  return r.stdout.toString('utf8').trim().replace(/\/+$/, '');
}

export function isShallow(repo: string): boolean {
  const r = runGit(repo, ['rev-parse', '--is-shallow-repository']);
  return r.status === 0 && r.stdout.toString('utf8').trim() === 'true';
}

/** Resolve `rev` to the full sha of a commit; unknown or missing commits are UserErrors. */
export function resolveCommit(repo: string, rev: string): string {
  assertSafeRev(rev);
  checkDir(repo);
  const r = runGit(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
  if (r.status === 0) {
    const sha = r.stdout.toString('utf8').trim();
    if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) return sha;
  }
  if (/not a git repository/i.test(r.stderr)) throw notARepo(repo);
  // rev-parse --quiet hides why; check that this is a repository at all.
  repoRoot(repo);
  if (isShallow(repo)) {
    throw new UserError(`unknown revision ${rev}: it is not present in this shallow clone`, { hint: SHALLOW_HINT });
  }
  throw new UserError(`unknown revision ${rev}`, {
    hint: 'check the branch, tag or sha (and that it has been fetched: `git fetch origin <ref>`)',
  });
}

/** Whether the commit object `sha` exists locally (no UserError for a missing one). */
export function commitExists(repo: string, sha: string): boolean {
  assertSafeRev(sha);
  return runGit(repo, ['cat-file', '-e', '--end-of-options', `${sha}^{commit}`]).status === 0;
}

/** The best common ancestor of two revisions. */
export function mergeBase(repo: string, a: string, b: string): string {
  const ca = resolveCommit(repo, a);
  const cb = resolveCommit(repo, b);
  const r = runGit(repo, ['merge-base', '--end-of-options', ca, cb]);
  if (r.status === 0) return r.stdout.toString('utf8').trim().split('\n')[0]!;
  if (r.status === 1) {
    if (isShallow(repo)) {
      throw new UserError(`no merge base of ${a} and ${b} in this shallow clone`, { hint: SHALLOW_HINT });
    }
    throw new UserError(`${a} and ${b} have no common ancestor`, {
      hint: 'compare against a revision that shares history with this branch',
    });
  }
  throw new UserError(`git merge-base ${a} ${b} failed: ${firstLine(r.stderr)}`);
}

/** Whether `ancestor` is an ancestor of (or equal to) `descendant`. */
export function isAncestor(repo: string, ancestor: string, descendant: string): boolean {
  const ca = resolveCommit(repo, ancestor);
  const cd = resolveCommit(repo, descendant);
  const r = runGit(repo, ['merge-base', '--is-ancestor', '--end-of-options', ca, cd]);
  if (r.status === 0) return true;
  if (r.status === 1) return false;
  throw new UserError(`git merge-base --is-ancestor ${ancestor} ${descendant} failed: ${firstLine(r.stderr)}`);
}
