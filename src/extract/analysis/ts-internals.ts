import { ts, type Node, type Project, type SourceFile } from 'ts-morph';

/**
 * Every access to a TypeScript or ts-morph internal (a member that is not in the public typings). Each accessor
 * says why it is needed and what happens when an upgrade removes the internal: the analysis either falls back
 * to a public (slower or coarser) path or fails closed. test/ts-internals.test.js calls every accessor against a
 * real ts-morph project and names the internal that went missing.
 */

/** The hook ts-morph parses every source file through. */
export type SourceFileFactory = (
  filePath: string,
  text: string,
  scriptKind: ts.ScriptKind | undefined,
) => ts.SourceFile;

/**
 * ts-morph: `project._context.compilerFactory.createCompilerSourceFileFromText`. Replaced by the lean parse
 * (analysis/program.ts: no parent pass, JSDoc only where a collector needs it, reuse of unchanged files).
 * Returns false, leaving ts-morph's own parse, when the hook is missing.
 */
export function setSourceFileFactory(project: Project, factory: SourceFileFactory): boolean {
  const compilerFactory = (project as unknown as { _context?: { compilerFactory?: Record<string, unknown> } })._context
    ?.compilerFactory;
  if (!compilerFactory || typeof compilerFactory.createCompilerSourceFileFromText !== 'function') return false;
  compilerFactory.createCompilerSourceFileFromText = factory;
  return true;
}

/**
 * ts-morph: `SourceFile._getNodeFromCompilerNode`, the wrapper of a compiler node without walking the file
 * (the call graph wraps only the nodes it needs). `canWrapCompilerNode` is false when it is missing; callers
 * then walk every file whole.
 */
export function canWrapCompilerNode(sf: SourceFile | undefined): boolean {
  return (
    typeof (sf as unknown as { _getNodeFromCompilerNode?: unknown } | undefined)?._getNodeFromCompilerNode ===
    'function'
  );
}

/** See `canWrapCompilerNode`; only call it when that is true. */
export function wrapCompilerNode(sf: SourceFile, n: ts.Node): Node {
  return (sf as unknown as { _getNodeFromCompilerNode(n: ts.Node): Node })._getNodeFromCompilerNode(n);
}

/**
 * TypeScript: `node.jsDoc`, the JSDoc comments attached to a node exactly (the public `ts.getJSDocTags` also
 * returns tags of parents and parameters, and misses comments on the end-of-file token).
 */
export function jsDocsOf(n: ts.Node): readonly ts.JSDoc[] | undefined {
  return (n as { jsDoc?: ts.JSDoc[] }).jsDoc;
}

/**
 * TypeScript: `sourceFile.imports`, every module specifier of a file as the program collected it (imports,
 * exports, `import()`, `require`, `import x = require()`). Undefined when missing: callers fail closed.
 */
export function moduleSpecifiersOf(sf: ts.SourceFile): readonly ts.StringLiteralLike[] | undefined {
  return (sf as unknown as { imports?: readonly ts.StringLiteralLike[] }).imports;
}

/** TypeScript: `sourceFile.moduleAugmentations` (`declare module "x"` blocks), collected with `imports`. */
export function moduleAugmentationsOf(sf: ts.SourceFile): readonly (ts.StringLiteral | ts.Identifier)[] | undefined {
  return (sf as unknown as { moduleAugmentations?: readonly (ts.StringLiteral | ts.Identifier)[] }).moduleAugmentations;
}

export type ResolvedModuleLookup = (
  spec: ts.StringLiteralLike,
  sf: ts.SourceFile,
) => { resolvedModule?: ts.ResolvedModuleFull } | undefined;

/**
 * TypeScript: `program.getResolvedModuleFromModuleSpecifier`, the program's own module resolution of a
 * specifier (what it loaded, or that it left a JavaScript file out). Undefined when missing: callers fall back
 * to the checker or skip the JavaScript check.
 */
export function resolvedModuleLookup(program: ts.Program): ResolvedModuleLookup | undefined {
  const internal = program as unknown as { getResolvedModuleFromModuleSpecifier?: ResolvedModuleLookup };
  const fn = internal.getResolvedModuleFromModuleSpecifier;
  return typeof fn === 'function' ? (spec, sf) => fn.call(program, spec, sf) : undefined;
}

/**
 * TypeScript: `declaration.symbol`, the binder's symbol of a declaration that has no name to ask the checker
 * about (an anonymous class expression).
 */
export function boundSymbolOf(n: ts.Node): ts.Symbol | undefined {
  return (n as unknown as { symbol?: ts.Symbol }).symbol;
}
