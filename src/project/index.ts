import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { Node, Project, type FileSystemHost, type SourceFile } from 'ts-morph';
import { minimatch } from 'minimatch';
import type { ResolvedConfig } from '../config/index.js';
import { UserError, locatedError } from '../errors.js';
import type { ExtractContext } from '../extract/context.js';

export interface OpenProjectOptions {
  /** Absolute project root (in `fileSystem` when one is given). */
  root: string;
  config: ResolvedConfig;
  /** A file system to read from instead of the real one (a git tree). */
  fileSystem?: FileSystemHost;
  /** Label for the root in messages (defaults to the root itself). */
  label?: string;
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
  let project: Project;
  try {
    project = new Project({ tsConfigFilePath: tsconfigPath, fileSystem: fsys, skipFileDependencyResolution: false });
  } catch (e) {
    throw new UserError(`${config.tsconfig}: cannot load the TypeScript project: ${(e as Error).message.split('\n')[0]}`, {
      hint: 'check that the tsconfig is valid JSON(C) and that its "extends" targets exist',
    });
  }
  const cfgDiags = project.getProgram().compilerObject.getOptionsDiagnostics();
  const fatal = cfgDiags.find((d) => d.category === 1 && d.code === 5083);
  if (fatal) throw new UserError(`${config.tsconfig}: ${String(fatal.messageText)}`);

  const rel = (n: Node | SourceFile) => posixRel(root, (Node.isSourceFile(n) ? n : n.getSourceFile()).getFilePath());
  const excluded = (r: string) => config.exclude.some((g) => minimatch(r, g, { dot: true }));
  const sourceFiles = project
    .getSourceFiles()
    .filter((sf) => {
      const r = rel(sf);
      return !sf.isDeclarationFile() && !r.startsWith('../') && !r.split('/').includes('node_modules') && !excluded(r);
    })
    .sort((a, b) => (rel(a) < rel(b) ? -1 : rel(a) > rel(b) ? 1 : 0));
  if (sourceFiles.length === 0) {
    throw new UserError(`${opts.label ?? root}: the program of ${config.tsconfig} has no source files`, {
      hint: 'check "include"/"files" in the tsconfig and "exclude" in policydrift.config.json',
    });
  }

  const fail = (node: Node, message: string, hint?: string): never => {
    const sf = node.getSourceFile();
    const { line, column } = sf.getLineAndColumnAtPos(node.getStart());
    throw locatedError({ file: rel(sf), line, column }, message, hint);
  };

  const cache = new Map<string, Set<Node>>();
  const configured = (list: 'leHandlers' | 'logSchemas' | 'logSinks' | 'keyGuards' | 'keySinks'): Set<Node> => {
    let set = cache.get(list);
    if (set) return set;
    set = new Set();
    config[list].forEach((ref, i) => {
      set!.add(resolveDeclRef(project, root, ref, `${config.source ?? 'config'}: ${list}[${i}] "${ref}"`));
    });
    cache.set(list, set);
    return set;
  };

  return { project, checker: project.getTypeChecker(), config, root, sourceFiles, rel, fail, configured };
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
  if (!sf) throw new UserError(`${label}: file ${file} is not part of the TypeScript program`, { hint: 'use a path relative to the project root' });
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
