import { ts } from 'ts-morph';

const CLOSERS = new Set([
  ts.SyntaxKind.CloseParenToken,
  ts.SyntaxKind.CloseBracketToken,
  ts.SyntaxKind.CloseBraceToken,
  ts.SyntaxKind.GreaterThanToken,
]);

/**
 * A node's token stream: comments and whitespace are trivia, so they never
 * count; every other token does, except a single trailing comma before a
 * closing bracket, which never changes meaning (prettier adds it when a list
 * wraps). Template continuations and regular expressions are re-scanned where
 * the parser found them, so text inside them is never mistaken for a comment.
 * The tokens of `self` (a declaration's own name) count as one placeholder.
 */
export function normalizedTokens(n: ts.Node, self?: ts.Node, eraseTypes = false): string[] {
  const parts: string[] = [];
  const sf = n.getSourceFile();
  const erased = eraseTypes ? typeOnlyRanges(n, sf) : [];
  let next = 0;
  const regexStarts = new Set<number>();
  const templateStarts = new Set<number>();
  const visit = (c: ts.Node): void => {
    if (c.kind === ts.SyntaxKind.RegularExpressionLiteral) regexStarts.add(c.getStart(sf));
    if (ts.isTemplateSpan(c) || ts.isTemplateLiteralTypeSpan(c)) templateStarts.add(c.literal.getStart(sf));
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
  // `self`: the declaration's own name, one placeholder token (renaming the declaration keeps its tokens).
  const selfStart = self ? self.getStart(sf) : -1;
  const selfEnd = self ? self.end : -1;
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    const pos = scanner.getTokenStart();
    // Re-scan first, also in erased text, so that the scanner stays in step (a template literal type's `}`).
    if ((kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) && regexStarts.has(pos))
      scanner.reScanSlashToken();
    else if (kind === ts.SyntaxKind.CloseBraceToken && templateStarts.has(pos)) scanner.reScanTemplateToken(false);
    while (next < erased.length && erased[next]![1] <= pos) next++;
    if (next < erased.length && erased[next]![0] <= pos) continue;
    if (pos >= selfStart && pos < selfEnd) {
      if (pos === selfStart) parts.push('<self>');
      continue;
    }
    if (CLOSERS.has(scanner.getToken()) && parts[parts.length - 1] === ',') parts.pop();
    parts.push(scanner.getTokenText());
  }
  return parts;
}

/**
 * The source ranges of a node that TypeScript erases when it emits JavaScript: type annotations (with their
 * colon), `as`/`satisfies` types, `<T>` assertions, non-null `!`, type arguments and parameters, `implements`
 * clauses, nested interfaces and type aliases, overload signatures, `?` and definite-assignment `!` marks, and the
 * accessibility, `readonly` and `override` modifiers of class members (not of constructor parameters, where they
 * declare a field). Sorted and disjoint (nested ranges merged).
 */
function typeOnlyRanges(root: ts.Node, sf: ts.SourceFile): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const add = (start: number, end: number) => {
    if (end > start) out.push([start, end]);
  };
  const list = (l: ts.NodeArray<ts.Node> | undefined) => {
    if (l) add(l.pos - 1, l.end + 1); // `<` ends where the list starts, `>` starts where it ends
  };
  const visit = (c: ts.Node): void => {
    if (c !== root) {
      if (ts.isInterfaceDeclaration(c) || ts.isTypeAliasDeclaration(c)) {
        add(c.getStart(sf), c.end);
        return;
      }
      if (
        (ts.isFunctionDeclaration(c) || ts.isMethodDeclaration(c) || ts.isConstructorDeclaration(c)) &&
        c.body === undefined
      ) {
        add(c.getStart(sf), c.end);
        return;
      }
    }
    if (ts.isHeritageClause(c) && c.token === ts.SyntaxKind.ImplementsKeyword) {
      add(c.getStart(sf), c.end);
      return;
    }
    const typed = c as ts.Node & { type?: ts.Node; questionToken?: ts.Node; exclamationToken?: ts.Node };
    if (
      (ts.isParameter(c) ||
        ts.isVariableDeclaration(c) ||
        ts.isPropertyDeclaration(c) ||
        ts.isFunctionDeclaration(c) ||
        ts.isMethodDeclaration(c) ||
        ts.isArrowFunction(c) ||
        ts.isFunctionExpression(c) ||
        ts.isGetAccessorDeclaration(c) ||
        ts.isSetAccessorDeclaration(c)) &&
      typed.type !== undefined
    )
      add(typed.type.pos - 1, typed.type.end); // the `:` ends where the type starts
    if (ts.isParameter(c) || ts.isPropertyDeclaration(c)) {
      if (typed.questionToken) add(typed.questionToken.getStart(sf), typed.questionToken.end);
      if (typed.exclamationToken) add(typed.exclamationToken.getStart(sf), typed.exclamationToken.end);
    }
    if (ts.isVariableDeclaration(c) && c.exclamationToken) add(c.exclamationToken.getStart(sf), c.exclamationToken.end);
    if (ts.isAsExpression(c) || ts.isSatisfiesExpression(c) || ts.isNonNullExpression(c)) add(c.expression.end, c.end);
    if (ts.isTypeAssertionExpression(c)) add(c.getStart(sf), c.expression.pos);
    if (
      ts.isCallExpression(c) ||
      ts.isNewExpression(c) ||
      ts.isTaggedTemplateExpression(c) ||
      ts.isExpressionWithTypeArguments(c)
    )
      list(c.typeArguments);
    if (ts.isFunctionLike(c) || ts.isClassLike(c)) list(c.typeParameters);
    if (ts.isClassElement(c) && !ts.isParameter(c))
      for (const m of ts.getModifiers(c as ts.HasModifiers) ?? [])
        if (
          m.kind === ts.SyntaxKind.PublicKeyword ||
          m.kind === ts.SyntaxKind.PrivateKeyword ||
          m.kind === ts.SyntaxKind.ProtectedKeyword ||
          m.kind === ts.SyntaxKind.ReadonlyKeyword ||
          m.kind === ts.SyntaxKind.OverrideKeyword
        )
          add(m.getStart(sf), m.end);
    ts.forEachChild(c, visit);
  };
  visit(root);
  out.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const r of out) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

const TIGHT_AFTER = new Set(['(', '[', '.', '?.', '!', '...']);
const TIGHT_BEFORE = new Set([')', ']', ',', '.', '?.', ';', ':', '!']);

/**
 * A one-line rendering of a node's tokens for reports (`[...approvals, fake]`): the same for any formatting
 * and comments, so it is as stable as the token stream it is built from.
 */
export function normalizedText(n: ts.Node): string {
  let out = '';
  let prev = '';
  for (const t of normalizedTokens(n)) {
    const call = (t === '(' || t === '[') && /[\w$)\]]$/.test(prev);
    const tight = out === '' || TIGHT_AFTER.has(prev) || TIGHT_BEFORE.has(t) || call;
    out += (tight ? '' : ' ') + t;
    prev = t;
  }
  return out;
}
