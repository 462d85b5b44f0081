import { Node, ts, type SourceFile } from 'ts-morph';
import type { ExtractContext, Fragment } from './context.js';
import { DYNAMIC_ARG, type DominatingGuard, type GatedSite, type GuardArg, type GuardDecl, type Keygate, type SinkDecl, type SinkEscape } from '../manifest/types.js';
import { declarationName, uniqueIds } from './names.js';
import { dominatingCalls } from './dominance.js';
import { sha256Hex } from '../util/fs.js';
import { callMayReachTarget, fileMayMatch, referenceWords, sinkStatements } from './prefilter.js';

/**
 * Key gating, sink-centric. For every call of a `@keySink`, grouped by
 * (enclosing named function, sink), record the `@keyGuard` calls that
 * dominate every such call, with their literal arguments and whether an
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
    guardData[g.id] = { async: isAsync(checker, g), params: shape.names, implDigest: implDigest(g.nodes) };
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

  // Pass 1: find sink calls and escapes with their enclosing function.
  const sinkCalls: Array<{ call: ts.CallExpression; sink: string; fn: Container }> = [];
  const rawEscapes: Array<{ fn: Container; sink: string; kind: string }> = [];
  const containers = new Map<ts.Node, Container>();
  // Only the statements that can mention a sink (see sinkStatements); null: all of them.
  const keep = sinks.groups.length > 0 && canWrap(ctx.sourceFiles[0]) ? sinkStatements(ctx, sinks.groups.flatMap((g) => g.nodes), sinkWords(checker, sinks)) : null;
  const refWords = sinks.groups.length > 0 ? referenceWords(ctx, sinkWords(checker, sinks)) : null;
  for (const sf of sinks.groups.length > 0 ? ctx.sourceFiles : []) {
    const visit = (node: Node) => {
      const cn = node.compilerNode;
      if (ts.isCallExpression(cn)) {
        // Most calls cannot reach a sink: skip resolving their signatures (see callMayReachTarget).
        if (!ctx.full && !callMayReachTarget(checker, cn, sinks.byNode, sinkNames)) return;
        const hit = callTargets(checker, cn, sinks.byNode);
        if (hit.length > 0) {
          const fn = enclosing(ctx, node, containers);
          for (const sink of hit) sinkCalls.push({ call: cn, sink, fn });
        } else if (isUnresolvedCall(checker, cn)) {
          const name = calleeName(cn.expression);
          for (const sink of (name !== undefined ? sinkNames.get(name) : undefined) ?? []) {
            rawEscapes.push({ fn: enclosing(ctx, node, containers), sink, kind: 'unresolved-call' });
          }
        }
        return;
      }
      // Only names that can be a sink's or an alias's are resolved (see referenceWords).
      if ((ts.isIdentifier(cn) || ts.isStringLiteralLike(cn)) && (refWords === null || refWords.has(cn.text))) {
        const sink = escapingSinkReference(checker, cn, sinks.byNode);
        if (sink !== undefined) rawEscapes.push({ fn: enclosing(ctx, node, containers), sink, kind: 'reference' });
      }
    };
    // Only calls and the names that can reach a sink are wrapped as ts-morph nodes (wrapping every node costs time and memory).
    const wanted = (cn: ts.Node) =>
      ts.isCallExpression(cn) ? ctx.full || callMayReachTarget(checker, cn, sinks.byNode, sinkNames) : (ts.isIdentifier(cn) || ts.isStringLiteralLike(cn)) && (refWords === null || refWords.has(cn.text));
    if (keep === null) {
      if (canWrap(sf)) forEachWanted(sf, sf.compilerNode, wanted, visit);
      else sf.forEachDescendant(visit);
      continue;
    }
    for (const stmt of keep(sf.compilerNode)) {
      if (wanted(stmt)) visit(wrapNode(sf, stmt));
      forEachWanted(sf, stmt, wanted, visit);
    }
  }

  // Function ids: declarationName, qualified by file only when two used functions collide.
  const used = [...new Set([...sinkCalls.map((c) => c.fn), ...rawEscapes.map((e) => e.fn)])];
  const named = used.filter((c) => c.name !== undefined);
  const ids = uniqueIds(named.map((c) => ({ name: c.name!, file: c.file, value: c })));
  const fnId = new Map<Container, string>(ids.map((x) => [x.value, x.id]));
  for (const c of used) if (c.name === undefined) fnId.set(c, `<module:${c.file}>`);

  // Pass 2: dominating guards per sink call, intersected per (function, sink).
  const perSite = new Map<string, { fn: string; sink: string; file: string; guards: Map<string, DominatingGuard> }>();
  for (const { call, sink, fn } of sinkCalls) {
    const fid = fnId.get(fn)!;
    const key = `${fid} -> ${sink}`;
    const here = new Map<string, DominatingGuard>();
    for (const g of dominatingCalls(call, { liftThrough: (f) => fn.anonymous.has(f) })) {
      for (const gid of calledValueTargets(checker, g, guards.byNode)) {
        const args = guardArgs(checker, g, shapes.get(gid)!);
        const awaited = guardData[gid]!.async ? isAwaited(g) : true;
        const k = `${gid}\u0000${stableJson(args)}`;
        const prev = here.get(k);
        // Within one call: awaited if any dominating instance is awaited.
        here.set(k, { guard: gid, args, awaited: awaited || (prev?.awaited ?? false) });
      }
    }
    const site = perSite.get(key);
    if (!site) {
      perSite.set(key, { fn: fid, sink, file: fn.file, guards: here });
      continue;
    }
    // Across calls: only guards dominating every call; awaited only if awaited at every call.
    for (const [k, g] of site.guards) {
      const other = here.get(k);
      if (!other) site.guards.delete(k);
      else g.awaited = g.awaited && other.awaited;
    }
  }

  const sites: Record<string, GatedSite> = {};
  for (const key of [...perSite.keys()].sort()) {
    const s = perSite.get(key)!;
    const list = [...s.guards.values()].sort((a, b) => cmp(a.guard, b.guard) || cmp(stableJson(a.args), stableJson(b.args)));
    sites[key] = { function: s.fn, sink: s.sink, guards: list };
    locations[`keygate:site:${key}`] = s.file;
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
    delete data[g.id];
    delete locations[`keygate:${kind}:${g.id}`];
  }
}

/** The ts-morph wrapper of a compiler node of `sf` (ts-morph's own lookup; see `canWrap`). */
function wrapNode(sf: SourceFile, n: ts.Node): Node {
  return (sf as unknown as { _getNodeFromCompilerNode(n: ts.Node): Node })._getNodeFromCompilerNode(n);
}

/** `visit` on the ts-morph node of every descendant of `root` that `wanted` accepts, in `forEachDescendant` order. */
function forEachWanted(sf: SourceFile, root: ts.Node, wanted: (n: ts.Node) => boolean, visit: (n: Node) => void): void {
  const walk = (n: ts.Node): void => {
    if (wanted(n)) visit(wrapNode(sf, n));
    ts.forEachChild(n, walk);
  };
  ts.forEachChild(root, walk);
}

/** Whether this ts-morph can wrap a compiler node; when it cannot, every file is walked whole. */
function canWrap(sf: SourceFile | undefined): boolean {
  return typeof (sf as unknown as { _getNodeFromCompilerNode?: unknown } | undefined)?._getNodeFromCompilerNode === 'function';
}

/**
 * Every name a sink can be called or referenced by without an alias: the
 * names its declarations are written with (`#x` too), the checker's names of
 * its symbols (a computed `[KEY]` name), and the simple name used for
 * unresolved calls.
 */
function sinkWords(checker: ts.TypeChecker, sinks: DeclSet): string[] {
  const out = new Set<string>();
  for (const g of sinks.groups) out.add(g.simpleName);
  for (const n of sinks.byNode.keys()) {
    const name = (n as ts.NamedDeclaration).name;
    if (!name) continue;
    if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteralLike(name) || ts.isNumericLiteral(name)) out.add(name.text);
    else if (ts.isComputedPropertyName(name) && (ts.isStringLiteralLike(name.expression) || ts.isNumericLiteral(name.expression))) out.add(name.expression.text);
    const sym = ts.isComputedPropertyName(name) || ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteralLike(name) || ts.isNumericLiteral(name) ? checker.getSymbolAtLocation(name) : undefined;
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
      const docs = (node.compilerNode as { jsDoc?: ts.JSDoc[] }).jsDoc;
      if (!docs?.some((d) => d.tags?.some((t) => t.tagName.text === tag))) return;
      const decls = declarationsOfHost(node);
      found.push(...decls);
      if (decls.length === 0) {
        ctx.fail(node, `@${tag} must annotate a function, a method or a const holding a function`, 'move the tag to the JSDoc of the function declaration, method or `const x = (...) => ...` statement');
      }
    });
  }
  for (const n of ctx.configured(list)) {
    const decls = declarationsOfHost(n);
    if (decls.length === 0) ctx.fail(n, `config "${list}" must name a function, a method or a const holding a function`);
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
  const items: Array<{ name: string; file: string; value: { nodes: ts.Node[]; primary: ts.Node; simpleName: string; own: boolean } }> = [];
  for (const { sym, decls } of bySymbol.values()) {
    // Overloads that were not tagged themselves belong to the group too.
    const nodes = [...new Set([...decls.map((d) => d.compilerNode), ...(sym?.declarations ?? []).filter(isCallableDeclaration)])].sort(
      (a, b) => cmp(a.getSourceFile().fileName, b.getSourceFile().fileName) || a.pos - b.pos,
    );
    const primary = nodes.find((n) => hasBody(n)) ?? nodes[0]!;
    const first = decls[0]!;
    const init = Node.isPropertyAssignment(first) ? first.getInitializer() : undefined;
    const name = declarationName(first) ?? (init ? declarationName(init) : undefined);
    if (name === undefined) ctx.fail(first, `cannot name this @${tag} declaration`, 'give the function a name (a declaration, a method or a `const`)');
    const nameNode = (primary as ts.NamedDeclaration).name;
    const simpleName = nameNode && (ts.isIdentifier(nameNode) || ts.isStringLiteral(nameNode) || ts.isPrivateIdentifier(nameNode)) ? nameNode.text : name;
    items.push({ name, file: ctx.rel(first), value: { nodes, primary, simpleName, own: !foreign.has(first.getSourceFile()) } });
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
  if (Node.isVariableStatement(node)) return node.getDeclarations().filter((d) => isCallableDeclaration(d.compilerNode));
  if ((Node.isArrowFunction(node) || Node.isFunctionExpression(node)) && Node.isVariableDeclaration(node.getParent())) {
    return [node.getParentOrThrow()];
  }
  return isCallableDeclaration(node.compilerNode) ? [node] : [];
}

function isCallableDeclaration(n: ts.Node): boolean {
  if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isMethodSignature(n)) return true;
  if (ts.isVariableDeclaration(n) || ts.isPropertyDeclaration(n) || ts.isPropertyAssignment(n) || ts.isPropertySignature(n)) {
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
function functionOf(n: ts.Node): ts.SignatureDeclaration | undefined {
  if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isMethodSignature(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n)) return n;
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
    if (fn && ts.getCombinedModifierFlags(fn as ts.Declaration) & ts.ModifierFlags.Async) return true;
    for (const sig of signaturesOf(checker, n)) {
      if (isPromiseLike(checker, checker.getReturnTypeOfSignature(sig))) return true;
    }
  }
  return false;
}

function isPromiseLike(checker: ts.TypeChecker, t: ts.Type): boolean {
  if (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return true;
  const members = t.isUnion() ? t.types : [t];
  return members.some((m) => (m.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0 || checker.getPropertyOfType(m, 'then') !== undefined);
}

interface ParamShape {
  names: string[];
  /** Index of the rest parameter, if any: arguments from there are keyed `#<i>`. */
  restIndex: number | undefined;
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

const CLOSERS = new Set([ts.SyntaxKind.CloseParenToken, ts.SyntaxKind.CloseBracketToken, ts.SyntaxKind.CloseBraceToken, ts.SyntaxKind.GreaterThanToken]);

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
    const scanner = ts.createScanner(sf.languageVersion, true, sf.languageVariant, sf.text, undefined, start, n.end - start);
    for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
      const pos = scanner.getTokenStart();
      if ((kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) && regexStarts.has(pos)) scanner.reScanSlashToken();
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
function callTargets(checker: ts.TypeChecker, call: ts.CallExpression, byNode: Map<ts.Node, string>): string[] {
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

function valueTargets(checker: ts.TypeChecker, e0: ts.Expression, byNode: Map<ts.Node, string>, seen: Set<ts.Node>): string[] {
  let e = skipOuter(e0);
  // `(0, guard)(...)`: the value of a comma expression is its right operand.
  while (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.CommaToken) e = skipOuter(e.right);
  const at = ts.isIdentifier(e) ? e : ts.isPropertyAccessExpression(e) ? e.name : ts.isElementAccessExpression(e) ? e.argumentExpression : undefined;
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
  if (holder.parent && (ts.isSourceFile(holder.parent) || ts.isModuleBlock(holder.parent))) return denotes(checker, receiver, (sym) => (sym.flags & ts.SymbolFlags.Module) !== 0, new Set());
  if (d.parent && ts.isObjectLiteralExpression(d.parent)) {
    const literal = d.parent;
    return denotes(checker, receiver, (sym) => sym.declarations?.some((v) => isConstAlias(v) && skipOuter(v.initializer) === literal) ?? false, new Set());
  }
  return true;
}

/** Does `e` denote a symbol satisfying `test`, through imports and `const` aliases? */
function denotes(checker: ts.TypeChecker, e0: ts.Expression, test: (sym: ts.Symbol) => boolean, seen: Set<ts.Node>): boolean {
  const e = skipOuter(e0);
  const at = ts.isIdentifier(e) ? e : ts.isPropertyAccessExpression(e) ? e.name : undefined;
  if (!at) return false;
  if (ts.isPropertyAccessExpression(e) && !denotes(checker, e.expression, (sym) => (sym.flags & ts.SymbolFlags.Module) !== 0, seen)) return false;
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
    ts.isVariableDeclaration(d) && d.initializer !== undefined && ts.isIdentifier(d.name) && ts.isVariableDeclarationList(d.parent) &&
    (d.parent.flags & ts.NodeFlags.BlockScoped) === ts.NodeFlags.Const && !(ts.isForOfStatement(d.parent.parent) || ts.isForInStatement(d.parent.parent))
  );
}

function resolvedDeclaration(checker: ts.TypeChecker, call: ts.CallExpression): ts.Node | undefined {
  const sig = checker.getResolvedSignature(call);
  return (sig?.getDeclaration() as ts.Node | undefined) ?? undefined;
}

function calleeSymbol(checker: ts.TypeChecker, call: ts.CallExpression): ts.Symbol | undefined {
  const callee = skipOuter(call.expression);
  const at = ts.isPropertyAccessExpression(callee) ? callee.name : ts.isElementAccessExpression(callee) ? callee.argumentExpression : callee;
  return dealias(checker, checker.getSymbolAtLocation(at));
}

function dealias(checker: ts.TypeChecker, sym: ts.Symbol | undefined): ts.Symbol | undefined {
  if (sym && sym.flags & ts.SymbolFlags.Alias) return checker.getAliasedSymbol(sym);
  return sym;
}

/** A call the checker cannot tie to any declaration (any-typed callee). */
function isUnresolvedCall(checker: ts.TypeChecker, call: ts.CallExpression): boolean {
  if (resolvedDeclaration(checker, call)) return false;
  return (calleeSymbol(checker, call)?.declarations?.length ?? 0) === 0;
}

function calleeName(e: ts.Expression): string | undefined {
  const c = skipOuter(e);
  if (ts.isIdentifier(c)) return c.text;
  if (ts.isPropertyAccessExpression(c)) return c.name.text;
  if (ts.isElementAccessExpression(c) && ts.isStringLiteralLike(c.argumentExpression)) return c.argumentExpression.text;
  return undefined;
}

function skipOuter(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
  return e;
}

const NAME_OWNERS = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.FunctionDeclaration, ts.SyntaxKind.FunctionExpression, ts.SyntaxKind.MethodDeclaration, ts.SyntaxKind.MethodSignature,
  ts.SyntaxKind.PropertyDeclaration, ts.SyntaxKind.PropertySignature, ts.SyntaxKind.PropertyAssignment, ts.SyntaxKind.VariableDeclaration,
  ts.SyntaxKind.Parameter, ts.SyntaxKind.GetAccessor, ts.SyntaxKind.SetAccessor, ts.SyntaxKind.ClassDeclaration, ts.SyntaxKind.ClassExpression,
  ts.SyntaxKind.InterfaceDeclaration, ts.SyntaxKind.TypeAliasDeclaration, ts.SyntaxKind.EnumDeclaration, ts.SyntaxKind.EnumMember,
  ts.SyntaxKind.ModuleDeclaration, ts.SyntaxKind.TypeParameter,
]);

/**
 * If `n` is a reference to a sink that leaves direct-call position, the sink
 * id. Import/export specifiers, declaration names, type positions and
 * `export default sink` are not escapes.
 */
function escapingSinkReference(checker: ts.TypeChecker, n: ts.Identifier | ts.StringLiteralLike, byNode: Map<ts.Node, string>): string | undefined {
  const p = n.parent;
  if (!p) return undefined;
  let sym: ts.Symbol | undefined;
  if (ts.isStringLiteralLike(n)) {
    if (!(ts.isElementAccessExpression(p) && p.argumentExpression === n)) return undefined;
    sym = checker.getSymbolAtLocation(n);
  } else {
    if (ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isImportClause(p) || ts.isNamespaceImport(p) || ts.isImportEqualsDeclaration(p) || ts.isNamespaceExport(p)) return undefined;
    if (ts.isExportAssignment(p)) return undefined;
    if (ts.isShorthandPropertyAssignment(p) && p.name === n) {
      sym = checker.getShorthandAssignmentValueSymbol(p);
    } else if (ts.isBindingElement(p) && (p.propertyName ?? p.name) === n && ts.isObjectBindingPattern(p.parent)) {
      // `const { unwrapKey } = keyStore`: the method is taken out of its object.
      const prop = checker.getTypeAtLocation(p.parent).getProperty(n.text);
      sym = prop;
    } else if (NAME_OWNERS.has(p.kind) && (p as ts.NamedDeclaration).name === n) {
      return undefined;
    } else if (ts.isBindingElement(p)) {
      return undefined;
    } else {
      if (inTypePosition(n)) return undefined;
      sym = checker.getSymbolAtLocation(n);
    }
  }
  sym = dealias(checker, sym);
  const id = sym?.declarations?.map((d) => byNode.get(d)).find((x) => x !== undefined);
  if (id === undefined) return undefined;
  if (isDirectCallee(n)) return undefined;
  return id;
}

function isDirectCallee(n: ts.Node): boolean {
  let e: ts.Node = n;
  if ((ts.isPropertyAccessExpression(e.parent) && e.parent.name === e) || (ts.isElementAccessExpression(e.parent) && e.parent.argumentExpression === e)) e = e.parent;
  while (ts.isParenthesizedExpression(e.parent) || ts.isNonNullExpression(e.parent)) e = e.parent;
  return ts.isCallExpression(e.parent) && e.parent.expression === e;
}

function inTypePosition(n: ts.Node): boolean {
  for (let a: ts.Node | undefined = n.parent; a; a = a.parent) {
    if (ts.isTypeNode(a)) return true;
    if (!ts.isQualifiedName(a)) return false;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Enclosing function

interface Container {
  /** declarationName of the named function, or undefined for module top level. */
  name: string | undefined;
  file: string;
  /** Anonymous function-likes between a node and this container (their creation point is in it). */
  anonymous: Set<ts.Node>;
}

function enclosing(ctx: ExtractContext, node: Node, cache: Map<ts.Node, Container>): Container {
  const anonymous: ts.Node[] = [];
  let owner: Node | undefined;
  for (let a = node.getParent(); a; a = a.getParent()) {
    const isFn = Node.isFunctionDeclaration(a) || Node.isFunctionExpression(a) || Node.isArrowFunction(a) || Node.isMethodDeclaration(a) ||
      Node.isConstructorDeclaration(a) || Node.isGetAccessorDeclaration(a) || Node.isSetAccessorDeclaration(a);
    if (isFn || Node.isPropertyDeclaration(a)) {
      const name = declarationName(a);
      if (name !== undefined) {
        owner = a;
        break;
      }
      if (isFn) anonymous.push(a.compilerNode);
    }
  }
  const key = owner ? owner.compilerNode : node.getSourceFile().compilerNode;
  let c = cache.get(key);
  if (!c) {
    c = { name: owner ? declarationName(owner) : undefined, file: ctx.rel(owner ?? node.getSourceFile()), anonymous: new Set() };
    cache.set(key, c);
  }
  for (const f of anonymous) c.anonymous.add(f);
  return c;
}

// ---------------------------------------------------------------------------
// Guard arguments

/**
 * Is the (async) guard call the operand of `await`, or of `yield` in an
 * `async function*` (which awaits its operand), parentheses aside? A `yield`
 * in a plain generator hands the promise to the consumer unsettled, and
 * `yield*` delegates instead of awaiting.
 */
function isAwaited(call: ts.CallExpression): boolean {
  let e: ts.Node = call;
  while (ts.isParenthesizedExpression(e.parent) || ts.isAsExpression(e.parent) || ts.isSatisfiesExpression(e.parent) || ts.isNonNullExpression(e.parent)) e = e.parent;
  if (ts.isAwaitExpression(e.parent)) return true;
  return ts.isYieldExpression(e.parent) && e.parent.asteriskToken === undefined && isInAsyncGenerator(e.parent);
}

/** Is `y` directly inside an `async function*` (not a nested function)? */
function isInAsyncGenerator(y: ts.YieldExpression): boolean {
  let fn: ts.Node | undefined = y.parent;
  while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
  if (!fn || !(ts.isFunctionDeclaration(fn) || ts.isFunctionExpression(fn) || ts.isMethodDeclaration(fn))) return false;
  return fn.asteriskToken !== undefined && (ts.getCombinedModifierFlags(fn) & ts.ModifierFlags.Async) !== 0;
}

function guardArgs(checker: ts.TypeChecker, call: ts.CallExpression, shape: ParamShape): Record<string, GuardArg> {
  const declared = shape.restIndex ?? shape.names.length;
  const keyFor = (i: number) => (i < declared ? shape.names[i]! : `#${i}`);
  const args: Record<string, GuardArg> = {};
  for (let i = 0; i < call.arguments.length; i++) {
    const a = call.arguments[i]!;
    if (ts.isSpreadElement(a)) {
      for (let j = i; j < Math.max(declared, i + 1); j++) args[keyFor(j)] = DYNAMIC_ARG;
      break;
    }
    recordArg(checker, keyFor(i), a, args);
  }
  return args;
}

function recordArg(checker: ts.TypeChecker, key: string, e: ts.Expression, out: Record<string, GuardArg>): void {
  const inner = skipValuePreserving(e);
  if (ts.isObjectLiteralExpression(inner)) {
    const entries: Array<[string, ts.Expression]> = [];
    for (const p of inner.properties) {
      if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name))) {
        entries.push([p.name.text, p.initializer]);
      } else if (ts.isShorthandPropertyAssignment(p)) {
        entries.push([p.name.text, p.name]);
      } else {
        // Spreads, computed keys, methods: the object's content is not known.
        out[key] = DYNAMIC_ARG;
        return;
      }
    }
    for (const [name, value] of entries) recordArg(checker, `${key}.${name}`, value, out);
    return;
  }
  out[key] = literalValue(checker, e, 0);
}

function skipValuePreserving(e: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isParenthesizedExpression(e) || ts.isSatisfiesExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
    else if (ts.isAsExpression(e) && isConstAssertion(e)) e = e.expression;
    else return e;
  }
}

function isConstAssertion(e: ts.AsExpression): boolean {
  return ts.isTypeReferenceNode(e.type) && ts.isIdentifier(e.type.typeName) && e.type.typeName.text === 'const';
}

/**
 * A compile-time literal: literals, enum members (by value), and `const`s
 * initialized with such (followed across imports). Casts, parameters, `let`s
 * and computed values are `<dynamic>`.
 */
function literalValue(checker: ts.TypeChecker, e0: ts.Expression, depth: number): GuardArg {
  if (depth > 16) return DYNAMIC_ARG;
  const e = skipValuePreserving(e0);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (e.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isPrefixUnaryExpression(e) && ts.isNumericLiteral(e.operand)) {
    if (e.operator === ts.SyntaxKind.MinusToken) return -Number(e.operand.text);
    if (e.operator === ts.SyntaxKind.PlusToken) return Number(e.operand.text);
    return DYNAMIC_ARG;
  }
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
    const sym = dealias(checker, checker.getSymbolAtLocation(ts.isPropertyAccessExpression(e) ? e.name : e.argumentExpression));
    const d = sym?.declarations?.length === 1 ? sym.declarations[0]! : undefined;
    if (d && ts.isEnumMember(d)) {
      // Asked of the member itself: the access node's value is only filled in by a full check.
      const v = checker.getConstantValue(d);
      if (v !== undefined) return v;
    }
    return DYNAMIC_ARG;
  }
  if (ts.isIdentifier(e)) {
    const sym = dealias(checker, checker.getSymbolAtLocation(e));
    const decls = sym?.declarations ?? [];
    if (decls.length !== 1) return DYNAMIC_ARG;
    const d = decls[0]!;
    if (ts.isEnumMember(d)) {
      const v = checker.getConstantValue(d);
      return v === undefined ? DYNAMIC_ARG : v;
    }
    if (ts.isVariableDeclaration(d) && d.initializer && ts.isIdentifier(d.name) && ts.isVariableDeclarationList(d.parent) && (d.parent.flags & ts.NodeFlags.BlockScoped) === ts.NodeFlags.Const && !(ts.isForOfStatement(d.parent.parent) || ts.isForInStatement(d.parent.parent))) {
      return literalValue(checker, d.initializer, depth + 1);
    }
  }
  return DYNAMIC_ARG;
}

// ---------------------------------------------------------------------------

function stableJson(v: Record<string, GuardArg>): string {
  return JSON.stringify(Object.keys(v).sort().map((k) => [k, v[k]]));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}
