import * as path from 'node:path';
import { UserError } from '../errors.js';
import { repoRoot, resolveCommit, runGit } from './run.js';

/** A repository-relative POSIX path that stays inside the repository. */
export function repoRel(p: string, what: string): string {
  const n = path.posix
    .normalize(p.split(path.sep).join('/'))
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
  if (n === '.' || n === '') return '';
  if (n === '..' || n.startsWith('../') || path.posix.isAbsolute(n) || n.includes('\n')) {
    throw new UserError(`${what} "${p}" must be a relative path inside the repository`);
  }
  return n;
}

/**
 * The text of `relPath` (relative to the repository root; in-tree symlinks
 * followed) at `rev`, or null when the commit has no such file.
 */
export function readFileAtRef(repoDir: string, rev: string, relPath: string): string | null {
  const top = repoRoot(repoDir);
  const commit = resolveCommit(top, rev);
  const rel = repoRel(relPath, 'path');
  if (rel === '') return null;
  // `<commit>:<path>` is a literal path (no pathspec globbing).
  const r = runGit(top, ['cat-file', '--batch', '--follow-symlinks'], { input: `${commit}:${rel}\n` });
  if (r.status !== 0) throw new UserError(`git cat-file failed: ${r.stderr.trim().split('\n')[0]}`);
  const nl = r.stdout.indexOf(0x0a);
  if (nl < 0) return null;
  const header = r.stdout.subarray(0, nl).toString('utf8').split(' ');
  if (header.length !== 3 || !/^[0-9a-f]{40,64}$/.test(header[0]!) || header[1] !== 'blob') return null;
  const size = Number(header[2]);
  return r.stdout.subarray(nl + 1, nl + 1 + size).toString('utf8');
}
