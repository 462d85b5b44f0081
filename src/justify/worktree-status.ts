/**
 * What the working tree holds that the committed candidate does not. `check`
 * and `justify` read commits, so an uncommitted edit is invisible to them:
 * these helpers let the CLI say so instead of silently judging HEAD.
 */
import { repoPrefix, runGit } from '../git/run.js';

export interface UncommittedFile {
  /** POSIX, relative to the project root. */
  path: string;
  /** true when git does not track it at all. */
  untracked: boolean;
}

/** Uncommitted (staged, unstaged or untracked) files under the project root; [] outside a repository. */
export function uncommittedFiles(root: string): UncommittedFile[] {
  let prefix: string;
  try {
    prefix = repoPrefix(root);
  } catch {
    return [];
  }
  const r = runGit(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', '.']);
  if (r.status !== 0) return [];
  const out: UncommittedFile[] = [];
  const fields = r.stdout.toString('utf8').split('\0');
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.length < 4) continue;
    const code = f.slice(0, 2);
    const full = f.slice(3);
    if (code[0] === 'R' || code[0] === 'C') i++; // the source path of a rename follows
    const rel = prefix ? (full.startsWith(`${prefix}/`) ? full.slice(prefix.length + 1) : null) : full;
    if (rel !== null) out.push({ path: rel, untracked: code === '??' });
  }
  return out;
}

const SOURCE = /\.(ts|tsx|mts|cts)$/;

/** The uncommitted files that change what `justify` would declare: sources, config, tsconfig, manifest, signers. */
export function relevantForJustify(files: UncommittedFile[], governing: string[]): UncommittedFile[] {
  const named = new Set(governing.map((g) => g.replace(/^\.\//, '')));
  return files.filter(
    (f) =>
      !f.path.startsWith('openspec/') &&
      !f.path.startsWith('node_modules/') &&
      (SOURCE.test(f.path) || named.has(f.path) || /(^|\/)tsconfig[^/]*\.json$/.test(f.path)),
  );
}

/** Change sets (openspec/changes/<id>, not archive/) with uncommitted files: id -> whether the whole set is untracked. */
export function uncommittedChangeSets(files: UncommittedFile[]): Map<string, { untracked: boolean }> {
  const out = new Map<string, { untracked: boolean }>();
  for (const f of files) {
    const m = /^openspec\/changes\/([^/]+)\/./.exec(f.path);
    if (!m || m[1] === 'archive') continue;
    const prev = out.get(m[1]!);
    out.set(m[1]!, { untracked: (prev?.untracked ?? true) && f.untracked });
  }
  return out;
}
