import * as path from 'node:path';
import { ts } from 'ts-morph';
import { moduleAugmentationsOf, moduleSpecifiersOf, resolvedModuleLookup } from './ts-internals.js';

/**
 * Library files: what the analysis leaves out because it is not the
 * project's code, decided by how the program was built, never by a path
 * pattern.
 *
 * A library file is one TypeScript loaded as an external library (resolved
 * through a `node_modules` lookup) that is not a root file of the tsconfig
 * (`files`/`include`), is not imported by project code through a relative
 * path (`./node_modules/x.js` names a file of the source tree), and does not
 * itself reach project code through an import, an augmentation or a
 * `/// <reference path>` (an installed package cannot know the project that
 * installs it; code that calls into the project is project code, wherever it
 * was committed). These rules are applied until nothing changes, so a file
 * that reaches project code through other such files is project code too.
 * Everything else in the program that is not a default library is project
 * code: `src/keys/node_modules/impl.ts` imported by `src/keys/service.ts`
 * is analysed like any other file of the project.
 */
export function libraryFiles(program: ts.Program): ReadonlySet<ts.SourceFile> {
  let known = cache.get(program);
  if (known) return known;
  const roots = new Set<ts.SourceFile>();
  for (const name of program.getRootFileNames()) {
    const sf = program.getSourceFile(name);
    if (sf) roots.add(sf);
  }
  const library = new Set<ts.SourceFile>();
  for (const sf of program.getSourceFiles()) {
    if (program.isSourceFileFromExternalLibrary(sf) && !program.isSourceFileDefaultLibrary(sf) && !roots.has(sf))
      library.add(sf);
  }
  const project = (sf: ts.SourceFile) => !library.has(sf) && !program.isSourceFileDefaultLibrary(sf);
  for (let changed = true; changed;) {
    changed = false;
    for (const sf of program.getSourceFiles()) {
      if (!project(sf)) continue;
      for (const ref of references(program, sf)) {
        if (ref.relative && library.delete(ref.file)) changed = true;
      }
    }
    for (const sf of [...library]) {
      if (references(program, sf).some((ref) => project(ref.file))) {
        library.delete(sf);
        changed = true;
      }
    }
  }
  known = library;
  cache.set(program, known);
  return known;
}

const cache = new WeakMap<ts.Program, ReadonlySet<ts.SourceFile>>();

/**
 * Project code TypeScript did not load: a relative import of a project file
 * that resolves to JavaScript under a `node_modules` folder, which the
 * compiler leaves out (`maxNodeModuleJsDepth`) even with `allowJs`. Such code
 * can call anything unseen, so it is reported (exit 2) rather than skipped.
 * Without `allowJs` no JavaScript is analysed at all (see docs/threat-model.md).
 */
export function unloadedProjectImports(
  program: ts.Program,
): Array<{ from: ts.SourceFile; spec: ts.StringLiteralLike }> {
  if (!program.getCompilerOptions().allowJs) return [];
  const library = libraryFiles(program);
  const lookup = resolvedModuleLookup(program);
  if (!lookup) return [];
  const out: Array<{ from: ts.SourceFile; spec: ts.StringLiteralLike }> = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || library.has(sf) || program.isSourceFileDefaultLibrary(sf)) continue;
    for (const spec of moduleSpecifiersOf(sf) ?? []) {
      if (!isRelativeSpecifier(spec.text)) continue;
      const resolved = lookup(spec, sf)?.resolvedModule;
      if (
        resolved?.isExternalLibraryImport &&
        !program.getSourceFile(resolved.resolvedFileName) &&
        /\.(js|jsx|mjs|cjs)$/i.test(resolved.resolvedFileName)
      )
        out.push({ from: sf, spec });
    }
  }
  return out;
}

interface Reference {
  file: ts.SourceFile;
  /** Written as a path (`./x.js`, `../y`, `/// <reference path>` to code), not as a package name. */
  relative: boolean;
}

/** The program files `sf` names: module specifiers (imports, exports, `import()`, `require`, augmentations) and `/// <reference path>`. */
function references(program: ts.Program, sf: ts.SourceFile): Reference[] {
  const out: Reference[] = [];
  const specs: ts.StringLiteralLike[] = [...(moduleSpecifiersOf(sf) ?? [])];
  for (const a of moduleAugmentationsOf(sf) ?? []) if (ts.isStringLiteral(a)) specs.push(a);
  for (const spec of specs) {
    const file = resolvedFile(program, spec, sf);
    if (file) out.push({ file, relative: isRelativeSpecifier(spec.text) });
  }
  for (const ref of sf.referencedFiles) {
    const file = program.getSourceFile(path.posix.resolve(path.posix.dirname(sf.fileName), ref.fileName));
    // `/// <reference path="../node_modules/x/index.d.ts" />` is an old way to load a library's typings.
    if (file) out.push({ file, relative: !file.isDeclarationFile });
  }
  return out;
}

/** The program file a module specifier resolved to: the program's resolution cache, or the checker where this TypeScript hides it. */
function resolvedFile(program: ts.Program, spec: ts.StringLiteralLike, sf: ts.SourceFile): ts.SourceFile | undefined {
  const lookup = resolvedModuleLookup(program);
  if (lookup) {
    const name = lookup(spec, sf)?.resolvedModule?.resolvedFileName;
    return name === undefined ? undefined : program.getSourceFile(name);
  }
  for (const d of program.getTypeChecker().getSymbolAtLocation(spec)?.declarations ?? [])
    if (ts.isSourceFile(d)) return d;
  return undefined;
}

function isRelativeSpecifier(s: string): boolean {
  return s === '.' || s === '..' || s.startsWith('./') || s.startsWith('../') || s.startsWith('/');
}
