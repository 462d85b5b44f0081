/**
 * The STAGED content of a repository (the git index), in the same GitTree
 * shape as a commit's tree, so GitTreeFileSystemHost can serve it to ts-morph.
 * One `git ls-files -s -z` lists it and one `git cat-file --batch` reads the
 * source files: a partially staged file is seen exactly as it will be
 * committed, never as it is in the working tree.
 *
 * Light on purpose (no ts-morph): the pre-commit fast path uses `listIndex`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { UserError } from '../errors.js';
import { repoRoot, runGit } from './run.js';
import { treeFromEntries, type GitTree, type TreeEntry } from './tree.js';

/** GitTree.commit of an index tree: there is no commit yet. */
export const INDEX_COMMIT = 'index';

/**
 * Inside a hook git may export GIT_INDEX_FILE (`.git/index.lock` during a
 * commit), GIT_DIR or GIT_WORK_TREE as paths relative to the hook's working
 * directory. Every git we run is `git -C <dir>`, where a relative path would
 * mean something else: make them absolute (against our cwd) once.
 */
export function absolutizeGitEnv(): void {
  for (const name of ['GIT_INDEX_FILE', 'GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY']) {
    const v = process.env[name];
    if (v && !path.isAbsolute(v)) process.env[name] = path.resolve(v);
  }
}

/** Where a directory sits in its repository. */
export interface RepoLocation {
  /** Real absolute path of the work tree's top level. */
  top: string;
  /** POSIX position of the directory inside it, '' at the top. */
  prefix: string;
}

/** `git rev-parse --show-toplevel --show-prefix` in one process (the fast path counts every spawn). */
export function locateInRepo(dir: string): RepoLocation {
  const r = runGit(dir, ['rev-parse', '--show-toplevel', '--show-prefix']);
  const lines = r.stdout.toString('utf8').split('\n');
  if (r.status !== 0 || !lines[0]) {
    repoRoot(dir); // throws the precise UserError (no such dir, not a repository, bare)
    throw new UserError(`${dir}: cannot find the git work tree`, { hint: 'policydrift needs a non-bare git checkout' });
  }
  return { top: fs.realpathSync(path.resolve(lines[0])), prefix: (lines[1] ?? '').trim().replace(/\/+$/, '') };
}

/**
 * `git ls-files -s -z`: every staged entry by repository-relative POSIX path.
 * An unmerged path (stage 1-3) is a UserError: there is no single staged content.
 */
export function listIndex(top: string): Map<string, TreeEntry> {
  const r = runGit(top, ['ls-files', '-s', '-z', '--full-name']);
  if (r.status !== 0) throw new UserError(`cannot list the staged files: ${r.stderr.trim().split('\n')[0]}`);
  const out = new Map<string, TreeEntry>();
  const unmerged: string[] = [];
  for (const rec of r.stdout.toString('utf8').split('\0')) {
    if (!rec) continue;
    // "<mode> SP <object> SP <stage> TAB <path>"
    const tab = rec.indexOf('\t');
    const [mode, oid, stage] = rec.slice(0, tab).split(' ') as [string, string, string];
    const rel = rec.slice(tab + 1);
    if (stage !== '0') {
      if (!unmerged.includes(rel)) unmerged.push(rel);
      continue;
    }
    out.set(rel, { mode, type: mode === '160000' ? 'commit' : 'blob', oid });
  }
  if (unmerged.length) {
    throw new UserError(
      `the index has unresolved merge conflicts (${unmerged.slice(0, 3).join(', ')}${unmerged.length > 3 ? ', ...' : ''})`,
      {
        hint: 'resolve them and `git add` the files first; a conflicted manifest is best resolved by regenerating it after the rest',
      },
    );
  }
  return out;
}

/** The git object id `content` would get as a blob (SHA-1, or SHA-256 when `like` is a 64-hex id). */
export function blobOid(content: Buffer | string, like = ''): string {
  const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const h = crypto.createHash(like.length === 64 ? 'sha256' : 'sha1');
  h.update(`blob ${buf.length}\0`);
  h.update(buf);
  return h.digest('hex');
}

export interface ReadIndexTreeOptions {
  /** Only read contents under this repository-relative directory up front (everything stays readable lazily). */
  subdir?: string;
  /** A listing already made by `listIndex` (saves a spawn). */
  entries?: Map<string, TreeEntry>;
}

/** The staged tree: the index listing plus the source files read with one `git cat-file --batch`. */
export function readIndexTree(repoDir: string, opts: ReadIndexTreeOptions = {}): GitTree {
  const top = opts.entries ? repoDir : repoRoot(repoDir);
  const entries = opts.entries ?? listIndex(top);
  return treeFromEntries(top, INDEX_COMMIT, entries, opts.subdir);
}
