import { ts } from 'ts-morph';
import { dealias, resolvedDeclaration, skipOuter } from './calls.js';

/**
 * Implicit invocations for the key-gating call graph (callgraph.ts): code
 * that runs without a call expression naming it.
 *
 * - `new C(…)` runs C's constructor (the first one up the `extends` chain
 *   when C declares none, as the checker resolves it) and the instance field
 *   initializers of C, and of its bases up to the first class that declares
 *   a constructor (whose `super(…)` runs the rest); `super(…)` runs the base
 *   constructor (an ordinary resolved call) and the base's field
 *   initializers the same way.
 * - A property read that the checker resolves to a `get` accessor runs it
 *   (`o.x`, `o?.x`, `this.x`, `super.x`, `o['x']`, `const { x } = o`); a
 *   write resolving to a `set` accessor runs the setter (`o.x = v`,
 *   `o.x ??= v`, `o.x++`, `[o.x] = a`, `for (o.x of a)`); a compound write
 *   runs both. A read resolving to a member the accessor implements or
 *   overrides (an interface property, a base or abstract accessor) reaches
 *   it too (callgraph.ts's declNodesOf, as for methods).
 * - A tagged template runs its tag function.
 *
 * Each such site is an edge like a call (`ImplicitSite`, identity by the
 * checker's declaration, never by name). The arguments of an implicit call
 * are not tied to parameters (except `new`'s): a guard argument passed
 * through them is dynamic. Guards called inside a getter or a constructor
 * are not credited to its caller (no ensures through implicit calls).
 *
 * Fail closed (`implicitReferences`): an accessor or a construction that can
 * also run where no edge records it stays an entry point, credited with its
 * own guards only, as before these edges existed:
 * - accessors of object literals, decorated accessors or classes, computed
 *   names, and names the runtime reads by protocol (`then`, `toJSON`, …);
 * - an accessor named by a string anywhere (`Reflect.get(o, 'x')`), read by
 *   name on an unresolved receiver (`(o as any).x`), named in a
 *   destructuring assignment, read through a structurally compatible type
 *   (`const v: { x: T } = o`), read with a computed key on a receiver that
 *   may hold it (its type has it; `any`, `unknown`, `object`, a type
 *   parameter, a string index signature, at any layer of a cast); every
 *   accessor under reflection with a computed key (`Reflect.get(o, k)`,
 *   `Object.getOwnPropertyDescriptor(s)`, `__lookupGetter__`, `Reflect` as a
 *   value); the setters of `Object.assign`'s target;
 * - the construction (constructor, field initializers) of a class used as a
 *   value (passed, stored, returned, `Reflect.construct`), of a subclass
 *   used so, of a class expression, and every construction wherever
 *   `.constructor` is read.
 *
 * The fast path needs no rule of its own: a constructor, field or accessor
 * that reaches a sink is a derived sink whose declaration seeds the
 * statement filter (its class statement qualifies, so the class name and
 * its aliases are kept words) and whose name is a kept word (an accessor's
 * reads mention it); candidates are chosen by the names of every accessor
 * in the program, in both modes; and `implicitReferences` scans every file
 * whole. test/fastpath.test.js checks both modes are equal.
 */

export type ImplicitKind = 'construct' | 'get' | 'set' | 'tag';

export interface ImplicitSite {
  kind: ImplicitKind;
  /** For accessor sites: whether the access reads, writes or both (compound assignment). */
  mode?: 'read' | 'write' | 'both';
  /** Declarations the site may run: constructors, field declarations, accessors, the tag's function. */
  decls: ts.Node[];
  /** Argument offset for the graph: 0 for `new` (its arguments are the constructor's), -1 otherwise (unknown). */
  shift: number;
}

/**
 * Whether `n` may be an implicit invocation site: cheap, syntactic, and
 * sound for the prefilter: `accessorNames` holds the names of every accessor
 * in the program, so a site skipped here cannot resolve to one.
 */
export function isImplicitCandidate(n: ts.Node, accessorNames: ReadonlySet<string>): boolean {
  if (ts.isNewExpression(n) || ts.isTaggedTemplateExpression(n)) return true;
  if (accessorNames.size === 0) return false;
  if (ts.isPropertyAccessExpression(n)) return accessorNames.has(n.name.text);
  if (ts.isElementAccessExpression(n)) {
    const k = skipOuter(n.argumentExpression);
    return ts.isStringLiteralLike(k) || ts.isNumericLiteral(k) ? accessorNames.has(k.text) : false;
  }
  if (ts.isBindingElement(n) && ts.isObjectBindingPattern(n.parent)) {
    const name = n.propertyName ?? n.name;
    return ts.isIdentifier(name) || ts.isStringLiteralLike(name) ? accessorNames.has(name.text) : false;
  }
  return false;
}

/** The names of every get/set accessor declared in `files` (identifier, literal and checker names). */
export function accessorNamesOf(checker: ts.TypeChecker, files: readonly ts.SourceFile[]): Set<string> {
  const out = new Set<string>();
  for (const sf of files) {
    if (!/\b[gs]et\b/.test(sf.text)) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isGetAccessorDeclaration(n) || ts.isSetAccessorDeclaration(n)) {
        const name = n.name;
        if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteralLike(name)) out.add(name.text);
        if (ts.isNumericLiteral(name)) out.add(name.text);
        const sym = checker.getSymbolAtLocation(name);
        if (sym) out.add(sym.name);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

/** What an implicit site may run, resolved by the checker; undefined when it runs no project code. */
export function resolveImplicit(
  checker: ts.TypeChecker,
  n: ts.Node,
  project: ReadonlySet<ts.SourceFile>,
): ImplicitSite | undefined {
  const inProject = (d: ts.Node) => project.has(d.getSourceFile());
  if (ts.isNewExpression(n)) {
    // `new Map()`, `new Error()`: a callee declared only in libraries constructs no project class (a project
    // class stored in a library-typed variable was used as a value first: implicitReferences).
    const callee = skipOuter(n.expression);
    const at = ts.isPropertyAccessExpression(callee) ? callee.name : ts.isIdentifier(callee) ? callee : undefined;
    const calleeDecls = at ? (dealias(checker, checker.getSymbolAtLocation(at))?.declarations ?? []) : undefined;
    if (calleeDecls && calleeDecls.length > 0 && !calleeDecls.some(inProject)) return undefined;
    const decls: ts.Node[] = [];
    // `new C(…)` naming a class: its constructor and fields by declaration, without resolving the call (which
    // checks every argument): the constructor that runs is the implementation of the nearest class up the
    // `extends` chain that declares one, whatever overload the arguments pick.
    const named = calleeDecls?.find((x): x is ts.ClassLikeDeclaration => ts.isClassLike(x));
    if (named) {
      const seen = new Set<ts.Node>();
      for (let c: ts.ClassLikeDeclaration | undefined = named; c && !seen.has(c); c = baseClassOf(checker, c)) {
        seen.add(c);
        const ctors = c.members.filter((m) => ts.isConstructorDeclaration(m));
        if (ctors.length === 0) continue;
        decls.push(...ctors.filter((m) => m.body && inProject(m)));
        break;
      }
      decls.push(...constructionFields(checker, named));
      return decls.length > 0 ? { kind: 'construct', decls, shift: 0 } : undefined;
    }
    const sig = checker.getResolvedSignature(n);
    const d = sig?.getDeclaration();
    // An overload signature: the implementation runs.
    if (d && inProject(d))
      decls.push(
        ...(ts.isConstructorDeclaration(d) && !d.body
          ? d.parent.members.filter((m) => ts.isConstructorDeclaration(m) && m.body)
          : [d]),
      );
    const cls = constructedClass(checker, n);
    if (cls) decls.push(...constructionFields(checker, cls));
    return decls.length > 0 ? { kind: 'construct', decls, shift: 0 } : undefined;
  }
  if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword) {
    // The base constructor is an ordinary resolved call; its field initializers run here too.
    let cls: ts.Node | undefined = n.parent;
    while (cls && !ts.isClassLike(cls)) cls = cls.parent;
    const base = cls ? baseClassOf(checker, cls) : undefined;
    const decls = base ? constructionFields(checker, base) : [];
    return decls.length > 0 ? { kind: 'construct', decls, shift: 0 } : undefined;
  }
  if (ts.isTaggedTemplateExpression(n)) {
    const decls = new Set<ts.Node>();
    const d = resolvedDeclaration(checker, n as unknown as ts.CallExpression);
    if (d && inProject(d)) decls.add(d);
    const tag = skipOuter(n.tag);
    const at = ts.isPropertyAccessExpression(tag) ? tag.name : tag;
    for (const x of dealias(checker, checker.getSymbolAtLocation(at))?.declarations ?? [])
      if (inProject(x)) decls.add(x);
    return decls.size > 0 ? { kind: 'tag', decls: [...decls], shift: -1 } : undefined;
  }
  const sym = accessedSymbol(checker, n);
  if (!sym) return undefined;
  const mode = accessMode(n);
  // The accessor itself, or a member it implements or overrides (an interface property, a base accessor or
  // field): callgraph.ts's declNodesOf maps those to every accessor below them, like method dispatch.
  const decls = (sym.declarations ?? []).filter(
    (d) =>
      inProject(d) &&
      ((mode !== 'write' && ts.isGetAccessorDeclaration(d)) ||
        (mode !== 'read' && ts.isSetAccessorDeclaration(d)) ||
        ts.isPropertySignature(d) ||
        ts.isPropertyDeclaration(d)),
  );
  if (decls.length === 0) return undefined;
  return { kind: mode === 'write' ? 'set' : 'get', mode, decls, shift: -1 };
}

/** Whether an implicit edge may lead to container `target`: a read never runs a setter, a write never a getter. */
export function implicitReaches(site: ImplicitSite, target: ts.Node): boolean {
  if (site.kind !== 'get' && site.kind !== 'set') return true;
  if (ts.isGetAccessorDeclaration(target)) return site.mode !== 'write';
  if (ts.isSetAccessorDeclaration(target)) return site.mode !== 'read';
  return false;
}

/** The property symbol a read or write site names (a literal key included), aliases followed. */
function accessedSymbol(checker: ts.TypeChecker, n: ts.Node): ts.Symbol | undefined {
  if (ts.isPropertyAccessExpression(n)) return checker.getSymbolAtLocation(n.name);
  if (ts.isElementAccessExpression(n)) {
    const k = skipOuter(n.argumentExpression);
    return ts.isStringLiteralLike(k) || ts.isNumericLiteral(k) ? checker.getSymbolAtLocation(k) : undefined;
  }
  if (ts.isBindingElement(n) && ts.isObjectBindingPattern(n.parent)) {
    const name = n.propertyName ?? n.name;
    if (!(ts.isIdentifier(name) || ts.isStringLiteralLike(name))) return undefined;
    return checker.getTypeAtLocation(n.parent).getProperty(name.text);
  }
  return undefined;
}

/** Whether an access reads, writes or does both (compound assignment, `++`). */
export function accessMode(n: ts.Node): 'read' | 'write' | 'both' {
  if (ts.isBindingElement(n)) return 'read';
  let e: ts.Node = n;
  while (ts.isParenthesizedExpression(e.parent) || ts.isNonNullExpression(e.parent)) e = e.parent;
  const p = e.parent;
  if (ts.isBinaryExpression(p) && p.left === e) {
    const k = p.operatorToken.kind;
    if (k === ts.SyntaxKind.EqualsToken) return 'write';
    if (k >= ts.SyntaxKind.FirstCompoundAssignment && k <= ts.SyntaxKind.LastCompoundAssignment) return 'both';
  }
  if (
    (ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) &&
    (p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken)
  )
    return 'both';
  if ((ts.isForOfStatement(p) || ts.isForInStatement(p)) && p.initializer === e) return 'write';
  if (isDestructuringTarget(e)) return 'write';
  if (ts.isDeleteExpression(p)) return 'read';
  return 'read';
}

/** `[o.x] = a`, `({ k: o.x } = a)`, `[...o.x] = a`, `for ([o.x] of a)`: an element of an assignment pattern. */
function isDestructuringTarget(e: ts.Node): boolean {
  let c: ts.Node = e;
  for (;;) {
    const p = c.parent;
    if (!p) return false;
    if (
      ts.isArrayLiteralExpression(p) ||
      ts.isSpreadElement(p) ||
      ts.isSpreadAssignment(p) ||
      ts.isParenthesizedExpression(p) ||
      ts.isObjectLiteralExpression(p)
    ) {
      c = p;
      continue;
    }
    if (ts.isPropertyAssignment(p) && p.initializer === c && ts.isObjectLiteralExpression(p.parent)) {
      c = p.parent;
      continue;
    }
    if (c === e || !(ts.isArrayLiteralExpression(c) || ts.isObjectLiteralExpression(c))) return false;
    // The outermost literal is a pattern when it is assigned to (also as a nested element with a default).
    if (ts.isBinaryExpression(p)) return p.left === c && p.operatorToken.kind === ts.SyntaxKind.EqualsToken;
    return (ts.isForOfStatement(p) || ts.isForInStatement(p)) && p.initializer === c;
  }
}

/** Is `n` the property named by an access (`o.x`, `o['x']`, `{ x } = o`): where an accessor runs, not leaks? */
export function isAccessName(n: ts.Identifier | ts.StringLiteralLike): boolean {
  const p = n.parent;
  return (
    (ts.isPropertyAccessExpression(p) && p.name === n) ||
    (ts.isElementAccessExpression(p) && skipOuter(p.argumentExpression) === n) ||
    (ts.isBindingElement(p) && (p.propertyName ?? p.name) === n && ts.isObjectBindingPattern(p.parent))
  );
}

export function isAccessor(n: ts.Node): n is ts.AccessorDeclaration {
  return ts.isGetAccessorDeclaration(n) || ts.isSetAccessorDeclaration(n);
}

/** The class `new` constructs, by the checker (the constructed type's class declaration). */
function constructedClass(checker: ts.TypeChecker, n: ts.NewExpression): ts.ClassLikeDeclaration | undefined {
  const t = checker.getTypeAtLocation(n);
  const sym = t.getSymbol();
  return sym?.declarations?.find((d): d is ts.ClassLikeDeclaration => ts.isClassLike(d));
}

/** Does `cls` derive from `base` (an `extends` the checker cannot resolve to a class may: yes)? */
function inheritsFrom(checker: ts.TypeChecker, cls: ts.ClassLikeDeclaration, base: ts.ClassLikeDeclaration): boolean {
  const seen = new Set<ts.Node>();
  for (let c: ts.ClassLikeDeclaration | undefined = cls; c && !seen.has(c);) {
    seen.add(c);
    const hasExtends = c.heritageClauses?.some((h) => h.token === ts.SyntaxKind.ExtendsKeyword) ?? false;
    if (!hasExtends) return false;
    const next = baseClassOf(checker, c);
    if (!next) return true;
    if (next === base) return true;
    c = next;
  }
  return false;
}

function baseClassOf(checker: ts.TypeChecker, cls: ts.ClassLikeDeclaration): ts.ClassLikeDeclaration | undefined {
  for (const h of cls.heritageClauses ?? []) {
    if (h.token !== ts.SyntaxKind.ExtendsKeyword) continue;
    for (const t of h.types) {
      const sym = dealias(checker, checker.getSymbolAtLocation(t.expression));
      const d = sym?.declarations?.find((x): x is ts.ClassLikeDeclaration => ts.isClassLike(x));
      if (d) return d;
      // `extends mixin(Base)`: the base's declaration through the type.
      const ts2 = checker.getTypeAtLocation(t).getSymbol();
      const d2 = ts2?.declarations?.find((x): x is ts.ClassLikeDeclaration => ts.isClassLike(x));
      if (d2) return d2;
    }
  }
  return undefined;
}

/**
 * The instance field declarations whose initializers run when `cls` is
 * constructed: its own, and its bases' up to (and including) the first class
 * that declares a constructor (that constructor's `super(…)` runs the rest).
 * Function-valued initializers only create a function: they run nothing.
 */
function constructionFields(checker: ts.TypeChecker, cls: ts.ClassLikeDeclaration): ts.Node[] {
  const out: ts.Node[] = [];
  const seen = new Set<ts.Node>();
  for (let c: ts.ClassLikeDeclaration | undefined = cls; c && !seen.has(c); c = baseClassOf(checker, c)) {
    seen.add(c);
    for (const m of c.members) if (isRunningField(m)) out.push(m);
    if (c.members.some((m) => ts.isConstructorDeclaration(m) && m.body)) break;
  }
  return out;
}

/** An instance property declaration with an initializer that runs code (not a function it merely creates). */
export function isRunningField(m: ts.Node): m is ts.PropertyDeclaration {
  if (!ts.isPropertyDeclaration(m) || !m.initializer) return false;
  if (ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Static) return false;
  const init = skipOuter(m.initializer);
  return !(ts.isArrowFunction(init) || ts.isFunctionExpression(init));
}

// ---------------------------------------------------------------------------
// Fail closed: targets that run where no edge records them.

/**
 * Accessor names the language or the runtime reads without a property access in the program: `await` and
 * promise resolution (`then`), JSON.stringify (`toJSON`), conversions (`toString`, `valueOf`), error printing
 * (`message`, `stack`, `name`, `cause`), array-likes (`length`). Computed names (`[Symbol.iterator]`,
 * `[Symbol.toPrimitive]`) count too.
 */
const PROTOCOL = new Set(['then', 'toJSON', 'toString', 'valueOf', 'message', 'stack', 'name', 'cause', 'length']);

const REFLECTIVE = new Set([
  'get',
  'set',
  'getOwnPropertyDescriptor',
  'getOwnPropertyDescriptors',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/**
 * The target declarations (of `targets`: constructors, running fields,
 * accessors that reach a sink) that may run where the graph has no edge, by
 * the rules in this module's comment. Scans every file of `files` whole (never
 * the prefilter's statements), so the fast path and the full extraction agree.
 */
export function implicitReferences(
  checker: ts.TypeChecker,
  files: readonly ts.SourceFile[],
  targets: readonly ts.Node[],
): Set<ts.Node> {
  const out = new Set<ts.Node>();
  const accessors = targets.filter(
    (t): t is ts.AccessorDeclaration => ts.isGetAccessorDeclaration(t) || ts.isSetAccessorDeclaration(t),
  );
  const building = targets.filter((t) => ts.isConstructorDeclaration(t) || isRunningField(t));
  if (accessors.length === 0 && building.length === 0) return out;

  const accName = new Map<string, ts.AccessorDeclaration[]>();
  for (const a of accessors) {
    if (
      ts.isObjectLiteralExpression(a.parent) ||
      (ts.getDecorators(a)?.length ?? 0) > 0 ||
      // A decorated class is handed to a framework that may read its accessors by name (templates, metadata).
      (ts.isClassLike(a.parent) && (ts.getDecorators(a.parent)?.length ?? 0) > 0) ||
      ts.isComputedPropertyName(a.name) ||
      PROTOCOL.has(a.name.text)
    )
      out.add(a);
    const names = new Set<string>();
    if (ts.isIdentifier(a.name) || ts.isPrivateIdentifier(a.name) || ts.isStringLiteralLike(a.name))
      names.add(a.name.text);
    const sym = checker.getSymbolAtLocation(a.name);
    if (sym) names.add(sym.name);
    for (const n of names) accName.set(n, [...(accName.get(n) ?? []), a]);
  }
  const allAccessors = () => accessors.forEach((a) => out.add(a));
  // A read that resolves to another property of the accessor's name (an interface, a type literal, another
  // class) may run the accessor when the accessor's class is assignable to that property's owner (structural
  // typing); one it overrides or implements is dispatched by the graph (declNodesOf) and needs nothing here.
  const dispatch = new Map<ts.AccessorDeclaration, Set<ts.Node>>();
  const dispatchOf = (a: ts.AccessorDeclaration): Set<ts.Node> => {
    let set = dispatch.get(a);
    if (!set) {
      const sym = checker.getSymbolAtLocation(a.name);
      set = new Set<ts.Node>(sym?.declarations ?? []);
      if (sym && ts.isClassLike(a.parent) && !(ts.getCombinedModifierFlags(a) & ts.ModifierFlags.Static))
        for (const h of a.parent.heritageClauses ?? [])
          for (const t of h.types)
            for (const d of checker.getTypeAtLocation(t).getProperty(sym.name)?.declarations ?? []) set.add(d);
      dispatch.set(a, set);
    }
    return set;
  };
  const aliasCheck = (name: string, sym: ts.Symbol | undefined, receiver: ts.Node, site: ts.Node): void => {
    const mode = accessMode(site);
    const as = accName.get(name)?.filter((a) => (ts.isGetAccessorDeclaration(a) ? mode !== 'write' : mode !== 'read'));
    if (!as || !sym) return;
    let rt: ts.Type | undefined;
    for (const d of sym.declarations ?? []) {
      if (!(ts.isPropertySignature(d) || ts.isPropertyDeclaration(d) || isAccessor(d) || ts.isPropertyAssignment(d)))
        continue;
      for (const a of as) {
        // A read that also resolves to the accessor (or a member it overrides) is an edge to it already.
        if (out.has(a) || (sym.declarations ?? []).some((x) => dispatchOf(a).has(x))) continue;
        rt ??= checker.getTypeAtLocation(receiver);
        if (mayAlias(checker, a, rt)) out.add(a);
      }
    }
  };
  // Every layer of the receiver counts (`(h as unknown as Bag)[k]`: the cast's operand is a Holder).
  const accessorsOfType = (e0: ts.Expression): void => {
    for (let e: ts.Expression = e0; ;) {
      const t = checker.getTypeAtLocation(e);
      for (const a of accessors) if (typeMayHold(checker, t, a)) out.add(a);
      if (
        ts.isParenthesizedExpression(e) ||
        ts.isAsExpression(e) ||
        ts.isTypeAssertionExpression(e) ||
        ts.isSatisfiesExpression(e) ||
        ts.isNonNullExpression(e)
      )
        e = e.expression;
      else break;
    }
  };

  // Classes whose construction runs a target, by every class whose construction includes it.
  const classes = new Map<ts.ClassLikeDeclaration, ts.Node[]>();
  for (const b of building) {
    const cls = b.parent;
    if (
      ts.isClassExpression(cls) ||
      (ts.getDecorators(cls)?.length ?? 0) > 0 ||
      (ts.canHaveDecorators(b) && (ts.getDecorators(b)?.length ?? 0) > 0)
    )
      out.add(b);
    classes.set(cls, [...(classes.get(cls) ?? []), b]);
  }
  const building2 = new Set<ts.Node>(building);
  // Subclasses construct their bases: a subclass used as a value runs the base's targets too.
  const constructs = (cls: ts.ClassLikeDeclaration): ts.Node[] => {
    const found: ts.Node[] = [];
    const seen = new Set<ts.Node>();
    for (let c: ts.ClassLikeDeclaration | undefined = cls; c && !seen.has(c); c = baseClassOf(checker, c)) {
      seen.add(c);
      for (const m of c.members as readonly ts.Node[]) if (building2.has(m)) found.push(m);
    }
    return found;
  };
  const classNames = new Set<string>();
  for (const c of classes.keys()) if (c.name) classNames.add(c.name.text);
  if (building.length > 0)
    for (const sf of files) {
      if (!sf.text.includes('extends')) continue;
      const visit = (n: ts.Node): void => {
        if (ts.isClassLike(n) && n.heritageClauses?.length) {
          const found = constructs(n);
          if (found.length > 0) {
            if (n.name && ts.isClassDeclaration(n)) classNames.add(n.name.text);
            // A class expression deriving from one (`return class extends Base {}`) can be constructed anywhere.
            else found.forEach((b) => out.add(b));
          }
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
  const allBuilding = () => building.forEach((b) => out.add(b));

  for (const sf of files) {
    const text = sf.text;
    const aliasNames = new Set<string>();
    if (building.length > 0)
      for (const s of sf.statements) {
        if (ts.isImportDeclaration(s) && s.importClause) {
          if (s.importClause.name) aliasNames.add(s.importClause.name.text);
          const b = s.importClause.namedBindings;
          if (b && ts.isNamedImports(b)) for (const e of b.elements) aliasNames.add(e.name.text);
        }
      }
    const visit = (n: ts.Node): void => {
      if (accessors.length > 0) {
        // `Reflect` as a value (`const { get } = Reflect`, `Reflect['get']`): reflection this scan cannot follow.
        if (
          ts.isIdentifier(n) &&
          n.text === 'Reflect' &&
          !(ts.isPropertyAccessExpression(n.parent) && n.parent.expression === n)
        )
          allAccessors();
        else if (ts.isStringLiteralLike(n) && accName.has(n.text) && !isLiteralKeyOfResolvedAccess(checker, n))
          for (const a of accName.get(n.text)!) out.add(a);
        else if (ts.isPropertyAccessExpression(n) && accName.has(n.name.text)) {
          const sym = checker.getSymbolAtLocation(n.name);
          if (!sym?.declarations?.length) for (const a of accName.get(n.name.text)!) out.add(a);
          else aliasCheck(n.name.text, sym, n.expression, n);
        } else if (ts.isElementAccessExpression(n)) {
          const k = skipOuter(n.argumentExpression);
          const sym = ts.isStringLiteralLike(k) || ts.isNumericLiteral(k) ? checker.getSymbolAtLocation(k) : undefined;
          if (!sym) accessorsOfType(n.expression);
          else aliasCheck((k as ts.StringLiteralLike).text, sym, n.expression, n);
        } else if (ts.isBindingElement(n) && ts.isObjectBindingPattern(n.parent)) {
          const name = n.propertyName ?? n.name;
          if (ts.isComputedPropertyName(name)) accessorsOfType(n.parent as unknown as ts.Expression);
          else if ((ts.isIdentifier(name) || ts.isStringLiteralLike(name)) && accName.has(name.text))
            aliasCheck(name.text, checker.getTypeAtLocation(n.parent).getProperty(name.text), n.parent, n);
        } else if (
          (ts.isShorthandPropertyAssignment(n) || ts.isPropertyAssignment(n)) &&
          ts.isObjectLiteralExpression(n.parent) &&
          isAssignmentPattern(n.parent)
        ) {
          const name = n.name;
          if (ts.isComputedPropertyName(name)) allAccessors();
          else if (accName.has(name.text)) for (const a of accName.get(name.text)!) out.add(a);
        } else if (
          (ts.isPropertyDeclaration(n) &&
            n.initializer &&
            !(ts.getCombinedModifierFlags(n) & ts.ModifierFlags.Static) &&
            !ts.isComputedPropertyName(n.name)) ||
          (ts.isParameter(n) &&
            ts.isConstructorDeclaration(n.parent) &&
            ts.isIdentifier(n.name) &&
            (ts.getModifiers(n)?.length ?? 0) > 0)
        ) {
          // A subclass field (`useDefineForClassFields: false`) or a parameter property is assigned with
          // `this.x = …` during construction: it runs a setter of its name inherited from a base.
          const name = n.name;
          const cls = ts.isParameter(n) ? n.parent.parent : n.parent;
          if (ts.isIdentifier(name) && ts.isClassLike(cls))
            for (const a of accName.get(name.text) ?? [])
              if (ts.isSetAccessorDeclaration(a) && ts.isClassLike(a.parent) && inheritsFrom(checker, cls, a.parent))
                out.add(a);
        } else if (ts.isCallExpression(n)) {
          const callee = skipOuter(n.expression);
          if (ts.isPropertyAccessExpression(callee) && REFLECTIVE.has(callee.name.text)) {
            const recv = skipOuter(callee.expression);
            const reflective =
              callee.name.text.startsWith('__lookup') ||
              (ts.isIdentifier(recv) && (recv.text === 'Reflect' || recv.text === 'Object'));
            if (reflective) {
              const keyIdx = callee.name.text.startsWith('__lookup') ? 0 : 1;
              const key = n.arguments[keyIdx];
              if (callee.name.text === 'getOwnPropertyDescriptors' || !key || !isLiteral(key)) allAccessors();
            }
          }
          // Object.assign(target, …) runs target's setters for every key of the sources.
          if (
            ts.isPropertyAccessExpression(callee) &&
            callee.name.text === 'assign' &&
            ts.isIdentifier(skipOuter(callee.expression)) &&
            (skipOuter(callee.expression) as ts.Identifier).text === 'Object' &&
            n.arguments[0]
          )
            accessorsOfType(n.arguments[0]);
        }
      }
      if (building.length > 0) {
        if (
          (ts.isPropertyAccessExpression(n) && n.name.text === 'constructor') ||
          (ts.isStringLiteralLike(n) && n.text === 'constructor' && !ts.isLiteralTypeNode(n.parent))
        )
          allBuilding();
        else if (ts.isIdentifier(n) && (classNames.has(n.text) || aliasNames.has(n.text)) && isValueUse(n)) {
          const sym = dealias(checker, checker.getSymbolAtLocation(n));
          for (const d of sym?.declarations ?? [])
            if (ts.isClassLike(d) && !isClassName(n, d)) for (const b of constructs(d)) out.add(b);
        } else if (n.kind === ts.SyntaxKind.ThisKeyword && isValueUse(n as ts.Expression)) {
          // `this` in a static member is the class itself: `static self() { return this; }` hands it out.
          const cls = staticClassOf(n);
          if (cls) for (const b of constructs(cls)) out.add(b);
        }
      }
      ts.forEachChild(n, visit);
    };
    if (accessors.length > 0 || [...classNames, ...aliasNames, 'constructor'].some((w) => text.includes(w))) visit(sf);
  }
  return out;
}

/**
 * May a value of accessor `a`'s class (its constructor, for a static accessor) be the receiver, of type
 * `receiver`, of a read that resolved elsewhere (structural typing)? `any`, `unknown`, type parameters and
 * generic classes: yes.
 */
function mayAlias(checker: ts.TypeChecker, a: ts.AccessorDeclaration, r: ts.Type): boolean {
  const cls = a.parent;
  if (!ts.isClassLike(cls) || cls.typeParameters?.length || !cls.name) return true;
  // A type parameter (`this` included) by its constraint; an unconstrained one may be anything.
  let receiver = r;
  if (receiver.flags & ts.TypeFlags.TypeParameter) {
    const c = checker.getBaseConstraintOfType(receiver);
    if (!c || c === receiver) return true;
    receiver = c;
  }
  if (
    receiver.flags &
    (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter | ts.TypeFlags.NonPrimitive)
  )
    return true;
  const clsSym = checker.getSymbolAtLocation(cls.name);
  if (!clsSym) return true;
  const isStatic = (ts.getCombinedModifierFlags(a) & ts.ModifierFlags.Static) !== 0;
  const source = isStatic ? checker.getTypeOfSymbol(clsSym) : checker.getDeclaredTypeOfSymbol(clsSym);
  return checker.isTypeAssignableTo(source, receiver);
}

function isLiteral(e: ts.Expression): boolean {
  const k = skipOuter(e);
  return ts.isStringLiteralLike(k) || ts.isNumericLiteral(k);
}

/** `o['x']` whose key the checker resolves (an edge, or not the accessor): not a reference by name. */
function isLiteralKeyOfResolvedAccess(checker: ts.TypeChecker, n: ts.StringLiteralLike): boolean {
  const p = n.parent;
  if (ts.isElementAccessExpression(p) && skipOuter(p.argumentExpression) === n)
    return (checker.getSymbolAtLocation(n)?.declarations?.length ?? 0) > 0;
  // Module specifiers name no property; a declaration's own name is not a use.
  if ((p as ts.NamedDeclaration).name === n) return true;
  return (
    ts.isImportDeclaration(p) || ts.isExportDeclaration(p) || ts.isExternalModuleReference(p) || ts.isLiteralTypeNode(p)
  );
}

/** Whether a value of type `t` may hold accessor `a`: `any`, `unknown`, a type parameter, or a type with it. */
function typeMayHold(checker: ts.TypeChecker, t: ts.Type, a: ts.AccessorDeclaration): boolean {
  const seen = new Set<ts.Type>();
  const check = (x: ts.Type): boolean => {
    if (seen.has(x)) return false;
    seen.add(x);
    if (x.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter | ts.TypeFlags.NonPrimitive))
      return true;
    if (x.isUnionOrIntersection()) return x.types.some(check);
    const ap = checker.getApparentType(x);
    // A bag of anything (`Record<string, unknown>`): whatever was cast to it.
    if (checker.getIndexInfoOfType(ap, ts.IndexKind.String)) return true;
    for (const p of ap.getProperties()) if (p.declarations?.includes(a)) return true;
    return false;
  };
  return check(t);
}

function isAssignmentPattern(o: ts.ObjectLiteralExpression): boolean {
  let c: ts.Node = o;
  while (
    ts.isParenthesizedExpression(c.parent) ||
    ts.isArrayLiteralExpression(c.parent) ||
    ts.isSpreadElement(c.parent) ||
    (ts.isPropertyAssignment(c.parent) && c.parent.initializer === c) ||
    (ts.isObjectLiteralExpression(c.parent) && !ts.isPropertyAssignment(c))
  ) {
    c = ts.isPropertyAssignment(c.parent) ? c.parent.parent : c.parent;
  }
  const p = c.parent;
  return (
    !!p &&
    ((ts.isBinaryExpression(p) && p.left === c && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) ||
      ((ts.isForOfStatement(p) || ts.isForInStatement(p)) && p.initializer === c))
  );
}

/** The class whose static member (or static block) `this` is in, when it is. */
function staticClassOf(n: ts.Node): ts.ClassLikeDeclaration | undefined {
  for (let a: ts.Node | undefined = n.parent; a; a = a.parent) {
    if (ts.isArrowFunction(a)) continue;
    if (ts.isClassStaticBlockDeclaration(a)) return a.parent;
    if (ts.isClassElement(a) && ts.isClassLike(a.parent))
      return ts.getCombinedModifierFlags(a) & ts.ModifierFlags.Static ? a.parent : undefined;
    if (ts.isFunctionLike(a) || ts.isClassLike(a)) return undefined;
  }
  return undefined;
}

/** The class's own name (its declaration), not a use of it. */
function isClassName(n: ts.Identifier, d: ts.ClassLikeDeclaration): boolean {
  return d.name === n;
}

/**
 * An identifier used as a value that may construct the class elsewhere: not
 * `new C(…)`'s callee, `extends C`, `C.member`, `x instanceof C`, a type, an
 * import or export specifier, or a declaration's name.
 */
function isValueUse(n: ts.Expression): boolean {
  let e: ts.Node = n;
  // `ns.C`: the access is the use.
  if (ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) e = n.parent;
  while (ts.isParenthesizedExpression(e.parent) || ts.isNonNullExpression(e.parent)) e = e.parent;
  const p = e.parent;
  if (!p) return false;
  if (ts.isNewExpression(p) && p.expression === e) return false;
  if (ts.isExpressionWithTypeArguments(p) && ts.isHeritageClause(p.parent)) return false;
  // `C.member`, `C[k]`: a static member, not the class.
  if ((ts.isPropertyAccessExpression(p) || ts.isElementAccessExpression(p)) && p.expression === e) return false;
  if (ts.isBinaryExpression(p) && p.right === e && p.operatorToken.kind === ts.SyntaxKind.InstanceOfKeyword)
    return false;
  if (
    ts.isImportSpecifier(p) ||
    ts.isExportSpecifier(p) ||
    ts.isImportClause(p) ||
    ts.isNamespaceImport(p) ||
    ts.isQualifiedName(p) ||
    ts.isTypeReferenceNode(p) ||
    ts.isTypeQueryNode(p)
  )
    return false;
  if (ts.isShorthandPropertyAssignment(p) && p.name === n) return true;
  if ((p as ts.NamedDeclaration).name === n) return false;
  for (let a: ts.Node | undefined = p; a; a = a.parent) {
    if (ts.isTypeNode(a) && !ts.isExpressionWithTypeArguments(a)) return false;
    if (ts.isStatement(a)) break;
  }
  return true;
}

/**
 * Whether reading the field `decl` (a container of the graph) only reads a value: a running field whose
 * initializer creates no function on a path to a sink (`anonymous`: none) and whose type has no call
 * signature (not `any`). Such a read runs nothing, so it does not make the field an entry point; any other
 * read may hand out a function the initializer made, which stays a reference (fail closed).
 */
export function isValueOnlyField(checker: ts.TypeChecker, decl: ts.Node, anonymous: ReadonlySet<ts.Node>): boolean {
  if (!isRunningField(decl) || anonymous.size > 0) return false;
  const t = checker.getTypeAtLocation(decl);
  if (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter)) return false;
  const parts = t.isUnionOrIntersection() ? t.types : [t];
  return parts.every(
    (p) =>
      !(p.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter | ts.TypeFlags.NonPrimitive)) &&
      checker.getApparentType(p).getCallSignatures().length === 0,
  );
}
