/**
 * Digests of implementations whose behaviour is part of a policy (key guards,
 * log sinks): a change of any token they run, or of any project declaration
 * they depend on, is a change of unknown direction.
 */
import { ts } from 'ts-morph';
import { sha256Hex } from '../../util/fs.js';
import type { ExtractContext } from './context.js';
import { dealias } from './calls.js';

/**
 * An implementation's digest (a key guard's, a log sink's) covers what its behaviour depends on inside the program:
 * its own tokens, and the tokens of every project declaration it reads,
 * transitively: functions and methods it calls, module-level bindings and
 * imports, classes (a module-level `class Set` that shadows the global one is
 * what `Set` resolves to). Type positions do not count. Dependencies are
 * digested by content only, so moving one to another file is neutral.
 */
export function implementationDigest(ctx: ExtractContext, nodes: ts.Node[]): string {
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
