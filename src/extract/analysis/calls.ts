import { ts } from 'ts-morph';
import { DYNAMIC_ARG, isDynamicArg, type GuardArg } from '../../manifest/types.js';
import { sha256Hex } from '../../util/fs.js';
import { normalizedText } from './tokens.js';

/**
 * Call and argument helpers shared by the call graph and the key-gating collector: resolving a call's
 * declaration and symbol, references, awaited calls, literal arguments.
 */

export function isPromiseLike(checker: ts.TypeChecker, t: ts.Type): boolean {
  if (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return true;
  const members = t.isUnion() ? t.types : [t];
  return members.some(
    (m) =>
      (m.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0 || checker.getPropertyOfType(m, 'then') !== undefined,
  );
}

export function resolvedDeclaration(checker: ts.TypeChecker, call: ts.CallExpression): ts.Node | undefined {
  const sig = checker.getResolvedSignature(call);
  return sig?.getDeclaration() ?? undefined;
}

export function calleeSymbol(checker: ts.TypeChecker, call: ts.CallExpression): ts.Symbol | undefined {
  const callee = skipOuter(call.expression);
  const at = ts.isPropertyAccessExpression(callee)
    ? callee.name
    : ts.isElementAccessExpression(callee)
      ? callee.argumentExpression
      : callee;
  return dealias(checker, checker.getSymbolAtLocation(at));
}

export function dealias(checker: ts.TypeChecker, sym: ts.Symbol | undefined): ts.Symbol | undefined {
  if (sym && sym.flags & ts.SymbolFlags.Alias) return checker.getAliasedSymbol(sym);
  return sym;
}

/** A call the checker cannot tie to any declaration (any-typed callee). */
export function isUnresolvedCall(checker: ts.TypeChecker, call: ts.CallExpression): boolean {
  if (resolvedDeclaration(checker, call)) return false;
  return (calleeSymbol(checker, call)?.declarations?.length ?? 0) === 0;
}

export function calleeName(e: ts.Expression): string | undefined {
  const c = skipOuter(e);
  if (ts.isIdentifier(c)) return c.text;
  if (ts.isPropertyAccessExpression(c)) return c.name.text;
  if (ts.isElementAccessExpression(c) && ts.isStringLiteralLike(c.argumentExpression)) return c.argumentExpression.text;
  return undefined;
}

export function skipOuter(e: ts.Expression): ts.Expression {
  while (
    ts.isParenthesizedExpression(e) ||
    ts.isNonNullExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isTypeAssertionExpression(e)
  )
    e = e.expression;
  return e;
}

const NAME_OWNERS = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.MethodSignature,
  ts.SyntaxKind.PropertyDeclaration,
  ts.SyntaxKind.PropertySignature,
  ts.SyntaxKind.PropertyAssignment,
  ts.SyntaxKind.VariableDeclaration,
  ts.SyntaxKind.Parameter,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
  ts.SyntaxKind.ClassDeclaration,
  ts.SyntaxKind.ClassExpression,
  ts.SyntaxKind.InterfaceDeclaration,
  ts.SyntaxKind.TypeAliasDeclaration,
  ts.SyntaxKind.EnumDeclaration,
  ts.SyntaxKind.EnumMember,
  ts.SyntaxKind.ModuleDeclaration,
  ts.SyntaxKind.TypeParameter,
]);

/**
 * If `n` is a reference to a sink that leaves direct-call position, the sink
 * id. Import/export specifiers, declaration names, type positions and
 * `export default sink` are not escapes.
 */
/**
 * The (dealiased) symbol `n` refers to as a value, or undefined when `n` is
 * not a reference (import/export specifiers, declaration names, type
 * positions, `export default x`). Direct callee position is not checked here.
 */
export function referenceSymbol(
  checker: ts.TypeChecker,
  n: ts.Identifier | ts.StringLiteralLike,
): ts.Symbol | undefined {
  const p = n.parent;
  if (!p) return undefined;
  let sym: ts.Symbol | undefined;
  if (ts.isStringLiteralLike(n)) {
    if (!(ts.isElementAccessExpression(p) && p.argumentExpression === n)) return undefined;
    sym = checker.getSymbolAtLocation(n);
  } else {
    if (
      ts.isImportSpecifier(p) ||
      ts.isExportSpecifier(p) ||
      ts.isImportClause(p) ||
      ts.isNamespaceImport(p) ||
      ts.isImportEqualsDeclaration(p) ||
      ts.isNamespaceExport(p)
    )
      return undefined;
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
  return dealias(checker, sym);
}

export function isDirectCallee(n: ts.Node): boolean {
  let e: ts.Node = n;
  if (
    (ts.isPropertyAccessExpression(e.parent) && e.parent.name === e) ||
    (ts.isElementAccessExpression(e.parent) && e.parent.argumentExpression === e)
  )
    e = e.parent;
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
// Guard arguments

/**
 * Inside a summarised function: a guard argument that is one of the
 * function's own parameters (never reassigned) is recorded as a reference to
 * it, resolved at each call site (src/extract/analysis/callgraph.ts).
 */
export interface ParamRef {
  param: number;
  /** A member of the parameter (`req.scope`: `.scope`), in the `<param#i>.scope` notation. */
  path?: string;
}
export type ArgVal = GuardArg | ParamRef;
export type ParamHook = (id: ts.Identifier) => ParamRef | undefined;

/** `n` with the parentheses, type assertions, `satisfies` and `!` around it: the node its parent sees. */
function outermost(n: ts.Node): ts.Node {
  let e = n;
  while (
    ts.isParenthesizedExpression(e.parent) ||
    ts.isAsExpression(e.parent) ||
    ts.isSatisfiesExpression(e.parent) ||
    ts.isNonNullExpression(e.parent)
  )
    e = e.parent;
  return e;
}

/**
 * Is the (async) guard call the operand of `await`, or of `yield` in an
 * `async function*` (which awaits its operand), parentheses aside? A `yield`
 * in a plain generator hands the promise to the consumer unsettled, and
 * `yield*` delegates instead of awaiting.
 */
export function isAwaited(call: ts.CallExpression): boolean {
  const e = outermost(call);
  if (ts.isAwaitExpression(e.parent)) return true;
  return ts.isYieldExpression(e.parent) && e.parent.asteriskToken === undefined && isInAsyncGenerator(e.parent);
}

/**
 * `p.then(onFulfilled)` (no rejection handler) or `p.finally(f)`, with the
 * standard library's `Promise` members (by declaration: a project `then` is
 * not one): a promise that fulfils only if `p` fulfils. The call, or
 * undefined.
 */
function fulfilmentLink(checker: ts.TypeChecker, p: ts.Node, lib: DefaultLib): ts.CallExpression | undefined {
  let e: ts.Node = p;
  while (ts.isParenthesizedExpression(e.parent) || ts.isNonNullExpression(e.parent)) e = e.parent;
  const access = e.parent;
  if (!ts.isPropertyAccessExpression(access) || access.expression !== e) return undefined;
  const call = access.parent;
  if (!ts.isCallExpression(call) || call.expression !== access) return undefined;
  if (!ts.isIdentifier(access.name)) return undefined;
  const member = access.name.text;
  if (member === 'then' ? call.arguments.length > 1 : member !== 'finally') return undefined;
  if (call.arguments.some((a) => ts.isSpreadElement(a))) return undefined;
  return isLibraryMember(checker, access.name, 'Promise', lib) ? call : undefined;
}

/** Whether a file is one of the program's default library files (`program.isSourceFileDefaultLibrary`). */
export type DefaultLib = (sf: ts.SourceFile) => boolean;

/**
 * A member of the default library's interface `owner` only (`Promise`, `PromiseConstructor`): a project
 * augmentation merged into it, or a project member of the same name, is not one.
 */
function isLibraryMember(checker: ts.TypeChecker, name: ts.Identifier, owner: string, lib: DefaultLib): boolean {
  const decls = checker.getSymbolAtLocation(name)?.declarations ?? [];
  return (
    decls.length > 0 &&
    decls.every((d) => ts.isInterfaceDeclaration(d.parent) && d.parent.name.text === owner && lib(d.getSourceFile()))
  );
}

/**
 * Whether the promise of `call` has certainly fulfilled when execution goes
 * on past it: it is awaited, or it is the start of a chain of fulfilment
 * links (`guard().then(log)`, `guard().finally(f)`, `Promise.all([guard(), …])`)
 * that is awaited. A
 * rejection handler anywhere in the chain (`.then(f, r)`, `.catch`) can turn
 * the guard's rejection into a fulfilment: not awaited. `site`: the call the
 * guard must protect; one inside the awaited chain runs before the await
 * completes, so the chain does not count for it.
 */
export function isAwaitedThrough(
  checker: ts.TypeChecker,
  call: ts.CallExpression,
  lib: DefaultLib,
  site?: ts.Node,
): boolean {
  for (let c: ts.CallExpression | undefined = call; c; c = fulfilmentLink(checker, c, lib) ?? allOf(checker, c, lib)) {
    // At a function's exit (no site): a promise it returns is its own result, settled when a caller awaits it.
    if (site === undefined && returnedAsResult(checker, c)) return true;
    if (!isAwaited(c)) continue;
    // The await completes only after everything in its operand ran: a site inside the chain itself
    // (`await Promise.all([guard(), unwrapKey(id)])`, `await guard().finally(() => unwrapKey(id))`) runs before.
    return c === call || site === undefined || !contains(c, site);
  }
  return site !== undefined && awaitedThroughConst(call, site);
}

/**
 * `return guard(…)` or `async () => guard(…)`: the promise is the function's result, awaited where the
 * function's own call is. Only in a function whose result is promise-like (async, or so typed): its callers
 * then count what it ensures as awaited only where they await it (callgraph.ts, `isAsyncFn`); a function
 * typed otherwise could hand the promise to a caller that never waits for it. Not in generators.
 */
function returnedAsResult(checker: ts.TypeChecker, call: ts.CallExpression): boolean {
  const e = outermost(call);
  const p = e.parent;
  let fn: ts.Node | undefined;
  if (ts.isArrowFunction(p) && p.body === e) fn = p;
  else if (ts.isReturnStatement(p) && p.expression === e) {
    for (let a: ts.Node | undefined = p.parent; a; a = a.parent) {
      if (ts.isFunctionLike(a) || ts.isClassStaticBlockDeclaration(a) || ts.isSourceFile(a)) {
        fn = a;
        break;
      }
    }
  }
  if (
    !fn ||
    !(
      ts.isFunctionDeclaration(fn) ||
      ts.isFunctionExpression(fn) ||
      ts.isArrowFunction(fn) ||
      ts.isMethodDeclaration(fn)
    ) ||
    fn.asteriskToken
  )
    return false;
  if (ts.getCombinedModifierFlags(fn) & ts.ModifierFlags.Async) return true;
  const sig = checker.getSignatureFromDeclaration(fn);
  return sig !== undefined && isPromiseLike(checker, checker.getReturnTypeOfSignature(sig));
}

/**
 * `const p = guard(…); …; await p; …site…`: the promise kept in a `const` and awaited by a statement of the
 * block that declares it, before the statement that holds the site (statements of a block run in order, so
 * the site is reached only past the await; a site in a function created later runs later still).
 */
function awaitedThroughConst(call: ts.CallExpression, site: ts.Node): boolean {
  const e = outermost(call);
  const decl = e.parent;
  if (!ts.isVariableDeclaration(decl) || decl.initializer !== e || !ts.isIdentifier(decl.name)) return false;
  if (!(ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const)) return false;
  const stmt = decl.parent.parent;
  const block = stmt.parent;
  if (
    !ts.isVariableStatement(stmt) ||
    !(ts.isBlock(block) || ts.isSourceFile(block) || ts.isCaseOrDefaultClause(block))
  )
    return false;
  const statements: readonly ts.Statement[] = block.statements;
  const name = decl.name.text;
  const awaitsName = (x: ts.Expression): boolean => {
    const inner = skipOuter(x);
    return ts.isIdentifier(inner) && inner.text === name;
  };
  let awaited = false;
  for (let i = statements.indexOf(stmt) + 1; i < statements.length; i++) {
    const st = statements[i]!;
    if (contains(st, site)) return awaited;
    if (ts.isExpressionStatement(st) && ts.isAwaitExpression(skipOuter(st.expression))) {
      const operand = (skipOuter(st.expression) as ts.AwaitExpression).expression;
      if (awaitsName(operand)) awaited = true;
    }
  }
  return false;
}

function contains(outer: ts.Node, n: ts.Node): boolean {
  for (let a: ts.Node | undefined = n; a; a = a.parent) if (a === outer) return true;
  return false;
}

/**
 * `Promise.all([…, p, …])` (the standard library's, by declaration): a promise that fulfils only if every
 * element does, so awaiting it awaits `p`. `allSettled`, `race` and `any` can fulfil without it.
 */
function allOf(checker: ts.TypeChecker, p: ts.Node, lib: DefaultLib): ts.CallExpression | undefined {
  let e: ts.Node = p;
  while (ts.isParenthesizedExpression(e.parent) || ts.isNonNullExpression(e.parent)) e = e.parent;
  const list = e.parent;
  if (!ts.isArrayLiteralExpression(list)) return undefined;
  const call = list.parent;
  if (!ts.isCallExpression(call) || call.arguments[0] !== list) return undefined;
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.name) || callee.name.text !== 'all')
    return undefined;
  return isLibraryMember(checker, callee.name, 'PromiseConstructor', lib) ? call : undefined;
}

/**
 * The calls whose promises have certainly fulfilled when callback `cb` runs:
 * `cb` is the fulfilment handler of `p.then(cb, …)` (standard `Promise`),
 * and `p` is a call, or a chain of fulfilment links from one
 * (`guard().then(a).then(cb)`: both the guard's call and `.then(a)`).
 */
export function fulfilledBefore(checker: ts.TypeChecker, cb: ts.Node, lib: DefaultLib): ts.CallExpression[] {
  let arg: ts.Node = cb;
  while (ts.isParenthesizedExpression(arg.parent)) arg = arg.parent;
  const call = arg.parent;
  if (!call || !ts.isCallExpression(call) || call.arguments[0] !== arg) return [];
  const access = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(access) || !ts.isIdentifier(access.name) || access.name.text !== 'then') return [];
  if (!isLibraryMember(checker, access.name, 'Promise', lib)) return [];
  const out: ts.CallExpression[] = [];
  let p = skipOuter(access.expression);
  while (ts.isCallExpression(p)) {
    out.push(p);
    const inner = skipOuter(p.expression);
    if (!ts.isPropertyAccessExpression(inner)) break;
    const receiver = skipOuter(inner.expression);
    if (!ts.isCallExpression(receiver) || fulfilmentLink(checker, receiver, lib) !== p) break;
    p = receiver;
  }
  return out;
}

/** Is `y` directly inside an `async function*` (not a nested function)? */
function isInAsyncGenerator(y: ts.YieldExpression): boolean {
  let fn: ts.Node | undefined = y.parent;
  while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
  if (!fn || !(ts.isFunctionDeclaration(fn) || ts.isFunctionExpression(fn) || ts.isMethodDeclaration(fn))) return false;
  return fn.asteriskToken !== undefined && (ts.getCombinedModifierFlags(fn) & ts.ModifierFlags.Async) !== 0;
}

export interface ParamShape {
  names: string[];
  /** Index of the rest parameter, if any: arguments from there are keyed `#<i>`. */
  restIndex: number | undefined;
}

export function guardArgs(
  checker: ts.TypeChecker,
  call: ts.CallExpression,
  shape: ParamShape,
  param?: ParamHook,
  list: readonly ts.Expression[] | null = call.arguments,
): Record<string, ArgVal> {
  const declared = shape.restIndex ?? shape.names.length;
  const keyFor = (i: number) => (i < declared ? shape.names[i]! : `#${i}`);
  const args: Record<string, ArgVal> = {};
  // The arguments are not known one by one (`guard.apply(null, levels)`).
  if (list === null) {
    for (let j = 0; j < Math.max(declared, 1); j++) args[keyFor(j)] = DYNAMIC_ARG;
    return args;
  }
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    if (ts.isSpreadElement(a)) {
      for (let j = i; j < Math.max(declared, i + 1); j++) args[keyFor(j)] = DYNAMIC_ARG;
      break;
    }
    recordArg(checker, keyFor(i), a, args, param);
  }
  return args;
}

/**
 * What a recorded argument that names program state depends on (`<this>.threshold`, `<expr:CFG.min>`,
 * `<var:t#…>`): set by the key-gating collector for the time of its run (digest.ts `argumentStateDigest`), so
 * that a change of the getter, of a write to `CFG.min` elsewhere or of the function `t` is initialized from is
 * a change of the argument, as a change of its text is.
 */
let argState: ((e: ts.Expression) => string) | undefined;

export function withArgumentState<T>(digest: ((e: ts.Expression) => string) | undefined, run: () => T): T {
  const prior = argState;
  argState = digest;
  try {
    return run();
  } finally {
    argState = prior;
  }
}

/** `v` with `@<digest>` of what `e` depends on, when `v` describes program state (not a literal, `<param#i>`, `<this>`). */
export function withState(e: ts.Expression, v: ArgVal): ArgVal {
  if (!argState || typeof v !== 'string' || !v.startsWith('<') || v === '<this>' || v === DYNAMIC_ARG) return v;
  if (v.startsWith('<param#')) return v;
  const d = argState(e);
  return d === '' ? v : `${v}@${d}`;
}

export function recordArg(
  checker: ts.TypeChecker,
  key: string,
  e: ts.Expression,
  out: Record<string, ArgVal>,
  param?: ParamHook,
): void {
  const inner = skipValuePreserving(e);
  if (ts.isObjectLiteralExpression(inner)) {
    const entries: Array<[string, ts.Expression]> = [];
    for (const p of inner.properties) {
      if (
        ts.isPropertyAssignment(p) &&
        (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name))
      ) {
        entries.push([p.name.text, p.initializer]);
      } else if (ts.isShorthandPropertyAssignment(p)) {
        entries.push([p.name.text, p.name]);
      } else {
        // Spreads, computed keys, methods: the object's content is not known field by field.
        out[key] = withState(inner, expressionArg(inner));
        return;
      }
    }
    for (const [name, value] of entries) recordArg(checker, `${key}.${name}`, value, out, param);
    return;
  }
  out[key] = withState(e, literalValue(checker, e, 0, param));
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
 * initialized with such (followed across imports). Anything else is described
 * by where it comes from, so that a change of a guard's input is a change of
 * its recorded argument (`requireQuorum(approvals, 2)` -> `requireQuorum(forged, 2)`):
 * a parameter of the enclosing function `<param#i>` (by position; a ParamRef
 * inside a summarised function, replaced at each call site), another binding
 * `<var:name>` (`let`s, reassigned parameters, loop variables, imports that
 * are not constants), `this` `<this>`, a member of one of those
 * `<param#0>.scope`, and any other expression `<expr:…>` (its normalized
 * tokens, with a digest when long). `<dynamic>`: nothing can be said.
 */
function literalValue(checker: ts.TypeChecker, e0: ts.Expression, depth: number, param?: ParamHook): ArgVal {
  if (depth > 16) return DYNAMIC_ARG;
  const e = skipValuePreserving(e0);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (e.kind === ts.SyntaxKind.NullKeyword) return null;
  if (e.kind === ts.SyntaxKind.ThisKeyword) return '<this>';
  if (ts.isPrefixUnaryExpression(e) && ts.isNumericLiteral(e.operand)) {
    if (e.operator === ts.SyntaxKind.MinusToken) return -Number(e.operand.text);
    if (e.operator === ts.SyntaxKind.PlusToken) return Number(e.operand.text);
    return expressionArg(e);
  }
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
    const sym = dealias(
      checker,
      checker.getSymbolAtLocation(ts.isPropertyAccessExpression(e) ? e.name : e.argumentExpression),
    );
    const d = sym?.declarations?.length === 1 ? sym.declarations[0]! : undefined;
    if (d && ts.isEnumMember(d)) {
      // Asked of the member itself: the access node's value is only filled in by a full check.
      const v = checker.getConstantValue(d);
      if (v !== undefined) return v;
    }
    // A property of a constant object literal (`POLICY.level` with `const POLICY = { level: 'TEE_PROD' }`): its value.
    // Only a literal: an object held there can be changed in place (`POLICY.opts.strict = false`) unseen.
    if (d && ts.isPropertyAssignment(d)) {
      const init = constObjectProperty(checker, e, d);
      const v = init ? literalValue(checker, init, depth + 1, param) : undefined;
      if (v !== undefined && (v === null || typeof v !== 'object') && !isDynamicArg(v)) return v;
    }
    // A member of a described base: `<param#0>.scope`, `<this>.policy["level"]`.
    if (ts.isElementAccessExpression(e) && !isLiteralKeyExpr(e.argumentExpression)) return expressionArg(e);
    if (ts.isPropertyAccessExpression(e) && ts.isPrivateIdentifier(e.name)) return expressionArg(e);
    const base = literalValue(checker, e.expression, depth + 1, param);
    const member = ts.isPropertyAccessExpression(e)
      ? `.${e.name.text}`
      : `[${JSON.stringify((e.argumentExpression as ts.StringLiteral | ts.NumericLiteral).text)}]`;
    // A member of a summarised function's parameter: resolved at each call site like the parameter.
    if (typeof base === 'object' && base !== null) return { param: base.param, path: `${base.path ?? ''}${member}` };
    if (typeof base !== 'string' || !base.startsWith('<') || base.startsWith('<expr:')) return expressionArg(e);
    return `${base}${member}`;
  }
  if (ts.isIdentifier(e)) {
    const p = param?.(e);
    if (p !== undefined) return p;
    const sym = dealias(checker, checker.getSymbolAtLocation(e));
    const decls = sym?.declarations ?? [];
    if (decls.length !== 1) return decls.length === 0 ? DYNAMIC_ARG : `<var:${e.text}>`;
    const d = decls[0]!;
    if (ts.isEnumMember(d)) {
      const v = checker.getConstantValue(d);
      return v === undefined ? `<var:${e.text}>` : v;
    }
    if (
      ts.isVariableDeclaration(d) &&
      d.initializer &&
      ts.isIdentifier(d.name) &&
      ts.isVariableDeclarationList(d.parent) &&
      (d.parent.flags & ts.NodeFlags.BlockScoped) === ts.NodeFlags.Const &&
      !(ts.isForOfStatement(d.parent.parent) || ts.isForInStatement(d.parent.parent))
    ) {
      return literalValue(checker, d.initializer, depth + 1, param);
    }
    if (ts.isParameter(d) && ts.isIdentifier(d.name) && !isReassigned(checker, d, sym!)) {
      const i = paramIndex(d);
      if (i >= 0) return paramArg(i);
    }
    return varArg(checker, e.text, d, sym!);
  }
  return expressionArg(e);
}

/**
 * What a summarised function's `param.path` is at a call site passing `arg`: the argument's description with
 * the path appended (`<param#0>.scope`, `<var:req>.scope`); for an argument that is not a plain reference
 * (an object literal, a call), its `<expr:…>` with the path.
 */
export function memberOfArg(checker: ts.TypeChecker, arg: ts.Expression, path: string, param?: ParamHook): ArgVal {
  // `ensure({ scope: 'keys:read' })` for `ensure(req) { requireScope(req.scope) }`: the property's own value.
  const m = /^\.([$_\p{ID_Start}][$\u200c\u200d\p{ID_Continue}]*)(.*)$/u.exec(path);
  const inner = skipValuePreserving(arg);
  if (m && ts.isObjectLiteralExpression(inner)) {
    const [, name, rest] = m;
    const props = inner.properties;
    const own = props.filter((p) => (p.name && ts.isIdentifier(p.name) ? p.name.text : undefined) === name);
    // Only when nothing else can supply the key (no spread, no computed key, one definition).
    const plain = props.every((p) => ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p));
    if (plain && own.length === 1) {
      const p = own[0]!;
      const value = ts.isPropertyAssignment(p) ? p.initializer : (p as ts.ShorthandPropertyAssignment).name;
      return rest ? memberOfArg(checker, value, rest, param) : literalValue(checker, value, 0, param);
    }
  }
  const base = literalValue(checker, arg, 0, param);
  if (typeof base === 'object' && base !== null) return { param: base.param, path: `${base.path ?? ''}${path}` };
  if (typeof base === 'string' && base.startsWith('<') && !base.startsWith('<expr:')) return `${base}${path}`;
  return `${expressionArg(arg)}${path}`;
}

/**
 * `<param#i>`: the enclosing function's parameter at position `i` (`this` not counted), by position so that
 * renaming a parameter changes nothing.
 */
export function paramArg(i: number): string {
  return `<param#${i}>`;
}

function paramIndex(d: ts.ParameterDeclaration): number {
  const fn = d.parent;
  if (!ts.isFunctionLike(fn)) return -1;
  return fn.parameters.filter((p) => !(ts.isIdentifier(p.name) && p.name.text === 'this')).indexOf(d);
}

/**
 * The initializer of property `prop` read by `e` (`POLICY.level`) when `e`'s object is a `const` bound to
 * an object literal that `prop` belongs to, with nothing else that could supply or change the key: no
 * spread, computed key or accessor in the literal, no use of it in its file but member reads, and not
 * exported (another module could write it, through a cast even under `as const`).
 */
function constObjectProperty(
  checker: ts.TypeChecker,
  e: ts.Expression,
  prop: ts.PropertyAssignment,
): ts.Expression | undefined {
  if (!ts.isPropertyAccessExpression(e) && !ts.isElementAccessExpression(e)) return undefined;
  const obj = skipOuter(e.expression);
  if (!ts.isIdentifier(obj)) return undefined;
  const sym = dealias(checker, checker.getSymbolAtLocation(obj));
  const decl = sym?.declarations?.length === 1 ? sym.declarations[0] : undefined;
  if (
    !sym ||
    !decl ||
    !ts.isVariableDeclaration(decl) ||
    !decl.initializer ||
    !ts.isVariableDeclarationList(decl.parent) ||
    (decl.parent.flags & ts.NodeFlags.BlockScoped) !== ts.NodeFlags.Const
  )
    return undefined;
  const init = skipValuePreserving(decl.initializer);
  if (!ts.isObjectLiteralExpression(init) || prop.parent !== init) return undefined;
  if (!init.properties.every((p) => ts.isPropertyAssignment(p) && !ts.isComputedPropertyName(p.name))) return undefined;
  const stmt = decl.parent.parent;
  const exported = ts.isVariableStatement(stmt) && (ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Export) !== 0;
  // Exported, another module can change it (`(POLICY as any).level = …` compiles even under `as const`).
  if (exported || isReexported(decl)) return undefined;
  // Every use of the object in its file reads one of its members: nothing writes a member, deletes one, or
  // lets the object escape to code that could (an alias, an argument, `Object.assign(POLICY, …)`).
  if (init.properties.some((p) => ts.isPropertyAssignment(p) && ts.isFunctionExpression(skipOuter(p.initializer))))
    return undefined;
  let escapes = false;
  const visit = (n: ts.Node): void => {
    if (escapes) return;
    if (ts.isIdentifier(n) && n !== decl.name && dealias(checker, checker.getSymbolAtLocation(n)) === sym) {
      const access = n.parent;
      if (
        !access ||
        !(ts.isPropertyAccessExpression(access) || ts.isElementAccessExpression(access)) ||
        access.expression !== n ||
        isWritten(access)
      )
        escapes = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(decl.getSourceFile());
  if (escapes) return undefined;
  return prop.initializer;
}

/** Is the binding also exported by an `export { x }` or `export default x` of its file? */
function isReexported(decl: ts.VariableDeclaration): boolean {
  if (!ts.isIdentifier(decl.name)) return true;
  const name = decl.name.text;
  return decl
    .getSourceFile()
    .statements.some(
      (s) =>
        (ts.isExportDeclaration(s) &&
          s.exportClause !== undefined &&
          ts.isNamedExports(s.exportClause) &&
          s.exportClause.elements.some((el) => (el.propertyName ?? el.name).text === name)) ||
        (ts.isExportAssignment(s) && ts.isIdentifier(s.expression) && s.expression.text === name),
    );
}

/** Is member access `a` written (an assignment or destructuring target, `++`/`--`, `delete`)? */
function isWritten(a: ts.Expression): boolean {
  let x: ts.Node = a;
  for (;;) {
    const p = x.parent;
    if (!p) return false;
    if (writeTarget(p) === x || ts.isDeleteExpression(p)) return true;
    const through =
      ts.isParenthesizedExpression(p) ||
      ts.isNonNullExpression(p) ||
      ts.isAsExpression(p) ||
      ts.isSatisfiesExpression(p) ||
      // a destructuring target is a literal on the left of `=`: `({ x: POLICY.level } = other)`
      ts.isObjectLiteralExpression(p) ||
      ts.isArrayLiteralExpression(p) ||
      (ts.isPropertyAssignment(p) && p.initializer === x) ||
      ts.isShorthandPropertyAssignment(p) ||
      ts.isSpreadAssignment(p) ||
      ts.isSpreadElement(p);
    if (!through) return false;
    x = p;
  }
}

/**
 * `<var:name#digest>`: a binding whose value is not fixed where it is declared. The digest covers what can
 * set it: its initializer, the iterated expression of a `for…of`/`for…in` that declares it, a parameter's
 * position, and every write to it in its scope (`if (x) apps = forged` changes it). Writes from another
 * module (an exported `let` assigned through a CommonJS rewrite) are not seen.
 */
function varArg(checker: ts.TypeChecker, name: string, d: ts.Declaration, sym: ts.Symbol): string {
  const parts: string[] = [];
  let scope: ts.Node = d.getSourceFile();
  if (ts.isVariableDeclaration(d)) {
    if (d.initializer) parts.push(`=${normalizedText(d.initializer)}`);
    const list = d.parent;
    const holder = list.parent;
    if (ts.isForOfStatement(holder) || ts.isForInStatement(holder))
      parts.push(`of ${normalizedText(holder.expression)}`);
    if (ts.isVariableDeclarationList(list) && list.flags & ts.NodeFlags.BlockScoped) {
      for (let a: ts.Node | undefined = list.parent; a; a = a.parent)
        if (ts.isBlock(a) || ts.isSourceFile(a) || ts.isFunctionLike(a) || ts.isIterationStatement(a, false)) {
          scope = a;
          break;
        }
    }
  } else if (ts.isParameter(d)) {
    parts.push(`param#${paramIndex(d)}`);
    scope = d.parent;
  } else {
    return `<var:${name}>`;
  }
  const visit = (n: ts.Node): void => {
    const target = writeTarget(n);
    if (target && writes(checker, target, sym)) parts.push(normalizedText(n));
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return `<var:${name}#${sha256Hex(parts.sort().join('\n')).slice(0, 8)}>`;
}

/** The target an assignment, `++`/`--` or a `for (x of …)` head writes, if `n` is one. */
export function writeTarget(n: ts.Node): ts.Node | undefined {
  if (
    ts.isBinaryExpression(n) &&
    n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
    n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
  )
    return n.left;
  if (
    (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
    (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)
  )
    return n.operand;
  if ((ts.isForOfStatement(n) || ts.isForInStatement(n)) && !ts.isVariableDeclarationList(n.initializer))
    return n.initializer;
  return undefined;
}

/** Does `target` (an identifier, or a destructuring pattern) write `sym`? */
function writes(checker: ts.TypeChecker, target: ts.Node, sym: ts.Symbol): boolean {
  let found = false;
  const visit = (x: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(x) && checker.getSymbolAtLocation(x) === sym) found = true;
    else if (ts.isShorthandPropertyAssignment(x) && checker.getShorthandAssignmentValueSymbol(x) === sym) found = true;
    else if (!ts.isPropertyAccessExpression(x) && !ts.isElementAccessExpression(x)) ts.forEachChild(x, visit);
  };
  visit(skipOuter(target as ts.Expression));
  return found;
}

/** Is parameter `d` assigned anywhere in its function (then its value at a call is not what was passed)? */
function isReassigned(checker: ts.TypeChecker, d: ts.ParameterDeclaration, sym: ts.Symbol): boolean {
  const body = (d.parent as ts.FunctionLikeDeclaration).body;
  if (!body) return false;
  return isWrittenIn(checker, body, sym);
}

/** Does anything under `root` write the binding `sym` (an assignment, `++`, a loop or destructuring target)? */
export function isWrittenIn(checker: ts.TypeChecker, root: ts.Node, sym: ts.Symbol): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    const target = writeTarget(n);
    if (target && writes(checker, target, sym)) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(root);
  return found;
}

function isLiteralKeyExpr(e: ts.Expression): e is ts.StringLiteral | ts.NumericLiteral {
  return ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isNumericLiteral(e);
}

const EXPR_TEXT_MAX = 80;

/** `<expr:…>`: any other expression, by its normalized tokens (long ones cut, with a digest of the whole). */
export function expressionArg(e: ts.Node): string {
  const text = normalizedText(e);
  if (text.length <= EXPR_TEXT_MAX) return `<expr:${text}>`;
  return `<expr:${text.slice(0, 60)}… #${sha256Hex(text).slice(0, 12)}>`;
}

// ---------------------------------------------------------------------------

export function stableJson(v: Record<string, ArgVal>): string {
  return JSON.stringify(
    Object.keys(v)
      .sort()
      .map((k) => [k, v[k]]),
  );
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
