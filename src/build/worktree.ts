import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { runGit, resolveCommit } from '../git/run.js';
import { readFileAtRef } from '../git/files.js';

export { resolveCommit };

/**
 * Isolated checkouts of a candidate commit for release builds. The user's
 * working tree is never built and never touched: every build runs in a fresh
 * detached `git worktree` under the system temp dir, removed afterwards even
 * when the build fails. git is always run with an argument array, never a
 * shell.
 */

export interface GitOut {
  status: number;
  stdout: string;
  stderr: string;
}

/** git through the project's one runner (argument arrays, no prompts, no optional locks), stdout as text. */
export function git(dir: string, args: string[]): GitOut {
  const r = runGit(dir, args);
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
}

function gitOk(dir: string, args: string[], what: string): string {
  const r = git(dir, args);
  if (r.status !== 0) {
    const first =
      r.stderr
        .trim()
        .split('\n')[0]
        ?.replace(/^(fatal|error): /, '') ?? '';
    throw new UserError(`${what}: git ${args[0]} failed: ${first}`);
  }
  return r.stdout;
}

export interface RepoInfo {
  /** Absolute path of the repository's top level (of the user's working tree). */
  toplevel: string;
  /** POSIX path of the project root inside the repository ('' when the root is the top level). */
  prefix: string;
}

export function repoInfo(projectDir: string): RepoInfo {
  const r = git(projectDir, ['rev-parse', '--show-toplevel', '--show-prefix']);
  if (r.status !== 0) {
    throw new UserError(`${projectDir}: not inside a git work tree`, {
      hint: 'verify-build checks out a commit; run it in a git repository (or pass --root)',
    });
  }
  const [toplevel = '', prefix = ''] = r.stdout.split('\n');
  return { toplevel: path.resolve(toplevel.trim()), prefix: prefix.trim().replace(/\/$/, '') };
}

/** Committer time of `commit` in seconds since the epoch (the SOURCE_DATE_EPOCH of the build). */
export function commitTime(repoDir: string, commit: string): number {
  const out = gitOk(repoDir, ['show', '-s', '--format=%ct', commit], `commit ${commit.slice(0, 12)}`).trim();
  const n = Number(out);
  if (!Number.isInteger(n)) throw new UserError(`commit ${commit.slice(0, 12)}: cannot read its commit time`);
  return n;
}

/** Read one file as committed; null when the commit has no such file. */
export function fileAtCommit(repoDir: string, commit: string, repoRelPath: string): string | null {
  return readFileAtRef(repoDir, commit, repoRelPath);
}

/**
 * Whether the user's working tree has uncommitted changes or untracked files.
 * Reported only: the build never uses the working tree.
 */
export function isDirty(repoDir: string): boolean {
  const r = git(repoDir, ['status', '--porcelain', '--untracked-files=normal']);
  if (r.status !== 0) return true;
  return r.stdout.trim().length > 0;
}

/** Removers of the worktrees that exist right now (for cleanup on SIGINT/SIGTERM). */
const live = new Set<() => void>();

/** Remove every worktree this process still holds; for signal handlers. Never throws. */
export function removeAllWorktrees(): void {
  for (const rm of [...live]) {
    try {
      rm();
    } catch {
      // best effort while exiting
    }
  }
}

export interface Worktree {
  /** Absolute path of the checkout (the repository's top level at `commit`). */
  dir: string;
  commit: string;
  /** Symlinks placed into the checkout (node_modules); unlinked first on removal so nothing recurses into the user's tree. */
  symlinks: string[];
  /** Remove the worktree and its temp dir; safe to call more than once. */
  remove(): void;
}

/**
 * `git worktree add --detach <tmp> <commit>` with hooks disabled (a
 * post-checkout hook of the user's repository must not run during a release
 * check). The caller must call `remove()`; prefer `withWorktree`.
 */
export function addWorktree(repoDir: string, commit: string): Worktree {
  const parent = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'policydrift-build-'));
  const dir = path.join(parent, 'wt');
  const noHooks = path.join(parent, 'no-hooks');
  fs.mkdirSync(noHooks);
  const symlinks: string[] = [];
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    live.delete(remove);
    for (const l of symlinks) fs.rmSync(l, { force: true });
    const removedByGit = git(repoDir, ['worktree', 'remove', '--force', dir]).status === 0;
    fs.rmSync(parent, { recursive: true, force: true });
    // Prune only when our own entry survived: a blanket prune would also drop
    // the user's entries for worktrees on unmounted media.
    if (!removedByGit || git(repoDir, ['worktree', 'list', '--porcelain']).stdout.includes(dir))
      git(repoDir, ['worktree', 'prune']);
  };
  live.add(remove);
  const r = git(repoDir, ['-c', `core.hooksPath=${noHooks}`, 'worktree', 'add', '--detach', dir, commit]);
  if (r.status !== 0) {
    remove();
    const first =
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => !/^Preparing worktree/.test(l))[0] ?? '';
    throw new UserError(
      `cannot check out ${commit.slice(0, 12)} into a temporary worktree: ${first.replace(/^(fatal|error): /, '')}`,
    );
  }
  return { dir, commit, symlinks, remove };
}

/** Run `fn` in a fresh worktree of `commit`; the worktree is removed afterwards, also when `fn` throws. */
export async function withWorktree<T>(repoDir: string, commit: string, fn: (wt: Worktree) => Promise<T>): Promise<T> {
  const wt = addWorktree(repoDir, commit);
  try {
    return await fn(wt);
  } finally {
    wt.remove();
  }
}
