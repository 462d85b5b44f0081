/**
 * In-place mutation of state an implementation reads (key guards, log sinks).
 *
 * A guard that consults a module-level list (`ORDER.indexOf(level)`, `TRUSTED.has(c)`) changes behaviour when
 * code anywhere else changes that list in place (`ORDER.reverse()`, `TRUSTED.add('mallory')`,
 * `CFG.levels.length = 0`), with no write to the binding itself. This module tells, syntactically and with the
 * checker's types, which references to such state may change it (`impureReferences`) and whether the
 * implementation itself consults the state's contents at all (`readsContents`): a guard that only tests or
 * returns a reference (`if (!this.machine) throw …; return this.machine;`) does not depend on what the object
 * holds, so uses of the object elsewhere are not part of it.
 *
 * Fail closed: a reference is pure only in the few positions listed here (reading a primitive, calling a method
 * that cannot change its receiver, comparing, iterating primitives); passing the value on, aliasing it, storing
 * it, calling any other method or writing through it may change it.
 */
import { ts } from 'ts-morph';
import { writeTarget } from './calls.js';
import { type NameIndex, referencesByName, refExpr } from './references.js';

/** Methods that never change their receiver and take no callback that could receive it. */
const READS = new Set([
  'at',
  'charAt',
  'charCodeAt',
  'codePointAt',
  'concat',
  'endsWith',
  'entries',
  'flat',
  'get',
  'has',
  'includes',
  'indexOf',
  'join',
  'keys',
  'lastIndexOf',
  'localeCompare',
  'normalize',
  'padEnd',
  'padStart',
  'repeat',
  'slice',
  'split',
  'startsWith',
  'substring',
  'toLocaleString',
  'toLowerCase',
  'toReversed',
  'toString',
  'toUpperCase',
  'trim',
  'trimEnd',
  'trimStart',
  'values',
  'with',
]);

/** Methods that only read their receiver but hand its elements (and the receiver, as a third argument) to a callback. */
const CALLBACK_READS = new Set([
  'every',
  'filter',
  'find',
  'findIndex',
  'findLast',
  'findLastIndex',
  'flatMap',
  'forEach',
  'map',
  'reduce',
  'reduceRight',
  'some',
]);

/** Library containers whose type arguments are their contents. */
const CONTAINERS = new Set([
  'Array',
  'ReadonlyArray',
  'Set',
  'ReadonlySet',
  'Map',
  'ReadonlyMap',
  'Iterator',
  'IterableIterator',
  'ArrayIterator',
  'SetIterator',
  'MapIterator',
]);

const PRIMITIVE =
  ts.TypeFlags.StringLike |
  ts.TypeFlags.NumberLike |
  ts.TypeFlags.BooleanLike |
  ts.TypeFlags.BigIntLike |
  ts.TypeFlags.EnumLike |
  ts.TypeFlags.ESSymbolLike |
  ts.TypeFlags.Null |
  ts.TypeFlags.Undefined |
  ts.TypeFlags.Void |
  ts.TypeFlags.Never;

/** A primitive value (or a union of them): nothing in it can change in place. */
function primitive(t: ts.Type): boolean {
  return (t.flags & PRIMITIVE) !== 0 || (t.isUnion() && t.types.every(primitive));
}

/** Values that cannot hold a mutable object: primitives, and arrays, sets and maps of them (recursively). */
export function deeplyPrimitive(checker: ts.TypeChecker, t: ts.Type, depth = 0): boolean {
  if (depth > 8) return false;
  if (t.flags & PRIMITIVE) return true;
  if (t.isUnion()) return t.types.every((c) => deeplyPrimitive(checker, c, depth + 1));
  if (checker.isArrayType(t) || checker.isTupleType(t) || CONTAINERS.has(t.getSymbol()?.name ?? '')) {
    if (!(t.flags & ts.TypeFlags.Object) || !((t as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference))
      return false;
    return checker.getTypeArguments(t as ts.TypeReference).every((a) => deeplyPrimitive(checker, a, depth + 1));
  }
  return false;
}

/** Whether a declaration can hold a mutable object: a variable, a class field or a parameter property, typed so. */
export function mayHoldMutable(checker: ts.TypeChecker, d: ts.Node): d is ts.NamedDeclaration & { name: ts.Node } {
  const named =
    ts.isVariableDeclaration(d) ||
    ts.isPropertyDeclaration(d) ||
    (ts.isParameter(d) && (ts.getModifiers(d)?.length ?? 0) > 0);
  if (!named || !(ts.isIdentifier(d.name) || ts.isPrivateIdentifier(d.name))) return false;
  const t = checker.getTypeAtLocation(d.name);
  if (primitive(t)) return false;
  // A function or class value: its members are written, not mutated in place (writes are tracked by name).
  if (t.getCallSignatures().length > 0 || t.getConstructSignatures().length > 0) return false;
  return true;
}

/** The outermost member chain starting at a reference: `x` in `x.a[0].b` gives that whole access. */
function chainEnd(ref: ts.Node): ts.Expression {
  let e = refExpr(ref);
  for (;;) {
    const p = e.parent;
    if ((ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p)) && p.expression === e) e = p;
    else if ((ts.isPropertyAccessExpression(p) || ts.isElementAccessExpression(p)) && p.expression === e) e = p;
    else return e;
  }
}

function memberName(e: ts.Expression): string | undefined {
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  if (ts.isElementAccessExpression(e) && ts.isStringLiteralLike(e.argumentExpression)) return e.argumentExpression.text;
  return undefined;
}

/** Is `e` written (assigned, updated, deleted, a destructuring or loop target)? */
function isWritten(e: ts.Expression): boolean {
  let c: ts.Node = e;
  // Up through a destructuring pattern to the assignment or loop that may write it.
  while (
    ts.isParenthesizedExpression(c.parent) ||
    ts.isArrayLiteralExpression(c.parent) ||
    ts.isSpreadElement(c.parent) ||
    (ts.isPropertyAssignment(c.parent) && c.parent.initializer === c) ||
    ts.isShorthandPropertyAssignment(c.parent) ||
    ts.isObjectLiteralExpression(c.parent) ||
    ts.isSpreadAssignment(c.parent)
  )
    c = c.parent;
  return ts.isDeleteExpression(c.parent) || writeTarget(c.parent) === c;
}

/** Whether a file is one of TypeScript's default libraries (the built-ins' declarations). */
export type IsDefaultLib = (sf: ts.SourceFile) => boolean;

/** Whether the program writes a member of this name anywhere (a built-in method replaced is no longer a read). */
export type IsWrittenName = (name: string) => boolean;

/**
 * A method of a built-in type (`Array`, `Set`, `Map`, `String`): a project or package class's `get` may change its
 * receiver (an LRU cache reorders on read).
 */
function libraryMember(checker: ts.TypeChecker, isLib: IsDefaultLib, callee: ts.Expression): boolean {
  const at = ts.isPropertyAccessExpression(callee)
    ? callee.name
    : ts.isElementAccessExpression(callee)
      ? callee.argumentExpression
      : callee;
  const decls = checker.getSymbolAtLocation(at)?.declarations ?? [];
  return decls.length > 0 && decls.every((d) => isLib(d.getSourceFile()));
}

/** Positions where a bare reference is only tested or compared, never looked into or handed on. */
function onlyTested(e: ts.Expression): boolean {
  const p = e.parent;
  if (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken) return true;
  if (ts.isTypeOfExpression(p)) return true;
  if (ts.isBinaryExpression(p)) {
    const k = p.operatorToken.kind;
    return (
      k === ts.SyntaxKind.EqualsEqualsEqualsToken ||
      k === ts.SyntaxKind.ExclamationEqualsEqualsToken ||
      k === ts.SyntaxKind.EqualsEqualsToken ||
      k === ts.SyntaxKind.ExclamationEqualsToken
    );
  }
  if ((ts.isIfStatement(p) || ts.isWhileStatement(p) || ts.isDoStatement(p)) && p.expression === e) return true;
  if (ts.isConditionalExpression(p) && p.condition === e) return true;
  return false;
}

/**
 * Whether a reference inside the implementation consults what the object holds: anything but testing it,
 * comparing it or returning it as is (`return this.machine`).
 */
export function readsContents(ref: ts.Node): boolean {
  const e = refExpr(ref);
  if (chainEnd(ref) !== e) return true;
  if (onlyTested(e)) return false;
  const p = e.parent;
  if (ts.isReturnStatement(p)) return false;
  if ((ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p)) && ts.isReturnStatement(p.parent)) return false;
  return true;
}

/**
 * Whether a reference elsewhere cannot change the object's contents: a primitive read through it
 * (`ORDER.length`, `CFG.level === 'x'`), a non-mutating method call whose result holds no mutable object
 * (`ORDER.indexOf(x)`, `TRUSTED.has(c)`), a callback method over primitives whose callback cannot receive the
 * receiver (fewer than three parameters), a test or comparison, or iterating or spreading primitives.
 */
export function pureUse(checker: ts.TypeChecker, isLib: IsDefaultLib, written: IsWrittenName, ref: ts.Node): boolean {
  if (ts.isTypeQueryNode(ref.parent) || ts.isQualifiedName(ref.parent)) return true;
  const start = refExpr(ref);
  if (ts.isShorthandPropertyAssignment(ref.parent)) return false;
  const end = chainEnd(ref);
  const prim = (n: ts.Node) => deeplyPrimitive(checker, checker.getTypeAtLocation(n));
  const p = end.parent;
  if (end !== start) {
    if (ts.isCallExpression(p) && p.expression === end) {
      const method = memberName(end);
      if (method === undefined || written(method) || !libraryMember(checker, isLib, end)) return false;
      const receiver = (end as ts.PropertyAccessExpression | ts.ElementAccessExpression).expression;
      if (READS.has(method)) return prim(p) || prim(receiver);
      if (CALLBACK_READS.has(method))
        return (
          prim(receiver) &&
          p.arguments.every((a) => !(ts.isArrowFunction(a) || ts.isFunctionExpression(a)) || a.parameters.length < 3) &&
          p.arguments.every((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a) || prim(a))
        );
      return false;
    }
    if (isWritten(end)) return false;
    return prim(end);
  }
  if (isWritten(start)) return false;
  if (onlyTested(start)) return true;
  if ((ts.isForOfStatement(p) || ts.isSpreadElement(p) || ts.isTemplateSpan(p)) && prim(start)) return true;
  return false;
}

/**
 * The references to `decl` in `files` (by name, aliases through import and export specifiers followed) that may
 * change what it holds, with the expression that uses each.
 */
export function impureReferences(
  checker: ts.TypeChecker,
  isLib: IsDefaultLib,
  written: IsWrittenName,
  index: NameIndex,
  decl: ts.NamedDeclaration & { name: ts.Node },
): ts.Node[] {
  const name = (decl.name as ts.Identifier | ts.PrivateIdentifier).text;
  return referencesByName(checker, index, decl, name).filter((n) => !pureUse(checker, isLib, written, n));
}
