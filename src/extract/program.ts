import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { Node, Project, ts, type FileSystemHost, type SourceFile } from 'ts-morph';
import { minimatch } from 'minimatch';
import type { ResolvedConfig } from '../config/index.js';
import { UserError, locatedError } from '../errors.js';
import type { ExtractContext } from './context.js';
import { JSDOC_NEEDLES } from './prefilter.js';
import { packageRelative, workspaceSourceFiles } from './workspace-origin.js';
import { libraryFiles, unloadedProjectImports } from './library.js';

export interface OpenProjectOptions {
  /** Absolute project root (in `fileSystem` when one is given). */
  root: string;
  config: ResolvedConfig;
  /** A file system to read from instead of the real one (a git tree). */
  fileSystem?: FileSystemHost;
  /** Label for the root in messages (defaults to the root itself). */
  label?: string;
  /** Disable every extraction pre-filter (default: the POLICYDRIFT_NO_PREFILTER=1 environment variable). */
  full?: boolean;
}

/** True when the environment asks for full-program extraction (no pre-filters). */
export function fullFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.POLICYDRIFT_NO_PREFILTER === '1';
}

function posixRel(root: string, file: string): string {
  return path.posix.relative(root.split(path.sep).join('/'), file.split(path.sep).join('/'));
}

/** Open the TypeScript program of a project and build the context extractors share. */
export function openProject(opts: OpenProjectOptions): ExtractContext {
  const { root, config } = opts;
  const fsys = opts.fileSystem;
  const tsconfigPath = path.posix.join(root.split(path.sep).join('/'), config.tsconfig);
  const exists = fsys ? fsys.fileExistsSync(tsconfigPath) : realFileExists(tsconfigPath);
  if (!exists) {
    throw new UserError(`${opts.label ?? root}: no ${config.tsconfig} found`, {
      hint: 'run policydrift from the project root, pass --root DIR, or set "tsconfig" in policydrift.config.json',
    });
  }
  const full = opts.full ?? fullFromEnv();
  let project: Project;
  try {
    // A solution-style tsconfig (`"files": []` + `references`) stands for the projects it references.
    const tsconfigs = programTsconfigs(tsconfigPath, config.tsconfig, fsys);
    project = full ? fullProject(tsconfigs, fsys) : leanProject(tsconfigs, fsys);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(
      `${config.tsconfig}: cannot load the TypeScript project: ${(e as Error).message.split('\n')[0]}`,
      {
        hint: 'check that the tsconfig is valid JSON(C) and that its "extends" targets exist',
      },
    );
  }
  const cfgDiags = project.getProgram().compilerObject.getOptionsDiagnostics();
  const fatal = cfgDiags.find((d) => d.category === ts.DiagnosticCategory.Error && d.code === 5083);
  if (fatal) throw new UserError(`${config.tsconfig}: ${ts.flattenDiagnosticMessageText(fatal.messageText, '\n')}`);

  const rel = (n: Node | SourceFile) => posixRel(root, (Node.isSourceFile(n) ? n : n.getSourceFile()).getFilePath());
  const excluded = (r: string) => config.exclude.some((g) => minimatch(r, g, { dot: true }));
  const sourceFiles = projectSourceFiles(project)
    .filter((sf) => {
      const r = rel(sf);
      return !r.startsWith('../') && !excluded(r);
    })
    .sort((a, b) => (rel(a) < rel(b) ? -1 : rel(a) > rel(b) ? 1 : 0));
  if (sourceFiles.length === 0) {
    throw new UserError(`${opts.label ?? root}: the program of ${config.tsconfig} has no source files`, {
      hint: 'check "include"/"files" in the tsconfig and "exclude" in policydrift.config.json',
    });
  }

  for (const { from, spec } of unloadedProjectImports(project.getProgram().compilerObject)) {
    const r = posixRel(root, from.fileName);
    if (r.startsWith('../') || excluded(r)) continue;
    const { line, character } = from.getLineAndCharacterOfPosition(spec.getStart(from));
    throw locatedError(
      { file: r, line: line + 1, column: character + 1 },
      `${spec.text} is JavaScript under a node_modules folder: TypeScript does not load it, so its code cannot be analysed`,
      'move it out of the node_modules folder, or set "maxNodeModuleJsDepth" in the tsconfig high enough to load it',
    );
  }

  const fail = (node: Node, message: string, hint?: string): never => {
    const sf = node.getSourceFile();
    const { line, column } = sf.getLineAndColumnAtPos(node.getStart());
    throw locatedError({ file: rel(sf), line, column }, message, hint);
  };

  const cache = new Map<string, Set<Node>>();
  const configured = (
    list: 'leHandlers' | 'logSchemas' | 'logSinks' | 'keyGuards' | 'keyConditions' | 'keySinks' | 'entryPoints',
  ): Set<Node> => {
    let set = cache.get(list);
    if (set) return set;
    set = new Set();
    config[list].forEach((ref, i) => {
      set.add(resolveDeclRef(project, root, ref, `${config.source ?? 'config'}: ${list}[${i}] "${ref}"`));
    });
    cache.set(list, set);
    return set;
  };

  // Workspace packages this one imports: declarations are read there, locations named by package (src/extract/workspace-origin.ts).
  const workspaceFiles = workspaceSourceFiles(project, root);
  const ctx: ExtractContext = {
    project,
    checker: project.getTypeChecker(),
    config,
    root,
    sourceFiles,
    workspaceFiles,
    rel: packageRelative(project, rel),
    fail,
    configured,
    full,
  };
  warnMissingTypes(missingTypePackages(ctx), opts.label ?? root);
  return ctx;
}

/**
 * Packages the project imports (non-relative specifiers) whose types the
 * program cannot find: not installed, or without declarations. Their values
 * are `any`, which changes results (escapes, `async`, `any` reasons), so the
 * CLI warns. Node built-ins count as `@types/node`. Sorted, without repeats.
 */
export function missingTypePackages(ctx: ExtractContext): Array<{ name: string; file: string }> {
  const checker = ctx.checker.compilerObject;
  const found = new Map<string, string>();
  const check = (spec: ts.Expression | undefined, sf: SourceFile) => {
    if (!spec || !ts.isStringLiteralLike(spec)) return;
    const m = spec.text;
    if (m.startsWith('.') || m.startsWith('/') || m.startsWith('#')) return;
    if (checker.getSymbolAtLocation(spec)) return;
    const name =
      m.startsWith('node:') || BUILTINS.has(m.split('/')[0]!)
        ? '@types/node'
        : m.startsWith('@')
          ? m.split('/').slice(0, 2).join('/')
          : m.split('/')[0]!;
    if (!found.has(name)) found.set(name, ctx.rel(sf));
  };
  for (const sf of ctx.sourceFiles) {
    for (const s of sf.compilerNode.statements) {
      if (ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) check(s.moduleSpecifier, sf);
      else if (ts.isImportEqualsDeclaration(s) && ts.isExternalModuleReference(s.moduleReference))
        check(s.moduleReference.expression, sf);
    }
  }
  return [...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, file]) => ({ name, file }));
}

const BUILTINS = new Set([
  'assert',
  'async_hooks',
  'buffer',
  'child_process',
  'cluster',
  'console',
  'crypto',
  'dgram',
  'diagnostics_channel',
  'dns',
  'events',
  'fs',
  'http',
  'http2',
  'https',
  'inspector',
  'module',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'querystring',
  'readline',
  'repl',
  'stream',
  'string_decoder',
  'timers',
  'tls',
  'tty',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
]);

/** Warnings already printed in this process (`check` opens several programs of one project). */
const warned = new Set<string>();

/** One warning on stderr naming the packages without types (never in the manifest). */
function warnMissingTypes(missing: Array<{ name: string; file: string }>, label: string): void {
  if (missing.length === 0) return;
  const names = missing.map((m) => m.name);
  const key = names.join('\0');
  if (warned.has(key)) return;
  warned.add(key);
  const shown = names.length > 10 ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more` : names.join(', ');
  process.stderr.write(
    `policydrift: warning: ${label}: no type declarations for ${shown} (${missing[0]!.name} is imported by ${missing[0]!.file}); ` +
      'their values are typed any, which changes the manifest (escapes, async, any reasons)\n' +
      '  hint: install the dependencies (npm ci) and their @types packages before extracting\n',
  );
}

/**
 * The program's code files that are not library files (see libraryFiles):
 * left out by how the program loaded them, never by a path pattern. (ts-morph's
 * own list of project files leaves out everything under `node_modules`.)
 */
function projectSourceFiles(project: Project): SourceFile[] {
  const program = project.getProgram().compilerObject;
  const library = libraryFiles(program);
  const out: SourceFile[] = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || program.isSourceFileDefaultLibrary(sf) || library.has(sf)) continue;
    const wrapped = project.getSourceFile(sf.fileName);
    if (wrapped) out.push(wrapped);
  }
  return out;
}

/**
 * Parsed (and, once a checker has run, bound) source files of the previous
 * and the current lean project, by file name, compiler options and parse
 * mode. `check` and `registry verify` extract several commits in one process:
 * a file whose text is unchanged is reused instead of parsed and bound again,
 * as TypeScript's language service shares files between programs (the binder
 * skips a bound file; per-checker state lives in each checker).
 */
let lastFiles = new Map<string, ts.SourceFile>();

/**
 * The same project as `new Project({ tsConfigFilePath })`, parsed with less
 * work: parent pointers are left to the binder (which sets every one of them,
 * JSDoc included, when the checker is created), JSDoc is parsed only in
 * files whose text mentions a tag or name an extractor reads
 * (JSDOC_NEEDLES) (elsewhere the parser keeps exactly the JSDoc that carries
 * type information: none in TypeScript files, all in JavaScript, as `tsc`
 * itself does), and unchanged files of the previous project are reused.
 * Types are unchanged; test/fastpath.test.js compares the manifests with
 * those of the plain project (`full`).
 */
function leanProject(tsconfigs: readonly string[], fileSystem: FileSystemHost | undefined): Project {
  const project = new Project({ tsConfigFilePath: tsconfigs[0]!, fileSystem, skipAddingFilesFromTsConfig: true });
  const factory = (project as unknown as { _context?: { compilerFactory?: Record<string, unknown> } })._context
    ?.compilerFactory;
  // ts-morph's own parse, minus the parent pass; when its internals differ, its own parse is used.
  if (factory && typeof factory.createCompilerSourceFileFromText === 'function') {
    const options = project.getCompilerOptions();
    const languageVersion = options.target ?? ts.ScriptTarget.Latest;
    const optionsKey = sharedOptionsKey(options);
    const prior = lastFiles;
    const mine = new Map<string, ts.SourceFile>();
    lastFiles = mine;
    factory.createCompilerSourceFileFromText = (
      filePath: string,
      text: string,
      scriptKind: ts.ScriptKind | undefined,
    ) => {
      const jsDocParsingMode = JSDOC_NEEDLES.some((n) => text.includes(n))
        ? ts.JSDocParsingMode.ParseAll
        : ts.JSDocParsingMode.ParseForTypeInfo;
      const key = `${filePath}\0${String(scriptKind)}\0${languageVersion}\0${jsDocParsingMode}\0${optionsKey}`;
      const known = mine.get(key) ?? prior.get(key);
      if (known && known.text === text) {
        mine.set(key, known);
        return known;
      }
      const sf = ts.createLanguageServiceSourceFile(
        filePath,
        ts.ScriptSnapshot.fromString(text),
        { languageVersion, jsDocParsingMode },
        '0',
        false,
        scriptKind,
      );
      mine.set(key, sf);
      return sf;
    };
  }
  for (const t of tsconfigs) project.addSourceFilesFromTsConfig(t);
  project.resolveSourceFileDependencies();
  return project;
}

/**
 * The compiler options a parsed and bound file depends on: all of them but
 * where the tsconfig lives (`configFilePath`, `pathsBasePath`), which differ
 * for every package of a workspace extracted in one process
 * (`extract --workspace`) while its files parse and bind the same.
 */
function sharedOptionsKey(options: ts.CompilerOptions): string {
  const {
    configFilePath: _c,
    pathsBasePath: _p,
    ...rest
  } = options as ts.CompilerOptions & { pathsBasePath?: unknown };
  return JSON.stringify(rest);
}

/** The plain ts-morph project (no pre-filter), over the same tsconfigs. */
function fullProject(tsconfigs: readonly string[], fileSystem: FileSystemHost | undefined): Project {
  if (tsconfigs.length === 1)
    return new Project({ tsConfigFilePath: tsconfigs[0]!, fileSystem, skipFileDependencyResolution: false });
  const project = new Project({ tsConfigFilePath: tsconfigs[0]!, fileSystem, skipAddingFilesFromTsConfig: true });
  for (const t of tsconfigs) project.addSourceFilesFromTsConfig(t);
  project.resolveSourceFileDependencies();
  return project;
}

/**
 * The tsconfigs whose files make the program: the given one, or, when it is
 * solution-style (`"files": []`, no `include`, and `references`), the
 * projects it references, depth first, solution-style references expanded
 * in turn. They are loaded as one program (one checker, so identities hold
 * across projects) with the compiler options of the first; its files are the
 * union of theirs. A reference that names no tsconfig is an input error.
 */
export function programTsconfigs(tsconfigPath: string, label: string, fileSystem?: FileSystemHost): string[] {
  const read = (p: string): string | undefined => {
    try {
      return fileSystem ? fileSystem.readFileSync(p) : nodeFs.readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  };
  const isFile = (p: string) => (fileSystem ? fileSystem.fileExistsSync(p) : realFileExists(p));
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string, shown: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = read(file);
    const raw =
      text === undefined
        ? undefined
        : (ts.parseConfigFileTextToJson(file, text).config as
            { files?: unknown; include?: unknown; references?: unknown } | undefined);
    const refs = Array.isArray(raw?.references) ? (raw.references as Array<{ path?: unknown }>) : [];
    const solution =
      Array.isArray(raw?.files) &&
      raw.files.length === 0 &&
      (raw.include === undefined || (Array.isArray(raw.include) && raw.include.length === 0)) &&
      refs.length > 0;
    if (!solution) {
      out.push(file);
      return;
    }
    for (const r of refs) {
      if (typeof r?.path !== 'string') continue;
      let target = path.posix.resolve(path.posix.dirname(file), r.path.split(path.sep).join('/'));
      if (!/\.json$/i.test(target) || !isFile(target)) target = path.posix.join(target, 'tsconfig.json');
      if (!isFile(target)) {
        throw new UserError(
          `${shown}: reference "${r.path}" names no tsconfig (no ${path.posix.relative(path.posix.dirname(file), target)})`,
          {
            hint: 'fix the "references" entry, or set "tsconfig" in policydrift.config.json to the project to analyse',
          },
        );
      }
      visit(target, path.posix.join(path.posix.dirname(shown), path.posix.relative(path.posix.dirname(file), target)));
    }
  };
  visit(tsconfigPath, label);
  return out.length > 0 ? out : [tsconfigPath];
}

function realFileExists(p: string): boolean {
  try {
    return nodeFs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Resolve `file#Name` / `file#Class.member` to its declaration node. */
function resolveDeclRef(project: Project, root: string, ref: string, label: string): Node {
  const [file, name] = ref.split('#') as [string, string];
  const sf = project.getSourceFile(path.posix.join(root.split(path.sep).join('/'), file));
  if (!sf)
    throw new UserError(`${label}: file ${file} is not part of the TypeScript program`, {
      hint: 'use a path relative to the project root',
    });
  const [first, member] = name.split('.') as [string, string | undefined];
  const top =
    sf.getFunction(first) ??
    sf.getInterface(first) ??
    sf.getTypeAlias(first) ??
    sf.getClass(first) ??
    sf.getVariableDeclaration(first);
  if (!top) throw new UserError(`${label}: no declaration named ${first} in ${file}`);
  if (!member) return top;
  let m: Node | undefined;
  if (Node.isClassDeclaration(top)) m = top.getMethod(member) ?? top.getProperty(member);
  else if (Node.isInterfaceDeclaration(top)) m = top.getMethod(member) ?? top.getProperty(member);
  else if (Node.isVariableDeclaration(top)) {
    const init = top.getInitializer();
    if (init && Node.isObjectLiteralExpression(init)) m = init.getProperty(member);
  }
  if (!m) throw new UserError(`${label}: ${first} in ${file} has no member ${member}`);
  return m;
}
