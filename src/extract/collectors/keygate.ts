import { Node, ts } from 'ts-morph';
import type { ExtractContext, Fragment } from '../analysis/context.js';
import { type GatedSite, type GuardDecl, type Keygate, type SinkDecl, type SinkEscape } from '../../manifest/types.js';
import { declarationName, uniqueIds } from '../analysis/names.js';
import { KeyCallGraph, type Container, type GuardOracle } from '../analysis/callgraph.js';
import { sha256Hex } from '../../util/fs.js';
import { fileMayMatch } from '../analysis/prefilter.js';
import {
  calleeSymbol,
  cmp,
  dealias,
  guardArgs,
  type ParamShape,
  isAwaited,
  isPromiseLike,
  resolvedDeclaration,
  skipOuter,
} from '../analysis/calls.js';
import { jsDocsOf } from '../analysis/ts-internals.js';

/**
 * Key gating, per entry point (the call graph and summaries are in
 * callgraph.ts). For every entry point and every `@keySink` it reaches,
 * directly or through project functions, record the `@keyGuard` calls that
 * stand on every path to every such call, with their literal arguments and whether an
 * async guard is awaited. Guards and sinks are identified by declaration,
 * never by name: a guard by the called value's symbol (`calledValueTargets`),
 * a sink by the checker's resolved signature or the callee's symbol (`callTargets`).
 * References to a sink that are not direct calls are escapes.
 */
export function extractKeygate(ctx: ExtractContext): Fragment<Keygate> {
  const checker = ctx.checker.compilerObject;
  const guards = collectDeclarations(ctx, 'keyGuard', 'keyGuards');
  const sinks = collectDeclarations(ctx, 'keySink', 'keySinks');
  const locations: Record<string, string> = {};

  const guardData: Record<string, GuardDecl> = {};
  const shapes = new Map<string, ParamShape>();
  for (const g of guards.groups) {
    const shape = paramShape(checker, g);
    shapes.set(g.id, shape);
    guardData[g.id] = { async: isAsync(checker, g), params: shape.names, implDigest: guardDigest(ctx, g.nodes) };
    locations[`keygate:guard:${g.id}`] = g.file;
  }
  const sinkData: Record<string, SinkDecl> = {};
  const sinkNames = new Map<string, string[]>();
  for (const s of sinks.groups) {
    sinkData[s.id] = { async: isAsync(checker, s) };
    locations[`keygate:sink:${s.id}`] = s.file;
    const names = sinkNames.get(s.simpleName) ?? [];
    names.push(s.id);
    sinkNames.set(s.simpleName, names);
  }

  // Interprocedural: guards on every path from each entry point to each sink it reaches (src/extract/analysis/callgraph.ts).
  const oracle: GuardOracle = {
    guardsOf: (call) => calledValueTargets(checker, call, guards.byNode),
    fact: (call, gid, param) => ({
      guard: gid,
      args: guardArgs(checker, call, shapes.get(gid)!, param),
      awaited: guardData[gid]!.async ? isAwaited(call) : true,
    }),
  };
  const graph = new KeyCallGraph(
    ctx,
    oracle,
    new Set([
      ...[...ctx.configured('leHandlers'), ...configuredEntries(ctx)].map((n) => n.compilerNode),
      ...publicExports(ctx),
    ]),
  );
  const { sites: entrySites, escapes: rawEscapes } =
    sinks.groups.length === 0
      ? { sites: [], escapes: [] }
      : graph.run(
          {
            byNode: sinks.byNode,
            byName: sinkNames,
            targetsOf: (call) => callTargets(checker, call, sinks.byNode),
            words: sinkWords(checker, sinks),
          },
          sinks.groups.flatMap((g) => g.nodes),
        );

  // Function ids: declarationName, qualified by file only when two used functions collide.
  const used = [...new Set([...entrySites.map((c) => c.entry), ...rawEscapes.map((e) => e.fn)])];
  const named = used.filter((c) => c.name !== undefined);
  const ids = uniqueIds(named.map((c) => ({ name: c.name!, file: c.file, value: c })));
  const fnId = new Map<Container, string>(ids.map((x) => [x.value, x.id]));
  for (const c of used) if (c.name === undefined) fnId.set(c, `<module:${c.file}>`);

  const sites: Record<string, GatedSite> = {};
  for (const s of [...entrySites].sort((a, b) => cmp(fnId.get(a.entry)!, fnId.get(b.entry)!) || cmp(a.sink, b.sink))) {
    const key = `${fnId.get(s.entry)!} -> ${s.sink}`;
    sites[key] = { function: fnId.get(s.entry)!, sink: s.sink, guards: s.guards };
    locations[`keygate:site:${key}`] = s.entry.file;
    locations[`keygate:via:${key}`] = [...s.via.map((c) => `${c.name ?? '<module>'} (${c.file})`), s.sink].join(' -> ');
  }

  const escapes: Record<string, SinkEscape> = {};
  for (const e of rawEscapes) {
    const fid = fnId.get(e.fn)!;
    escapes[`${fid} -> ${e.sink} (${e.kind})`] = { function: fid, sink: e.sink, kind: e.kind };
  }

  foreignUnused(guards, guardData, sites, escapes, locations, 'guard');
  foreignUnused(sinks, sinkData, sites, escapes, locations, 'sink');
  return {
    data: { guards: sortKeys(guardData), sinks: sortKeys(sinkData), sites, escapes: sortKeys(escapes) },
    locations,
  };
}

/**
 * Guards and sinks declared in another workspace package (ctx.workspaceFiles)
 * belong to this package's manifest only when its own sites or escapes use
 * them; that package's manifest records the rest.
 */
function foreignUnused(
  set: DeclSet,
  data: Record<string, unknown>,
  sites: Record<string, GatedSite>,
  escapes: Record<string, SinkEscape>,
  locations: Record<string, string>,
  kind: 'guard' | 'sink',
): void {
  const used = new Set<string>();
  for (const s of Object.values(sites)) {
    used.add(s.sink);
    for (const g of s.guards) used.add(g.guard);
  }
  for (const e of Object.values(escapes)) used.add(e.sink);
  for (const g of set.groups) {
    if (g.own || used.has(g.id)) continue;
    Reflect.deleteProperty(data, g.id);
    Reflect.deleteProperty(locations, `keygate:${kind}:${g.id}`);
  }
}

/**
 * Every name a sink can be called or referenced by without an alias: the
 * names its declarations are written with (`#x` too), the checker's names of
 * its symbols (a computed `[KEY]` name), and the simple name used for
 * unresolved calls.
 */
/**
 * Functions exported from the package's public entry files (package.json
 * `exports`, `main`, `module`, `types`/`typings`, mapped from the build output
 * back to the source through the tsconfig's `outDir`/`rootDir`): entry points
 * even when project code calls them too. No package.json, or one without
 * these fields: none.
 */
function publicExports(ctx: ExtractContext): ts.Node[] {
  const fsHost = ctx.project.getFileSystem();
  const pkgPath = `${ctx.root.replace(/\/+$/, '')}/package.json`;
  let pkg: Record<string, unknown>;
  try {
    if (!fsHost.fileExistsSync(pkgPath)) return [];
    pkg = JSON.parse(fsHost.readFileSync(pkgPath)) as Record<string, unknown>;
  } catch {
    return [];
  }
  const targets: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === 'string') targets.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  for (const k of ['exports', 'main', 'module', 'types', 'typings']) collect(pkg[k]);
  if (targets.length === 0) return [];
  const opts = ctx.project.getCompilerOptions();
  const rel = (p: string | undefined) =>
    p
      ? p
          .replace(/\\/g, '/')
          .replace(new RegExp(`^${ctx.root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/?`), '')
          .replace(/^\.\//, '')
          .replace(/\/+$/, '')
      : undefined;
  const outDir = rel(opts.outDir);
  const rootDir = rel(opts.rootDir) ?? '';
  const byRel = new Map(ctx.sourceFiles.map((sf) => [ctx.rel(sf), sf]));
  const checker = ctx.checker.compilerObject;
  const out: ts.Node[] = [];
  for (const t of targets) {
    if (t.includes('*')) continue;
    let p = t.replace(/^\.\//, '');
    if (outDir && p.startsWith(`${outDir}/`)) p = (rootDir ? `${rootDir}/` : '') + p.slice(outDir.length + 1);
    const stem = p.replace(/\.d\.(m|c)?ts$/, '').replace(/\.(m|c)?(j|t)sx?$/, '');
    for (const ext of ['.ts', '.tsx', '.mts', '.cts']) {
      const sf = byRel.get(stem + ext);
      const sym = sf ? checker.getSymbolAtLocation(sf.compilerNode) : undefined;
      if (!sym) continue;
      for (const e of checker.getExportsOfModule(sym)) {
        for (const d of dealias(checker, e)?.declarations ?? []) {
          out.push(d);
          const fn = functionOf(d);
          if (fn) out.push(fn);
          if (ts.isClassLike(d))
            for (const m of d.members)
              if (ts.isMethodDeclaration(m) || ts.isPropertyDeclaration(m))
                out.push(m, ...(functionOf(m) ? [functionOf(m)!] : []));
        }
      }
    }
  }
  return out;
}

/** Declarations named by the config's `entryPoints`. */
function configuredEntries(ctx: ExtractContext): Set<Node> {
  return ctx.configured('entryPoints');
}

function sinkWords(checker: ts.TypeChecker, sinks: DeclSet): string[] {
  const out = new Set<string>();
  for (const g of sinks.groups) out.add(g.simpleName);
  for (const n of sinks.byNode.keys()) {
    const name = (n as ts.NamedDeclaration).name;
    if (!name) continue;
    if (
      ts.isIdentifier(name) ||
      ts.isPrivateIdentifier(name) ||
      ts.isStringLiteralLike(name) ||
      ts.isNumericLiteral(name)
    )
      out.add(name.text);
    else if (
      ts.isComputedPropertyName(name) &&
      (ts.isStringLiteralLike(name.expression) || ts.isNumericLiteral(name.expression))
    )
      out.add(name.expression.text);
    const sym =
      ts.isComputedPropertyName(name) ||
      ts.isIdentifier(name) ||
      ts.isPrivateIdentifier(name) ||
      ts.isStringLiteralLike(name) ||
      ts.isNumericLiteral(name)
        ? checker.getSymbolAtLocation(name)
        : undefined;
    if (sym) out.add(sym.name);
  }
  return [...out];
}

// ---------------------------------------------------------------------------
// Declarations

interface DeclGroup {
  id: string;
  file: string;
  /** The name the declaration is called by (`unwrapKey` for `KeyStore.unwrapKey`). */
  simpleName: string;
  /** Declarations in source order (overloads, or one). */
  nodes: ts.Node[];
  /** The declaration whose parameters name the arguments (the implementation when there is one). */
  primary: ts.Node;
  /** Declared in the package's own files (not in another workspace package). */
  own?: boolean;
}

interface DeclSet {
  groups: DeclGroup[];
  /** Every node a resolved signature or symbol may point at, mapped to its group id. */
  byNode: Map<ts.Node, string>;
}

type TagName = 'keyGuard' | 'keySink';

function collectDeclarations(ctx: ExtractContext, tag: TagName, list: 'keyGuards' | 'keySinks'): DeclSet {
  const checker = ctx.checker.compilerObject;
  const found: Node[] = [];
  for (const sf of [...ctx.sourceFiles, ...(ctx.workspaceFiles ?? [])]) {
    if (!fileMayMatch(ctx, sf, [`@${tag}`])) continue;
    sf.forEachDescendant((node) => {
      const docs = jsDocsOf(node.compilerNode);
      if (!docs?.some((d) => d.tags?.some((t) => t.tagName.text === tag))) return;
      const decls = declarationsOfHost(node);
      found.push(...decls);
      if (decls.length === 0) {
        ctx.fail(
          node,
          `@${tag} must annotate a function, a method or a const holding a function`,
          'move the tag to the JSDoc of the function declaration, method or `const x = (...) => ...` statement',
        );
      }
    });
  }
  for (const n of ctx.configured(list)) {
    const decls = declarationsOfHost(n);
    if (decls.length === 0)
      ctx.fail(n, `config "${list}" must name a function, a method or a const holding a function`);
    found.push(...decls);
  }

  // Group overloads (and repeats from tag + config) by symbol.
  const bySymbol = new Map<object, { sym: ts.Symbol | undefined; decls: Node[] }>();
  for (const d of found) {
    const nameNode = (d.compilerNode as ts.NamedDeclaration).name;
    const sym = nameNode ? checker.getSymbolAtLocation(nameNode) : undefined;
    const entry = bySymbol.get(sym ?? d.compilerNode) ?? { sym, decls: [] };
    if (!entry.decls.includes(d)) entry.decls.push(d);
    bySymbol.set(sym ?? d.compilerNode, entry);
  }
  const foreign = new Set(ctx.workspaceFiles ?? []);
  const items: Array<{
    name: string;
    file: string;
    value: { nodes: ts.Node[]; primary: ts.Node; simpleName: string; own: boolean };
  }> = [];
  for (const { sym, decls } of bySymbol.values()) {
    // Overloads that were not tagged themselves belong to the group too.
    const nodes = [
      ...new Set([...decls.map((d) => d.compilerNode), ...(sym?.declarations ?? []).filter(isCallableDeclaration)]),
    ].sort((a, b) => cmp(a.getSourceFile().fileName, b.getSourceFile().fileName) || a.pos - b.pos);
    const primary = nodes.find((n) => hasBody(n)) ?? nodes[0]!;
    const first = decls[0]!;
    const init = Node.isPropertyAssignment(first) ? first.getInitializer() : undefined;
    const name = declarationName(first) ?? (init ? declarationName(init) : undefined);
    if (name === undefined)
      ctx.fail(
        first,
        `cannot name this @${tag} declaration`,
        'give the function a name (a declaration, a method or a `const`)',
      );
    const nameNode = (primary as ts.NamedDeclaration).name;
    const simpleName =
      nameNode && (ts.isIdentifier(nameNode) || ts.isStringLiteral(nameNode) || ts.isPrivateIdentifier(nameNode))
        ? nameNode.text
        : name;
    items.push({
      name,
      file: ctx.rel(first),
      value: { nodes, primary, simpleName, own: !foreign.has(first.getSourceFile()) },
    });
  }
  items.sort((a, b) => cmp(a.name, b.name) || cmp(a.file, b.file));
  const groups: DeclGroup[] = uniqueIds(items).map((x) => ({ id: x.id, file: x.file, ...x.value }));
  const byNode = new Map<ts.Node, string>();
  for (const g of groups) {
    for (const n of g.nodes) {
      byNode.set(n, g.id);
      const fn = functionOf(n);
      if (fn) byNode.set(fn, g.id);
    }
  }
  return { groups, byNode };
}

/** The callable declarations a JSDoc host or config entry stands for. */
function declarationsOfHost(node: Node): Node[] {
  if (Node.isVariableStatement(node))
    return node.getDeclarations().filter((d) => isCallableDeclaration(d.compilerNode));
  if ((Node.isArrowFunction(node) || Node.isFunctionExpression(node)) && Node.isVariableDeclaration(node.getParent())) {
    return [node.getParentOrThrow()];
  }
  return isCallableDeclaration(node.compilerNode) ? [node] : [];
}

function isCallableDeclaration(n: ts.Node): boolean {
  if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isMethodSignature(n)) return true;
  if (
    ts.isVariableDeclaration(n) ||
    ts.isPropertyDeclaration(n) ||
    ts.isPropertyAssignment(n) ||
    ts.isPropertySignature(n)
  ) {
    const init = (n as { initializer?: ts.Expression }).initializer;
    if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) return true;
    const type = (n as { type?: ts.TypeNode }).type;
    if (type && ts.isFunctionTypeNode(type)) return true;
    // `const g: GuardFn = makeGuard()`: callable when declared with a type.
    return ts.isVariableDeclaration(n) && type !== undefined;
  }
  return false;
}

function hasBody(n: ts.Node): boolean {
  if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) return n.body !== undefined;
  return functionOf(n) !== undefined;
}

/** The function node of a declaration: itself, or the function a const/property holds. */
export function functionOf(n: ts.Node): ts.SignatureDeclaration | undefined {
  if (
    ts.isFunctionDeclaration(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isMethodSignature(n) ||
    ts.isArrowFunction(n) ||
    ts.isFunctionExpression(n)
  )
    return n;
  if (ts.isVariableDeclaration(n) || ts.isPropertyDeclaration(n) || ts.isPropertyAssignment(n)) {
    const init = n.initializer;
    if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) return init;
  }
  if (ts.isPropertySignature(n) && n.type && ts.isFunctionTypeNode(n.type)) return n.type;
  if (ts.isVariableDeclaration(n) && n.type && ts.isFunctionTypeNode(n.type) && !n.initializer) return n.type;
  return undefined;
}

function signaturesOf(checker: ts.TypeChecker, n: ts.Node): readonly ts.Signature[] {
  const fn = functionOf(n);
  if (fn) {
    const sig = checker.getSignatureFromDeclaration(fn);
    return sig ? [sig] : [];
  }
  const name = (n as ts.NamedDeclaration).name;
  return name ? checker.getTypeAtLocation(name).getCallSignatures() : [];
}

/** Async when any declaration is `async` or returns something thenable (any/unknown count: fail closed). */
function isAsync(checker: ts.TypeChecker, g: DeclGroup): boolean {
  for (const n of g.nodes) {
    const fn = functionOf(n);
    if (fn && ts.getCombinedModifierFlags(fn) & ts.ModifierFlags.Async) return true;
    for (const sig of signaturesOf(checker, n)) {
      if (isPromiseLike(checker, checker.getReturnTypeOfSignature(sig))) return true;
    }
  }
  return false;
}

function paramShape(checker: ts.TypeChecker, g: DeclGroup): ParamShape {
  const fn = functionOf(g.primary);
  if (fn) {
    const params = fn.parameters.filter((p) => !(ts.isIdentifier(p.name) && p.name.text === 'this'));
    const names = params.map((p, i) => (ts.isIdentifier(p.name) ? p.name.text : `#${i}`));
    const rest = params.findIndex((p) => p.dotDotDotToken !== undefined);
    return { names, restIndex: rest < 0 ? undefined : rest };
  }
  const sig = signaturesOf(checker, g.primary)[0];
  if (!sig) return { names: [], restIndex: 0 };
  const names = sig.getParameters().map((p) => p.name);
  const rest = sig.getParameters().findIndex((p) => {
    const d = p.valueDeclaration;
    return d !== undefined && ts.isParameter(d) && d.dotDotDotToken !== undefined;
  });
  return { names, restIndex: rest < 0 ? undefined : rest };
}

/**
 * The guard's digest covers what its behaviour depends on inside the program:
 * its own tokens, and the tokens of every project declaration it reads,
 * transitively: functions and methods it calls, module-level bindings and
 * imports, classes (a module-level `class Set` that shadows the global one is
 * what `Set` resolves to). Type positions do not count. Dependencies are
 * digested by content only, so moving one to another file is neutral.
 */
export function guardDigest(ctx: ExtractContext, nodes: ts.Node[]): string {
  const checker = ctx.checker.compilerObject;
  const project = new Set(ctx.sourceFiles.map((s) => s.compilerNode));
  const roots = new Set<ts.Node>(nodes);
  const deps: ts.Node[] = [];
  const inside = (d: ts.Node) => {
    for (let a: ts.Node | undefined = d; a; a = a.parent) if (roots.has(a)) return true;
    return false;
  };
  const queue = [...nodes];
  while (queue.length > 0) {
    const visit = (n: ts.Node): void => {
      if (ts.isTypeNode(n) && !ts.isExpressionWithTypeArguments(n)) return;
      if (ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n)) return;
      if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) {
        const sym = checker.getSymbolAtLocation(n);
        const targets = new Set<ts.Declaration>(sym?.declarations ?? []);
        for (const d of dealias(checker, sym)?.declarations ?? []) targets.add(d);
        for (const d of targets) {
          if (!project.has(d.getSourceFile()) || inside(d)) continue;
          const unit = dependencyUnit(d);
          if (!unit || roots.has(unit)) continue;
          roots.add(unit);
          deps.push(unit);
          queue.push(unit);
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(queue.pop()!);
  }
  const own = implDigest(nodes);
  if (deps.length === 0) return own;
  const parts = [...new Set(deps.map((d) => implDigest([d])))].sort();
  return `sha256:${sha256Hex([own, ...parts].join('\n'))}`;
}

/** The declaration a dependency is digested as: a class member, or the top-level statement that holds it. */
function dependencyUnit(d: ts.Node): ts.Node | undefined {
  if (
    ts.isParameter(d) ||
    ts.isTypeParameterDeclaration(d) ||
    ts.isInterfaceDeclaration(d) ||
    ts.isTypeAliasDeclaration(d)
  )
    return undefined;
  let n: ts.Node = d;
  while (n.parent && !ts.isSourceFile(n.parent) && !ts.isModuleBlock(n.parent)) {
    if (ts.isClassElement(n) && ts.isClassLike(n.parent)) return n;
    n = n.parent;
  }
  return n;
}

const CLOSERS = new Set([
  ts.SyntaxKind.CloseParenToken,
  ts.SyntaxKind.CloseBracketToken,
  ts.SyntaxKind.CloseBraceToken,
  ts.SyntaxKind.GreaterThanToken,
]);

/**
 * `sha256:` over the declaration's token stream (comments and whitespace
 * are trivia, so they never count; every token change does, except a single
 * trailing comma before a closing bracket, which never changes meaning). Template
 * continuations and regular expressions are re-scanned where the parser
 * found them, so text inside them is never mistaken for a comment.
 */
export function implDigest(nodes: ts.Node[]): string {
  const parts: string[] = [];
  for (const n of nodes) {
    const sf = n.getSourceFile();
    const regexStarts = new Set<number>();
    const templateStarts = new Set<number>();
    const visit = (c: ts.Node): void => {
      if (c.kind === ts.SyntaxKind.RegularExpressionLiteral) regexStarts.add(c.getStart(sf));
      if (ts.isTemplateSpan(c)) templateStarts.add(c.literal.getStart(sf));
      ts.forEachChild(c, visit);
    };
    visit(n);
    const start = n.getStart(sf);
    const scanner = ts.createScanner(
      sf.languageVersion,
      true,
      sf.languageVariant,
      sf.text,
      undefined,
      start,
      n.end - start,
    );
    for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
      const pos = scanner.getTokenStart();
      if ((kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) && regexStarts.has(pos))
        scanner.reScanSlashToken();
      else if (kind === ts.SyntaxKind.CloseBraceToken && templateStarts.has(pos)) scanner.reScanTemplateToken(false);
      // A trailing comma before a closer is formatting (prettier adds it when a list wraps).
      if (CLOSERS.has(scanner.getToken()) && parts[parts.length - 1] === ',') parts.pop();
      parts.push(scanner.getTokenText());
    }
  }
  return `sha256:${sha256Hex(parts.join(' '))}`;
}

// ---------------------------------------------------------------------------
// Calls and references

/** Group ids whose declaration this call resolves to (resolved signature first, then the callee's symbol). */
export function callTargets(checker: ts.TypeChecker, call: ts.CallExpression, byNode: Map<ts.Node, string>): string[] {
  const decl = resolvedDeclaration(checker, call);
  if (decl && byNode.has(decl)) return [byNode.get(decl)!];
  const out = new Set<string>();
  for (const d of calleeSymbol(checker, call)?.declarations ?? []) {
    const id = byNode.get(d);
    if (id) out.add(id);
  }
  return [...out];
}

/**
 * Group ids of the value a call invokes, by the callee expression's symbol:
 * followed through imports, re-exports and `const` aliases whose initializer
 * is itself such a reference (`const check = requireScope`), never through
 * the callee's type. A value typed `typeof guard` that is not the guard
 * (`const noop: typeof guard = async () => {}`) is not the guard; a value the
 * symbol cannot name (a call's result, a property of an object literal,
 * destructuring) is nobody. Guards are identified this way (an unknown value
 * is not a guard: fail closed); sinks by `callTargets` (signature or symbol:
 * anything that may be the sink is).
 */
function calledValueTargets(checker: ts.TypeChecker, call: ts.CallExpression, byNode: Map<ts.Node, string>): string[] {
  return valueTargets(checker, call.expression, byNode, new Set());
}

function valueTargets(
  checker: ts.TypeChecker,
  e0: ts.Expression,
  byNode: Map<ts.Node, string>,
  seen: Set<ts.Node>,
): string[] {
  let e = skipOuter(e0);
  // `(0, guard)(...)`: the value of a comma expression is its right operand.
  while (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.CommaToken) e = skipOuter(e.right);
  const at = ts.isIdentifier(e)
    ? e
    : ts.isPropertyAccessExpression(e)
      ? e.name
      : ts.isElementAccessExpression(e)
        ? e.argumentExpression
        : undefined;
  if (!at) return [];
  const receiver = ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e) ? e.expression : undefined;
  const out = new Set<string>();
  for (const d of dealias(checker, checker.getSymbolAtLocation(at))?.declarations ?? []) {
    // A member access names the declaration through the receiver's type: check the receiver is its owner.
    if (receiver && !receiverOwns(checker, receiver, d)) continue;
    const id = byNode.get(d);
    if (id !== undefined) out.add(id);
    else if (isConstAlias(d) && !seen.has(d)) {
      seen.add(d);
      for (const x of valueTargets(checker, d.initializer, byNode, seen)) out.add(x);
    }
  }
  return [...out];
}

/**
 * Is `receiver` (of `receiver.name`) the owner of declaration `d`, not just a
 * value of its type? A module-level declaration is reached through the
 * module's namespace (`import * as m`, `export * as m`, `const`s of one); a
 * member of an object literal through the `const` it initializes. Class and
 * interface members are reached through any instance (by the receiver's
 * type: a limit of this analysis, see docs/threat-model.md).
 */
function receiverOwns(checker: ts.TypeChecker, receiver: ts.Expression, d: ts.Declaration): boolean {
  const holder = ts.isVariableDeclaration(d) ? d.parent.parent : d;
  if (holder.parent && (ts.isSourceFile(holder.parent) || ts.isModuleBlock(holder.parent)))
    return denotes(checker, receiver, (sym) => (sym.flags & ts.SymbolFlags.Module) !== 0, new Set());
  if (d.parent && ts.isObjectLiteralExpression(d.parent)) {
    const literal = d.parent;
    return denotes(
      checker,
      receiver,
      (sym) => sym.declarations?.some((v) => isConstAlias(v) && skipOuter(v.initializer) === literal) ?? false,
      new Set(),
    );
  }
  return true;
}

/** Does `e` denote a symbol satisfying `test`, through imports and `const` aliases? */
function denotes(
  checker: ts.TypeChecker,
  e0: ts.Expression,
  test: (sym: ts.Symbol) => boolean,
  seen: Set<ts.Node>,
): boolean {
  const e = skipOuter(e0);
  const at = ts.isIdentifier(e) ? e : ts.isPropertyAccessExpression(e) ? e.name : undefined;
  if (!at) return false;
  if (
    ts.isPropertyAccessExpression(e) &&
    !denotes(checker, e.expression, (sym) => (sym.flags & ts.SymbolFlags.Module) !== 0, seen)
  )
    return false;
  const sym = dealias(checker, checker.getSymbolAtLocation(at));
  if (!sym) return false;
  if (test(sym)) return true;
  return (sym.declarations ?? []).some((d) => {
    if (!isConstAlias(d) || seen.has(d)) return false;
    seen.add(d);
    return denotes(checker, d.initializer, test, seen);
  });
}

/** `const x = <expression>` (a plain name binding, not a loop variable): x holds exactly that value, forever. */
function isConstAlias(d: ts.Declaration): d is ts.VariableDeclaration & { initializer: ts.Expression } {
  return (
    ts.isVariableDeclaration(d) &&
    d.initializer !== undefined &&
    ts.isIdentifier(d.name) &&
    ts.isVariableDeclarationList(d.parent) &&
    (d.parent.flags & ts.NodeFlags.BlockScoped) === ts.NodeFlags.Const &&
    !(ts.isForOfStatement(d.parent.parent) || ts.isForInStatement(d.parent.parent))
  );
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}
