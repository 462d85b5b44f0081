import { ts } from 'ts-morph';
import { calleeSymbol, skipOuter } from './calls.js';
import { boundSymbolOf } from './ts-internals.js';

/**
 * Calls that may reach a member target (a `@keySink` method, or a project
 * method that reaches one: a derived sink) through a *structurally*
 * compatible type rather than through the target's own declaration or the
 * declared heritage of its class (callgraph.ts and keygate.ts resolve
 * those). TypeScript lets a value stand wherever its type is assignable:
 *
 *     interface Unwrapper { unwrap(k: WrappedKey): Promise<Uint8Array> }
 *     function viaIface(u: Unwrapper, k: WrappedKey) { return u.unwrap(k); }
 *     viaIface(new Hsm(), k); // runs Hsm.unwrap
 *
 * Two kinds of calls, both fail closed:
 *
 * - named: `r.m(…)` / `r['m'](…)` whose callee symbol is an open member
 *   that is not a target (an interface or type-literal member, an abstract or
 *   ambient member, library types included; a generic constraint's member: a
 *   concrete method runs its own body), where a target member is named `m`
 *   and the type of an owner of that target
 *   (its class's instance type, or of a subclass or sub-interface that
 *   inherits it; the constructor type for a static member; the interface,
 *   type literal or object literal that declares it) is assignable to the
 *   receiver's type (checker.isTypeAssignableTo; a type parameter by its
 *   constraint, a union or intersection when one of its members may hold
 *   it). So a `Map.get` receiver never reaches a target named `get` (no
 *   project class is assignable to `Map`), an `Unwrapper` does. The same
 *   member name used as a value (`u.unwrap`, `const { unwrap } = u`) is a
 *   reference of the target.
 * - nameless: `r[k](…)` with a key that is not a literal (`(svc as any)[k](id)`,
 *   `svc[k as keyof Svc](id)`): the receiver with casts, parentheses and `!`
 *   peeled; every target member of its type may run (the members its key's
 *   literal type names, when it has one), and every target that may stand
 *   behind a member of that name structurally (as above). A receiver that is
 *   a module namespace is left to callgraph.ts (`isModuleValueUse`).
 *
 * The assignability check is done only for calls whose member name is a
 * target's, memoized per (receiver type, owner type); each (call, target)
 * pair is decided once, whatever order calls and targets arrive in.
 */

interface Target {
  decl: ts.Node;
  name: string;
  owners?: ts.Type[];
}

interface Candidate {
  /** A call, or a member name used as a value (`u.unwrap` not called, `const { unwrap } = u`). */
  site: ts.CallExpression | ts.Identifier | ts.StringLiteralLike;
  /** The receiver expression, or the object binding pattern of a destructuring. */
  receiver: ts.Node;
  /** Named calls: the member name. Nameless: undefined. */
  name: string | undefined;
  /** Nameless calls: the key expression, and the member names its literal type allows (null: any; computed on need). */
  key?: ts.Expression;
  keys?: Set<string> | null;
  calleeDecls?: readonly ts.Node[];
  type?: ts.Type | null;
}

export interface StructuralHit {
  /** A call (it may call the target), or a name node (it takes the target out as a value). */
  site: ts.CallExpression | ts.Identifier | ts.StringLiteralLike;
  decl: ts.Node;
}

export class StructuralCalls {
  /** Member names of the targets (a named call can only match one of them). */
  readonly names = new Set<string>();
  private readonly targets = new Set<ts.Node>();
  private readonly byName = new Map<string, Target[]>();
  private readonly candidatesByName = new Map<string, Candidate[]>();
  private readonly nameless: Candidate[] = [];
  private readonly noted = new Set<ts.Node>();
  private newTargets: Target[] = [];
  private newCandidates: Candidate[] = [];
  private namelessCollected = false;
  private readonly holds = new Map<ts.Type, Map<ts.Type, boolean>>();
  private heritageIndex: Array<ts.ClassLikeDeclaration | ts.InterfaceDeclaration> | undefined;

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly files: readonly ts.SourceFile[],
    /** Whether a declaration is already a target (a call resolving to it is seen without this module). */
    private readonly isTarget: (d: ts.Node) => boolean,
  ) {}

  /** A declaration that became a target: a member of a class, interface, type literal or object literal counts. */
  addTarget(decl: ts.Node): void {
    if (this.targets.has(decl)) return;
    const name = memberName(decl);
    if (name === undefined) return;
    this.targets.add(decl);
    const t: Target = { decl, name };
    this.names.add(name);
    const list = this.byName.get(name);
    if (list) list.push(t);
    else this.byName.set(name, [t]);
    this.newTargets.push(t);
  }

  /** Whether `call` is a named member call by a target's member name (cheap: syntax only). */
  mayMatch(call: ts.CallExpression): boolean {
    const name = namedMember(call)?.name;
    return name !== undefined && this.names.has(name);
  }

  /** Record a named member call for `resolve` (any name: targets may still appear). */
  note(call: ts.CallExpression): void {
    if (this.noted.has(call)) return;
    const m = namedMember(call);
    if (!m) return;
    this.noted.add(call);
    this.newCandidates.push({ site: call, receiver: m.receiver, name: m.name });
  }

  /**
   * Record a member name used other than as a direct callee (`u.unwrap`, `u['unwrap']`, `u.unwrap.call(…)`,
   * `const { unwrap } = u`): a target behind it escapes as a value.
   */
  noteReference(n: ts.Identifier | ts.StringLiteralLike): void {
    const p = n.parent;
    let receiver: ts.Node | undefined;
    if (ts.isPropertyAccessExpression(p) && p.name === n) receiver = p.expression;
    else if (ts.isElementAccessExpression(p) && p.argumentExpression === n) receiver = p.expression;
    else if (ts.isBindingElement(p) && (p.propertyName ?? p.name) === n && ts.isObjectBindingPattern(p.parent))
      receiver = p.parent;
    if (!receiver || this.noted.has(n)) return;
    this.noted.add(n);
    this.newCandidates.push({ site: n, receiver, name: n.text });
  }

  /** The (call, target) pairs found since the last call. */
  resolve(): StructuralHit[] {
    const hits: StructuralHit[] = [];
    if (!this.namelessCollected && this.targets.size > 0) {
      this.namelessCollected = true;
      for (const sf of this.files) this.collectNameless(sf);
      for (const c of this.nameless) for (const t of this.allTargets()) if (this.matches(c, t)) hits.push(hit(c, t));
    } else {
      for (const t of this.newTargets) for (const c of this.nameless) if (this.matches(c, t)) hits.push(hit(c, t));
    }
    for (const t of this.newTargets)
      for (const c of this.candidatesByName.get(t.name) ?? []) if (this.matches(c, t)) hits.push(hit(c, t));
    for (const c of this.newCandidates) {
      for (const t of this.byName.get(c.name!) ?? []) if (this.matches(c, t)) hits.push(hit(c, t));
      const list = this.candidatesByName.get(c.name!);
      if (list) list.push(c);
      else this.candidatesByName.set(c.name!, [c]);
    }
    this.newTargets = [];
    this.newCandidates = [];
    return hits;
  }

  private *allTargets(): Iterable<Target> {
    for (const list of this.byName.values()) yield* list;
  }

  private collectNameless(sf: ts.SourceFile): void {
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n)) {
        const callee = skipOuter(n.expression);
        if (ts.isElementAccessExpression(callee) && !isLiteralKey(skipOuter(callee.argumentExpression))) {
          this.nameless.push({
            site: n,
            receiver: skipOuter(callee.expression),
            name: undefined,
            key: callee.argumentExpression,
          });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }

  /** The member names a key expression's type allows: its string or number literal types, or undefined (any). */
  private literalKeys(key: ts.Expression): Set<string> | null {
    const t = this.checker.getTypeAtLocation(key);
    const parts = t.isUnion() ? t.types : [t];
    const out = new Set<string>();
    for (const p of parts) {
      if (p.isStringLiteral() || p.isNumberLiteral()) out.add(String(p.value));
      else return null;
    }
    return out;
  }

  private matches(c: Candidate, t: Target): boolean {
    if (c.name !== undefined) {
      if (c.name !== t.name) return false;
      c.calleeDecls ??= this.calleeDecls(c.site);
      const decls = c.calleeDecls;
      // Unresolved (an `any` receiver): found by name elsewhere. Resolved to the target itself: seen without this
      // module. Resolved to concrete members only (a sibling class's method): not a look-alike of the target.
      if (decls.includes(t.decl) || !decls.some((d) => !this.isTarget(d) && isOpenMember(d))) return false;
      const r = this.receiverType(c);
      return r !== null && this.ownersOf(t).some((o) => this.mayHold(r, o));
    }
    const r = this.receiverType(c);
    if (r === null) return false;
    const members = this.memberDecls(r, t.name);
    if (members.length === 0) return false;
    if (c.keys === undefined) c.keys = this.literalKeys(c.key!);
    if (c.keys && !c.keys.has(t.name)) return false;
    if (members.includes(t.decl)) return true;
    if (!members.some((d) => !this.isTarget(d) && isOpenMember(d))) return false;
    return this.ownersOf(t).some((o) => this.mayHold(r, o));
  }

  private calleeDecls(site: Candidate['site']): ts.Node[] {
    if (!ts.isCallExpression(site)) {
      const p = site.parent;
      const sym =
        ts.isBindingElement(p) && ts.isObjectBindingPattern(p.parent)
          ? this.checker.getPropertyOfType(this.checker.getTypeAtLocation(p.parent), site.text)
          : this.checker.getSymbolAtLocation(site);
      return [...(sym?.declarations ?? [])];
    }
    // By the callee's symbol only: resolving the signature is what the prefilter saves (`m.get(k)` on every Map).
    return [...(calleeSymbol(this.checker, site)?.declarations ?? [])];
  }

  /** The receiver's type; null for a module namespace (callgraph.ts handles those as values). */
  private receiverType(c: Candidate): ts.Type | null {
    if (c.type !== undefined) return c.type;
    let t: ts.Type | null = null;
    const sym = c.receiver && ts.isIdentifier(c.receiver) ? this.checker.getSymbolAtLocation(c.receiver) : undefined;
    const target = sym && sym.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(sym) : sym;
    if (!(
      c.name === undefined &&
      target &&
      target.flags & (ts.SymbolFlags.ValueModule | ts.SymbolFlags.NamespaceModule)
    ))
      t = this.checker.getTypeAtLocation(c.receiver);
    c.type = t;
    return t;
  }

  /** Declarations of the member `name` of `r` (of any union member; a type parameter through its constraint). */
  private memberDecls(r: ts.Type, name: string): ts.Node[] {
    const out = new Set<ts.Node>();
    const seen = new Set<ts.Type>();
    const visit = (t: ts.Type): void => {
      if (seen.has(t)) return;
      seen.add(t);
      if (t.isUnion()) {
        t.types.forEach(visit);
        return;
      }
      if (t.flags & ts.TypeFlags.Instantiable) {
        const c = this.checker.getBaseConstraintOfType(t);
        if (c && c !== t) visit(c);
        return;
      }
      const p = this.checker.getPropertyOfType(this.checker.getApparentType(t), name);
      for (const d of p?.declarations ?? []) out.add(d);
    };
    visit(r);
    return [...out];
  }

  /** Can a value of type `owner` stand where `r` is expected? */
  private mayHold(r: ts.Type, owner: ts.Type): boolean {
    let m = this.holds.get(r);
    if (!m) this.holds.set(r, (m = new Map<ts.Type, boolean>()));
    let v = m.get(owner);
    if (v === undefined) {
      m.set(owner, false); // a recursive constraint proves nothing
      if (r.flags & ts.TypeFlags.Any) v = true;
      else if (r.isUnionOrIntersection()) v = r.types.some((x) => this.mayHold(x, owner));
      else if (r.flags & ts.TypeFlags.Instantiable) {
        const c = this.checker.getBaseConstraintOfType(r);
        v = !c || c === r ? true : this.mayHold(c, owner);
      } else v = this.checker.isTypeAssignableTo(owner, r);
      m.set(owner, v);
    }
    return v;
  }

  /** The types whose values carry target `t` as their member. */
  private ownersOf(t: Target): ts.Type[] {
    if (t.owners) return t.owners;
    const out: ts.Type[] = [];
    const p = t.decl.parent;
    if (p && (ts.isClassLike(p) || ts.isInterfaceDeclaration(p))) {
      const sym = p.name ? this.checker.getSymbolAtLocation(p.name) : boundSymbolOf(p);
      const isStatic = (ts.getCombinedModifierFlags(t.decl as ts.Declaration) & ts.ModifierFlags.Static) !== 0;
      if (sym && isStatic) out.push(this.checker.getTypeOfSymbol(sym));
      else if (sym) {
        out.push(this.checker.getDeclaredTypeOfSymbol(sym));
        // Subclasses and sub-interfaces that inherit the member carry it too (and may be assignable where the
        // owner is not).
        for (const sub of this.heritage()) {
          if (sub === p) continue;
          const ss = sub.name ? this.checker.getSymbolAtLocation(sub.name) : boundSymbolOf(sub);
          if (!ss) continue;
          const st = this.checker.getDeclaredTypeOfSymbol(ss);
          if (this.checker.getPropertyOfType(st, t.name)?.declarations?.includes(t.decl as ts.Declaration))
            out.push(st);
        }
      }
    } else if (p && (ts.isTypeLiteralNode(p) || ts.isObjectLiteralExpression(p))) {
      out.push(this.checker.getTypeAtLocation(p));
    }
    t.owners = out;
    return out;
  }

  private heritage(): Array<ts.ClassLikeDeclaration | ts.InterfaceDeclaration> {
    if (!this.heritageIndex) {
      const index: Array<ts.ClassLikeDeclaration | ts.InterfaceDeclaration> = [];
      for (const sf of this.files) {
        if (!sf.text.includes('extends')) continue;
        const visit = (n: ts.Node): void => {
          if (
            (ts.isClassLike(n) || ts.isInterfaceDeclaration(n)) &&
            n.heritageClauses?.some((h) => h.token === ts.SyntaxKind.ExtendsKeyword)
          )
            index.push(n);
          ts.forEachChild(n, visit);
        };
        visit(sf);
      }
      this.heritageIndex = index;
    }
    return this.heritageIndex;
  }
}

function hit(c: Candidate, t: Target): StructuralHit {
  return { site: c.site, decl: t.decl };
}

/** `r.m(…)`, `r?.m(…)`, `r['m'](…)`: the receiver and the member name. */
function namedMember(call: ts.CallExpression): { receiver: ts.Expression; name: string } | undefined {
  const callee = skipOuter(call.expression);
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.name))
    return { receiver: callee.expression, name: callee.name.text };
  if (ts.isElementAccessExpression(callee)) {
    const k = skipOuter(callee.argumentExpression);
    if (isLiteralKey(k)) return { receiver: callee.expression, name: k.text };
  }
  return undefined;
}

/**
 * A member whose value the program does not fix: an interface or type literal member, an abstract member, or an
 * ambient one (`declare`, a declaration file: library types). A concrete method or an object literal's member
 * runs its own body (unless overridden, which declared heritage covers).
 */
function isOpenMember(d: ts.Node): boolean {
  if (ts.isMethodSignature(d) || ts.isPropertySignature(d)) return true;
  if (d.getSourceFile().isDeclarationFile) return true;
  for (let a: ts.Node | undefined = d; a && !ts.isSourceFile(a); a = a.parent)
    if (ts.canHaveModifiers(a) && ts.getModifiers(a)?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) return true;
  if (ts.isMethodDeclaration(d) || ts.isPropertyDeclaration(d) || ts.isGetAccessorDeclaration(d))
    return (ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Abstract) !== 0;
  return false;
}

function isLiteralKey(e: ts.Expression): e is ts.StringLiteralLike | ts.NumericLiteral {
  return ts.isStringLiteralLike(e) || ts.isNumericLiteral(e);
}

/** The name of a member of a class, interface, type literal or object literal (undefined for anything else). */
function memberName(d: ts.Node): string | undefined {
  if (!(
    ts.isMethodDeclaration(d) ||
    ts.isMethodSignature(d) ||
    ts.isPropertyDeclaration(d) ||
    ts.isPropertySignature(d) ||
    ts.isPropertyAssignment(d)
  ))
    return undefined;
  const p = d.parent;
  if (
    !p ||
    !(ts.isClassLike(p) || ts.isInterfaceDeclaration(p) || ts.isTypeLiteralNode(p) || ts.isObjectLiteralExpression(p))
  )
    return undefined;
  const n = d.name;
  if (ts.isIdentifier(n) || ts.isStringLiteralLike(n) || ts.isNumericLiteral(n)) return n.text;
  return undefined;
}
