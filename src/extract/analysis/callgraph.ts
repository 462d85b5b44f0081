import { Node, ts, type SourceFile } from 'ts-morph';
import type { ExtractContext } from './context.js';
import { completedCalls, completedTruths, dominatingCalls, dominatingTruths, evaluated } from './dominance.js';
import {
  calleeName,
  calleeSymbol,
  cmp,
  dealias,
  fulfilledBefore,
  isAwaitedThrough,
  isDirectCallee,
  isPromiseLike,
  isUnresolvedCall,
  memberOfArg,
  withState,
  paramArg,
  recordArg,
  referenceSymbol,
  resolvedDeclaration,
  skipOuter,
  stableJson,
  writeTarget,
  type ArgVal,
  type DefaultLib,
  type ParamHook,
  type ParamRef,
} from './calls.js';
import { DYNAMIC_ARG, type DominatingGuard, type GuardArg } from '../../manifest/types.js';
import { declarationName } from './names.js';
import { type CalleeFacts, callMayReachTarget, referenceWords, sinkStatements } from './prefilter.js';
import { boundSymbolOf, canWrapCompilerNode, wrapCompilerNode } from './ts-internals.js';
import {
  accessorNamesOf,
  implicitReaches,
  implicitReferences,
  isImplicitCandidate,
  isAccessName,
  isAccessor,
  isValueOnlyField,
  resolveImplicit,
  type ImplicitSite,
} from './implicit.js';
import { StructuralCalls } from './structural.js';
import { functionMethodPatched, writtenElsewhere } from './digest.js';

/**
 * Interprocedural key gating: a call graph over the program's functions and
 * two kinds of per-function summaries, computed once per function (never by
 * enumerating paths).
 *
 * - ensures(F): the guards F has certainly called whenever it returns
 *   normally (intersection over its exits), directly or through the ensures
 *   of the project functions it calls. A call of F counts as a call of those
 *   guards; a parameter F passes to a guard is resolved at the call site; an
 *   async F's guards count as awaited only where F's promise is awaited.
 * - requires(F, S): F reaches key sink S on some path; the guards recorded
 *   are those on every path from F's entry to every call of S (a
 *   must-analysis: one unguarded path loses the guard). A function that
 *   reaches a sink is a derived sink for its callers.
 *
 * Both are least fixed points from "no guard", so a cycle never invents a
 * guard. The manifest records requires() of the entry points only: the
 * functions a caller outside the analysed program can start from (no caller
 * in the program, referenced other than by a call, module top level, or
 * declared an entry point). Helpers are not sites, so extracting, inlining,
 * renaming or moving a helper changes only the `via` location.
 *
 * Fail closed: a call the checker cannot tie to a project function does not
 * make it a helper of the caller; a function referenced other than by a
 * resolved call (passed, stored, bound, called by an unresolved name) stays
 * an entry point, credited with its own guards only.
 */

export interface Fact {
  guard: string;
  args: Record<string, ArgVal>;
  awaited: boolean;
}
export type Facts = Map<string, Fact>;

/** How guards are recognised: keygate.ts owns guard identity (one function, `callTargets`). */
export interface GuardOracle {
  /** The guard ids a call resolves to. */
  guardsOf(call: ts.CallExpression): string[];
  /** The fact one guard call records (arguments, awaited), parameters of the enclosing function as ParamRefs. */
  fact(call: ts.CallExpression, guard: string, param: ParamHook | undefined, site?: ts.Node): Fact;
  /**
   * Condition guards (`@keyGuard condition`): they protect only where their
   * truthy result dominates, never by being called. Absent: none.
   */
  isCondition?(guard: string): boolean;
  /** `const x = <init>` (never reassigned) that an identifier denotes: its initializer. */
  constValue?(id: ts.Identifier): ts.Expression | undefined;
}

export interface SinkSet {
  /** Sink declaration node -> sink id. */
  byNode: Map<ts.Node, string>;
  /** Sink ids by the simple name they are called by (for unresolved calls). */
  byName: Map<string, string[]>;
  /** The calls resolving to a sink (keygate.ts's callTargets). */
  targetsOf(call: ts.CallExpression): string[];
  /** Words the prefilter starts from. */
  words: string[];
  /** Every sink id of a declaration that stands for several (an interface member with several sink implementations). */
  idsOf?(decl: ts.Node): string[] | undefined;
}

/** A named function (or a module's top level), callbacks created in it included. */
export interface Container {
  /** The owner node: a named function-like or property declaration, or the source file. */
  node: ts.Node;
  /** declarationName of the named function, or undefined for module top level. */
  name: string | undefined;
  file: string;
  /** Anonymous function-likes between a node and this container (their creation point is in it). */
  anonymous: Set<ts.Node>;
}

export interface EntrySite {
  entry: Container;
  sink: string;
  guards: DominatingGuard[];
  /** Entry -> helpers -> sink, one representative path (the one with the fewest guards). */
  via: Container[];
}

export interface Escape {
  fn: Container;
  sink: string;
  kind: string;
}

type FnLike =
  | ts.FunctionDeclaration
  | ts.MethodDeclaration
  | ts.ConstructorDeclaration
  | ts.GetAccessorDeclaration
  | ts.SetAccessorDeclaration
  | ts.ArrowFunction
  | ts.FunctionExpression;

function isFnLike(n: ts.Node): n is FnLike {
  return (
    ts.isFunctionDeclaration(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isConstructorDeclaration(n) ||
    ts.isGetAccessorDeclaration(n) ||
    ts.isSetAccessorDeclaration(n) ||
    ts.isArrowFunction(n) ||
    ts.isFunctionExpression(n)
  );
}

interface RawCall {
  /** A call, or an implicit invocation (implicit.ts): `new`, an accessor read or write, a tagged template. */
  call: ts.CallExpression | ts.Node;
  /** The call's node, for its enclosing function (computed only for calls that reach a sink). */
  node: Node;
  /** Declarations the callee may resolve to (resolved signature, callee symbol). */
  decls: ts.Node[];
  /** Argument offset (`f.call(thisArg, a)`: 1), -1 when unknown (`f.apply`). */
  shift: number;
  /** An implicit invocation: which containers it may reach. */
  implicit?: ImplicitSite;
}

interface Edge {
  call: ts.CallExpression | ts.Node;
  from: Container;
  sink?: string;
  to?: Container;
  shift: number;
  /**
   * A call through a structurally compatible type (structural.ts): a path for requires(), but no caller for
   * entries(), so a may-call never hides an entry point.
   */
  loose?: boolean;
}

const ENTRY_TAGS = new Set(['entryPoint', 'keyGated', 'leHandler']);

export class KeyCallGraph {
  private readonly checker: ts.TypeChecker;
  private readonly projectFiles: Set<ts.SourceFile>;
  private readonly ownFiles: Set<ts.SourceFile>;
  private readonly graphFiles: SourceFile[];
  private readonly containers = new Map<ts.Node, Container>();
  private readonly ens = new Map<FnLike, Facts>();
  private readonly exitsMemo = new Map<FnLike, ts.CallExpression[][]>();
  private readonly hooks = new Map<ts.Node, ParamHook | undefined>();
  private readonly asyncMemo = new Map<FnLike, boolean>();

  constructor(
    private readonly ctx: ExtractContext,
    private readonly oracle: GuardOracle,
    private readonly extraEntries: Set<ts.Node>,
  ) {
    this.checker = ctx.checker.compilerObject;
    // The graph spans the package's own files and the source of the other workspace packages it links to: a
    // guard in this package protecting a sink reached through a helper in another package is a path like any
    // other (and a guard wrapper there gets its credit). Entry points are only this package's own functions;
    // the other package's manifest has its own.
    this.graphFiles = [...ctx.sourceFiles, ...(ctx.workspaceFiles ?? [])];
    this.ownFiles = new Set(ctx.sourceFiles.map((s) => s.compilerNode));
    this.projectFiles = new Set(this.graphFiles.map((s) => s.compilerNode));
    const program = ctx.project.getProgram().compilerObject;
    this.defaultLib = (sf) => program.isSourceFileDefaultLibrary(sf);
    this.conditions = oracle.isCondition !== undefined;
    this.constValue = oracle.constValue?.bind(oracle);
  }

  private readonly defaultLib: DefaultLib;
  /** Whether any guard is a condition guard (truths are computed only then). */
  private readonly conditions: boolean;
  private readonly constValue: ((id: ts.Identifier) => ts.Expression | undefined) | undefined;

  run(sinks: SinkSet, sinkNodes: ts.Node[]): { sites: EntrySite[]; escapes: Escape[] } {
    const checker = this.checker;
    const sinkCalls: Array<{ call: ts.CallExpression; sink: string; fn: Container }> = [];
    const escapes: Escape[] = [];
    const rawCalls: RawCall[] = [];
    const rawRefs: Array<readonly ts.Node[]> = [];
    const accessRefs = new Set<readonly ts.Node[]>();
    const unresolved: Array<{ fn: Container; name: string }> = [];
    const visited = new Set<ts.Node>();
    // Implicit invocations (implicit.ts): a property access is resolved only when an accessor of its name exists.
    const accessorNames = accessorNamesOf(
      checker,
      this.graphFiles.map((f) => f.compilerNode),
    );

    // Calls through a structurally compatible type (structural.ts); the targets are added as they appear.
    const structural = new StructuralCalls(
      checker,
      this.graphFiles.map((s) => s.compilerNode),
      (d) => allTargets.has(d),
    );
    let targetAccessorNames = new Set<string>();
    const structEdges: Array<{ call: ts.CallExpression; decl: ts.Node }> = [];
    const structRefs: ts.Node[] = [];
    const visit = (node: Node) => {
      const cn = node.compilerNode;
      if (ts.isCallExpression(cn) && isDirectEval(cn)) {
        // A direct `eval` sees every binding in its scope by name (`eval('unwrapKey')(id)`): each sink there
        // escapes, each project function there is referenced (an entry point, credited with its own guards).
        const fn = this.enclosing(node);
        const seen = new Set<ts.Node>();
        for (const s of checker.getSymbolsInScope(cn, ts.SymbolFlags.Value | ts.SymbolFlags.Alias)) {
          for (const d of dealias(checker, s)?.declarations ?? []) {
            if (seen.has(d) || !this.projectFiles.has(d.getSourceFile())) continue;
            seen.add(d);
            const sink = sinks.byNode.get(d);
            if (sink === undefined) rawRefs.push([d]);
            else for (const id of sinks.idsOf?.(d) ?? [sink]) escapes.push({ fn, sink: id, kind: 'eval' });
          }
        }
        return;
      }
      if (ts.isCallExpression(cn)) {
        structural.note(cn);
        const hit = sinks.targetsOf(cn);
        if (hit.length > 0) {
          const fn = this.enclosing(node);
          for (const sink of hit) sinkCalls.push({ call: cn, sink, fn });
        } else if (isUnresolvedCall(checker, cn)) {
          const name = calleeName(cn.expression);
          if (name !== undefined) {
            const fn = this.enclosing(node);
            for (const sink of sinks.byName.get(name) ?? []) escapes.push({ fn, sink, kind: 'unresolved-call' });
            unresolved.push({ fn, name });
          }
        } else {
          const r = this.rawCall(cn);
          if (r.decls.length > 0) rawCalls.push({ call: cn, node, ...r });
          // `super(…)` also runs the base's field initializers.
          const im =
            cn.expression.kind === ts.SyntaxKind.SuperKeyword
              ? resolveImplicit(checker, cn, this.projectFiles)
              : undefined;
          if (im) rawCalls.push({ call: cn, node, decls: im.decls, shift: im.shift, implicit: im });
        }
        return;
      }
      if (!ts.isIdentifier(cn) && !ts.isStringLiteralLike(cn)) {
        if (!isImplicitCandidate(cn, accessorNames)) return;
        const im = resolveImplicit(checker, cn, this.projectFiles);
        if (im) rawCalls.push({ call: cn, node, decls: im.decls, shift: im.shift, implicit: im });
        return;
      }
      if (ts.isIdentifier(cn) || ts.isStringLiteralLike(cn)) {
        const sym = referenceSymbol(checker, cn);
        const decls = sym?.declarations;
        if (!decls || decls.length === 0 || isDirectCallee(cn)) return;
        structural.noteReference(cn);
        // A module namespace used as a value (`const h: any = ns; h[k](id)`, `ns[k](id)`, `Object.values(ns)`):
        // every function it exports can be called from wherever the value goes, so each counts as referenced
        // (an entry point; a sink among them an escape). `ns.member` names one member and is resolved as usual.
        if (sym && isModuleValueUse(sym, cn)) {
          for (const ex of checker.getExportsOfModule(sym)) {
            const xd = dealias(checker, ex)?.declarations ?? [];
            const sink = xd.map((d) => sinks.byNode.get(d)).find((x) => x !== undefined);
            if (sink !== undefined) escapes.push({ fn: this.enclosing(node), sink, kind: 'reference' });
            else if (xd.some((d) => this.projectFiles.has(d.getSourceFile()))) rawRefs.push(xd);
          }
          return;
        }
        const sink = decls.map((d) => sinks.byNode.get(d)).find((x) => x !== undefined);
        // A sink through .call/.apply stays an escape; a project function through them is a resolved call.
        if (sink !== undefined) {
          const fn = this.enclosing(node);
          const ids = sinks.idsOf ? [...new Set(decls.flatMap((d) => sinks.idsOf!(d) ?? []))] : [];
          for (const id of ids.length > 0 ? ids.sort() : [sink]) escapes.push({ fn, sink: id, kind: 'reference' });
        } else if (
          !isCallApplyTarget(cn) &&
          !isTemplateTag(cn) &&
          decls.some((d) => this.projectFiles.has(d.getSourceFile()))
        ) {
          // `o.x`, `o['x']`, `{ x } = o`: running an accessor there is an implicit call (an edge), not a reference.
          if (isAccessName(cn)) {
            const own = [...decls];
            accessRefs.add(own);
            rawRefs.push(own);
          } else rawRefs.push(decls);
        }
      }
    };
    // What the checker said about each call not handed to `visit` yet, for the next round (see CalleeFacts).
    const calleeMemo = new Map<ts.CallExpression, CalleeFacts>();
    // Per statement walked: the nodes it left for a later round (see `test` in `walk`). Every round tests the
    // kept statements again, but only what the previous rounds' filters did not let through can be new (the
    // filters widen as derived sinks appear); what was handed to `visit` never is again.
    const pending = new Map<ts.Statement, ts.Node[]>();
    const walk = (
      keep: ((sf: ts.SourceFile) => readonly ts.Statement[]) | null,
      allTargets: ReadonlyMap<ts.Node, unknown>,
      names: ReadonlySet<string>,
      refWords: ReadonlySet<string> | null,
    ) => {
      for (const sf of this.graphFiles) {
        if (!canWrap(sf)) {
          if (visited.has(sf.compilerNode)) continue;
          visited.add(sf.compilerNode);
          sf.forEachDescendant(visit);
          continue;
        }
        // Only calls that may reach a sink or a derived sink, and names that may refer to one, are
        // wrapped as ts-morph nodes and resolved (see callMayReachTarget, referenceWords). A node the filters
        // do not let through yet, but may in a later round (they only widen), is kept in `later`.
        const test = (n: ts.Node, later: ts.Node[]): void => {
          if (ts.isCallExpression(n)) {
            if (
              this.ctx.full ||
              isCallApplyShape(n) ||
              isDirectEval(n) ||
              callMayReachTarget(checker, n, allTargets, names, calleeMemo)
            ) {
              calleeMemo.delete(n);
              visit(wrapNode(sf, n));
            } else {
              if (structural.mayMatch(n)) structural.note(n);
              later.push(n);
            }
          } else if (ts.isIdentifier(n) || ts.isStringLiteralLike(n)) {
            if (refWords === null || refWords.has(n.text)) {
              visit(wrapNode(sf, n));
            } else later.push(n);
          } else if (isImplicitCandidate(n, targetAccessorNames)) {
            visit(wrapNode(sf, n));
          } else if (isImplicitCandidate(n, accessorNames)) later.push(n);
        };
        // A statement walked in an earlier round: only what it left for later is tested again, in the order a
        // walk would meet it, so every round sees exactly what a new walk of the statement would.
        for (const stmt of keep ? keep(sf.compilerNode) : sf.compilerNode.statements) {
          const before = pending.get(stmt);
          const later: ts.Node[] = [];
          if (before) for (const n of before) test(n, later);
          else {
            const walkNode = (n: ts.Node): void => {
              test(n, later);
              ts.forEachChild(n, walkNode);
            };
            walkNode(stmt);
          }
          pending.set(stmt, later);
        }
      }
    };

    // Grow the set of derived sinks until no new caller appears; the
    // prefilter is re-seeded with them so that every call and reference of a
    // derived sink is walked (the walk of a statement is never repeated).
    const targets = new Map<ts.Node, Set<Container>>();
    const registered = new Set<Container>();
    const seedNodes = [...sinkNodes];
    // `eval` seeds the statement filter: a statement with a direct eval is always walked (see isDirectEval).
    const words = new Set([...sinks.words, 'eval']);
    const allTargets = new Map<ts.Node, unknown>(sinks.byNode);
    const names = new Set<string>(sinks.byName.keys());
    // The statement filter's closure only grows with its seeds (seed nodes and words are only ever added), so
    // once it gives up (null: every statement) it gives up in every later round: it is not recomputed.
    let unbounded = this.ctx.full;
    for (const n of sinks.byNode.keys()) structural.addTarget(n);
    const sfOf = new Map(this.graphFiles.map((s) => [s.compilerNode, s]));
    const nodeOf = (n: ts.Node): Node => {
      const sf = sfOf.get(n.getSourceFile())!;
      if (canWrap(sf)) return wrapNode(sf, n);
      return sf.getFirstDescendantOrThrow((d) => d.compilerNode === n);
    };
    for (;;) {
      const keep = unbounded ? null : sinkStatements(this.ctx, seedNodes, [...words]);
      if (keep === null) unbounded = true;
      // An accessor read or write can only reach a target accessor (or the member one implements) of its name.
      targetAccessorNames = new Set([...accessorNames].filter((a) => words.has(a)));
      walk(keep, allTargets, names, referenceWords(this.ctx, [...words]));
      // A structural call of a sink is a call of that sink; of a derived sink, an edge (below). A structural
      // reference of a sink is an escape; of a derived sink, a reference (an entry point).
      for (const { site, decl } of structural.resolve()) {
        const sink = sinks.byNode.get(decl);
        if (sink === undefined) {
          if (ts.isCallExpression(site)) structEdges.push({ call: site, decl });
          else structRefs.push(decl);
          continue;
        }
        const fn = this.enclosing(nodeOf(site));
        for (const id of sinks.idsOf?.(decl) ?? [sink]) {
          if (!ts.isCallExpression(site)) escapes.push({ fn, sink: id, kind: 'reference' });
          else if (!sinkCalls.some((c) => c.call === site && c.sink === id))
            sinkCalls.push({ call: site, sink: id, fn });
        }
      }
      const fresh = new Set<Container>();
      for (const c of sinkCalls) fresh.add(c.fn);
      for (const r of rawCalls) {
        const im = r.implicit;
        if (r.decls.some((d) => [...(targets.get(d) ?? [])].some((t) => !im || implicitReaches(im, t.node))))
          fresh.add(this.enclosing(r.node));
      }
      for (const h of structEdges) if (targets.has(h.decl)) fresh.add(this.enclosing(nodeOf(h.call)));
      let grew = false;
      for (const c of [...fresh].sort(byContainer)) {
        if (registered.has(c) || ts.isSourceFile(c.node)) continue;
        registered.add(c);
        grew = true;
        const cname = simpleName(c);
        if (cname !== undefined) names.add(cname);
        for (const n of this.declNodesOf(c)) {
          let set = targets.get(n);
          if (!set) targets.set(n, (set = new Set()));
          set.add(c);
          allTargets.set(n, c);
          structural.addTarget(n);
          seedNodes.push(n);
          const name = (n as ts.NamedDeclaration).name;
          if (name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteralLike(name)))
            words.add(name.text);
        }
      }
      if (!grew) break;
    }

    // Edges.
    const edges: Edge[] = [];
    for (const c of sinkCalls) edges.push({ call: c.call, from: c.fn, sink: c.sink, shift: 0 });
    for (const r of rawCalls) {
      const tos = new Set<Container>();
      for (const d of r.decls)
        for (const t of targets.get(d) ?? []) if (!r.implicit || implicitReaches(r.implicit, t.node)) tos.add(t);
      if (tos.size === 0) continue;
      const from = this.enclosing(r.node);
      for (const to of [...tos].sort(byContainer)) edges.push({ call: r.call, from, to, shift: r.shift });
    }
    // In source order: the order calls were found in differs between the fast path and the full program.
    const at = (n: ts.Node) => [n.getSourceFile().fileName, n.pos] as const;
    structEdges.sort((a, b) => {
      const [fa, pa] = at(a.call);
      const [fb, pb] = at(b.call);
      const [da, qa] = at(a.decl);
      const [db, qb] = at(b.decl);
      return cmp(fa, fb) || pa - pb || cmp(da, db) || qa - qb;
    });
    for (const h of structEdges) {
      const from = this.enclosing(nodeOf(h.call));
      for (const to of [...(targets.get(h.decl) ?? [])].sort(byContainer))
        if (!edges.some((e) => e.call === h.call && e.to === to))
          edges.push({ call: h.call, from, to, shift: 0, loose: true });
    }
    const referenced = new Set<Container>();
    for (const decls of rawRefs)
      for (const d of decls)
        for (const t of targets.get(d) ?? [])
          if (!isValueOnlyField(checker, t.node, t.anonymous) && !(accessRefs.has(decls) && isAccessor(t.node)))
            referenced.add(t);
    for (const d of structRefs) for (const t of targets.get(d) ?? []) referenced.add(t);
    const byName = new Map<string, Container[]>();
    for (const c of registered) {
      const n = simpleName(c);
      if (n !== undefined) byName.set(n, [...(byName.get(n) ?? []), c]);
    }
    for (const u of unresolved) for (const c of byName.get(u.name) ?? []) referenced.add(c);
    // Constructors, field initializers and accessors that may also run where no edge records them (implicit.ts).
    const implicitRefs = implicitReferences(
      checker,
      this.graphFiles.map((f) => f.compilerNode),
      [...registered].map((c) => c.node),
    );
    for (const c of registered) if (implicitRefs.has(c.node)) referenced.add(c);

    const req = this.requires(edges);
    const entries = this.entries(edges, req, referenced);

    const sites: EntrySite[] = [];
    for (const e of [...entries].sort(byContainer)) {
      const r = req.get(e)!;
      for (const sink of [...r.keys()].sort()) {
        const guards = [...r.get(sink)!.values()]
          .map(toDominating)
          .sort((a, b) => cmp(a.guard, b.guard) || cmp(stableJson(a.args), stableJson(b.args)));
        sites.push({ entry: e, sink, guards, via: this.via(e, sink, edges, req) });
      }
    }
    return { sites, escapes };
  }

  // -------------------------------------------------------------------------
  // Requires: a least fixed point over the derived-sink graph.

  private readonly local = new Map<Edge, Facts>();

  private localFacts(e: Edge): Facts {
    let f = this.local.get(e);
    if (!f) {
      const lifted: ts.SignatureDeclaration[] = [];
      const calls = dominatingCalls(e.call, {
        liftThrough: (fn) => {
          if (!e.from.anonymous.has(fn)) return false;
          lifted.push(fn);
          return true;
        },
      });
      const hook = this.hookOf(e.from.node);
      const truths = this.conditions
        ? dominatingTruths(e.call, {
            liftThrough: (fn) => e.from.anonymous.has(fn),
            constValue: this.constValue,
          })
        : [];
      // A fulfilment handler (`guard().then(() => sink())`) runs only once the promises before it fulfilled.
      const settled = new Set(lifted.flatMap((cb) => fulfilledBefore(this.checker, cb, this.defaultLib)));
      f = this.factsOf(calls, hook, truths, settled, e.call);
      for (const cb of lifted) for (const x of this.callbackFacts(cb, hook).values()) addFact(f, x);
      this.local.set(e, f);
    }
    return f;
  }

  /**
   * A callback written as an argument of a call of project functions that
   * only ever call that parameter directly (`withGuards(() => unwrapKey(id))`)
   * runs only at those calls: the guards on every one of them protect it.
   * Anything else (the parameter stored, passed on, returned; a callee the
   * checker cannot resolve to a body) adds nothing.
   */
  private callbackFacts(cb: ts.SignatureDeclaration, hook: ParamHook | undefined): Facts {
    let arg: ts.Node = cb;
    while (ts.isParenthesizedExpression(arg.parent)) arg = arg.parent;
    const call = arg.parent;
    if (!call || !ts.isCallExpression(call)) return new Map();
    const i = (call.arguments as readonly ts.Node[]).indexOf(arg);
    if (i < 0 || call.arguments.slice(0, i).some((a) => ts.isSpreadElement(a))) return new Map();
    const { fns, shift } = this.bodyCallees(call);
    if (fns.length === 0 || shift !== 0) return new Map();
    let acc: Facts | null = null;
    for (const f of fns) {
      const sites = this.paramCallSites(f, i);
      if (!sites || sites.length === 0) return new Map();
      const inner = this.hookOf(f);
      for (const site of sites) {
        const here: Facts = new Map();
        const truths = this.conditions ? dominatingTruths(site, { constValue: this.constValue }) : [];
        for (const x of this.factsOf(dominatingCalls(site), inner, truths, undefined, site).values())
          addFact(here, this.instantiate(x, call, 0, hook, true));
        acc = acc === null ? here : intersect(acc, here);
      }
    }
    return acc ?? (new Map() as Facts);
  }

  /** The direct calls of parameter `i` of `f`, or undefined when the parameter is used any other way. */
  private paramCallSites(f: FnLike, i: number): ts.CallExpression[] | undefined {
    const params = f.parameters.filter((p) => !(ts.isIdentifier(p.name) && p.name.text === 'this'));
    const p = params[i];
    if (!p || !ts.isIdentifier(p.name) || p.dotDotDotToken || !f.body) return undefined;
    const sym = this.checker.getSymbolAtLocation(p.name);
    if (!sym) return undefined;
    const sites: ts.CallExpression[] = [];
    let other = false;
    const visit = (n: ts.Node): void => {
      if (other) return;
      if (ts.isIdentifier(n) && n.text === p.name.getText() && this.checker.getSymbolAtLocation(n) === sym) {
        let e: ts.Node = n;
        while (ts.isParenthesizedExpression(e.parent) || ts.isNonNullExpression(e.parent)) e = e.parent;
        // Called directly, in f's own body (not from a nested function that could run later).
        let owner: ts.Node | undefined = n.parent;
        while (owner && !ts.isFunctionLike(owner)) owner = owner.parent;
        if (ts.isCallExpression(e.parent) && e.parent.expression === e && owner === f) sites.push(e.parent);
        else other = true;
        return;
      }
      ts.forEachChild(n, visit);
    };
    visit(f.body);
    return other ? undefined : sites;
  }

  /** Facts on one path through edge `e`, given the current requires of its callee. */
  private pathFacts(e: Edge, req: Map<Container, Map<string, Facts>>, sink: string): Facts | undefined {
    const base = this.localFacts(e);
    if (e.sink !== undefined) return e.sink === sink ? base : undefined;
    const inner = req.get(e.to!)?.get(sink);
    if (!inner) return undefined;
    const out = new Map(base);
    const hook = this.hookOf(e.from.node);
    for (const f of inner.values()) addFact(out, this.instantiate(f, e.call, e.shift, hook, true));
    return out;
  }

  private requires(edges: Edge[]): Map<Container, Map<string, Facts>> {
    const req = new Map<Container, Map<string, Facts>>();
    const from = new Map<Container, Edge[]>();
    for (const e of edges) from.set(e.from, [...(from.get(e.from) ?? []), e]);
    const order = [...from.keys()].sort(byContainer);
    for (let changed = true; changed;) {
      changed = false;
      for (const c of order) {
        const next = new Map<string, Facts>();
        for (const e of from.get(c)!) {
          const sinks = e.sink !== undefined ? [e.sink] : [...(req.get(e.to!)?.keys() ?? [])];
          for (const s of sinks) {
            const f = this.pathFacts(e, req, s)!;
            const prev = next.get(s);
            next.set(s, prev ? intersect(prev, f) : f);
          }
        }
        if (!sameReq(req.get(c), next)) {
          req.set(c, next);
          changed = true;
        }
      }
    }
    return req;
  }

  private readonly viaMemo = new Map<string, Map<Container, Container[]>>();

  /** One representative path entry -> ... -> sink: fewest guards first, then shortest. */
  private via(entry: Container, sink: string, edges: Edge[], req: Map<Container, Map<string, Facts>>): Container[] {
    let paths = this.viaMemo.get(sink);
    if (!paths) {
      const best = new Map<Container, { path: Container[]; n: number }>();
      for (let grew = true; grew;) {
        grew = false;
        for (const e of edges) {
          let cand: { path: Container[]; n: number } | undefined;
          if (e.sink === sink) cand = { path: [e.from], n: this.localFacts(e).size };
          else if (e.to && best.has(e.to) && !best.get(e.to)!.path.includes(e.from)) {
            const f = this.pathFacts(e, req, sink);
            if (f) cand = { path: [e.from, ...best.get(e.to)!.path], n: f.size };
          }
          if (!cand) continue;
          const cur = best.get(e.from);
          if (!cur || cand.n < cur.n || (cand.n === cur.n && cand.path.length < cur.path.length)) {
            best.set(e.from, cand);
            grew = true;
          }
        }
      }
      paths = new Map([...best].map(([k, v]) => [k, v.path]));
      this.viaMemo.set(sink, paths);
    }
    return paths.get(entry) ?? [entry];
  }

  private entries(edges: Edge[], req: Map<Container, Map<string, Facts>>, referenced: Set<Container>): Set<Container> {
    const callers = new Map<Container, Set<Container>>();
    const succ = new Map<Container, Container[]>();
    for (const e of edges) {
      if (!e.to || e.loose) continue;
      if (!callers.has(e.to)) callers.set(e.to, new Set());
      callers.get(e.to)!.add(e.from);
      succ.set(e.from, [...(succ.get(e.from) ?? []), e.to]);
    }
    const scc = sccs([...req.keys()].sort(byContainer), (c) => succ.get(c) ?? []);
    // A component (a recursive function, mutually recursive ones) that no function outside it calls: every member is an entry.
    // Only the package's own functions count as callers: a function of ours that only another workspace package's
    // function calls (a helper there, never an entry point here) stays an entry point, with its own guards.
    const calledFromOutside = new Set<number>();
    for (const [c, cs] of callers) {
      for (const k of cs)
        if (this.ownFiles.has(k.node.getSourceFile()) && scc.get(k) !== scc.get(c)) calledFromOutside.add(scc.get(c)!);
    }
    const out = new Set<Container>();
    for (const c of req.keys()) {
      if (req.get(c)!.size === 0 || !this.ownFiles.has(c.node.getSourceFile())) continue;
      if (
        ts.isSourceFile(c.node) ||
        !calledFromOutside.has(scc.get(c)!) ||
        referenced.has(c) ||
        this.isDeclaredEntry(c)
      )
        out.add(c);
    }
    return out;
  }

  private isDeclaredEntry(c: Container): boolean {
    const nodes = [c.node, ...this.declNodesOf(c)];
    for (const n of nodes) {
      if (this.extraEntries.has(n)) return true;
      if (ts.getJSDocTags(n).some((t) => ENTRY_TAGS.has(t.tagName.text))) return true;
      if (
        ts.isVariableDeclaration(n) &&
        ts.isVariableStatement(n.parent.parent) &&
        ts.getJSDocTags(n.parent.parent).some((t) => ENTRY_TAGS.has(t.tagName.text))
      )
        return true;
    }
    return c.name === 'handle_le_request';
  }

  // -------------------------------------------------------------------------
  // Ensures: guards certainly called on every normal return.

  /** The facts of the dominating `calls`: guard calls, and the ensures of project functions. */
  private factsOf(
    calls: ts.CallExpression[],
    hook: ParamHook | undefined,
    truths: readonly ts.CallExpression[] = [],
    settled: ReadonlySet<ts.CallExpression> = new Set(),
    site?: ts.Node,
  ): Facts {
    const out: Facts = new Map();
    for (const g of calls) {
      const gids = this.oracle.guardsOf(g);
      if (gids.length > 0) {
        // A condition guard that was merely called protects nothing.
        for (const gid of gids) {
          if (this.isCondition(gid)) continue;
          const fact = this.oracle.fact(g, gid, hook, site);
          addFact(out, settled.has(g) ? { ...fact, awaited: true } : fact);
        }
        continue;
      }
      const { fns, shift } = this.bodyCallees(g);
      if (fns.length === 0) continue;
      // `wrapper.call(…)` runs the wrapper only while nothing may replace the standard `call`/`apply`.
      if (shift !== 0 && functionMethodPatched(this.ctx, shift > 0 ? 'call' : 'apply')) continue;
      let acc: Facts | null = null;
      for (const f of fns) acc = acc === null ? this.ensures(f) : intersect(acc, this.ensures(f));
      const awaitedCall =
        settled.has(g) ||
        !fns.some((f) => this.isAsyncFn(f)) ||
        isAwaitedThrough(this.checker, g, this.defaultLib, site);
      for (const fact of acc!.values()) addFact(out, this.instantiate(fact, g, shift, hook, awaitedCall));
    }
    // A condition guard whose truthy result dominates; an async one only when its promise was awaited
    // (an un-awaited promise is always truthy).
    for (const t of truths) {
      for (const gid of this.oracle.guardsOf(t)) {
        if (!this.isCondition(gid)) continue;
        const fact = this.oracle.fact(t, gid, hook, site);
        if (fact.awaited) addFact(out, fact);
      }
    }
    return out;
  }

  private isCondition(gid: string): boolean {
    return this.oracle.isCondition?.(gid) ?? false;
  }

  private ensures(f: FnLike): Facts {
    const done = this.ens.get(f);
    if (done) return done;
    // Tarjan over the "dominates an exit" call graph; each component is a least fixed point from {}.
    const index = new Map<FnLike, number>();
    const low = new Map<FnLike, number>();
    const stack: FnLike[] = [];
    const onStack = new Set<FnLike>();
    let counter = 0;
    const connect = (v: FnLike) => {
      index.set(v, counter);
      low.set(v, counter++);
      stack.push(v);
      onStack.add(v);
      for (const w of this.ensureSuccs(v)) {
        if (this.ens.has(w) && !onStack.has(w)) continue;
        if (!index.has(w)) {
          connect(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v)!, index.get(w)!));
        }
      }
      if (low.get(v) === index.get(v)) {
        const comp: FnLike[] = [];
        let w: FnLike;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        for (const m of comp) this.ens.set(m, new Map());
        for (let changed = true; changed;) {
          changed = false;
          for (const m of comp) {
            const next = this.evalEnsures(m);
            if (!sameFacts(this.ens.get(m)!, next)) {
              this.ens.set(m, next);
              changed = comp.length > 1 || this.ensureSuccs(m).includes(m);
            }
          }
        }
      }
    };
    connect(f);
    return this.ens.get(f)!;
  }

  private ensureSuccs(f: FnLike): FnLike[] {
    const out = new Set<FnLike>();
    for (const exit of this.exits(f)) {
      for (const c of exit) {
        if (this.oracle.guardsOf(c).length > 0) continue;
        for (const g of this.bodyCallees(c).fns) out.add(g);
      }
    }
    return [...out];
  }

  private evalEnsures(f: FnLike): Facts {
    // A wrapper whose name is written elsewhere (`// @ts-ignore` then `attested = async () => {}`) may not run
    // this body at all: it ensures nothing.
    if (writtenElsewhere(this.ctx, [f])) return new Map() as Facts;
    const hook = this.hookOf(f);
    let acc: Facts | null = null;
    const truths = this.exitTruths(f);
    for (const [i, exit] of this.exits(f).entries()) {
      const here = this.factsOf(exit, hook, truths[i]);
      acc = acc === null ? here : intersect(acc, here);
    }
    return acc ?? (new Map() as Facts);
  }

  /** For each normal exit of `f`: the calls certainly completed before it. */
  private exits(f: FnLike): ts.CallExpression[][] {
    let ex = this.exitsMemo.get(f);
    if (ex) return ex;
    ex = [];
    const body = f.body;
    if (!body || f.asteriskToken) {
      ex.push([]);
    } else if (!ts.isBlock(body)) {
      const out: ts.CallExpression[] = [];
      evaluated(body, out);
      ex.push(out);
    } else {
      const visitReturns = (n: ts.Node) => {
        if (isFnLike(n) || ts.isClassLike(n)) return;
        if (ts.isReturnStatement(n)) {
          const calls = dominatingCalls(n);
          if (n.expression) evaluated(n.expression, calls);
          ex.push([...new Set(calls)]);
        }
        ts.forEachChild(n, visitReturns);
      };
      ts.forEachChild(body, visitReturns);
      const last = body.statements[body.statements.length - 1];
      if (!last || !(ts.isReturnStatement(last) || ts.isThrowStatement(last))) ex.push(completedCalls(body.statements));
    }
    this.exitsMemo.set(f, ex);
    return ex;
  }

  private readonly truthsMemo = new Map<FnLike, ts.CallExpression[][]>();

  /** For each normal exit of `f` (in the order of `exits`): the condition calls certainly truthy before it. */
  private exitTruths(f: FnLike): ts.CallExpression[][] {
    let ex = this.truthsMemo.get(f);
    if (ex) return ex;
    ex = [];
    const body = f.body;
    if (!this.conditions || !body || f.asteriskToken || !ts.isBlock(body)) {
      ex = this.exits(f).map(() => []);
    } else {
      const visitReturns = (n: ts.Node) => {
        if (isFnLike(n) || ts.isClassLike(n)) return;
        if (ts.isReturnStatement(n)) ex!.push(dominatingTruths(n, { constValue: this.constValue }));
        ts.forEachChild(n, visitReturns);
      };
      ts.forEachChild(body, visitReturns);
      const last = body.statements[body.statements.length - 1];
      if (!last || !(ts.isReturnStatement(last) || ts.isThrowStatement(last)))
        ex.push(completedTruths(body.statements, this.constValue));
    }
    this.truthsMemo.set(f, ex);
    return ex;
  }

  private isAsyncFn(f: FnLike): boolean {
    let a = this.asyncMemo.get(f);
    if (a === undefined) {
      a = (ts.getCombinedModifierFlags(f) & ts.ModifierFlags.Async) !== 0;
      if (!a) {
        const sig = this.checker.getSignatureFromDeclaration(f);
        a = sig ? isPromiseLike(this.checker, this.checker.getReturnTypeOfSignature(sig)) : true;
      }
      this.asyncMemo.set(f, a);
    }
    return a;
  }

  /** A summarised fact at a call site: parameters replaced by the call's arguments. */
  private instantiate(
    f: Fact,
    call: ts.CallExpression | ts.Node,
    shift: number,
    hook: ParamHook | undefined,
    awaitedCall: boolean,
  ): Fact {
    const args: Record<string, ArgVal> = {};
    // An implicit invocation without an argument list (an accessor, a tagged template): parameters are unknown.
    const withArgs = ts.isCallExpression(call) || ts.isNewExpression(call);
    const list = withArgs ? (call.arguments ?? []) : [];
    for (const k of Object.keys(f.args).sort()) {
      const v = f.args[k]!;
      if (!isParamRef(v)) {
        if (!Object.hasOwn(args, k)) args[k] = v;
        continue;
      }
      const i = v.param + shift;
      const spread = list.findIndex((a) => ts.isSpreadElement(a));
      const a = list[i];
      if (!withArgs || shift < 0 || (spread >= 0 && spread <= i) || !a) args[k] = DYNAMIC_ARG;
      else if (v.path === undefined) recordArg(this.checker, k, a, args, hook);
      else args[k] = withState(a, memberOfArg(this.checker, a, v.path, hook));
    }
    return { guard: f.guard, args, awaited: f.awaited && awaitedCall };
  }

  /** Parameters of `owner` (never reassigned) as ParamRefs. */
  private hookOf(owner: ts.Node): ParamHook | undefined {
    if (this.hooks.has(owner)) return this.hooks.get(owner);
    let hook: ParamHook | undefined;
    if (isFnLike(owner) && owner.body) {
      const params = owner.parameters.filter((p) => !(ts.isIdentifier(p.name) && p.name.text === 'this'));
      const assigned = assignedSymbols(this.checker, owner.body);
      hook = (id) => {
        const sym = this.checker.getSymbolAtLocation(id);
        const d = sym?.valueDeclaration;
        if (
          !sym ||
          !d ||
          !ts.isParameter(d) ||
          d.parent !== owner ||
          d.dotDotDotToken ||
          !ts.isIdentifier(d.name) ||
          assigned.has(sym)
        )
          return undefined;
        const i = params.indexOf(d);
        return i < 0 ? undefined : { param: i };
      };
    }
    this.hooks.set(owner, hook);
    return hook;
  }

  // -------------------------------------------------------------------------
  // Resolution

  /** Project functions with a body that `call` certainly runs (none through an interface), with the argument shift. */
  private bodyCallees(call: ts.CallExpression): { fns: FnLike[]; shift: number } {
    const callee = skipOuter(call.expression);
    // An immediately invoked function (`(async () => { await guard(); })()`) runs its own body, once, here.
    if ((ts.isArrowFunction(callee) || ts.isFunctionExpression(callee)) && !callee.asteriskToken)
      return { fns: [callee], shift: 0 };
    const via = callApply(this.checker, this.projectFiles, callee);
    if (via) return { fns: this.bodiesOfSymbol(via.sym), shift: via.shift };
    // By the called value's symbol, never through its type: a no-op typed `typeof wrapper` is not the wrapper.
    const fns = this.bodiesOfSymbol(calleeSymbol(this.checker, call));
    // A method may run as any override in the program: credit only what all of them ensure.
    const all: FnLike[] = [];
    for (const f of fns) {
      const o = this.overrides(f);
      if (o === null) return { fns: [], shift: 0 };
      all.push(f, ...o);
    }
    return { fns: [...new Set(all)], shift: 0 };
  }

  private classIndex: ts.ClassLikeDeclaration[] | undefined;

  /**
   * Overrides of method `f` in subclasses anywhere in the program (a call of
   * `f` may dispatch to any of them); null when one has no analysable body.
   */
  private overrides(f: FnLike): FnLike[] | null {
    const holder =
      (ts.isArrowFunction(f) || ts.isFunctionExpression(f)) && ts.isPropertyDeclaration(f.parent) ? f.parent : f;
    const cls = holder.parent;
    if (!cls || !ts.isClassLike(cls) || !(ts.isMethodDeclaration(holder) || ts.isPropertyDeclaration(holder)))
      return [];
    const name = holder.name;
    if (ts.isPrivateIdentifier(name)) return [];
    const flags = ts.getCombinedModifierFlags(holder);
    if (flags & (ts.ModifierFlags.Static | ts.ModifierFlags.Private)) return [];
    const clsSym = cls.name ? this.checker.getSymbolAtLocation(cls.name) : boundSymbolOf(cls);
    const member = this.checker.getSymbolAtLocation(name);
    if (!clsSym || !member) return null;
    if (!this.classIndex) {
      this.classIndex = [];
      for (const sf of this.graphFiles) {
        if (!sf.compilerNode.text.includes('extends')) continue;
        const visit = (n: ts.Node): void => {
          if (ts.isClassLike(n) && n.heritageClauses?.some((h) => h.token === ts.SyntaxKind.ExtendsKeyword))
            this.classIndex!.push(n);
          ts.forEachChild(n, visit);
        };
        visit(sf.compilerNode);
      }
    }
    const out: FnLike[] = [];
    for (const sub of this.classIndex) {
      if (sub === cls || !this.inherits(sub, clsSym, new Set())) continue;
      for (const m of sub.members) {
        if (!m.name || (!ts.isMethodDeclaration(m) && !ts.isPropertyDeclaration(m) && !ts.isGetAccessorDeclaration(m)))
          continue;
        if (this.checker.getSymbolAtLocation(m.name)?.name !== member.name) continue;
        const bodies = this.bodiesOf(m);
        if (bodies.length === 0) return null;
        out.push(...bodies);
      }
    }
    return out;
  }

  private inherits(c: ts.ClassLikeDeclaration, target: ts.Symbol, seen: Set<ts.Node>): boolean {
    if (seen.has(c)) return false;
    seen.add(c);
    for (const h of c.heritageClauses ?? []) {
      if (h.token !== ts.SyntaxKind.ExtendsKeyword) continue;
      for (const t of h.types) {
        const sym = dealias(this.checker, this.checker.getSymbolAtLocation(t.expression));
        if (!sym) return true;
        if (sym === target) return true;
        for (const d of sym.declarations ?? []) if (ts.isClassLike(d) && this.inherits(d, target, seen)) return true;
      }
    }
    return false;
  }

  private bodiesOfSymbol(sym: ts.Symbol | undefined): FnLike[] {
    const out = new Set<FnLike>();
    for (const d of sym?.declarations ?? []) for (const f of this.bodiesOf(d)) out.add(f);
    return [...out];
  }

  private bodiesOf(decl: ts.Node): FnLike[] {
    if (!this.projectFiles.has(decl.getSourceFile())) return [];
    if (isFnLike(decl)) {
      if (decl.body) return [decl];
      // An overload signature: the implementation.
      const name = decl.name;
      const sym = name ? this.checker.getSymbolAtLocation(name) : undefined;
      return (sym?.declarations ?? []).filter(
        (d): d is FnLike => isFnLike(d) && d.body !== undefined && this.projectFiles.has(d.getSourceFile()),
      );
    }
    if (
      (ts.isVariableDeclaration(decl) || ts.isPropertyDeclaration(decl) || ts.isPropertyAssignment(decl)) &&
      decl.initializer
    ) {
      const init = skipOuter(decl.initializer);
      if ((ts.isArrowFunction(init) || ts.isFunctionExpression(init)) && isConstLike(decl)) return [init];
    }
    return [];
  }

  /** Declarations a call of `callee` may resolve to, for the derived-sink lookup. */
  private rawCall(call: ts.CallExpression): { decls: ts.Node[]; shift: number } {
    const callee = skipOuter(call.expression);
    const via = callApply(this.checker, this.projectFiles, callee);
    if (via) return { decls: [...(via.sym?.declarations ?? [])], shift: via.shift };
    const decls = new Set<ts.Node>();
    const d = resolvedDeclaration(this.checker, call);
    if (d) decls.add(d);
    for (const x of calleeSymbol(this.checker, call)?.declarations ?? []) decls.add(x);
    return { decls: [...decls], shift: 0 };
  }

  /** The nodes a call or reference of container `c` resolves to: itself, its holder, overloads, and the members it implements or overrides. */
  private declNodesOf(c: Container): ts.Node[] {
    const k = c.node;
    if (ts.isSourceFile(k)) return [];
    const out = new Set<ts.Node>([k]);
    let holder: ts.Node = k;
    if (
      (ts.isArrowFunction(k) || ts.isFunctionExpression(k)) &&
      (ts.isVariableDeclaration(k.parent) || ts.isPropertyAssignment(k.parent) || ts.isPropertyDeclaration(k.parent))
    ) {
      holder = k.parent;
      out.add(holder);
    }
    const name = (holder as ts.NamedDeclaration).name;
    const sym = name ? this.checker.getSymbolAtLocation(name) : undefined;
    for (const d of sym?.declarations ?? []) out.add(d);
    // Interface and base-class members this one implements or overrides: a call through them may run it.
    const cls = holder.parent;
    if (
      sym &&
      cls &&
      ts.isClassLike(cls) &&
      (ts.isMethodDeclaration(holder) ||
        ts.isPropertyDeclaration(holder) ||
        ts.isGetAccessorDeclaration(holder) ||
        ts.isSetAccessorDeclaration(holder))
    ) {
      const isStatic = (ts.getCombinedModifierFlags(holder) & ts.ModifierFlags.Static) !== 0;
      if (!isStatic) {
        for (const base of heritageTypes(this.checker, cls)) {
          for (const d of base.getProperty(sym.name)?.declarations ?? []) out.add(d);
        }
      }
    }
    return [...out];
  }

  private readonly enclosingMemo = new Map<Node, Container>();

  enclosing(node: Node): Container {
    const known = this.enclosingMemo.get(node);
    if (known) return known;
    const anonymous: ts.Node[] = [];
    let owner: Node | undefined;
    for (let a = node.getParent(); a; a = a.getParent()) {
      const isFn =
        Node.isFunctionDeclaration(a) ||
        Node.isFunctionExpression(a) ||
        Node.isArrowFunction(a) ||
        Node.isMethodDeclaration(a) ||
        Node.isConstructorDeclaration(a) ||
        Node.isGetAccessorDeclaration(a) ||
        Node.isSetAccessorDeclaration(a);
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
    let c = this.containers.get(key);
    if (!c) {
      c = {
        node: key,
        name: owner ? declarationName(owner) : undefined,
        file: this.ctx.rel(owner ?? node.getSourceFile()),
        anonymous: new Set(),
      };
      this.containers.set(key, c);
    }
    for (const f of anonymous) c.anonymous.add(f);
    this.enclosingMemo.set(node, c);
    return c;
  }
}

// ---------------------------------------------------------------------------

function isParamRef(v: ArgVal): v is ParamRef {
  return typeof v === 'object' && v !== null;
}

function factKey(f: Fact): string {
  return `${f.guard}\u0000${stableJson(f.args)}`;
}

/** Add within one path: awaited if any instance is awaited. */
function addFact(out: Facts, f: Fact): void {
  const k = factKey(f);
  const prev = out.get(k);
  out.set(k, prev ? { ...prev, awaited: prev.awaited || f.awaited } : f);
}

/** Across paths: only facts on both; awaited only if awaited on both. */
function intersect(a: Facts, b: Facts): Facts {
  const out: Facts = new Map();
  for (const [k, f] of a) {
    const g = b.get(k);
    if (g) out.set(k, { ...f, awaited: f.awaited && g.awaited });
  }
  return out;
}

function sameFacts(a: Facts, b: Facts): boolean {
  if (a.size !== b.size) return false;
  for (const [k, f] of a) if (b.get(k)?.awaited !== f.awaited) return false;
  return true;
}

function sameReq(a: Map<string, Facts> | undefined, b: Map<string, Facts>): boolean {
  if (!a || a.size !== b.size) return false;
  for (const [s, f] of a) {
    const g = b.get(s);
    if (!g || !sameFacts(f, g)) return false;
  }
  return true;
}

function toDominating(f: Fact): DominatingGuard {
  const args: Record<string, GuardArg> = {};
  for (const k of Object.keys(f.args).sort()) {
    const v = f.args[k]!;
    // A parameter of the entry point itself: what its callers outside the program pass.
    args[k] = isParamRef(v) ? `${paramArg(v.param)}${v.path ?? ''}` : v;
  }
  return { guard: f.guard, args, awaited: f.awaited };
}

function byContainer(a: Container, b: Container): number {
  return cmp(a.file, b.file) || a.node.pos - b.node.pos;
}

function simpleName(c: Container): string | undefined {
  const k = c.node;
  const holder = (ts.isArrowFunction(k) || ts.isFunctionExpression(k)) && k.parent ? k.parent : k;
  const name = (holder as ts.NamedDeclaration).name;
  return name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteralLike(name))
    ? name.text
    : undefined;
}

function isConstLike(d: ts.VariableDeclaration | ts.PropertyDeclaration | ts.PropertyAssignment): boolean {
  if (ts.isVariableDeclaration(d))
    return ts.isVariableDeclarationList(d.parent) && (d.parent.flags & ts.NodeFlags.Const) !== 0;
  if (ts.isPropertyDeclaration(d)) return (ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Readonly) !== 0;
  return false;
}

/** `f.call(thisArg, ...)` / `f.apply(thisArg, args)` of a project function: its symbol and the argument shift. */
function callApply(
  checker: ts.TypeChecker,
  project: Set<ts.SourceFile>,
  callee: ts.Expression,
): { sym: ts.Symbol | undefined; shift: number } | undefined {
  if (!ts.isPropertyAccessExpression(callee) || (callee.name.text !== 'call' && callee.name.text !== 'apply'))
    return undefined;
  const member = checker.getSymbolAtLocation(callee.name);
  if (!member?.declarations?.length || member.declarations.some((d) => project.has(d.getSourceFile())))
    return undefined;
  const target = skipOuter(callee.expression);
  const at = ts.isPropertyAccessExpression(target) ? target.name : target;
  const sym = dealias(checker, checker.getSymbolAtLocation(at));
  if (!sym?.declarations?.some((d) => project.has(d.getSourceFile()))) return undefined;
  return { sym, shift: callee.name.text === 'call' ? 1 : -1 };
}

/** `x.call(...)` / `x.apply(...)`: resolved through `x` (callMayReachTarget sees only Function.prototype). */
/** `eval(…)` called by its own name: a direct eval, which can name any binding in scope. */
function isDirectEval(call: ts.CallExpression): boolean {
  const callee = call.expression;
  return ts.isIdentifier(callee) && callee.text === 'eval';
}

function isCallApplyShape(call: ts.CallExpression): boolean {
  const callee = skipOuter(call.expression);
  return ts.isPropertyAccessExpression(callee) && (callee.name.text === 'call' || callee.name.text === 'apply');
}

/** Is `n` (or `x.n`) the tag of a tagged template: a call of it (implicit.ts), not a reference? */
function isTemplateTag(n: ts.Node): boolean {
  let e: ts.Node = n;
  if (ts.isPropertyAccessExpression(e.parent) && e.parent.name === e) e = e.parent;
  while (ts.isParenthesizedExpression(e.parent) || ts.isNonNullExpression(e.parent)) e = e.parent;
  return ts.isTaggedTemplateExpression(e.parent) && e.parent.tag === e;
}

/** Is `n` the function of `n.call(...)` / `n.apply(...)` (resolved as a call, not a reference)? */
function isCallApplyTarget(n: ts.Node): boolean {
  let e: ts.Node = n;
  if (ts.isPropertyAccessExpression(e.parent) && e.parent.name === e) e = e.parent;
  const p = e.parent;
  return (
    ts.isPropertyAccessExpression(p) &&
    p.expression === e &&
    (p.name.text === 'call' || p.name.text === 'apply') &&
    ts.isCallExpression(p.parent) &&
    p.parent.expression === p
  );
}

function heritageTypes(checker: ts.TypeChecker, cls: ts.ClassLikeDeclaration): ts.Type[] {
  const out: ts.Type[] = [];
  for (const h of cls.heritageClauses ?? []) for (const t of h.types) out.push(checker.getTypeAtLocation(t));
  return out;
}

function assignedSymbols(checker: ts.TypeChecker, body: ts.Node): Set<ts.Symbol> {
  const out = new Set<ts.Symbol>();
  const targetIds = (e: ts.Node) => {
    if (ts.isIdentifier(e)) {
      const s = checker.getSymbolAtLocation(e);
      if (s) out.add(s);
    } else if (ts.isShorthandPropertyAssignment(e)) {
      const s = checker.getShorthandAssignmentValueSymbol(e);
      if (s) out.add(s);
    } else ts.forEachChild(e, targetIds);
  };
  const visit = (n: ts.Node) => {
    const target = writeTarget(n);
    if (target) targetIds(target);
    ts.forEachChild(n, visit);
  };
  visit(body);
  return out;
}

/** Strongly connected components (Tarjan): node -> component index. */
function sccs<T>(nodes: T[], succ: (n: T) => T[]): Map<T, number> {
  const index = new Map<T, number>();
  const low = new Map<T, number>();
  const comp = new Map<T, number>();
  const stack: T[] = [];
  const on = new Set<T>();
  let counter = 0;
  let ncomp = 0;
  const connect = (v: T) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    on.add(v);
    for (const w of succ(v)) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      let w: T;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.set(w, ncomp);
      } while (w !== v);
      ncomp++;
    }
  };
  for (const n of nodes) if (!index.has(n)) connect(n);
  return comp;
}

/** The ts-morph wrapper of a compiler node of `sf` (ts-morph's own lookup; see `canWrap`). */
function wrapNode(sf: SourceFile, n: ts.Node): Node {
  return wrapCompilerNode(sf, n);
}

/** Whether this ts-morph can wrap a compiler node; when it cannot, every file is walked whole. */
function canWrap(sf: SourceFile | undefined): boolean {
  return canWrapCompilerNode(sf);
}

/** `ns` (a module or namespace symbol) used as a value, not as the object of `ns.member` or `ns['member']`. */
function isModuleValueUse(sym: ts.Symbol, n: ts.Identifier | ts.StringLiteralLike): boolean {
  if (!(sym.flags & (ts.SymbolFlags.ValueModule | ts.SymbolFlags.NamespaceModule))) return false;
  if (!ts.isIdentifier(n)) return false;
  const p = n.parent;
  if (ts.isPropertyAccessExpression(p) && p.expression === n) return false;
  if (ts.isElementAccessExpression(p) && p.expression === n && ts.isStringLiteralLike(p.argumentExpression))
    return false;
  if (ts.isQualifiedName(p) || ts.isTypeQueryNode(p) || ts.isExportSpecifier(p)) return false;
  return true;
}
