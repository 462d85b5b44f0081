/**
 * The calls of one project function across the program, for value flows
 * that start at one of its parameters (a logging wrapper's `e` reaches the
 * sink; what its callers pass is what is logged).
 *
 * Identity by declaration: a call counts when the checker resolves it to the
 * function (or, for a method, to the member of a base class or implemented
 * interface that it overrides, which dispatches to it). The function's name
 * is only the text filter that picks which identifiers to ask about; import
 * and export aliases add their names. A reference that is not a call (the
 * function passed, stored, bound, spread into an object) means callers the
 * analysis cannot list: `escaped`.
 */
import { ts } from 'ts-morph';
import type { ExtractContext } from './context.js';
import { dealias, isDirectCallee } from './calls.js';

export type Callers = { calls: ts.CallExpression[] } | 'escaped' | 'anonymous';

const cache = new WeakMap<ExtractContext, Map<ts.Node, Callers>>();

/** The declaration a function is named by: itself, or the `const` an arrow or function expression initializes. */
function namedDeclaration(fn: ts.Node): { decl: ts.Node; name: string } | undefined {
  if ((ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn)) && fn.name && ts.isIdentifier(fn.name))
    return { decl: fn, name: fn.name.text };
  if (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) {
    let p: ts.Node = fn.parent;
    while (ts.isParenthesizedExpression(p)) p = p.parent;
    if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name) && p.initializer && skipTo(p.initializer) === fn)
      return { decl: p, name: p.name.text };
  }
  return undefined;
}

function skipTo(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

/** For a method: the members of the same name in its class's base classes and implemented interfaces. */
function dispatchers(tc: ts.TypeChecker, fn: ts.Node, name: string): Set<ts.Node> {
  const out = new Set<ts.Node>([fn]);
  const cls = fn.parent;
  if (!ts.isMethodDeclaration(fn) || !cls || !(ts.isClassDeclaration(cls) || ts.isClassExpression(cls))) return out;
  const seen = new Set<ts.Type>();
  const visit = (t: ts.Type): void => {
    if (seen.has(t)) return;
    seen.add(t);
    for (const d of t.getProperty(name)?.getDeclarations() ?? []) out.add(d);
    for (const b of t.isClassOrInterface() ? (tc.getBaseTypes(t) ?? []) : []) visit(b);
  };
  for (const clause of cls.heritageClauses ?? []) for (const h of clause.types) visit(tc.getTypeAtLocation(h));
  return out;
}

/** Every call of `fn` in the program's analysed files, or why they cannot be listed. */
export function callersOf(ctx: ExtractContext, fn: ts.Node): Callers {
  let byFn = cache.get(ctx);
  if (!byFn) cache.set(ctx, (byFn = new Map<ts.Node, Callers>()));
  const known = byFn.get(fn);
  if (known) return known;
  const result = findCallers(ctx, fn);
  byFn.set(fn, result);
  return result;
}

function findCallers(ctx: ExtractContext, fn: ts.Node): Callers {
  const named = namedDeclaration(fn);
  if (!named) return 'anonymous';
  const tc = ctx.checker.compilerObject;
  const targets = dispatchers(tc, named.decl, named.name);
  const isTarget = (sym: ts.Symbol | undefined) =>
    (dealias(tc, sym)?.getDeclarations() ?? []).some((d) => targets.has(d));
  const files = [...ctx.sourceFiles, ...(ctx.workspaceFiles ?? [])].map((s) => s.compilerNode);
  const words = new Set([named.name]);
  const calls: ts.CallExpression[] = [];
  const seen = new Set<ts.Node>();
  let escaped = false;
  let grew = true;
  while (grew && !escaped) {
    grew = false;
    for (const sf of files) {
      if (![...words].some((w) => sf.text.includes(w))) continue;
      const visit = (n: ts.Node): void => {
        if (escaped) return;
        if (ts.isIdentifier(n) && words.has(n.text) && !seen.has(n)) {
          seen.add(n);
          const p = n.parent;
          if (p && (ts.isImportSpecifier(p) || ts.isExportSpecifier(p))) {
            // `import { log as write }`: the local name calls it too.
            if (isTarget(tc.getSymbolAtLocation(n)) && !words.has(p.name.text)) {
              words.add(p.name.text);
              grew = true;
            }
          } else if (p && (ts.isImportClause(p) || ts.isNamespaceImport(p))) {
            // a default import binds the name by itself; namespace members are reached as `ns.<name>`
          } else if (p && ts.isBindingElement(p)) {
            // `const { log } = service`, `const { log: write } = service`: a copy the name filter cannot follow
            escaped = true;
          } else if (isDeclarationName(n)) {
            // the function's own name, or another declaration of the same name
          } else if (isTarget(tc.getSymbolAtLocation(n))) {
            if (isDirectCallee(n)) {
              let c: ts.Node = n;
              while (!ts.isCallExpression(c)) c = c.parent;
              calls.push(c);
            } else if (!inTypePosition(n)) escaped = true;
          }
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
  }
  return escaped ? 'escaped' : { calls };
}

function isDeclarationName(n: ts.Identifier): boolean {
  const p = n.parent as ts.NamedDeclaration | undefined;
  return p !== undefined && p.name === n && !ts.isPropertyAccessExpression(p) && !ts.isShorthandPropertyAssignment(p);
}

function inTypePosition(n: ts.Node): boolean {
  for (let a: ts.Node | undefined = n.parent; a; a = a.parent) {
    if (ts.isTypeNode(a) || ts.isTypeQueryNode(a)) return true;
    if (!ts.isQualifiedName(a) && !ts.isPropertyAccessExpression(a)) return false;
  }
  return false;
}
