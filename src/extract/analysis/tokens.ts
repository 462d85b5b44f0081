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
export function normalizedTokens(n: ts.Node, self?: ts.Node): string[] {
  const parts: string[] = [];
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
  // `self`: the declaration's own name, one placeholder token (renaming the declaration keeps its tokens).
  const selfStart = self ? self.getStart(sf) : -1;
  const selfEnd = self ? self.end : -1;
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    const pos = scanner.getTokenStart();
    if (pos >= selfStart && pos < selfEnd) {
      if (pos === selfStart) parts.push('<self>');
      continue;
    }
    if ((kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) && regexStarts.has(pos))
      scanner.reScanSlashToken();
    else if (kind === ts.SyntaxKind.CloseBraceToken && templateStarts.has(pos)) scanner.reScanTemplateToken(false);
    if (CLOSERS.has(scanner.getToken()) && parts[parts.length - 1] === ',') parts.pop();
    parts.push(scanner.getTokenText());
  }
  return parts;
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
