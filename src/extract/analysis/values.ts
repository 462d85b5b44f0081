/**
 * What a value really carries when it is serialized, compared with the type
 * it is declared as. Shared by the LE extractor (returned values against the
 * declared response) and the logging extractor (`@logSink` arguments against
 * the sink's parameter type, the schema).
 *
 * TypeScript's structural typing lets a wider object flow into a narrower
 * declared type without a cast, and `JSON.stringify` writes what the object
 * has, not what its type says: extra properties, own getters, the result of
 * a `toJSON()` method, properties added by `Object.defineProperty` or through
 * a prototype. Everything here over-approximates: when unsure, report.
 */
import { ts } from 'ts-morph';
import type { ExtractContext } from './context.js';
import { byText, isProjectDeclared, isRecordObject, unionMembers } from './types.js';
import { callersOf } from './callers.js';
import { writtenElsewhere } from './digest.js';
import { sinkStatements } from './prefilter.js';

const WIDTH_DEPTH = 6;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const segment = (name: string) => (IDENT.test(name) ? name : JSON.stringify(name));
const join = (prefix: string, name: string) => (prefix === '' ? segment(name) : `${prefix}.${segment(name)}`);
/** The path marker for "any properties here" (an index signature, a library object). */
const star = (prefix: string) => (prefix === '' ? '*' : `${prefix}.*`);

/** A `#private` member: never serialized. */
function isPrivateName(p: ts.Symbol): boolean {
  return (p.getDeclarations() ?? []).some((d) => {
    const name = (d as ts.NamedDeclaration).name;
    return name !== undefined && ts.isPrivateIdentifier(name);
  });
}

/**
 * Properties of an object type that `JSON.stringify` may write: data
 * properties and getters (own getters of object literals are enumerable; a
 * class's are not, but other serializers read them, so fail closed). Methods
 * and setter-only accessors produce nothing; `#private` fields are not
 * properties at all.
 */
function serializedProperties(tc: ts.TypeChecker, t: ts.Type): ts.Symbol[] {
  return tc.getPropertiesOfType(t).filter((p) => {
    if (isPrivateName(p)) return false;
    if (p.flags & ts.SymbolFlags.Method) return false;
    if (p.flags & ts.SymbolFlags.SetAccessor && !(p.flags & ts.SymbolFlags.GetAccessor)) return false;
    return true;
  });
}

/** A non-array, non-callable object type that is not a record object: a library class instance (opaque). */
function isOpaqueObject(ctx: ExtractContext, t: ts.Type): boolean {
  const tc = ctx.checker.compilerObject;
  if (!(t.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection))) return false;
  if (tc.isArrayType(t) || tc.isTupleType(t) || isRecordObject(ctx, t)) return false;
  return (
    tc.getSignaturesOfType(t, ts.SignatureKind.Call).length === 0 &&
    tc.getSignaturesOfType(t, ts.SignatureKind.Construct).length === 0
  );
}

/**
 * The dotted paths at which a value of type `src` can carry properties that
 * no member of `targets` declares ([] when it fits one of them). `*` marks a
 * place where any property can appear (an index signature the target lacks,
 * or a library object standing in for a declared shape). When no target
 * fits, the paths against the closest one are given.
 */
export function excessPaths(
  ctx: ExtractContext,
  src: ts.Type,
  targets: ts.Type[],
  prefix = '',
  depth = 0,
  guard = new Set<ts.Type>(),
  getters?: Set<string>,
): string[] {
  const tc = ctx.checker.compilerObject;
  if (depth > WIDTH_DEPTH) return [];
  if (targets.some((t) => t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive))) return [];
  const members = unionMembers(ctx, src);
  if (members.length > 1) {
    return [...new Set(members.flatMap((m) => excessPaths(ctx, m, targets, prefix, depth, guard, getters)))].sort(
      byText,
    );
  }
  const s = members[0]!;
  if (targets.includes(s) || guard.has(s)) return [];
  if (tc.isArrayType(s) || tc.isTupleType(s)) {
    const elems = targets
      .filter((t) => tc.isArrayType(t) || tc.isTupleType(t))
      .flatMap((t) => tc.getTypeArguments(t as ts.TypeReference))
      .flatMap((t) => unionMembers(ctx, t));
    if (elems.length === 0) return [];
    const at = `${prefix}[]`;
    return [
      ...new Set(
        tc
          .getTypeArguments(s as ts.TypeReference)
          .flatMap((e) => excessPaths(ctx, e, elems, at, depth + 1, guard, getters)),
      ),
    ].sort(byText);
  }
  const objects = targets.filter((t) => isRecordObject(ctx, t));
  if (objects.length === 0 || objects.some((t) => tc.getIndexInfosOfType(t).length > 0)) return [];
  // A library object (a driver's row, a framework model) where a plain shape is declared: its fields are its own.
  if (isOpaqueObject(ctx, s)) return [star(prefix)];
  if (!isRecordObject(ctx, s)) return [];
  const props = serializedProperties(tc, s);
  // Computed keys (`{ [k]: v }` with a string `k`) give the value an index signature: any key can be written.
  const indexed = tc.getIndexInfosOfType(s).some((ix) => !(ix.keyType.flags & ts.TypeFlags.ESSymbolLike));
  guard.add(s);
  try {
    let best: { out: string[]; acc: string[] } | undefined;
    for (const t of objects) {
      const out: string[] = indexed ? [star(prefix)] : [];
      const acc = new Set<string>();
      for (const p of props) {
        const path = join(prefix, p.getName());
        const tp = tc.getPropertyOfType(t, p.getName());
        if (!tp) {
          out.push(path);
          if (p.flags & ts.SymbolFlags.GetAccessor) acc.add(path);
        } else
          out.push(
            ...excessPaths(
              ctx,
              tc.getTypeOfSymbol(p),
              unionMembers(ctx, tc.getTypeOfSymbol(tp)),
              path,
              depth + 1,
              guard,
              acc,
            ),
          );
      }
      if (out.length === 0) return [];
      if (!best || out.length < best.out.length) best = { out, acc: [...acc] };
    }
    for (const a of best?.acc ?? []) getters?.add(a);
    return [...new Set(best?.out ?? [])].sort(byText);
  } finally {
    guard.delete(s);
  }
}

/**
 * The dotted paths of objects inside a value of type `t` that define (or
 * inherit) `toJSON`: `JSON.stringify` writes whatever it returns instead of
 * the object's fields. Library types (Date...) are opaque and skipped.
 */
export function toJsonPaths(
  ctx: ExtractContext,
  t: ts.Type,
  prefix = '',
  depth = 0,
  guard = new Set<ts.Type>(),
): string[] {
  const tc = ctx.checker.compilerObject;
  if (depth > WIDTH_DEPTH) return [];
  const out = new Set<string>();
  for (const m of unionMembers(ctx, t)) {
    if (guard.has(m)) continue;
    guard.add(m);
    try {
      if (tc.isArrayType(m) || tc.isTupleType(m)) {
        for (const e of tc.getTypeArguments(m as ts.TypeReference))
          for (const p of toJsonPaths(ctx, e, `${prefix}[]`, depth + 1, guard)) out.add(p);
        continue;
      }
      if (!isRecordObject(ctx, m)) continue;
      const own = tc.getPropertyOfType(m, 'toJSON');
      if (own && !isPrivateName(own)) out.add(prefix === '' ? '(root)' : prefix);
      for (const p of serializedProperties(tc, m)) {
        for (const x of toJsonPaths(ctx, tc.getTypeOfSymbol(p), join(prefix, p.getName()), depth + 1, guard))
          out.add(x);
      }
    } finally {
      guard.delete(m);
    }
  }
  return [...out].sort(byText);
}

// ---------------------------------------------------------------------------
// Reflective changes to objects: what the type of a value cannot show

export interface Mutation {
  /** The type of the object whose properties or prototype are changed. */
  type: ts.Type;
  /** How, for the reason text: `Object.defineProperty`, `Resp.prototype`, ... */
  how: string;
}

const OBJECT_MUTATORS = new Set(['defineProperty', 'defineProperties', 'setPrototypeOf', 'assign']);
const REFLECT_MUTATORS = new Set(['defineProperty', 'setPrototypeOf', 'set']);
const MUTATOR_NAMES = new Set([...OBJECT_MUTATORS, ...REFLECT_MUTATORS]);
const MUTATION_TEXT =
  /defineProperty|defineProperties|setPrototypeOf|assign|Reflect|prototype|__proto__|Proxy|\bas\b|<|\]\s*=/;

const mutationCache = new WeakMap<ExtractContext, Mutation[]>();

/** Strip parentheses, non-null assertions and type assertions: the expression whose value it is. */
function operand(e: ts.Expression): ts.Expression {
  for (;;) {
    if (
      ts.isParenthesizedExpression(e) ||
      ts.isNonNullExpression(e) ||
      ts.isAsExpression(e) ||
      ts.isTypeAssertionExpression(e) ||
      ts.isSatisfiesExpression(e)
    )
      e = e.expression;
    else return e;
  }
}

function isCast(e: ts.Expression): boolean {
  while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
  return ts.isAsExpression(e) || ts.isTypeAssertionExpression(e);
}

/** Through parentheses and `!` only: a type assertion is kept, it is a fact of its own here. */
export function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
  return e;
}

/** `Reflect.set` (only then is a `.set` call resolved: `Map#set` is everywhere). */
function reflectCallee(e: ts.Expression): boolean {
  const c = skipParens(e);
  return (
    ts.isPropertyAccessExpression(c) &&
    ts.isIdentifier(skipParens(c.expression)) &&
    (skipParens(c.expression) as ts.Identifier).text === 'Reflect'
  );
}

/** `const { defineProperty } = Object`: the library member a destructuring takes. */
function bindingMember(ctx: ExtractContext, b: ts.BindingElement): { owner: string; name: string } | undefined {
  const tc = ctx.checker.compilerObject;
  if (!ts.isObjectBindingPattern(b.parent)) return undefined;
  const key = (b.propertyName ?? b.name) as ts.Node;
  const prop = tc.getTypeAtLocation(b.parent).getProperty(key.getText());
  return prop ? memberOf(ctx, prop) : undefined;
}

/** `Object.x` / `Reflect.x` from the default library (by declaration, so a local `Object` is not it). */
function libMember(ctx: ExtractContext, callee: ts.Expression): { owner: string; name: string } | undefined {
  const tc = ctx.checker.compilerObject;
  const at = ts.isPropertyAccessExpression(callee) ? callee.name : ts.isIdentifier(callee) ? callee : undefined;
  if (!at) return undefined;
  const sym = tc.getSymbolAtLocation(at);
  return sym ? memberOf(ctx, sym) : undefined;
}

function memberOf(ctx: ExtractContext, symbol: ts.Symbol): { owner: string; name: string } | undefined {
  const tc = ctx.checker.compilerObject;
  let sym: ts.Symbol | undefined = symbol;
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = tc.getAliasedSymbol(sym);
  const decl = sym?.getDeclarations()?.[0];
  if (!sym || !decl || isProjectDeclared(ctx, decl)) return undefined;
  const parent = decl.parent;
  const owner =
    parent && (ts.isInterfaceDeclaration(parent) || ts.isModuleBlock(parent))
      ? ts.isModuleBlock(parent)
        ? parent.parent.name.getText()
        : parent.name.text
      : undefined;
  if (owner === 'ObjectConstructor' && OBJECT_MUTATORS.has(sym.getName()))
    return { owner: 'Object', name: sym.getName() };
  if (owner === 'Reflect' && REFLECT_MUTATORS.has(sym.getName())) return { owner: 'Reflect', name: sym.getName() };
  return undefined;
}

/**
 * Every place in the program that changes an object behind its type's back:
 * `Object.defineProperty(ies)`, `Object.setPrototypeOf`, `Object.assign` onto
 * an existing object, `Reflect.defineProperty/setPrototypeOf/set`, a use of a
 * project class's `prototype`, a `__proto__` write, and a property write
 * through a type assertion (`(r as any).ssn = ...`), a type assertion that
 * is not an upcast (`r as unknown as Record<string, unknown>`: the view it
 * gives may be kept and written through anywhere), a `new Proxy(r, …)` (its
 * traps answer any key), and a write of a key its receiver's type does not
 * declare (`bag[k] = v`, `bag.extra = v` through an index signature). Each
 * gives the type of the object changed; a caller decides whether its values
 * can be that object.
 */
export function programMutations(ctx: ExtractContext): Mutation[] {
  let cached = mutationCache.get(ctx);
  if (cached) return cached;
  const tc = ctx.checker.compilerObject;
  const out: Mutation[] = [];
  const typeOf = (e: ts.Expression) => tc.getTypeAtLocation(operand(e));
  const named = (e: ts.Node): string | undefined =>
    ts.isPropertyAccessExpression(e) ? e.name.text : ts.isIdentifier(e) ? e.text : undefined;
  const visit = (n: ts.Node): void => {
    if (holdsNoCode(n)) return;
    const name = ts.isCallExpression(n) ? named(skipParens(n.expression)) : undefined;
    if (
      ts.isCallExpression(n) &&
      name !== undefined &&
      MUTATOR_NAMES.has(name) &&
      (name !== 'set' || reflectCallee(n.expression))
    ) {
      // Only callees named like a mutator are resolved (the checker is asked about nothing else);
      // a mutator taken under another name is caught below, where it is taken.
      const m = libMember(ctx, skipParens(n.expression));
      const target = n.arguments[0];
      if (m && target && !ts.isSpreadElement(target)) {
        const fresh =
          m.name === 'assign' &&
          (ts.isObjectLiteralExpression(operand(target)) || ts.isArrayLiteralExpression(operand(target)));
        if (!fresh) out.push({ type: typeOf(target), how: `${m.owner}.${m.name}` });
        n.arguments.forEach(visit);
        return;
      }
    } else if (
      ts.isIdentifier(n) &&
      n.text === 'Reflect' &&
      !(ts.isPropertyAccessExpression(n.parent) && n.parent.expression === n)
    ) {
      // `Reflect` itself taken (`const R = Reflect`): any of its mutators may be called under another name.
      const sym = tc.getSymbolAtLocation(n);
      const decl = sym?.getDeclarations()?.[0];
      if (decl && !isProjectDeclared(ctx, decl)) out.push({ type: tc.getAnyType(), how: 'Reflect' });
    } else if (
      (ts.isPropertyAccessExpression(n) &&
        MUTATOR_NAMES.has(n.name.text) &&
        (n.name.text !== 'set' || reflectCallee(n))) ||
      (ts.isBindingElement(n) && MUTATOR_NAMES.has(((n.propertyName ?? n.name) as ts.Node).getText()))
    ) {
      // `const f = Object.defineProperty`, `const { assign } = Object`: the mutator is loose; what it changes is unknown.
      const m = ts.isPropertyAccessExpression(n) ? libMember(ctx, n) : bindingMember(ctx, n);
      if (m) out.push({ type: tc.getAnyType(), how: `${m.owner}.${m.name}` });
    } else if (ts.isPropertyAccessExpression(n) && n.name.text === 'prototype') {
      let sym = tc.getSymbolAtLocation(n.expression);
      if (sym && sym.flags & ts.SymbolFlags.Alias) sym = tc.getAliasedSymbol(sym);
      const decl = sym?.getDeclarations()?.[0];
      if (
        sym &&
        decl &&
        isProjectDeclared(ctx, decl) &&
        sym.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Function | ts.SymbolFlags.Variable)
      ) {
        const type = sym.flags & ts.SymbolFlags.Class ? tc.getDeclaredTypeOfSymbol(sym) : tc.getAnyType();
        out.push({ type, how: `${sym.getName()}.prototype` });
      }
    } else if (
      ts.isNewExpression(n) &&
      ts.isIdentifier(skipParens(n.expression)) &&
      (skipParens(n.expression) as ts.Identifier).text === 'Proxy' &&
      n.arguments?.[0] &&
      !ts.isSpreadElement(n.arguments[0])
    ) {
      // `new Proxy(r, handler)`: the proxy's traps (`get`, `ownKeys`) can answer with keys `r`'s type never declares.
      const sym = tc.getSymbolAtLocation(skipParens(n.expression));
      const decl = sym?.getDeclarations()?.[0];
      if (!decl || !isProjectDeclared(ctx, decl)) out.push({ type: typeOf(n.arguments[0]), how: 'a Proxy' });
    } else if ((ts.isAsExpression(n) || ts.isTypeAssertionExpression(n)) && !isAsConst(n.type)) {
      // The outermost assertion of a chain (`r as unknown as X`): from the value's own type to X. An upcast
      // (X a supertype) can only write what the type allows; any other view can be kept and written through.
      let up: ts.Node = n.parent;
      while (ts.isParenthesizedExpression(up)) up = up.parent;
      if (!ts.isAsExpression(up) && !ts.isTypeAssertionExpression(up)) {
        const inner = operand(n);
        // A fresh literal is no other value's object: what the assertion lets through is the flow rules' concern.
        const fresh = ts.isObjectLiteralExpression(inner) || ts.isArrayLiteralExpression(inner);
        const from = tc.getTypeAtLocation(inner);
        const to = tc.getTypeAtLocation(n);
        if (
          !fresh &&
          !(from.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) &&
          unionMembers(ctx, from).some((m) => isRecordObject(ctx, m)) &&
          !tc.isTypeAssignableTo(from, to)
        )
          out.push({ type: from, how: `a type assertion to ${tc.typeToString(to)}` });
      }
    } else if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
    ) {
      let left: ts.Expression = n.left;
      while (ts.isParenthesizedExpression(left)) left = left.expression;
      // A key the receiver's type does not declare (an index signature takes it): the object gains a field its
      // record type never names. A receiver typed `any` is left to the assertion rules (a cast made it so).
      if (
        ts.isElementAccessExpression(left) ||
        (ts.isPropertyAccessExpression(left) && skipParens(left.expression).kind !== ts.SyntaxKind.ThisKeyword)
      ) {
        const recv = tc.getTypeAtLocation(skipParens(left.expression));
        const key = ts.isPropertyAccessExpression(left)
          ? left.name.text
          : ts.isStringLiteralLike(left.argumentExpression) || ts.isNumericLiteral(left.argumentExpression)
            ? left.argumentExpression.text
            : undefined;
        if (
          !(recv.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) &&
          tc.getIndexInfosOfType(recv).length > 0 &&
          !freshLocal(tc, skipParens(left.expression)) &&
          (key === undefined || !tc.getPropertyOfType(tc.getApparentType(recv), key))
        )
          out.push({ type: recv, how: 'a write of an undeclared key' });
      }
      if (ts.isPropertyAccessExpression(left) || ts.isElementAccessExpression(left)) {
        if (ts.isPropertyAccessExpression(left) && left.name.text === '__proto__')
          out.push({ type: typeOf(left.expression), how: '__proto__' });
        // `(r as any).ssn = v`, `(r as any).a.b = v`: the write reaches `r` through the assertion.
        let obj: ts.Expression = left.expression;
        for (;;) {
          if (isCast(obj)) {
            out.push({ type: typeOf(obj), how: 'a property write through a type assertion' });
            break;
          }
          const inner = skipParens(obj);
          if (ts.isPropertyAccessExpression(inner) || ts.isElementAccessExpression(inner)) obj = inner.expression;
          else break;
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  for (const sf of [...ctx.sourceFiles, ...(ctx.workspaceFiles ?? [])]) {
    const c = sf.compilerNode;
    // Every form above writes one of these words or a `<...>` assertion; without them a file has none.
    if (!MUTATION_TEXT.test(c.text)) continue;
    visit(c);
  }
  mutationCache.set(ctx, (cached = out));
  return cached;
}

/**
 * A `const` whose initializer is an object or array literal: it holds an
 * object created there, never one of another type (`const headers:
 * Record<string, string> = {}`), so writes to it change no other value.
 */
function freshLocal(tc: ts.TypeChecker, e: ts.Expression): boolean {
  if (!ts.isIdentifier(e)) return false;
  const decl = tc.getSymbolAtLocation(e)?.valueDeclaration;
  if (!decl || !ts.isVariableDeclaration(decl) || !ts.isIdentifier(decl.name) || !decl.initializer) return false;
  if (!(ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const)) return false;
  const init = skipParens(decl.initializer);
  return ts.isObjectLiteralExpression(init) || ts.isArrayLiteralExpression(init);
}

/** Types, interfaces, imports and exports hold no code (the program-wide scans skip them). */
function holdsNoCode(n: ts.Node): boolean {
  return (
    (n.kind >= ts.SyntaxKind.FirstTypeNode && n.kind <= ts.SyntaxKind.LastTypeNode) ||
    ts.isInterfaceDeclaration(n) ||
    ts.isTypeAliasDeclaration(n) ||
    ts.isImportDeclaration(n) ||
    ts.isExportDeclaration(n)
  );
}

/** A value of type `source` put where `target` is declared, at `at` (see programWidenings). */
export interface Widening {
  source: ts.Type;
  target: ts.Type;
  at: ts.Expression;
}

interface WideningState {
  /** Declarations of the tracked types seen so far: the statement filter's seeds (sinkStatements). */
  seeds: ts.Node[];
  seedSet: Set<ts.Node>;
  words: Set<string>;
  /** The filter gave up (or a tracked type has no project declaration): every statement is scanned. */
  all: boolean;
  /** Seeds added since the statements were last chosen. */
  dirty: boolean;
  scanned: Set<ts.Node>;
  out: Widening[];
}
const wideningStates = new WeakMap<ExtractContext, WideningState>();

/**
 * Tell the widening scan which types will be asked about (every LE response member, every log schema type)
 * before the first `wideningsInto`, so that one closure of the statement filter serves them all.
 */
export function primeWidenings(ctx: ExtractContext, types: Iterable<ts.Type>): void {
  addWideningSeeds(ctx, wideningState(ctx), types);
}

function wideningState(ctx: ExtractContext): WideningState {
  let st = wideningStates.get(ctx);
  if (!st) {
    st = { seeds: [], seedSet: new Set(), words: new Set(), all: false, dirty: true, scanned: new Set(), out: [] };
    wideningStates.set(ctx, st);
  }
  return st;
}

/** A tracked type's project declarations (its alias, interface, class or type literal); none: scan everything. */
function addWideningSeeds(ctx: ExtractContext, st: WideningState, types: Iterable<ts.Type>): void {
  if (st.all) return;
  for (const t of types) {
    const sym = t.aliasSymbol ?? t.getSymbol();
    const decls = sym?.declarations ?? [];
    if (decls.length === 0 || !decls.every((d) => isProjectDeclared(ctx, d))) {
      st.all = true;
      st.dirty = true;
      return;
    }
    for (const d of decls) {
      if (st.seedSet.has(d)) continue;
      st.seedSet.add(d);
      st.seeds.push(d);
      st.dirty = true;
      const name = (d as ts.NamedDeclaration).name;
      if (name && ts.isIdentifier(name)) st.words.add(name.text);
    }
  }
}

/** The (instantiated) type of the rest parameter of the signature a call resolves to, if it has one. */
function restParameterType(tc: ts.TypeChecker, call: ts.CallExpression | ts.NewExpression): ts.Type | undefined {
  const sig = tc.getResolvedSignature(call);
  const last = sig?.getParameters().at(-1);
  const decl = last?.valueDeclaration;
  return last && decl && ts.isParameter(decl) && decl.dotDotDotToken ? tc.getTypeOfSymbol(last) : undefined;
}

/** Operators that store their right operand: `=`, `||=`, `&&=`, `??=`. */
const ASSIGNING = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.EqualsToken,
  ts.SyntaxKind.BarBarEqualsToken,
  ts.SyntaxKind.AmpersandAmpersandEqualsToken,
  ts.SyntaxKind.QuestionQuestionEqualsToken,
]);

/**
 * Every place in the program where a value is put into a slot typed by
 * declaration: an annotated variable's, parameter's or field's initializer,
 * an assignment (`=`, `||=`, `&&=`, `??=`), a call argument (a spread one as
 * the array it is), a returned value or arrow body (against the declared
 * return type), an object literal property (shorthand too) or array element
 * (spread too) under a contextual type. TypeScript
 * checks excess properties only on fresh object literals without spreads; a
 * variable, a spread, a class instance or a call result with more
 * properties than the slot's type goes in silently, and keeps them at run
 * time wherever it is read from later (`holder.ev`, `list[0]`, `m.get(k)`,
 * `structuredClone(e)`), in the package's files and the linked workspace
 * packages' sources it reaches. Pairs where both sides are the same type, or the
 * value is not an object, are left out; a caller keeps the targets it
 * tracks (a log schema, an LE response) and compares with excessPaths.
 */
export function programWidenings(ctx: ExtractContext, tracked: ReadonlySet<ts.Type>): Widening[] {
  const st = wideningState(ctx);
  addWideningSeeds(ctx, st, tracked);
  if (!st.dirty) return st.out;
  st.dirty = false;
  const tc = ctx.checker.compilerObject;
  const out = st.out;
  const objectish = (t: ts.Type) => unionMembers(ctx, t).some((m) => isRecordObject(ctx, m) || tc.isArrayType(m));
  const consider = (e: ts.Expression, target: ts.Type | undefined) => {
    if (!target) return;
    const inner = skipParens(e);
    if (
      ts.isArrowFunction(inner) ||
      ts.isFunctionExpression(inner) ||
      ts.isLiteralExpression(inner) ||
      ts.isTemplateExpression(inner)
    )
      return;
    if (target.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (!objectish(target)) return;
    const source = tc.getTypeAtLocation(inner);
    if (source === target || source.flags & ts.TypeFlags.Any || !objectish(source)) return;
    out.push({ source, target, at: inner });
  };
  const visit = (n: ts.Node): void => {
    if (holdsNoCode(n)) return;
    if (ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isPropertyDeclaration(n)) {
      // `const e: T = v`, a default `(e: T = v)`, a field `e: T = v`.
      if (n.type && n.initializer) consider(n.initializer, tc.getTypeAtLocation(n.name));
    } else if (ts.isBinaryExpression(n)) {
      const left = n.left;
      if (
        ASSIGNING.has(n.operatorToken.kind) &&
        !ts.isObjectLiteralExpression(left) &&
        !ts.isArrayLiteralExpression(left)
      )
        consider(n.right, tc.getTypeAtLocation(left));
    } else if (ts.isCallExpression(n) || ts.isNewExpression(n)) {
      // A spread argument (`list.push(...wides)`) is compared as the array it is against the rest parameter.
      for (const a of n.arguments ?? [])
        if (ts.isSpreadElement(a)) consider(a.expression, restParameterType(tc, n));
        else consider(a, tc.getContextualType(a));
    } else if (ts.isReturnStatement(n)) {
      if (n.expression) consider(n.expression, tc.getContextualType(n.expression));
    } else if (ts.isArrowFunction(n)) {
      if (!ts.isBlock(n.body)) consider(n.body, tc.getContextualType(n.body));
    } else if (ts.isPropertyAssignment(n)) {
      consider(n.initializer, tc.getContextualType(n.initializer));
    } else if (ts.isShorthandPropertyAssignment(n)) {
      // `{ ev }`: the value of `ev` put where the contextual type's `ev` is declared.
      const ot = tc.getContextualType(n.parent);
      const prop = ot && tc.getPropertyOfType(ot, n.name.text);
      if (prop) consider(n.name, tc.getTypeOfSymbol(prop));
    } else if (ts.isArrayLiteralExpression(n)) {
      for (const el of n.elements)
        if (ts.isSpreadElement(el)) consider(el.expression, tc.getContextualType(n));
        else consider(el, tc.getContextualType(el));
    }
    ts.forEachChild(n, visit);
  };
  // Only statements a slot typed by a tracked type can be in: the statement filter's argument holds for any
  // type, not only a sink's signature (types reach an expression only through names written in its statement,
  // contextual typing there, whole-module objects and module-level flow). Its closure only grows with the seeds.
  const keep = st.all ? null : sinkStatements(ctx, st.seeds, [...st.words]);
  if (keep === null) st.all = true;
  for (const sf of [...ctx.sourceFiles, ...(ctx.workspaceFiles ?? [])])
    for (const stmt of keep ? keep(sf.compilerNode) : sf.compilerNode.statements) {
      if (st.scanned.has(stmt)) continue;
      st.scanned.add(stmt);
      visit(stmt);
    }
  return out;
}

/**
 * The excess paths of every widening into a slot whose type holds one of
 * `tracked` (itself, a union member, an array element, a promise's value):
 * the value is compared with every member the slot allows (it may fit
 * another), and its excess counts for `tracked` when it can be a tracked
 * member (its literal discriminants match). `checked`: values the caller
 * compared on its own (left out). Sorted, de-duplicated.
 */
export function wideningsInto(
  ctx: ExtractContext,
  tracked: ReadonlySet<ts.Type>,
  checked: ReadonlySet<ts.Node> = new Set(),
): string[] {
  const tc = ctx.checker.compilerObject;
  if (tracked.size === 0) return [];
  /** The members of the slot, at the level where one of them is tracked (through arrays and promises). */
  const level = (t: ts.Type, depth = 0): ts.Type[][] => {
    if (depth > 3) return [];
    const members = unionMembers(ctx, tc.getAwaitedType(t) ?? t);
    const here = members.some((m) => tracked.has(m)) ? [members] : [];
    const nested = members.flatMap((m) =>
      tc.isArrayType(m) || tc.isTupleType(m)
        ? tc.getTypeArguments(m as ts.TypeReference).flatMap((a) => level(a, depth + 1))
        : [],
    );
    return [...here, ...nested];
  };
  const elements = (t: ts.Type, depth = 0): ts.Type[] =>
    depth > 3
      ? []
      : unionMembers(ctx, tc.getAwaitedType(t) ?? t).flatMap((m) =>
          tc.isArrayType(m) || tc.isTupleType(m)
            ? [m, ...tc.getTypeArguments(m as ts.TypeReference).flatMap((a) => elements(a, depth + 1))]
            : [m],
        );
  /** The value can be `m`: every literal-typed property of `m` is there with a matching type. */
  const canBe = (v: ts.Type, m: ts.Type) =>
    tc.getPropertiesOfType(m).every((p) => {
      const want = tc.getTypeOfSymbol(p);
      if (!unionMembers(ctx, want).every((w) => w.isLiteral() || w.flags & ts.TypeFlags.BooleanLiteral)) return true;
      const own = tc.getPropertyOfType(v, p.getName());
      return own ? tc.isTypeAssignableTo(tc.getTypeOfSymbol(own), want) : (p.flags & ts.SymbolFlags.Optional) !== 0;
    });
  const paths = new Set<string>();
  for (const w of programWidenings(ctx, tracked)) {
    // A value the caller's own flow analysis already compared (a sink argument, a returned value).
    if (checked.has(w.at)) continue;
    const levels = level(w.target);
    if (levels.length === 0) continue;
    for (const members of levels) {
      const mine = members.filter((m) => tracked.has(m));
      if (mine.length > 0 && literalSpreadsAnyKey(tc, w.at)) paths.add('*');
      for (const src of elements(w.source)) {
        if (!isRecordObject(ctx, src) && !isOpaqueObject(ctx, src)) continue;
        if (!mine.some((m) => canBe(src, m))) continue;
        for (const p of excessPaths(ctx, src, members)) paths.add(p);
      }
    }
  }
  return [...paths].sort(byText);
}

/**
 * Whether spreading a value of type `t` into an object literal can add keys the literal's type does not show:
 * TypeScript drops index signatures from spreads (`{ kind, ...Object.fromEntries(Object.entries(row)) }` is
 * typed `{ kind }`), while the spread copies every own enumerable key at run time.
 */
export function spreadsAnyKey(tc: ts.TypeChecker, t: ts.Type): boolean {
  const members = t.isUnion() ? t.types : [t];
  return members.some(
    (m) =>
      (m.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) !== 0 &&
      !tc.isArrayType(m) &&
      !tc.isTupleType(m) &&
      tc.getIndexInfosOfType(m).some((ix) => !(ix.keyType.flags & ts.TypeFlags.ESSymbolLike)),
  );
}

/** An object literal with a spread that can add any key (spreadsAnyKey), at any depth of nested literals. */
function literalSpreadsAnyKey(tc: ts.TypeChecker, e: ts.Node): boolean {
  if (!ts.isObjectLiteralExpression(e)) return false;
  return e.properties.some((p) =>
    ts.isSpreadAssignment(p)
      ? spreadsAnyKey(tc, tc.getTypeAtLocation(p.expression))
      : ts.isPropertyAssignment(p) && literalSpreadsAnyKey(tc, skipParens(p.initializer)),
  );
}

/** Project object types reachable inside a value of type `t` (itself, its fields, array elements), depth-limited. */
export function reachableObjects(ctx: ExtractContext, t: ts.Type, into = new Set<ts.Type>(), depth = 0): Set<ts.Type> {
  const tc = ctx.checker.compilerObject;
  if (depth > WIDTH_DEPTH) return into;
  for (const m of unionMembers(ctx, t)) {
    if (into.has(m)) continue;
    if (tc.isArrayType(m) || tc.isTupleType(m)) {
      for (const e of tc.getTypeArguments(m as ts.TypeReference)) reachableObjects(ctx, e, into, depth + 1);
      continue;
    }
    if (!isRecordObject(ctx, m) && !isOpaqueObject(ctx, m)) continue;
    into.add(m);
    if (isRecordObject(ctx, m))
      for (const p of serializedProperties(tc, m)) reachableObjects(ctx, tc.getTypeOfSymbol(p), into, depth + 1);
  }
  return into;
}

/**
 * The mutations that can reach a value whose objects are `objects`: the
 * changed object's type is open (`any`, `unknown`, `object`, `{}`, an
 * unconstrained type parameter) or one of the objects is assignable to it.
 * Sorted, de-duplicated `how`s.
 */
export function mutationsReaching(ctx: ExtractContext, objects: Set<ts.Type>): string[] {
  const tc = ctx.checker.compilerObject;
  const hits = new Set<string>();
  if (objects.size === 0) return [];
  for (const mu of programMutations(ctx)) {
    if (hits.has(mu.how)) continue;
    const reach = unionMembers(ctx, mu.type).some((m) => {
      if (m.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive)) return true;
      if (
        m.flags & ts.TypeFlags.Object &&
        tc.getPropertiesOfType(m).length === 0 &&
        tc.getIndexInfosOfType(m).length === 0 &&
        tc.getSignaturesOfType(m, ts.SignatureKind.Call).length === 0
      )
        return true;
      if (!(m.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection))) return false;
      for (const o of objects) if (o === m || tc.isTypeAssignableTo(o, m)) return true;
      return false;
    });
    if (reach) hits.add(mu.how);
  }
  return [...hits].sort(byText);
}

// ---------------------------------------------------------------------------
// Value flow: which expressions a value can come from

/** `spread`: an object spread whose value can have any key (`...Object.fromEntries(…)`); its type shows none. */
export type FlowIssue = 'any' | 'cast' | 'deep' | 'suppressed' | 'callers' | 'spread' | 'replaced';

/**
 * A comment that silences the type checker (`// @ts-ignore`, `// @ts-expect-error`, the `/* … *\/` forms):
 * under it a value can be anything while the checker reports the declared type.
 */
const SUPPRESSION = /\/[/*]+\s*@ts-(ignore|expect-error)\b/;
/** `// @ts-nocheck`: the whole file is not type-checked (honoured in .ts files since TypeScript 3.7). */
const NOCHECK = /\/[/*]+\s*@ts-nocheck\b/;

/** Whether a type-check suppression can reach `fn`: one inside its text, or `@ts-nocheck` in its file. */
export function hasTypeCheckSuppression(fn: ts.Node): boolean {
  const sf = fn.getSourceFile();
  return SUPPRESSION.test(sf.text.slice(fn.getFullStart(), fn.end)) || NOCHECK.test(sf.text);
}

const NESTED_SCOPE = new Set([
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.ArrowFunction,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.Constructor,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
  ts.SyntaxKind.ClassDeclaration,
  ts.SyntaxKind.ClassExpression,
]);

const implementationIndex = new WeakMap<ExtractContext, Map<string, Array<{ owner: ts.Node; fn: ts.Node }>>>();

/**
 * The bodies that may run for a call resolved to a member declared without one (an interface method, an
 * abstract method, a function-typed property signature): the project's class members and object literal
 * members of the same name that have a body (a method, or a function as the property's value) and whose class
 * instance or object literal is assignable to the declaring type (declared heritage or structural).
 */
function implementationsOf(ctx: ExtractContext, decl: ts.Node): ts.Node[] {
  const tc = ctx.checker.compilerObject;
  const owner = decl.parent;
  const name = (decl as ts.NamedDeclaration).name;
  if (!owner || !name || !(ts.isIdentifier(name) || ts.isStringLiteralLike(name) || ts.isPrivateIdentifier(name)))
    return [];
  if (!ts.isInterfaceDeclaration(owner) && !ts.isClassLike(owner) && !ts.isTypeLiteralNode(owner)) return [];
  const ownerSym = ts.isTypeLiteralNode(owner) ? undefined : owner.name && tc.getSymbolAtLocation(owner.name);
  const ownerType = ownerSym ? tc.getDeclaredTypeOfSymbol(ownerSym) : tc.getTypeAtLocation(owner);
  let index = implementationIndex.get(ctx);
  if (!index) {
    const built = new Map<string, Array<{ owner: ts.Node; fn: ts.Node }>>();
    const add = (key: string, o: ts.Node, fn: ts.Node) => built.set(key, [...(built.get(key) ?? []), { owner: o, fn }]);
    const visit = (n: ts.Node): void => {
      if (
        (ts.isMethodDeclaration(n) || ts.isPropertyDeclaration(n) || ts.isPropertyAssignment(n)) &&
        n.parent &&
        (ts.isClassLike(n.parent) || ts.isObjectLiteralExpression(n.parent)) &&
        (ts.isIdentifier(n.name) || ts.isStringLiteralLike(n.name) || ts.isPrivateIdentifier(n.name))
      ) {
        const fn = ts.isMethodDeclaration(n) ? n : n.initializer && skipParens(n.initializer);
        if (fn && (ts.isMethodDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && fn.body)
          add(n.name.text, n.parent, fn);
      }
      ts.forEachChild(n, visit);
    };
    for (const sf of [...ctx.sourceFiles, ...(ctx.workspaceFiles ?? [])]) visit(sf.compilerNode);
    implementationIndex.set(ctx, (index = built));
  }
  const out: ts.Node[] = [];
  for (const cand of index.get(name.text) ?? []) {
    const t = ts.isClassLike(cand.owner)
      ? (() => {
          const sym = cand.owner.name ? tc.getSymbolAtLocation(cand.owner.name) : undefined;
          return sym ? tc.getDeclaredTypeOfSymbol(sym) : tc.getTypeAtLocation(cand.owner);
        })()
      : tc.getTypeAtLocation(cand.owner);
    if (tc.isTypeAssignableTo(t, ownerType)) out.push(cand.fn);
  }
  return out;
}

/** The function body (or file) a node sits in: where its local variables and parameters are declared. */
export function enclosingFunction(n: ts.Node): ts.Node {
  for (let p = n.parent; p; p = p.parent) {
    if (ts.isFunctionLike(p) && (p as ts.FunctionLikeDeclaration).body) return p;
    if (ts.isSourceFile(p)) return p;
  }
  return n.getSourceFile();
}

/** The expressions a function body returns (not those of nested functions). */
export function returnedExpressions(body: ts.SignatureDeclaration): ts.Expression[] {
  const out: ts.Expression[] = [];
  const fnBody = (body as ts.FunctionLikeDeclaration).body;
  if (!fnBody) return out;
  if (!ts.isBlock(fnBody)) return [fnBody];
  const visit = (n: ts.Node) => {
    if (NESTED_SCOPE.has(n.kind)) return;
    if (ts.isReturnStatement(n) && n.expression) out.push(n.expression);
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(fnBody, visit);
  return out;
}

function isAsConst(type: ts.TypeNode): boolean {
  return ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) && type.typeName.text === 'const';
}

const MAX_CALL_DEPTH = 8;

/** Assignments `x = e` inside a body, by the symbol of `x`; per checker (a file's nodes can outlive a program). */
const assignmentCaches = new WeakMap<ts.TypeChecker, WeakMap<ts.Node, Map<ts.Symbol, ts.Expression[]>>>();

/**
 * Walk the value positions of `roots` (through parentheses, await,
 * conditionals, logical operators, object and array literals, local
 * variables' initializers and assignments inside `body`, and the return paths
 * of project functions called in whole-value position) for type assertions
 * and any-typed values. `onWhole` sees the type of every expression that is
 * the entire value (not a part of a literal), for width checks.
 * `followed`: function bodies not to enter (e.g. the handler itself).
 *
 * A value that is a parameter of a function the walk entered through a call
 * is that call's argument (`pass(wide)` with `pass(x) { return x }`: the
 * argument is the value, whatever the parameter's type says). With
 * `rootParams`, a parameter of a root body is what every caller of that
 * function passes (a logging wrapper `log(e) { audit(e) }`), found by
 * callersOf; a named function referenced other than by a call is the
 * `callers` issue (fail closed). Anonymous callbacks' parameters are not
 * followed: their values come from the code that calls them.
 */
export function scanFlows(
  ctx: ExtractContext,
  roots: Array<{ body: ts.Node; exprs: ts.Expression[] }>,
  onWhole: ((t: ts.Type) => void) | undefined,
  followed = new Set<ts.Node>(),
  rootParams = false,
  visited?: Set<ts.Node>,
): Set<FlowIssue> {
  const tc = ctx.checker.compilerObject;
  const issues = new Set<FlowIssue>();
  let assignmentCache = assignmentCaches.get(tc);
  if (!assignmentCache) assignmentCaches.set(tc, (assignmentCache = new WeakMap()));
  interface Item {
    body: ts.Node;
    exprs: ts.Expression[];
    depth: number;
    whole: boolean;
    /** The call the walk entered `body` through, and the item it was found in. */
    via?: { call: ts.CallExpression; from: Item };
    /** Parameters of `body` are what its callers pass (roots with rootParams, and those callers' bodies). */
    callers: boolean;
  }
  const queue: Item[] = roots.map((r) => ({ ...r, depth: 0, whole: true, callers: rootParams }));
  /** Arguments already queued for a parameter (a recursive wrapper must not loop). */
  const argumentsSeen = new Set<ts.Node>();
  /** Project functions followed for a part of the value only (a field's value): casts and `any` count there too. */
  const followedPart = new Set<ts.Node>();
  while (queue.length) {
    const item = queue.shift()!;
    const { body, exprs, depth, whole: rootWhole } = item;
    // Any suppression in a function the value is built in counts, not only one on the line of a returned
    // expression: `// @ts-ignore` before `out.ssn = row.ssn` adds an undeclared field with no cast in sight.
    if (hasTypeCheckSuppression(body)) issues.add('suppressed');
    let assignments = assignmentCache.get(body);
    if (!assignments) {
      const found = new Map<ts.Symbol, ts.Expression[]>();
      const collect = (n: ts.Node) => {
        if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left)) {
          const s = tc.getSymbolAtLocation(n.left);
          if (s) found.set(s, [...(found.get(s) ?? []), n.right]);
        }
        ts.forEachChild(n, collect);
      };
      collect(body);
      assignmentCache.set(body, (assignments = found));
    }
    const seenWhole = new Set<ts.Node>();
    const seenPart = new Set<ts.Node>();
    const within = (d: ts.Node) => d.getSourceFile() === body.getSourceFile() && d.pos >= body.pos && d.end <= body.end;
    const followSymbol = (s: ts.Symbol | undefined, whole: boolean) => {
      if (!s) return;
      for (const d of s.getDeclarations() ?? []) {
        if (ts.isVariableDeclaration(d) && within(d) && d.initializer) scan(d.initializer, whole);
        if (ts.isParameter(d) && d.parent === body) followParameter(d, whole);
        // `({ type, ...rest }: LoginEvent) => audit({ type, ...rest })`: the rest holds whatever else the
        // argument has, so the argument is the value.
        if (ts.isBindingElement(d) && d.dotDotDotToken) {
          let p: ts.Node = d.parent;
          while (ts.isObjectBindingPattern(p) || ts.isArrayBindingPattern(p) || ts.isBindingElement(p)) p = p.parent;
          // Compared whole even when the rest is spread into a part: its extra fields are the argument's.
          if (ts.isParameter(p) && p.parent === body) followParameter(p, true);
        }
      }
      for (const e of assignments.get(s) ?? []) scan(e, whole);
    };
    const followParameter = (d: ts.ParameterDeclaration, whole: boolean) => {
      if (d.initializer) scan(d.initializer, whole);
      if (d.dotDotDotToken) return;
      const i = (body as ts.SignatureDeclaration).parameters.indexOf(d);
      const argOf = (call: ts.CallExpression, from: ts.Node, next: Omit<Item, 'body' | 'exprs' | 'whole'>) => {
        const spread = call.arguments.findIndex((a) => ts.isSpreadElement(a));
        if (spread >= 0 && spread <= i) {
          issues.add('deep');
          return;
        }
        const arg = call.arguments[i];
        if (!arg || argumentsSeen.has(arg)) return;
        argumentsSeen.add(arg);
        queue.push({ ...next, body: from, exprs: [arg], whole });
      };
      if (item.via) {
        const { call, from } = item.via;
        argOf(call, from.body, { depth: from.depth, via: from.via, callers: from.callers });
        return;
      }
      if (!item.callers) return;
      const callers = callersOf(ctx, body);
      if (callers === 'anonymous') return;
      if (callers === 'escaped') {
        issues.add('callers');
        return;
      }
      if (depth + 1 > MAX_CALL_DEPTH) {
        if (callers.calls.length > 0) issues.add('deep');
        return;
      }
      for (const call of callers.calls) argOf(call, enclosingFunction(call), { depth: depth + 1, callers: true });
    };
    const scan = (e: ts.Expression, whole: boolean): void => {
      const seen = whole ? seenWhole : seenPart;
      if (seen.has(e)) return;
      seen.add(e);
      visited?.add(e);
      const t = tc.getTypeAtLocation(e);
      if (t.flags & ts.TypeFlags.Any) issues.add('any');
      else if (whole && onWhole) onWhole(tc.getAwaitedType(t) ?? t);
      if (ts.isAsExpression(e) || ts.isTypeAssertionExpression(e)) {
        if (!isAsConst(e.type)) issues.add('cast');
        scan(e.expression, whole);
        return;
      }
      if (
        ts.isParenthesizedExpression(e) ||
        ts.isSatisfiesExpression(e) ||
        ts.isNonNullExpression(e) ||
        ts.isAwaitExpression(e)
      ) {
        scan(e.expression, whole);
        return;
      }
      if (ts.isConditionalExpression(e)) {
        scan(e.whenTrue, whole);
        scan(e.whenFalse, whole);
        return;
      }
      if (ts.isBinaryExpression(e)) {
        const op = e.operatorToken.kind;
        if (
          op === ts.SyntaxKind.BarBarToken ||
          op === ts.SyntaxKind.QuestionQuestionToken ||
          op === ts.SyntaxKind.AmpersandAmpersandToken
        ) {
          scan(e.left, whole);
          scan(e.right, whole);
          return;
        }
        if (op === ts.SyntaxKind.CommaToken || op === ts.SyntaxKind.EqualsToken) {
          scan(e.right, whole);
          return;
        }
        return;
      }
      if (ts.isObjectLiteralExpression(e)) {
        for (const p of e.properties) {
          if (ts.isPropertyAssignment(p)) scan(p.initializer, false);
          else if (ts.isShorthandPropertyAssignment(p)) {
            if (tc.getTypeAtLocation(p.name).flags & ts.TypeFlags.Any) issues.add('any');
            followSymbol(tc.getShorthandAssignmentValueSymbol(p), false);
          } else if (ts.isSpreadAssignment(p)) {
            if (spreadsAnyKey(tc, tc.getTypeAtLocation(p.expression))) issues.add('spread');
            scan(p.expression, false);
          }
        }
        return;
      }
      if (ts.isArrayLiteralExpression(e)) {
        for (const el of e.elements) scan(ts.isSpreadElement(el) ? el.expression : el, false);
        return;
      }
      if (ts.isIdentifier(e)) {
        followSymbol(tc.getSymbolAtLocation(e), whole);
        return;
      }
      if (ts.isCallExpression(e)) {
        // A project function whose result is the value, or a part of it (a field): a cast, an `any` or a
        // suppressed type error on its return paths puts something else there than its declared type says.
        const resolved = tc.getResolvedSignature(e)?.getDeclaration();
        if (!resolved || !ts.isFunctionLike(resolved) || !isProjectDeclared(ctx, resolved)) return;
        // A member declared without a body (an interface's, an abstract one) runs one of its implementations:
        // every project class or object literal member of that name whose owner can stand for the declaring type.
        const decls = (resolved as ts.FunctionLikeDeclaration).body ? [resolved] : implementationsOf(ctx, resolved);
        for (const decl of decls) {
          if (followed.has(decl) || (!whole && followedPart.has(decl))) continue;
          if (depth + 1 > MAX_CALL_DEPTH) {
            issues.add('deep');
            return;
          }
          (whole ? followed : followedPart).add(decl);
          // `// @ts-ignore` then `helper = (id) => rows.get(id)` anywhere: its body is not what runs.
          if (writtenElsewhere(ctx, [decl])) issues.add('replaced');
          queue.push({
            body: decl,
            exprs: returnedExpressions(decl as ts.SignatureDeclaration),
            depth: depth + 1,
            whole,
            via: { call: e, from: item },
            callers: false,
          });
        }
      }
    };
    for (const r of exprs) scan(r, rootWhole);
  }
  return issues;
}
