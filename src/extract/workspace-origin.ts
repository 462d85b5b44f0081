/**
 * Workspace code versus library code.
 *
 * npm, yarn and pnpm workspaces link each package into node_modules
 * (`node_modules/@acme/types -> ../../packages/types`). TypeScript finds such
 * a package through a node_modules search, so `isSourceFileFromExternalLibrary`
 * is true for it, but (without `preserveSymlinks`) it names the file by its
 * real path, which lies outside any node_modules folder. Such a file is
 * workspace code: its types are expanded structurally like the project's own
 * (a union declared in a shared `types` package is a union of variants, not
 * an opaque library name). Packages mapped with tsconfig `paths` or project
 * references are not found through node_modules at all and were project code
 * already.
 */
import * as path from 'node:path';
import type { Project, SourceFile } from 'ts-morph';
import { ts } from 'ts-morph';
import { libraryFiles } from './library.js';
import { outsideLocation, packageLocation } from '../manifest/keys.js';

const NODE_MODULES = /(^|\/)node_modules\//;

/** A file found through node_modules whose real path is outside every node_modules folder: a linked workspace package. */
export function isLinkedWorkspaceFile(program: ts.Program, sf: ts.SourceFile): boolean {
  return program.isSourceFileFromExternalLibrary(sf) && !NODE_MODULES.test(sf.fileName);
}

/**
 * The source files (not declaration files) of the program that lie outside
 * the package root and are not library files: the other workspace packages
 * this package imports, as the tsconfig resolves them. Extractors read
 * declarations there (a `@keySink` in the crypto package called from the
 * server) but record sites only in the package's own files.
 */
export function workspaceSourceFiles(project: Project, root: string): SourceFile[] {
  const program = project.getProgram().compilerObject;
  const posixRoot = root.split(path.sep).join('/');
  const out: Array<{ rel: string; sf: SourceFile }> = [];
  for (const sf of project.getSourceFiles()) {
    const file = sf.getFilePath();
    const rel = path.posix.relative(posixRoot, file);
    if (!rel.startsWith('../') || sf.isDeclarationFile()) continue;
    const c = sf.compilerNode;
    if (program.isSourceFileDefaultLibrary(c)) continue;
    if (libraryFiles(program).has(c) && !isLinkedWorkspaceFile(program, c)) continue;
    out.push({ rel, sf });
  }
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0)).map((x) => x.sf);
}

/**
 * Locations of declarations outside the package root (another workspace
 * package) as `<package name>:<path inside that package>`, e.g.
 * `@acme/types:src/le.ts`: deterministic, free of `../` and of the folder
 * layout, so a package checked out anywhere names the same place. The
 * package is the nearest folder with a package.json (read through the
 * project's file system, so a git tree answers for a commit); without one,
 * `(outside):<file name>`.
 */
export function packageRelative(
  project: Project,
  rel: (n: import('ts-morph').Node | SourceFile) => string,
): (n: import('ts-morph').Node | SourceFile) => string {
  const fsys = project.getFileSystem();
  const names = new Map<string, string | null>();
  const nameOf = (dir: string): string | null => {
    let v = names.get(dir);
    if (v !== undefined) return v;
    v = null;
    const pj = path.posix.join(dir, 'package.json');
    if (fsys.fileExistsSync(pj)) {
      try {
        const name = (JSON.parse(fsys.readFileSync(pj, 'utf-8')) as { name?: unknown }).name;
        v = typeof name === 'string' && name ? name : path.posix.basename(dir);
      } catch {
        v = path.posix.basename(dir);
      }
    }
    names.set(dir, v);
    return v;
  };
  return (n) => {
    const r = rel(n);
    if (!r.startsWith('../')) return r;
    const file = (
      'getFilePath' in n && typeof n.getFilePath === 'function' ? n : n.getSourceFile()
    ).getFilePath() as string;
    let dir = path.posix.dirname(file);
    for (;;) {
      const name = nameOf(dir);
      if (name !== null) return packageLocation(name, path.posix.relative(dir, file));
      const up = path.posix.dirname(dir);
      if (up === dir) return outsideLocation(path.posix.basename(file));
      dir = up;
    }
  };
}
