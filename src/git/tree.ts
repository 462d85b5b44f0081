import * as path from 'node:path';
import { UserError } from '../errors.js';
import { repoRoot, resolveCommit, runGit } from './run.js';

/** One entry of a commit's tree (files and symlinks; submodules are listed with type "commit"). */
export interface TreeEntry {
  mode: string;
  type: 'blob' | 'commit';
  oid: string;
}

/**
 * The files of one commit, read straight from the object database: no
 * checkout, no worktree, nothing written to the index or the working tree.
 */
export interface GitTree {
  /** Full sha of the commit. */
  commit: string;
  /** Real absolute path of the repository's top level. */
  repoRoot: string;
  /** Every blob/submodule of the commit by POSIX path relative to the repository root. */
  entries: Map<string, TreeEntry>;
  /** Contents read up front (source, declaration and JSON files), by relative path. */
  files: Map<string, Buffer>;
  /** Contents of a regular file (a symlink gives its target text), or null when the commit has no such file. */
  readFile(rel: string): Buffer | null;
}

/** Files read eagerly: what a TypeScript program, its tsconfig and its package.json files can need. */
const EAGER = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|json)$/;

export interface ReadGitTreeOptions {
  /** Only read contents under this repository-relative directory up front (everything stays readable lazily). */
  subdir?: string;
}

/** List the tree of `rev` (resolved to a commit) and read its source files with one `git cat-file --batch`. */
export function readGitTree(repoDir: string, rev: string, opts: ReadGitTreeOptions = {}): GitTree {
  const top = repoRoot(repoDir);
  const commit = resolveCommit(top, rev);
  const entries = listTree(top, commit);

  return treeFromEntries(top, commit, entries, opts.subdir);
}

/**
 * A GitTree over a listing (of a commit or of the index): source files under
 * `subdir` are read up front with one `git cat-file --batch`, the rest lazily.
 */
export function treeFromEntries(
  top: string,
  commit: string,
  entries: Map<string, TreeEntry>,
  subdir?: string,
): GitTree {
  const sub = normalizeSubdir(subdir);
  const wanted: string[] = [];
  for (const [rel, e] of entries) {
    if (e.type !== 'blob' || e.mode === '120000') continue;
    if (sub && !(rel === sub || rel.startsWith(sub + '/'))) continue;
    if (EAGER.test(rel)) wanted.push(rel);
  }
  const files = new Map<string, Buffer>();
  const blobs = catFileBatch(
    top,
    wanted.map((rel) => entries.get(rel)!.oid),
  );
  wanted.forEach((rel, i) => files.set(rel, blobs[i]!));

  const readFile = (rel: string): Buffer | null => {
    const key = rel.replace(/^\.\//, '');
    const cached = files.get(key);
    if (cached) return cached;
    const e = entries.get(key);
    if (!e || e.type !== 'blob') return null;
    const [buf] = catFileBatch(top, [e.oid]);
    files.set(key, buf!);
    return buf!;
  };
  return { commit, repoRoot: top, entries, files, readFile };
}

function normalizeSubdir(subdir: string | undefined): string {
  if (!subdir) return '';
  const n = path.posix
    .normalize(subdir.split(path.sep).join('/'))
    .replace(/^\.\/?/, '')
    .replace(/\/+$/, '');
  if (n === '.' || n === '') return '';
  if (n.startsWith('../') || n === '..' || path.posix.isAbsolute(n)) {
    throw new UserError(`${subdir}: not a directory inside the repository`);
  }
  return n;
}

/** `git ls-tree -r -z --full-tree <commit>`: every blob and submodule with its mode and object id. */
export function listTree(repo: string, commit: string): Map<string, TreeEntry> {
  const r = runGit(repo, ['ls-tree', '-r', '-z', '--full-tree', '--end-of-options', commit]);
  if (r.status !== 0)
    throw new UserError(`cannot list the files of commit ${commit}: ${r.stderr.trim().split('\n')[0]}`);
  const out = new Map<string, TreeEntry>();
  for (const rec of r.stdout.toString('utf8').split('\0')) {
    if (!rec) continue;
    // "<mode> SP <type> SP <object> TAB <path>"
    const tab = rec.indexOf('\t');
    const [mode, type, oid] = rec.slice(0, tab).split(' ') as [string, string, string];
    if (type !== 'blob' && type !== 'commit') continue;
    out.set(rec.slice(tab + 1), { mode, type, oid });
  }
  return out;
}

/**
 * Read many blobs with one `git cat-file --batch` run (object ids on stdin).
 * Output per object: "<oid> <type> <size>\n<content>\n".
 */
export function catFileBatch(repo: string, oids: string[]): Buffer[] {
  if (oids.length === 0) return [];
  const r = runGit(repo, ['cat-file', '--batch'], { input: oids.join('\n') + '\n' });
  if (r.status !== 0) throw new UserError(`git cat-file failed: ${r.stderr.trim().split('\n')[0]}`);
  const out: Buffer[] = [];
  const buf = r.stdout;
  let pos = 0;
  for (const oid of oids) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) throw new Error(`git cat-file --batch: truncated output at ${oid}`);
    const header = buf.subarray(pos, nl).toString('utf8');
    const parts = header.split(' ');
    if (parts[1] === 'missing' || parts.length !== 3) {
      throw new UserError(`object ${oid} is missing from the repository`, {
        hint: 'the clone may be partial or shallow: run `git fetch --unshallow` (or set `fetch-depth: 0`)',
      });
    }
    const size = Number(parts[2]);
    const start = nl + 1;
    out.push(Buffer.from(buf.subarray(start, start + size)));
    pos = start + size + 1;
  }
  return out;
}
