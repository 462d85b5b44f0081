/**
 * Digests of implementations whose behaviour is part of a policy (key guards,
 * log sinks): a change of any token they run, or of any project declaration
 * they depend on, is a change of unknown direction.
 */
import { ts } from 'ts-morph';
import { sha256Hex } from '../../util/fs.js';
import type { ExtractContext } from './context.js';
import { dealias, skipOuter, writeTarget } from './calls.js';
import { normalizedTokens } from './tokens.js';
import { impureReferences, mayHoldMutable, readsContents } from './mutation.js';
import { NameIndex, referencesByName } from './references.js';

/**
 * An implementation's digest (a key guard's, a log sink's) covers what its behaviour depends on inside the program:
 * its own tokens, and the tokens of every project declaration it reads,
 * transitively: functions and methods it calls, module-level bindings and
 * imports, classes (a module-level `class Set` that shadows the global one is
 * what `Set` resolves to). Type positions do not count. Dependencies are
 * digested by content only, so moving one to another file is neutral.
 */
export function implementationDigest(ctx: ExtractContext, nodes: ts.Node[], opaque?: ts.Node): string {
  return digestOf(ctx, nodes, opaque).digest;
}

function digestOf(ctx: ExtractContext, nodes: ts.Node[], opaque?: ts.Node): { digest: string; deps: number } {
  const checker = ctx.checker.compilerObject;
  const project = new Set(ctx.sourceFiles.map((s) => s.compilerNode));
  const roots = new Set<ts.Node>(nodes);
  const deps: ts.Node[] = [];
  const inside = (d: ts.Node) => {
    for (let a: ts.Node | undefined = d; a; a = a.parent) if (roots.has(a)) return true;
    return false;
  };
  // With `opaque` (the function an argument is evaluated in): its locals are described by the argument itself,
  // and code in it counts by its statement, not as the whole function (or the class around it).
  const local = (d: ts.Node) => opaque !== undefined && isAncestor(opaque, d);
  const dependencyUnit = (d: ts.Node): ts.Node | undefined => {
    const unit = unitOf(d);
    if (!opaque || !unit) return unit;
    if (local(d)) {
      let st: ts.Node = d;
      while (st.parent && !ts.isStatement(st) && !ts.isClassElement(st)) st = st.parent;
      return st;
    }
    return isAncestor(unit, opaque) ? undefined : unit;
  };
  // What the implementation is, or reads: a write to any of these elsewhere changes what runs.
  const tracked = new Set<ts.Node>();
  for (const n of nodes) for (const d of declarationsOf(n)) tracked.add(d);
  const addUnit = (unit: ts.Node | undefined): void => {
    if (!unit || roots.has(unit) || inside(unit)) return;
    roots.add(unit);
    deps.push(unit);
    queue.push(unit);
  };
  const queue = [...nodes];
  // A decorator of the class that declares it runs on the class and may replace the member
  // (`@evil class Attestor`, where `evil` returns a subclass overriding `check`): it is part of the implementation.
  for (const n of nodes) {
    const cls = n.parent;
    if (!cls || !ts.isClassLike(cls)) continue;
    for (const d of ts.getDecorators(cls) ?? []) {
      if (roots.has(d)) continue;
      roots.add(d);
      deps.push(d);
      queue.push(d);
    }
  }
  const writes = writeIndex(ctx);
  const seenWrites = new Set<ts.Node>();
  // Code that changes what the implementation reads runs when the function holding it is called: every direct
  // call or construction of that function elsewhere counts too (its holder's tokens: `relax()` added to a module's
  // top level). When the state is set from a parameter (`this.min = min` in a constructor, `setMin(n) { this.min
  // = n }`, a parameter property), what the arguments depend on counts as well. Classes that extend a constructed
  // class pass their constructions on through `super(…)`; an alias of a function or class (`const Q = Quorum`) has
  // its own sites. Callers of callers are not followed, nor an argument that is a parameter of the site's own
  // function (threat-model.md): on a real client library either reaches most of the program.
  const fed = new Map<ts.Node, boolean>();
  const names = nameIndex(ctx, writes.files);
  const feed = (fn: ts.Node, withArgs: boolean): void => {
    const target = ts.isConstructorDeclaration(fn) ? fn.parent : fn;
    const prior = fed.get(target);
    if (prior === true || prior === withArgs) return;
    // The implementation's own parameters are its callers' arguments, recorded at each site.
    if (nodes.some((n) => isAncestor(n, target))) return;
    fed.set(target, withArgs);
    for (const r of sitesOf(checker, names, target)) {
      const unit = dependencyUnit(r);
      if (unit && !roots.has(unit) && !inside(unit)) {
        roots.add(unit);
        deps.push(unit);
      }
      const sub = subclassOf(r);
      if (sub) {
        feed(sub, withArgs);
        continue;
      }
      const use = useOf(r);
      // An alias (`const Q = Quorum`, `{ relax }`, `{ r: relax }`): its own sites.
      if (
        ((ts.isVariableDeclaration(use) || ts.isPropertyAssignment(use)) &&
          use.initializer &&
          skipOuter(use.initializer) === r) ||
        (ts.isShorthandPropertyAssignment(use) && use.name === r)
      )
        feed(use, withArgs);
      // A call or construction: what its arguments depend on (not its receiver: that is what is being set).
      if (withArgs && (ts.isCallExpression(use) || ts.isNewExpression(use)) && isAncestor(use.expression, r))
        for (const a of use.arguments ?? []) queue.push(a);
    }
  };
  // State whose contents the implementation consults (`ORDER.indexOf(level)`), and the state already scanned.
  const contents = new Set<ts.NamedDeclaration & { name: ts.Node }>();
  const program = ctx.project.getProgram().compilerObject;
  const isLib = (sf: ts.SourceFile) => program.isSourceFileDefaultLibrary(sf);
  const scanned = new Set<ts.Node>();
  while (queue.length > 0) {
    while (queue.length > 0) {
      const visit = (n: ts.Node): void => {
        if (ts.isTypeNode(n) && !ts.isExpressionWithTypeArguments(n)) return;
        if (ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n)) return;
        if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) {
          const sym = checker.getSymbolAtLocation(n);
          const targets = new Set<ts.Declaration>(sym?.declarations ?? []);
          for (const d of dealias(checker, sym)?.declarations ?? []) targets.add(d);
          for (const d of targets) {
            if (inside(d) || local(d)) continue;
            // A library member it uses is tracked too (`Set.prototype.has = () => true` hollows a quorum check).
            tracked.add(d);
            if (project.has(d.getSourceFile())) {
              addUnit(dependencyUnit(d));
              if ((d as ts.NamedDeclaration).name !== n && readsContents(n) && mayHoldMutable(checker, d))
                contents.add(d);
            }
          }
        }
        ts.forEachChild(n, visit);
      };
      visit(queue.pop()!);
    }
    // Writes to a tracked binding or member anywhere in the program (`guard = async () => {}`,
    // `Attestor.prototype.check = …`, `strictMode = false`, `Object.defineProperty(o, 'check', …)`): the unit
    // that holds the write is part of the implementation. A write whose target the checker cannot resolve
    // but that names a tracked declaration counts too (fail closed).
    // The holder's tokens count (the conditions around the write); of what it depends on, only the written
    // value's dependencies are followed, so that a method that also resets a guard's state does not pull in
    // everything else it calls.
    for (const w of writes.matching(tracked)) {
      if (seenWrites.has(w.name)) continue;
      seenWrites.add(w.name);
      const unit = dependencyUnit(w.name);
      if (unit && !roots.has(unit) && !inside(unit)) {
        roots.add(unit);
        deps.push(unit);
      }
      const run = runner(w.name);
      if (run) feed(run, false);
      if (w.value) {
        queue.push(w.value);
        for (const fn of parameterFunctions(checker, w.value)) feed(fn, true);
      }
    }
    // A field declared by a constructor parameter (`constructor(private readonly min: number)`) holds what every
    // construction passes.
    for (const d of tracked)
      if (ts.isParameter(d) && ts.isParameterPropertyDeclaration(d, d.parent) && !inside(d)) {
        roots.add(d.parent);
        deps.push(d.parent);
        feed(d.parent, true);
      }
    // In-place changes elsewhere of state whose contents it consults (`ORDER.reverse()`, `TRUSTED.add(x)`,
    // `CFG.levels.length = 0`, passing it on or aliasing it): the holder's tokens count, and what the change
    // uses is followed (mutation.ts says which uses cannot change it).
    for (const d of contents) {
      if (scanned.has(d)) continue;
      scanned.add(d);
      for (const r of impureReferences(checker, isLib, (name) => writes.names(name), names, d)) {
        if (inside(r)) continue;
        const unit = dependencyUnit(r);
        if (unit && !roots.has(unit) && !inside(unit)) {
          roots.add(unit);
          deps.push(unit);
        }
        queue.push(useOf(r));
        const run = runner(r);
        if (run) feed(run, false);
      }
    }
  }
  // Its own name does not count: renaming a guard (KEYGATE_GUARD_RENAMED) keeps its digest. Nor does what
  // TypeScript erases (`readonly Approval[]` for `Approval[]`), unless decorator metadata emits parameter types.
  const erase = !ctx.project.getCompilerOptions().emitDecoratorMetadata;
  const emitted = erase ? nodes.filter((n) => !isOverloadSignature(n, nodes)) : nodes;
  const own = `sha256:${sha256Hex(emitted.flatMap((n) => normalizedTokens(n, ownName(n), erase)).join(' '))}`;
  if (deps.length === 0) return { digest: own, deps: 0 };
  const parts = [...new Set(deps.map((d) => implDigest([d], erase)))].sort();
  return { digest: `sha256:${sha256Hex([own, ...parts].join('\n'))}`, deps: deps.length };
}

/**
 * What runs the code at `n`: the function (method, constructor, accessor, arrow) around it, or the class whose
 * constructions run an instance field's initializer. Nothing at a module's top level or in a static block.
 */
function runner(n: ts.Node): ts.Node | undefined {
  for (let p = n.parent; p && !ts.isSourceFile(p); p = p.parent) {
    if (ts.isFunctionLike(p) && (p as { body?: ts.Node }).body) return p;
    if (ts.isPropertyDeclaration(p) && ts.isClassLike(p.parent))
      return ts.getModifiers(p)?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword) ? undefined : p.parent;
    if (ts.isClassStaticBlockDeclaration(p)) return undefined;
  }
  return undefined;
}

/** Whether `a` is `n` or holds it. */
function isAncestor(a: ts.Node, n: ts.Node): boolean {
  for (let p: ts.Node | undefined = n; p; p = p.parent) if (p === a) return true;
  return false;
}

/** The functions (constructors, methods) whose parameters `value` reads, other than through a nested function. */
function parameterFunctions(checker: ts.TypeChecker, value: ts.Node): ts.Node[] {
  const out: ts.Node[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) {
      for (const decl of checker.getSymbolAtLocation(n)?.declarations ?? []) {
        let d: ts.Node = decl;
        while (ts.isBindingElement(d) || ts.isObjectBindingPattern(d) || ts.isArrayBindingPattern(d)) d = d.parent;
        if (ts.isParameter(d) && ts.isFunctionLike(d.parent)) out.push(d.parent);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(value);
  return out;
}

/** The name a function or class is referred to by: its own, or that of the variable or property holding it. */
function referenceName(n: ts.Node): string | undefined {
  const own = (n as ts.NamedDeclaration).name;
  if (own && (ts.isIdentifier(own) || ts.isPrivateIdentifier(own) || ts.isStringLiteral(own))) return own.text;
  const p = n.parent;
  if (p && (ts.isVariableDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isPropertyAssignment(p)))
    return referenceName(p);
  return undefined;
}

/**
 * Where `target` (a function, method or class) is referred to as a value anywhere in `files`: calls,
 * constructions, `extends` clauses, aliases (followed by their names), and members of its name the checker
 * cannot resolve (fail closed). Type positions do not count. A target without a name counts as referred to by
 * nothing it can find, so every function declared in it is part of the implementation already.
 */
function sitesOf(checker: ts.TypeChecker, index: NameIndex, target: ts.Node): ts.Node[] {
  const known = index.memo.get(target);
  if (known) return known;
  const name = referenceName(target);
  const decl =
    ts.isFunctionExpression(target) || ts.isArrowFunction(target) || ts.isClassExpression(target)
      ? target.parent
      : target;
  // A call through an interface or base class member it implements or overrides may run it.
  const out =
    name === undefined
      ? []
      : referencesByName(checker, index, decl, name, new Set(baseDeclarations(checker, decl, name))).filter(
          (n) => !(ts.isHeritageClause(n.parent.parent) && n.parent.parent.token === ts.SyntaxKind.ImplementsKeyword),
        );
  index.memo.set(target, out);
  return out;
}

const nameIndexes = new WeakMap<ExtractContext, NameIndex>();

/** The name index of the files the write index covers (the project's and its workspace packages'), once per extraction. */
function nameIndex(ctx: ExtractContext, files: readonly ts.SourceFile[]): NameIndex {
  let o = nameIndexes.get(ctx);
  if (!o) {
    o = new NameIndex(files);
    nameIndexes.set(ctx, o);
  }
  return o;
}

/** The members of the types a class member's class extends or implements (transitively) that it overrides. */
function baseDeclarations(checker: ts.TypeChecker, d: ts.Node, name: string): ts.Declaration[] {
  if (!ts.isClassElement(d) || !ts.isClassLike(d.parent) || ts.isConstructorDeclaration(d)) return [];
  if (ts.getModifiers(d as ts.HasModifiers)?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) return [];
  const out: ts.Declaration[] = [];
  const seen = new Set<ts.Node>();
  const visit = (c: ts.ClassLikeDeclaration | ts.InterfaceDeclaration): void => {
    for (const h of c.heritageClauses ?? [])
      for (const t of h.types) {
        const type = checker.getTypeAtLocation(t);
        for (const pd of type.getProperty(name)?.declarations ?? [])
          if (!seen.has(pd)) {
            seen.add(pd);
            out.push(pd);
          }
        for (const bd of type.getSymbol()?.declarations ?? [])
          if ((ts.isClassLike(bd) || ts.isInterfaceDeclaration(bd)) && !seen.has(bd)) {
            seen.add(bd);
            visit(bd);
          }
      }
  };
  visit(d.parent);
  return out;
}

/** The class whose `extends` clause a reference is (`class Strict extends Quorum`). */
function subclassOf(ref: ts.Node): ts.ClassLikeDeclaration | undefined {
  const e = ref.parent;
  const h = e && ts.isExpressionWithTypeArguments(e) ? e.parent : undefined;
  return h && ts.isHeritageClause(h) && h.token === ts.SyntaxKind.ExtendsKeyword && ts.isClassLike(h.parent)
    ? h.parent
    : undefined;
}

/**
 * For recorded guard arguments that name program state (calls.ts `withState`): 8 hex digits of what the argument
 * expression depends on, digested like a guard's implementation, with the function it is evaluated in opaque;
 * `''` when it depends on nothing outside that function (its text says it all).
 */
export function argumentStateDigest(ctx: ExtractContext): (e: ts.Expression) => string {
  const memo = new Map<ts.Node, string>();
  return (e) => {
    let d = memo.get(e);
    if (d === undefined) {
      let fn: ts.Node | undefined = e.parent;
      while (fn && !ts.isSourceFile(fn) && !(ts.isFunctionLike(fn) && (fn as { body?: ts.Node }).body)) fn = fn.parent;
      const r = digestOf(ctx, [e], fn && !ts.isSourceFile(fn) ? fn : undefined);
      d = r.deps === 0 ? '' : r.digest.slice('sha256:'.length, 15);
      memo.set(e, d);
    }
    return d;
  };
}

/** A signature without a body next to the implementation it overloads: TypeScript emits nothing for it. */
function isOverloadSignature(n: ts.Node, all: readonly ts.Node[]): boolean {
  const bodyOf = (m: ts.Node) =>
    ts.isFunctionDeclaration(m) || ts.isMethodDeclaration(m) || ts.isConstructorDeclaration(m) ? m.body : null;
  return bodyOf(n) === undefined && all.some((m) => m !== n && bodyOf(m));
}

/** A digested declaration's own name (`assertAttested` in `function assertAttested(…)`, `check` in `const check = …`). */
function ownName(n: ts.Node): ts.Node | undefined {
  const p = n.parent;
  const decl =
    (ts.isArrowFunction(n) || ts.isFunctionExpression(n)) &&
    p &&
    (ts.isVariableDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isPropertyAssignment(p))
      ? undefined
      : n;
  const name = decl ? (decl as ts.NamedDeclaration).name : undefined;
  return name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name)) ? name : undefined;
}

/** The expression that uses a reference: the call or assignment around its member chain. */
function useOf(ref: ts.Node): ts.Node {
  let e: ts.Node = ref;
  while (
    e.parent &&
    (ts.isPropertyAccessExpression(e.parent) ||
      ts.isElementAccessExpression(e.parent) ||
      ts.isParenthesizedExpression(e.parent) ||
      ts.isNonNullExpression(e.parent))
  )
    e = e.parent;
  return e.parent && !ts.isSourceFile(e.parent) && !ts.isBlock(e.parent) ? e.parent : e;
}

/**
 * Whether code anywhere in the program writes one of `decls`' bindings or members (`handler = async () => …`
 * with `@ts-ignore`, `(ns as any).handler = …`, `Object.defineProperty(ns, 'handler', …)`, `Svc.prototype.handle
 * = …`): what runs under that name is then not the declaration. The same write index as the digests.
 */
export function writtenElsewhere(ctx: ExtractContext, decls: readonly ts.Node[]): boolean {
  // A write inside the function itself counts too: `attested = async () => {}` in its own body replaces it for
  // every later call.
  const tracked = new Set<ts.Node>(decls.flatMap((d) => declarationsOf(d)));
  for (const _ of writeIndex(ctx).matching(tracked)) return true;
  return false;
}

/**
 * Whether code anywhere in the program may replace the standard `Function.prototype` method `name` for some
 * function (`call`, `apply`): a write to a member of that name (`Function.prototype.call = …`, `o['call'] = …`),
 * a write of a computed name or a prototype change (`Object.setPrototypeOf(f, fake)`) on a receiver typed as a
 * function, `Function`, `any` or `unknown` (the write index of the digests).
 */
export function functionMethodPatched(ctx: ExtractContext, name: string): boolean {
  let known = patchedMethods.get(ctx);
  if (!known) patchedMethods.set(ctx, (known = new Map<string, boolean>()));
  let patched = known.get(name);
  if (patched === undefined) {
    const w = writeIndex(ctx);
    const checker = ctx.checker.compilerObject;
    patched =
      w.names(name) ||
      w.computedReceivers().some((r) => {
        const t = checker.getTypeAtLocation(skipOuter(r));
        if (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return true;
        if (t.getCallSignatures().length > 0) return true;
        const n = (t.getSymbol() ?? t.aliasSymbol)?.getName();
        return n === 'Function' || n === 'CallableFunction' || n === 'NewableFunction';
      });
    known.set(name, patched);
  }
  return patched;
}

const patchedMethods = new WeakMap<ExtractContext, Map<string, boolean>>();

/** The declarations a digested node stands for: itself, and the binding a function value is the initializer of. */
function declarationsOf(n: ts.Node): ts.Node[] {
  const out = [n];
  let p = n.parent;
  while (p && (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isSatisfiesExpression(p))) p = p.parent;
  if (
    p &&
    (ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isClassExpression(n)) &&
    (ts.isVariableDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isPropertyAssignment(p))
  )
    out.push(p);
  return out;
}

interface WriteSite {
  /** The written name (an identifier, a member name, a string naming a member). */
  name: ts.Node;
  /**
   * `binding`: a variable, function or import (resolved by the checker, whatever its text); `member`: a member
   * name (resolved through the receiver's type); `reflective`: a name handed to `defineProperty`, `assign` and
   * the like (never resolved: the name is the only link, fail closed).
   */
  kind: 'binding' | 'member' | 'reflective';
  /** The expression whose value is written (the right-hand side, the reflective call), when there is one. */
  value: ts.Node | undefined;
}

/** Every write in the project's files, by the name it writes (built once per extraction, syntactically). */
class WriteIndex {
  private readonly byName = new Map<string, WriteSite[]>();
  /** Writes whose member name is computed (`ns[k] = …`, `Object.assign(ns, other)`), by their receiver. */
  private readonly computed: Array<{ site: ts.Node; receiver: ts.Expression; value: ts.Node | undefined }> = [];
  /** The value being written by the construct under scan. */
  private value: ts.Node | undefined;

  constructor(
    private readonly checker: ts.TypeChecker,
    readonly files: readonly ts.SourceFile[],
  ) {
    this.fileSet = new Set(files);
    for (const sf of files) this.scan(sf);
  }

  /** The write sites whose target is one of `tracked` (or cannot be resolved and bears a tracked name). */
  *matching(tracked: ReadonlySet<ts.Node>): Iterable<WriteSite> {
    const names = new Set<string>();
    for (const d of tracked) {
      const n = (d as ts.NamedDeclaration).name;
      if (n && (ts.isIdentifier(n) || ts.isPrivateIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n)))
        names.add(n.text);
    }
    for (const name of names)
      for (const w of this.byName.get(name) ?? [])
        if (w.kind === 'reflective' || this.writesTracked(w, tracked)) yield w;
    // A binding may be written through an alias of another name (`import { g as h }; h = …`): identifiers
    // are resolved whatever their text (cheap: no receiver to type); members only by a tracked name.
    for (const [name, w] of this.aliasWrites()) if (!names.has(name) && this.writesTracked(w, tracked)) yield w;
    // A computed member of a receiver that holds a tracked project declaration: a module namespace exporting it,
    // or an object whose type has it as a member (`(G as any)[k] = noop`, `Attestor.prototype[k] = …`).
    if (this.computed.length === 0) return;
    // Objects' members are typed only when a tracked project declaration is a member at all.
    const members = [...tracked].some((d) => this.fileSet.has(d.getSourceFile()) && isMemberDeclaration(d));
    for (const c of this.computed)
      if (this.receiverHolds(c.receiver, tracked, members)) yield { name: c.site, kind: 'reflective', value: c.value };
  }

  private readonly exportsMemo = new Map<ts.Expression, ts.Node[] | null>();
  private readonly membersMemo = new Map<ts.Expression, ts.Node[]>();
  private readonly fileSet: ReadonlySet<ts.SourceFile>;

  /** The project declarations a computed write on `receiver` may replace. */
  private receiverHolds(receiver: ts.Expression, tracked: ReadonlySet<ts.Node>, members: boolean): boolean {
    const e = skipOuter(receiver);
    // A module namespace (`(G as any)[k] = …`): its exports, found by symbol (no typing).
    let exported = this.exportsMemo.get(receiver);
    if (exported === undefined) {
      const sym =
        ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)
          ? dealias(this.checker, this.checker.getSymbolAtLocation(e))
          : undefined;
      exported =
        sym && sym.flags & ts.SymbolFlags.ValueModule ? this.projectDecls(this.checker.getExportsOfModule(sym)) : null;
      this.exportsMemo.set(receiver, exported);
    }
    if (exported) return exported.some((d) => tracked.has(d));
    // An object: its members, by its type.
    if (!members) return false;
    let held = this.membersMemo.get(receiver);
    if (!held) {
      held = this.projectDecls(this.checker.getPropertiesOfType(this.checker.getTypeAtLocation(e)));
      this.membersMemo.set(receiver, held);
    }
    return held.some((d) => tracked.has(d));
  }

  private projectDecls(symbols: readonly ts.Symbol[]): ts.Node[] {
    const out: ts.Node[] = [];
    for (const m of symbols)
      for (const d of dealias(this.checker, m)?.declarations ?? [])
        if (this.fileSet.has(d.getSourceFile())) out.push(d);
    return out;
  }

  /** Whether anything in the program writes a member or binding of this name (`Array.prototype.includes = …`). */
  names(name: string): boolean {
    return this.byName.has(name);
  }

  /** The receivers of writes whose member name is computed (`o[k] = …`, `Object.assign(o, other)`, `setPrototypeOf`). */
  computedReceivers(): ts.Expression[] {
    return this.computed.map((c) => c.receiver);
  }

  private aliasSites: Array<[string, WriteSite]> | undefined;

  /** The binding writes whose target is an alias (an import), found once. */
  private aliasWrites(): Array<[string, WriteSite]> {
    if (!this.aliasSites) {
      this.aliasSites = [];
      for (const [name, sites] of this.byName)
        for (const w of sites) if (w.kind === 'binding' && this.isAlias(w)) this.aliasSites.push([name, w]);
    }
    return this.aliasSites;
  }

  private isAlias(w: WriteSite): boolean {
    let a = this.aliasMemo.get(w);
    if (a === undefined) {
      const sym = this.symbolOf(w);
      a = sym !== undefined && (sym.flags & ts.SymbolFlags.Alias) !== 0;
      this.aliasMemo.set(w, a);
    }
    return a;
  }

  private writesTracked(w: WriteSite, tracked: ReadonlySet<ts.Node>): boolean {
    let decls = this.declsMemo.get(w);
    if (!decls) {
      const sym = this.symbolOf(w);
      decls = new Set<ts.Node>(sym?.declarations ?? []);
      for (const d of dealias(this.checker, sym)?.declarations ?? []) decls.add(d);
      this.declsMemo.set(w, decls);
    }
    if (decls.size === 0) return true;
    for (const d of decls) if (tracked.has(d)) return true;
    return false;
  }

  /** What the written name resolves to: for `({ g } = other)`, the binding `g`, not the literal's property. */
  private symbolOf(w: WriteSite): ts.Symbol | undefined {
    const p = w.name.parent;
    if (p && ts.isShorthandPropertyAssignment(p) && p.name === w.name)
      return this.checker.getShorthandAssignmentValueSymbol(p);
    return this.checker.getSymbolAtLocation(w.name);
  }

  private readonly aliasMemo = new Map<WriteSite, boolean>();
  private readonly declsMemo = new Map<WriteSite, Set<ts.Node>>();

  private add(name: ts.Node, text: string, kind: WriteSite['kind']): void {
    const list = this.byName.get(text);
    const site = { name, kind, value: this.value };
    if (list) list.push(site);
    else this.byName.set(text, [site]);
  }

  /** Record the names an assignment target writes (destructuring patterns included). */
  private target(t: ts.Expression): void {
    const e = skipOuter(t);
    if (ts.isIdentifier(e)) this.add(e, e.text, 'binding');
    else if (ts.isPropertyAccessExpression(e) && e.name.text === '__proto__')
      this.computed.push({ site: e, receiver: e.expression, value: this.value }); // every member may change
    else if (ts.isPropertyAccessExpression(e)) this.add(e.name, e.name.text, 'member');
    else if (ts.isElementAccessExpression(e) && isLiteralKey(e.argumentExpression))
      this.add(e.argumentExpression, e.argumentExpression.text, 'member');
    else if (ts.isElementAccessExpression(e))
      this.computed.push({ site: e, receiver: e.expression, value: this.value });
    else if (ts.isArrayLiteralExpression(e)) {
      for (const el of e.elements) this.target(ts.isSpreadElement(el) ? el.expression : el);
    } else if (ts.isObjectLiteralExpression(e)) {
      for (const p of e.properties) {
        if (ts.isShorthandPropertyAssignment(p)) this.add(p.name, p.name.text, 'binding');
        else if (ts.isPropertyAssignment(p)) this.target(p.initializer);
        else if (ts.isSpreadAssignment(p)) this.target(p.expression);
      }
    } else if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      this.target(e.left); // a destructuring default: `[a = 1] = xs`
    }
  }

  private scan(sf: ts.SourceFile): void {
    const visit = (n: ts.Node): void => {
      const target = writeTarget(n);
      this.value = undefined;
      if (target) {
        // The written value: an assignment's right side, a `for…of`'s iterated expression (`++` has none).
        if (ts.isBinaryExpression(n)) this.value = n.right;
        else if (ts.isForOfStatement(n) || ts.isForInStatement(n)) this.value = n.expression;
        this.target(target as ts.Expression);
      } else if (ts.isDeleteExpression(n)) this.target(n.expression);
      else if (ts.isCallExpression(n)) {
        this.value = n;
        this.reflective(n);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }

  /**
   * `Object.defineProperty(o, 'm', …)`, `Object.defineProperties(o, { m: … })`, `Object.assign(o, { m })`,
   * `Reflect.set(o, 'm', …)` and the like: the member names they write. By the called member's name whatever
   * its receiver (`globalThis.Object.assign`, `R.set` with `const R = Reflect`), and by name only: the
   * receiver is not typed.
   */
  private reflective(call: ts.CallExpression): void {
    const callee = skipOuter(call.expression);
    if (!ts.isPropertyAccessExpression(callee)) return;
    const receiver = call.arguments[0];
    // `Object.setPrototypeOf(o, fake)`: every inherited member of `o` may change.
    if (callee.name.text === 'setPrototypeOf' && receiver) {
      this.computed.push({ site: call, receiver, value: call });
      return;
    }
    if (!REFLECTIVE_WRITES.has(callee.name.text)) return;
    const keyed = KEYED_WRITES.has(callee.name.text);
    for (const [i, a] of call.arguments.entries()) {
      if (i === 0 || (keyed && i > 1)) continue;
      const arg = skipOuter(a);
      if (isLiteralKey(arg)) this.add(arg, arg.text, 'reflective');
      else if (ts.isObjectLiteralExpression(arg) && !keyed) {
        for (const p of arg.properties) {
          const name = p.name;
          if (name && (ts.isIdentifier(name) || isLiteralKey(name))) this.add(name, name.text, 'reflective');
          else if (receiver) this.computed.push({ site: call, receiver, value: call }); // `...other`, `[k]: v`
        }
      }
      // A key or a source whose names are not written out (`Reflect.set(ns, k, v)`, `Object.assign(ns, other)`):
      // any member of the receiver may be written.
      else if (receiver) this.computed.push({ site: call, receiver, value: call });
    }
  }
}

/** A member of a class, an object literal or an object type (what an object's computed write can replace). */
function isMemberDeclaration(d: ts.Node): boolean {
  return (
    ts.isClassElement(d) ||
    ts.isObjectLiteralElement(d) ||
    ts.isTypeElement(d) ||
    ts.isParameterPropertyDeclaration(d, d.parent)
  );
}

/** Reflective writes: the key is the second argument (the third is the value or descriptor). */
const KEYED_WRITES = new Set(['defineProperty', 'set', 'deleteProperty']);
const REFLECTIVE_WRITES = new Set(['defineProperty', 'defineProperties', 'assign', 'set', 'deleteProperty']);

function isLiteralKey(e: ts.Node): e is ts.StringLiteral | ts.NoSubstitutionTemplateLiteral | ts.NumericLiteral {
  return ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isNumericLiteral(e);
}

const writeIndexes = new WeakMap<ExtractContext, WriteIndex>();

function writeIndex(ctx: ExtractContext): WriteIndex {
  let w = writeIndexes.get(ctx);
  if (!w) {
    const files = [...ctx.sourceFiles, ...(ctx.workspaceFiles ?? [])].map((s) => s.compilerNode);
    w = new WriteIndex(ctx.checker.compilerObject, files);
    writeIndexes.set(ctx, w);
  }
  return w;
}

/** The declaration a dependency is digested as: a class member, or the top-level statement that holds it. */
function unitOf(d: ts.Node): ts.Node | undefined {
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

/**
 * `sha256:` over the declarations' token streams (tokens.ts: comments and whitespace are trivia, so they never
 * count; every token change does, except a single trailing comma before a closing bracket, and, with
 * `eraseTypes`, what TypeScript erases on emit).
 */
export function implDigest(nodes: ts.Node[], eraseTypes = false): string {
  return `sha256:${sha256Hex(nodes.flatMap((n) => normalizedTokens(n, undefined, eraseTypes)).join(' '))}`;
}
