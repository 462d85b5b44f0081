/**
 * References to a declaration anywhere in the program, found by name and confirmed by the checker: the search
 * the digests use for state a guard looks into (mutation.ts `impureReferences`) and for the call sites of code
 * that changes it (digest.ts).
 */
import { ts } from 'ts-morph';
import { dealias } from './calls.js';

/**
 * Every name written in value positions of some files (identifiers, `#private` names, literal element keys),
 * indexed on first use. Type positions are left out: a name there never runs.
 */
export class NameIndex {
  private byName: Map<string, ts.Node[]> | undefined;
  /** Results of searches that depend on nothing but the program, kept by their users. */
  readonly memo = new Map<ts.Node, ts.Node[]>();

  constructor(private readonly files: readonly ts.SourceFile[]) {}

  of(name: string): readonly ts.Node[] {
    if (!this.byName) {
      const byName = new Map<string, ts.Node[]>();
      const visit = (n: ts.Node): void => {
        if (ts.isTypeNode(n) && !ts.isExpressionWithTypeArguments(n)) return;
        if (
          ts.isIdentifier(n) ||
          ts.isPrivateIdentifier(n) ||
          (ts.isStringLiteralLike(n) && ts.isElementAccessExpression(n.parent) && n.parent.argumentExpression === n)
        ) {
          const list = byName.get(n.text);
          if (list) list.push(n);
          else byName.set(n.text, [n]);
        }
        ts.forEachChild(n, visit);
      };
      for (const sf of this.files) visit(sf);
      this.byName = byName;
    }
    return this.byName.get(name) ?? [];
  }
}

/** The reference expression itself: `x`, or `this.x` / `o.x` / `o['x']` for a member. */
export function refExpr(ref: ts.Node): ts.Expression {
  const p = ref.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === ref) return p;
  if (ts.isElementAccessExpression(p) && p.argumentExpression === ref) return p;
  return ref as ts.Expression;
}

/**
 * The references to `decl` (or to one of `also`) written with `name`: resolved by the checker (a shorthand
 * `{ x }` by the value it holds), through import and export aliases (followed by their names), and members of that
 * name the checker cannot resolve (`(svc as any).x`: fail closed). Import and export specifiers themselves and
 * the declaration's own name are not references.
 */
export function referencesByName(
  checker: ts.TypeChecker,
  index: NameIndex,
  decl: ts.Node,
  name: string,
  also: ReadonlySet<ts.Node> = new Set(),
): ts.Node[] {
  const out: ts.Node[] = [];
  const names = [name];
  const seen = new Set(names);
  const own = (decl as ts.NamedDeclaration).name;
  for (let i = 0; i < names.length; i++) {
    for (const n of index.of(names[i]!)) {
      if (n === own) continue;
      const sym = ts.isShorthandPropertyAssignment(n.parent)
        ? checker.getShorthandAssignmentValueSymbol(n.parent)
        : checker.getSymbolAtLocation(n);
      const resolved = dealias(checker, sym)?.declarations ?? [];
      const unresolvedMember = resolved.length === 0 && refExpr(n) !== n;
      if (!unresolvedMember && !resolved.some((d) => d === decl || also.has(d))) continue;
      const spec = n.parent;
      if (ts.isImportSpecifier(spec) || ts.isExportSpecifier(spec)) {
        if (!seen.has(spec.name.text)) {
          seen.add(spec.name.text);
          names.push(spec.name.text);
        }
      } else out.push(n);
    }
  }
  return out;
}
