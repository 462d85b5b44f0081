import * as fs from 'node:fs';
import * as path from 'node:path';
import { minimatch } from 'minimatch';
import type { FileSystemHost, RuntimeDirEntry } from 'ts-morph';
import type { GitTree } from './tree.js';

/** Where a path is served from. */
type Resolved =
  | { kind: 'file'; rel: string }
  | { kind: 'dir'; rel: string }
  | { kind: 'real'; abs: string }
  | { kind: 'ancestor'; abs: string };

const MAX_LINKS = 40;

function notFound(p: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, '${p}'`), { code: 'ENOENT', path: p });
}

function readOnly(p: string): Error {
  return new Error(`policydrift reads a git commit read-only; refusing to write ${p}`);
}

function toPosix(p: string): string {
  return p.replace(/\\/g, '/');
}

/**
 * A ts-morph FileSystemHost over one commit. The commit's files appear under
 * `tree.repoRoot` (the repository's real absolute path), so module resolution
 * walks up to the real `node_modules` exactly as in a checkout. Every path with
 * a `node_modules` segment is served read-only from the real file system (type
 * packages are not in git), unless the commit holds that `node_modules` folder
 * (committed code is the commit's); everything else comes from the commit only.
 * Writes throw.
 */
export class GitTreeFileSystemHost implements FileSystemHost {
  readonly root: string;
  readonly #tree: GitTree;
  readonly #cwd: string;
  /** Directory (relative, '' = root) -> child name -> is directory (symlinks resolved lazily). */
  readonly #children = new Map<string, Map<string, 'file' | 'dir' | 'link'>>();

  constructor(tree: GitTree, opts: { cwd?: string } = {}) {
    this.#tree = tree;
    this.root = toPosix(tree.repoRoot).replace(/\/+$/, '') || '/';
    this.#cwd = opts.cwd ? toPosix(opts.cwd) : this.root;
    this.#children.set('', new Map());
    for (const [rel, e] of tree.entries) {
      const parts = rel.split('/');
      let dir = '';
      for (let i = 0; i < parts.length; i++) {
        const name = parts[i]!;
        const last = i === parts.length - 1;
        const kids = this.#children.get(dir)!;
        if (last) {
          // A submodule is an empty directory in a plain checkout.
          kids.set(name, e.type === 'commit' ? 'dir' : e.mode === '120000' ? 'link' : 'file');
          if (e.type === 'commit') this.#ensureDir(dir ? `${dir}/${name}` : name);
        } else {
          const child = dir ? `${dir}/${name}` : name;
          if (kids.get(name) !== 'dir') kids.set(name, 'dir');
          this.#ensureDir(child);
          dir = child;
        }
      }
    }
  }

  #ensureDir(rel: string): void {
    if (!this.#children.has(rel)) this.#children.set(rel, new Map());
  }

  #abs(p: string): string {
    const s = toPosix(p);
    return path.posix.resolve(this.#cwd, s);
  }

  /**
   * Is the first `node_modules` folder on `rel` part of the commit? Code
   * committed under a `node_modules` folder is project code: it is served
   * from the commit (all of that folder), never from the working tree.
   */
  #committedNodeModules(rel: string): boolean {
    const parts = rel.split('/');
    return this.#children.has(parts.slice(0, parts.indexOf('node_modules') + 1).join('/'));
  }

  #relOf(abs: string): string | null {
    if (abs === this.root) return '';
    const prefix = this.root === '/' ? '/' : this.root + '/';
    return abs.startsWith(prefix) ? abs.slice(prefix.length) : null;
  }

  /** Resolve an absolute path (following symlinks committed in the tree) to its source. */
  #resolve(input: string): Resolved | null {
    let abs = this.#abs(input);
    for (let hops = 0; hops <= MAX_LINKS; hops++) {
      const rel = this.#relOf(abs);
      if (rel === null) {
        const prefix = abs === '/' ? '/' : abs + '/';
        if (this.root.startsWith(prefix)) return { kind: 'ancestor', abs };
        return abs.split('/').includes('node_modules') ? { kind: 'real', abs } : null;
      }
      if (rel === '') return { kind: 'dir', rel };
      if (rel.split('/').includes('node_modules') && !this.#committedNodeModules(rel)) return { kind: 'real', abs };
      const parts = rel.split('/');
      let dir = '';
      let relinked: string | null = null;
      for (let i = 0; i < parts.length; i++) {
        const kind = this.#children.get(dir)?.get(parts[i]!);
        if (!kind) return null;
        const cur = dir ? `${dir}/${parts[i]}` : parts[i]!;
        if (kind === 'link') {
          const target = this.#tree.readFile(cur)?.toString('utf8') ?? '';
          const base = path.posix.join(this.root, dir);
          const rest = parts.slice(i + 1).join('/');
          relinked = path.posix.resolve(base, target, rest);
          break;
        }
        if (i === parts.length - 1) return kind === 'dir' ? { kind: 'dir', rel: cur } : { kind: 'file', rel: cur };
        if (kind !== 'dir') return null;
        dir = cur;
      }
      if (relinked === null) return null;
      abs = relinked;
    }
    return null;
  }

  isCaseSensitive(): boolean {
    return true;
  }

  delete(p: string): Promise<void> {
    return Promise.reject(readOnly(p));
  }
  deleteSync(p: string): void {
    throw readOnly(p);
  }

  readDirSync(dirPath: string): RuntimeDirEntry[] {
    const shown = this.#abs(dirPath);
    const r = this.#resolve(dirPath);
    if (!r) throw notFound(shown);
    if (r.kind === 'file') throw Object.assign(new Error(`ENOTDIR: not a directory, '${shown}'`), { code: 'ENOTDIR' });
    if (r.kind === 'real') return realReadDir(r.abs, shown);
    const out: RuntimeDirEntry[] = [];
    if (r.kind === 'ancestor') {
      const below = this.root.slice(r.abs === '/' ? 1 : r.abs.length + 1).split('/')[0]!;
      out.push({ name: path.posix.join(shown, below), isFile: false, isDirectory: true, isSymlink: false });
    } else {
      for (const [name, kind] of [...this.#children.get(r.rel)!].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        // Listed below: the installed (real) one unless the commit holds this node_modules folder.
        if (name === 'node_modules' && !this.#children.has(r.rel ? `${r.rel}/${name}` : name)) continue;
        const full = path.posix.join(shown, name);
        if (kind === 'link') {
          const t = this.#resolve(full);
          const isDir = t?.kind === 'dir' || t?.kind === 'ancestor' || (t?.kind === 'real' && realIsDir(t.abs));
          const isFile = t?.kind === 'file' || (t?.kind === 'real' && realIsFile(t.abs));
          out.push({ name: full, isFile, isDirectory: isDir, isSymlink: true });
        } else {
          out.push({ name: full, isFile: kind === 'file', isDirectory: kind === 'dir', isSymlink: false });
        }
      }
    }
    const nm = path.posix.join(shown, 'node_modules');
    if (!out.some((e) => e.name === nm) && realIsDir(nm))
      out.push({ name: nm, isFile: false, isDirectory: true, isSymlink: false });
    return out;
  }

  readFile(filePath: string, encoding = 'utf-8'): Promise<string> {
    try {
      return Promise.resolve(this.readFileSync(filePath, encoding));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  readFileSync(filePath: string, encoding = 'utf-8'): string {
    const r = this.#resolve(filePath);
    if (r?.kind === 'real') {
      try {
        return fs.readFileSync(r.abs, encoding as BufferEncoding);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR')
          throw notFound(this.#abs(filePath));
        throw e;
      }
    }
    if (r?.kind !== 'file') throw notFound(this.#abs(filePath));
    const buf = this.#tree.readFile(r.rel);
    if (!buf) throw notFound(this.#abs(filePath));
    return buf.toString(encoding as BufferEncoding);
  }

  /** Raw bytes of a file (for callers that need exact content). */
  readBytes(filePath: string): Buffer | null {
    const r = this.#resolve(filePath);
    if (r?.kind === 'real') return realIsFile(r.abs) ? fs.readFileSync(r.abs) : null;
    return r?.kind === 'file' ? this.#tree.readFile(r.rel) : null;
  }

  writeFile(filePath: string): Promise<void> {
    return Promise.reject(readOnly(filePath));
  }
  writeFileSync(filePath: string): void {
    throw readOnly(filePath);
  }
  mkdir(dirPath: string): Promise<void> {
    return Promise.reject(readOnly(dirPath));
  }
  mkdirSync(dirPath: string): void {
    throw readOnly(dirPath);
  }
  move(srcPath: string): Promise<void> {
    return Promise.reject(readOnly(srcPath));
  }
  moveSync(srcPath: string): void {
    throw readOnly(srcPath);
  }
  copy(_srcPath: string, destPath: string): Promise<void> {
    return Promise.reject(readOnly(destPath));
  }
  copySync(_srcPath: string, destPath: string): void {
    throw readOnly(destPath);
  }

  fileExists(filePath: string): Promise<boolean> {
    return Promise.resolve(this.fileExistsSync(filePath));
  }
  fileExistsSync(filePath: string): boolean {
    const r = this.#resolve(filePath);
    if (!r) return false;
    if (r.kind === 'real') return realIsFile(r.abs);
    return r.kind === 'file';
  }

  directoryExists(dirPath: string): Promise<boolean> {
    return Promise.resolve(this.directoryExistsSync(dirPath));
  }
  directoryExistsSync(dirPath: string): boolean {
    const r = this.#resolve(dirPath);
    if (!r) return false;
    if (r.kind === 'real') return realIsDir(r.abs);
    return r.kind === 'dir' || r.kind === 'ancestor';
  }

  realpathSync(p: string): string {
    const r = this.#resolve(p);
    if (!r) return this.#abs(p);
    if (r.kind === 'real') {
      try {
        return toPosix(fs.realpathSync(r.abs));
      } catch {
        return r.abs;
      }
    }
    if (r.kind === 'ancestor') return r.abs;
    return r.rel ? `${this.root === '/' ? '' : this.root}/${r.rel}` : this.root;
  }

  getCurrentDirectory(): string {
    return this.#cwd;
  }

  glob(patterns: ReadonlyArray<string>): Promise<string[]> {
    try {
      return Promise.resolve(this.globSync(patterns));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /**
   * Match the commit's files against glob patterns,
   * relative to the current directory; a leading `!` removes matches.
   */
  globSync(patterns: ReadonlyArray<string>): string[] {
    const files: string[] = [];
    for (const [rel, e] of this.#tree.entries) {
      if (e.type !== 'blob') continue;
      const abs = path.posix.join(this.root, rel);
      if (this.fileExistsSync(abs)) files.push(abs);
    }
    files.sort();
    const result = new Set<string>();
    for (const raw of patterns) {
      const p = toPosix(raw);
      const negated = p.startsWith('!') && !p.startsWith('!(');
      const body = negated ? p.slice(1) : p;
      const absPattern = path.posix.isAbsolute(body) ? body : path.posix.join(this.#cwd, body.replace(/^\.\//, ''));
      for (const f of files) {
        if (!minimatch(f, absPattern, { dot: true })) continue;
        if (negated) result.delete(f);
        else result.add(f);
      }
    }
    return [...result];
  }
}

function realIsDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function realIsFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function realReadDir(abs: string, shown: string): RuntimeDirEntry[] {
  let ents: fs.Dirent[];
  try {
    ents = fs.readdirSync(abs, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(shown);
    throw e;
  }
  return ents.map((d) => {
    const name = path.posix.join(shown, d.name);
    const entry: RuntimeDirEntry = {
      name,
      isFile: d.isFile(),
      isDirectory: d.isDirectory(),
      isSymlink: d.isSymbolicLink(),
    };
    if (entry.isSymlink) {
      try {
        const st = fs.statSync(path.join(abs, d.name));
        entry.isFile = st.isFile();
        entry.isDirectory = st.isDirectory();
      } catch {
        // a dangling link: neither file nor directory
      }
    }
    return entry;
  });
}
