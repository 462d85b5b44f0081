import { Node, ts } from 'ts-morph';
import type { ExtractContext, Fragment } from '../analysis/context.js';
import { type GatedSite, type GuardDecl, type Keygate, type SinkDecl, type SinkEscape } from '../../manifest/types.js';
import { declarationName, uniqueIds } from '../analysis/names.js';
import { KeyCallGraph, type Container, type GuardOracle } from '../analysis/callgraph.js';
import { argumentStateDigest, functionMethodPatched, implementationDigest } from '../analysis/digest.js';
import { fileMayMatch } from '../analysis/prefilter.js';
import {
  calleeSymbol,
  cmp,
  dealias,
  guardArgs,
  type ParamShape,
  isAwaitedThrough,
  isPromiseLike,
  isWrittenIn,
  resolvedDeclaration,
  skipOuter,
  withArgumentState,
} from '../analysis/calls.js';
import { boundSymbolOf, jsDocsOf } from '../analysis/ts-internals.js';
import { escapeId, formatVia, keys, moduleFunctionId, siteId } from '../../manifest/keys.js';

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
  // Recorded guard arguments that name program state carry a digest of what they depend on.
  return withArgumentState(argumentStateDigest(ctx), () => keygate(ctx));
}

function keygate(ctx: ExtractContext): Fragment<Keygate> {
  const checker = ctx.checker.compilerObject;
  const guards = collectDeclarations(ctx, 'keyGuard', 'keyGuards');
  const sinks = collectDeclarations(ctx, 'keySink', 'keySinks');
  const implied = impliedSinkMembers(ctx, sinks);
  const locations: Record<string, string> = {};

  const guardData: Record<string, GuardDecl> = {};
  const shapes = new Map<string, ParamShape>();
  for (const g of guards.groups) {
    const shape = paramShape(checker, g);
    shapes.set(g.id, shape);
    guardData[g.id] = {
      async: isAsync(checker, g),
      params: shape.names,
      implDigest: implementationDigest(ctx, g.nodes),
      ...(g.condition ? { kind: 'condition' as const } : {}),
    };
    locations[keys.guard(g.id)] = g.file;
  }
  const sinkData: Record<string, SinkDecl> = {};
  const sinkNames = new Map<string, string[]>();
  for (const s of sinks.groups) {
    sinkData[s.id] = { async: isAsync(checker, s) };
    locations[keys.sink(s.id)] = s.file;
    const names = sinkNames.get(s.simpleName) ?? [];
    names.push(s.id);
    sinkNames.set(s.simpleName, names);
  }

  // A guard method that a subclass (or an `implements` of its class) overrides with an untagged member: a call
  // through the base type may run the override, so it proves nothing (fail closed; docs/threat-model.md).
  const overridden = untaggedOverrides(ctx, guards);

  // Interprocedural: guards on every path from each entry point to each sink it reaches (src/extract/analysis/callgraph.ts).
  const conditions = new Set(guards.groups.filter((g) => g.condition).map((g) => g.id));
  const program = ctx.project.getProgram().compilerObject;
  const defaultLib = (sf: ts.SourceFile) => program.isSourceFileDefaultLibrary(sf);
  const readsThis = new Set(guards.groups.filter((g) => g.nodes.some(mentionsThis)).map((g) => g.id));
  const invoked = (call: ts.CallExpression) => invokedThrough(ctx, call);
  const oracle: GuardOracle = {
    guardsOf: (call) => {
      const through = invoked(call);
      return (
        through
          ? // `call`/`apply` choose `this`: only a guard that never reads it is the same guard then.
            valueTargets(checker, through.fn, guards.byNode, new Set()).filter((id) => !readsThis.has(id))
          : calledValueTargets(checker, call, guards.byNode)
      ).filter((id) => !overridden.has(id));
    },
    fact: (call, gid, param, site) => ({
      guard: gid,
      args: guardArgs(checker, call, shapes.get(gid)!, param, argumentsOf(invoked(call), call)),
      awaited: guardData[gid]!.async ? isAwaitedThrough(checker, call, defaultLib, site) : true,
    }),
    ...(conditions.size > 0
      ? {
          isCondition: (gid: string) => conditions.has(gid),
          constValue: (id: ts.Identifier) => {
            const d = dealias(checker, checker.getSymbolAtLocation(id))?.valueDeclaration;
            return d && isConstAlias(d) ? d.initializer : undefined;
          },
        }
      : {}),
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
            targetsOf: (call) => callTargets(checker, call, sinks.byNode, implied),
            words: sinkWords(checker, sinks),
            ...(implied.size > 0 ? { idsOf: (d: ts.Node) => implied.get(d) } : {}),
          },
          [...sinks.groups.flatMap((g) => g.nodes), ...implied.keys()],
        );

  // Function ids: declarationName, qualified by file only when two used functions collide.
  const used = [...new Set([...entrySites.map((c) => c.entry), ...rawEscapes.map((e) => e.fn)])];
  const named = used.filter((c) => c.name !== undefined);
  const ids = uniqueIds(named.map((c) => ({ name: c.name!, file: c.file, value: c })));
  const fnId = new Map<Container, string>(ids.map((x) => [x.value, x.id]));
  for (const c of used) if (c.name === undefined) fnId.set(c, moduleFunctionId(c.file));

  const sites: Record<string, GatedSite> = {};
  for (const s of [...entrySites].sort((a, b) => cmp(fnId.get(a.entry)!, fnId.get(b.entry)!) || cmp(a.sink, b.sink))) {
    const key = siteId({ function: fnId.get(s.entry)!, sink: s.sink });
    sites[key] = { function: fnId.get(s.entry)!, sink: s.sink, guards: s.guards };
    locations[keys.site(key)] = s.entry.file;
    locations[keys.via(key)] = formatVia({ hops: s.via, sink: s.sink });
  }

  const escapes: Record<string, SinkEscape> = {};
  for (const e of rawEscapes) {
    const fid = fnId.get(e.fn)!;
    escapes[escapeId({ function: fid, sink: e.sink, kind: e.kind })] = { function: fid, sink: e.sink, kind: e.kind };
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
    Reflect.deleteProperty(locations, keys[kind](g.id));
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
              // Constructors and accessors run implicitly (`new`, property reads and writes): public too.
              else if (
                ts.isConstructorDeclaration(m) ||
                ts.isGetAccessorDeclaration(m) ||
                ts.isSetAccessorDeclaration(m)
              )
                out.push(m);
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
  /** A condition guard (`@keyGuard condition`, config `keyConditions`): protects where its truthy result dominates. */
  condition?: boolean;
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
  /** Declarations tagged `@keyGuard condition` or listed in `keyConditions`. */
  const conditional = new Set<Node>();
  for (const sf of [...ctx.sourceFiles, ...(ctx.workspaceFiles ?? [])]) {
    if (!fileMayMatch(ctx, sf, [`@${tag}`])) continue;
    sf.forEachDescendant((node) => {
      const docs = jsDocsOf(node.compilerNode);
      const tags = docs?.flatMap((d) => (d.tags ?? []).filter((t) => t.tagName.text === tag)) ?? [];
      if (tags.length === 0) return;
      const decls = declarationsOfHost(node, checker);
      found.push(...decls);
      if (tag === 'keyGuard' && tags.some(isConditionTag)) for (const d of decls) conditional.add(d);
      if (decls.length === 0) {
        ctx.fail(
          node,
          `@${tag} must annotate a function, a method or a const holding a function`,
          'move the tag to the JSDoc of the function declaration, method or `const x = (...) => ...` statement',
        );
      }
    });
  }
  const lists: Array<'keyGuards' | 'keyConditions' | 'keySinks'> =
    list === 'keyGuards' ? [list, 'keyConditions'] : [list];
  for (const l of lists) {
    for (const n of ctx.configured(l)) {
      const decls = declarationsOfHost(n, checker);
      if (decls.length === 0) ctx.fail(n, `config "${l}" must name a function, a method or a const holding a function`);
      found.push(...decls);
      if (l === 'keyConditions') for (const d of decls) conditional.add(d);
    }
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
    value: { nodes: ts.Node[]; primary: ts.Node; simpleName: string; own: boolean; condition?: boolean };
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
      value: {
        nodes,
        primary,
        simpleName,
        own: !foreign.has(first.getSourceFile()),
        // One condition declaration makes the whole group a condition (it then counts in fewer places).
        ...(decls.some((d) => conditional.has(d)) ? { condition: true } : {}),
      },
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

/**
 * Interface and class members related to a sink by the checker, for calls
 * that reach a sink through another declaration of the same contract:
 *  - down: a member that implements or overrides a sink member (through a
 *    class's `implements`/`extends`, an interface's `extends`, transitively)
 *    is that sink: `rust.exportSecretsBundle()` with the sink named at
 *    `CryptoApi.exportSecretsBundle`;
 *  - up: a member that a sink (or such a member) implements or overrides may
 *    dispatch to it, so a call through it is a call of the sink (fail
 *    closed): `api.exportSecretsBundle()` on a `CryptoApi` with the sink
 *    named at `RustCrypto.exportSecretsBundle`.
 * A member is related only through the declared heritage of its class or
 * interface (`getProperty` of the heritage type, never by name alone): an
 * unrelated interface with a same-named method is not a sink. A class that
 * inherits a sink method and implements another interface declaring it
 * (`class S extends RustCrypto implements Other`) relates that member too. Static and
 * `#private` members are not related. Returns every node (a member and the
 * function it holds) mapped to all its sink ids, its own included, and adds
 * the new ones to `sinks.byNode` (under the first id).
 */
/**
 * The ids of guards declared as class or interface members that some class or interface in the program
 * overrides or implements with a member that is not itself a guard (`class NoAttest extends Attest {
 * override async check() {} }`), directly or below a chain of guard overrides. A call through a receiver typed
 * as the base may run the untagged override at run time, so such a guard counts nowhere.
 */
function untaggedOverrides(ctx: ExtractContext, guards: DeclSet): Set<string> {
  const checker = ctx.checker.compilerObject;
  const memberGuards = new Map<string, ts.Node[]>();
  for (const n of guards.byNode.keys()) {
    if (!n.parent || !(ts.isClassLike(n.parent) || ts.isInterfaceDeclaration(n.parent))) continue;
    const name = (n as ts.NamedDeclaration).name;
    if (!name || ts.isPrivateIdentifier(name) || !(ts.isIdentifier(name) || ts.isStringLiteralLike(name))) continue;
    if (ts.getCombinedModifierFlags(n as ts.Declaration) & ts.ModifierFlags.Static) continue;
    memberGuards.set(name.text, [...(memberGuards.get(name.text) ?? []), n]);
  }
  const out = new Set<string>();
  if (memberGuards.size === 0) return out;
  // base guard node -> the guard overrides below it (tagged), to mark a whole chain when its bottom is hollow.
  const taggedBelow = new Map<ts.Node, ts.Node[]>();
  const hollow: ts.Node[] = [];
  for (const sf of [...ctx.sourceFiles, ...(ctx.workspaceFiles ?? [])]) {
    const text = sf.compilerNode.text;
    if (!(text.includes('implements') || text.includes('extends'))) continue;
    const visit = (n: ts.Node): void => {
      if ((ts.isClassLike(n) || ts.isInterfaceDeclaration(n)) && n.heritageClauses?.length) {
        const members: readonly ts.Node[] = n.members;
        for (const m of members) {
          const name = (m as ts.NamedDeclaration).name;
          if (!name || !(ts.isIdentifier(name) || ts.isStringLiteralLike(name)) || !memberGuards.has(name.text))
            continue;
          if (ts.getCombinedModifierFlags(m as ts.Declaration) & ts.ModifierFlags.Static) continue;
          for (const h of n.heritageClauses)
            for (const t of h.types)
              for (const b of checker.getTypeAtLocation(t).getProperty(name.text)?.declarations ?? []) {
                if (!guards.byNode.has(b) || b === m) continue;
                if (guards.byNode.has(m)) taggedBelow.set(m, [...(taggedBelow.get(m) ?? []), b]);
                else hollow.push(b);
              }
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf.compilerNode);
  }
  // Structural look-alikes: TypeScript lets any value of a compatible shape stand where the guard's class or
  // interface is expected (`const a: Attest = { check: async () => {} }`, an unrelated class with the same
  // members). A class or object literal in the program that declares an untagged member of a guard's name and
  // whose type is assignable to the guard owner's type, without deriving from it, hollows that guard.
  const owners = new Map<string, Array<{ guard: ts.Node; type: ts.Type }>>();
  for (const [name, nodes] of memberGuards)
    for (const g of nodes) {
      const owner = g.parent as ts.ClassLikeDeclaration | ts.InterfaceDeclaration;
      const sym = owner.name ? checker.getSymbolAtLocation(owner.name) : undefined;
      if (sym)
        owners.set(name, [...(owners.get(name) ?? []), { guard: g, type: checker.getDeclaredTypeOfSymbol(sym) }]);
    }
  const names = [...memberGuards.keys()];
  for (const sf of [...ctx.sourceFiles, ...(ctx.workspaceFiles ?? [])]) {
    const text = sf.compilerNode.text;
    if (!names.some((n) => text.includes(n))) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isObjectLiteralExpression(n) || (ts.isClassLike(n) && !n.heritageClauses?.length)) {
        const members: readonly ts.Node[] = ts.isObjectLiteralExpression(n) ? n.properties : n.members;
        for (const m of members) {
          const name = (m as ts.NamedDeclaration).name;
          if (!name || !(ts.isIdentifier(name) || ts.isStringLiteralLike(name)) || guards.byNode.has(m)) continue;
          const cands = owners.get(name.text);
          if (!cands) continue;
          let t: ts.Type;
          if (ts.isObjectLiteralExpression(n)) t = checker.getTypeAtLocation(n);
          else {
            const sym = n.name ? checker.getSymbolAtLocation(n.name) : undefined;
            if (!sym) continue;
            t = checker.getDeclaredTypeOfSymbol(sym);
          }
          // Behind a type assertion (`{ check() {} } as unknown as Attest`) assignability proves nothing.
          let up: ts.Node = n;
          while (ts.isParenthesizedExpression(up.parent)) up = up.parent;
          const asserted =
            ts.isObjectLiteralExpression(n) &&
            (ts.isAsExpression(up.parent) || ts.isTypeAssertionExpression(up.parent));
          for (const c of cands)
            if (c.guard.parent !== n && (asserted || checker.isTypeAssignableTo(t, c.type))) hollow.push(c.guard);
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf.compilerNode);
  }

  // Up the chain: an untagged override of a tagged override hollows every guard above it too.
  const up = new Map<ts.Node, ts.Node[]>(taggedBelow);
  const seen = new Set<ts.Node>();
  const stack = [...hollow];
  for (let b = stack.pop(); b !== undefined; b = stack.pop()) {
    if (seen.has(b)) continue;
    seen.add(b);
    out.add(guards.byNode.get(b)!);
    stack.push(...(up.get(b) ?? []));
  }
  return out;
}

function impliedSinkMembers(ctx: ExtractContext, sinks: DeclSet): Map<ts.Node, string[]> {
  const checker = ctx.checker.compilerObject;
  const isMember = (n: ts.Node): n is ts.ClassElement | ts.TypeElement =>
    (ts.isMethodDeclaration(n) ||
      ts.isMethodSignature(n) ||
      ts.isPropertyDeclaration(n) ||
      ts.isPropertySignature(n)) &&
    n.parent !== undefined &&
    (ts.isClassLike(n.parent) || ts.isInterfaceDeclaration(n.parent) || ts.isTypeLiteralNode(n.parent)) &&
    !ts.isPrivateIdentifier(n.name) &&
    (ts.getCombinedModifierFlags(n) & ts.ModifierFlags.Static) === 0;
  const names = new Set<string>();
  for (const g of sinks.groups) if (g.nodes.some(isMember)) names.add(g.simpleName);
  if (names.size === 0) return new Map();

  // The instance type of a class (the declared type of its symbol, a class expression's too), an interface's type.
  const selfType = (n: ts.ClassLikeDeclaration | ts.InterfaceDeclaration): ts.Type => {
    const sym = n.name ? checker.getSymbolAtLocation(n.name) : boundSymbolOf(n);
    return sym ? checker.getDeclaredTypeOfSymbol(sym) : checker.getTypeAtLocation(n);
  };
  // For each class or interface with heritage and each member-sink name: the member it declares (or, when it
  // declares none, the one it inherits) and the members its heritage gives that name.
  const related: Array<{ members: ts.Node[]; declared: boolean; bases: ts.Node[] }> = [];
  for (const sf of [...ctx.sourceFiles, ...(ctx.workspaceFiles ?? [])]) {
    const text = sf.compilerNode.text;
    if (!(text.includes('implements') || text.includes('extends'))) continue;
    const visit = (n: ts.Node): void => {
      if ((ts.isClassLike(n) || ts.isInterfaceDeclaration(n)) && n.heritageClauses?.length) {
        const declared = new Map<string, ts.Node[]>();
        const members: readonly ts.Node[] = n.members;
        for (const m of members) {
          if (!isMember(m)) continue;
          const sym = m.name ? checker.getSymbolAtLocation(m.name) : undefined;
          if (sym && names.has(sym.name)) declared.set(sym.name, [...(declared.get(sym.name) ?? []), m]);
        }
        for (const name of names) {
          const own = declared.get(name);
          const mine = own ?? selfType(n).getProperty(name)?.declarations ?? [];
          const bases = new Set<ts.Node>();
          for (const h of n.heritageClauses)
            for (const t of h.types)
              for (const d of checker.getTypeAtLocation(t).getProperty(name)?.declarations ?? [])
                if (!mine.includes(d)) bases.add(d);
          if (mine.length > 0 && bases.size > 0)
            related.push({ members: [...mine], declared: own !== undefined, bases: [...bases] });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf.compilerNode);
  }

  const own = (n: ts.Node): string[] => {
    const id = sinks.byNode.get(n);
    return id === undefined ? [] : [id];
  };
  const down = new Map<ts.Node, Set<string>>();
  const up = new Map<ts.Node, Set<string>>();
  const add = (m: Map<ts.Node, Set<string>>, n: ts.Node, ids: Iterable<string>): boolean => {
    let set = m.get(n);
    if (!set) m.set(n, (set = new Set()));
    const before = set.size;
    for (const id of ids) set.add(id);
    return set.size > before;
  };
  const contract = (n: ts.Node) => [...own(n), ...(down.get(n) ?? [])];
  for (let changed = true; changed;) {
    changed = false;
    for (const { members, declared, bases } of related) {
      // A member declared here implements or overrides its bases; an inherited one only stands behind them.
      if (declared) for (const m of members) for (const b of bases) if (add(down, m, contract(b))) changed = true;
      const mayRun = members.flatMap((m) => [...contract(m), ...(up.get(m) ?? [])]);
      for (const b of bases) if (add(up, b, mayRun)) changed = true;
    }
  }

  const out = new Map<ts.Node, string[]>();
  for (const n of new Set([...down.keys(), ...up.keys()])) {
    const ids = [...new Set([...own(n), ...(down.get(n) ?? []), ...(up.get(n) ?? [])])].sort();
    if (ids.length === 0 || (ids.length === 1 && own(n)[0] === ids[0])) continue;
    const fn = functionOf(n);
    for (const k of fn && fn !== n ? [n, fn] : [n]) {
      out.set(k, ids);
      if (!sinks.byNode.has(k)) sinks.byNode.set(k, ids[0]!);
    }
  }
  return out;
}

/** `@keyGuard condition`, `@keyGuard condition: ...`: the tag's comment starts with the word `condition`. */
function isConditionTag(t: ts.JSDocTag): boolean {
  return /^condition\b/.test((ts.getTextOfJSDocComment(t.comment) ?? '').trim());
}

/** The callable declarations a JSDoc host or config entry stands for. */
function declarationsOfHost(node: Node, checker: ts.TypeChecker): Node[] {
  // `const g: GuardFn = makeGuard()` is callable by its declared type; `const ORDER: Level[] = […]` is not.
  const callable = (d: ts.Node) =>
    isCallableDeclaration(d) &&
    (!ts.isVariableDeclaration(d) ||
      (d.initializer !== undefined && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))) ||
      checker.getTypeAtLocation(d.name).getCallSignatures().length > 0);
  if (Node.isVariableStatement(node)) return node.getDeclarations().filter((d) => callable(d.compilerNode));
  if ((Node.isArrowFunction(node) || Node.isFunctionExpression(node)) && Node.isVariableDeclaration(node.getParent())) {
    return [node.getParentOrThrow()];
  }
  return callable(node.compilerNode) ? [node] : [];
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

// ---------------------------------------------------------------------------
// Calls and references

/**
 * Group ids whose declaration this call resolves to (resolved signature first, then the callee's symbol).
 * `implied`: sink ids of the interface and class members related to a sink (impliedSinkMembers).
 */
export function callTargets(
  checker: ts.TypeChecker,
  call: ts.CallExpression,
  byNode: Map<ts.Node, string>,
  implied?: Map<ts.Node, string[]>,
): string[] {
  const decl = resolvedDeclaration(checker, call);
  if (decl && byNode.has(decl)) return implied?.get(decl) ?? [byNode.get(decl)!];
  const out = new Set<string>();
  for (const d of calleeSymbol(checker, call)?.declarations ?? []) {
    for (const id of implied?.get(d) ?? []) out.add(id);
    const id = byNode.get(d);
    if (id) out.add(id);
  }
  return [...out].sort();
}

/**
 * `f.call(thisArg, …args)` and `f.apply(thisArg, [ …args ])` with the standard `Function.prototype` methods (their
 * declarations in the default library, and no write anywhere in the program to a member of that name or of a
 * computed name): the function invoked and its arguments (`null`: not known one by one).
 */
function invokedThrough(
  ctx: ExtractContext,
  call: ts.CallExpression,
): { fn: ts.Expression; args: readonly ts.Expression[] | null } | undefined {
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const how = callee.name.text;
  if (how !== 'call' && how !== 'apply') return undefined;
  const checker = ctx.checker.compilerObject;
  const program = ctx.project.getProgram().compilerObject;
  const decls = checker.getSymbolAtLocation(callee.name)?.declarations ?? [];
  if (decls.length === 0 || !decls.every((d) => program.isSourceFileDefaultLibrary(d.getSourceFile())))
    return undefined;
  if (functionMethodPatched(ctx, how)) return undefined;
  if (how === 'call') return { fn: callee.expression, args: call.arguments.slice(1) };
  const list = call.arguments[1] ? skipOuter(call.arguments[1]) : undefined;
  if (list === undefined) return { fn: callee.expression, args: [] };
  return {
    fn: callee.expression,
    args: ts.isArrayLiteralExpression(list) && !list.elements.some(ts.isSpreadElement) ? list.elements : null,
  };
}

/** Whether `this` (or `super`) occurs anywhere in `n`, nested functions and classes included (fail closed). */
function mentionsThis(n: ts.Node): boolean {
  if (n.kind === ts.SyntaxKind.ThisKeyword || n.kind === ts.SyntaxKind.SuperKeyword || ts.isThisTypeNode(n))
    return true;
  return ts.forEachChild(n, mentionsThis) ?? false;
}

/** The arguments a guard receives: those of the call, or through `.call`/`.apply` (`null`: not known one by one). */
function argumentsOf(
  through: { args: readonly ts.Expression[] | null } | undefined,
  call: ts.CallExpression,
): readonly ts.Expression[] | null {
  return through ? through.args : call.arguments;
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
  const sym = dealias(checker, checker.getSymbolAtLocation(at));
  for (const d of sym?.declarations ?? []) {
    // A member access names the declaration through the receiver's type: check the receiver is its owner.
    if (receiver && !receiverOwns(checker, receiver, d)) continue;
    const id = byNode.get(d);
    if (id !== undefined) out.add(id);
    else if ((isConstAlias(d) || (!receiver && isUnwrittenLet(checker, d, sym!))) && !seen.has(d)) {
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
    if (!(isConstAlias(d) || isUnwrittenLet(checker, d, sym)) || seen.has(d)) return false;
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

/**
 * `let x = <expression>` that nothing in its file ever writes (not exported: another module cannot write it
 * either): it holds that value like a `const`.
 */
function isUnwrittenLet(
  checker: ts.TypeChecker,
  d: ts.Declaration,
  sym: ts.Symbol,
): d is ts.VariableDeclaration & { initializer: ts.Expression } {
  if (
    !ts.isVariableDeclaration(d) ||
    d.initializer === undefined ||
    !ts.isIdentifier(d.name) ||
    !ts.isVariableDeclarationList(d.parent) ||
    (d.parent.flags & ts.NodeFlags.BlockScoped) !== ts.NodeFlags.Let ||
    ts.isForOfStatement(d.parent.parent) ||
    ts.isForInStatement(d.parent.parent) ||
    ts.isForStatement(d.parent.parent)
  )
    return false;
  const stmt = d.parent.parent;
  if (ts.isVariableStatement(stmt) && ts.getModifiers(stmt)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword))
    return false;
  // A direct eval in the file can assign it by name (`eval('check = noop')`).
  if (/\beval\s*\(/.test(d.getSourceFile().text)) return false;
  return !isWrittenIn(checker, d.getSourceFile(), sym);
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}
