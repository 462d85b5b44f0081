import { ts } from 'ts-morph';
import { skipOuter as skipParens } from './calls.js';

/**
 * Structural dominance of calls, from function entry, fail closed.
 *
 * A call G dominates a target node T when G is certainly evaluated (and has
 * completed normally) before T on every path that reaches T. The analysis
 * walks up from T to its container (a function, a class member, the source
 * file) and at each step collects what the parent certainly evaluated before
 * the child. Anything conditional (branches, loop bodies, short-circuit right
 * operands, optional chains, swallowing catches, finally blocks that can
 * complete abruptly, callbacks) contributes nothing: when in doubt a guard
 * is NOT counted, so a weakening can never hide behind a guard the analysis
 * merely assumed.
 */

export interface DominanceOptions {
  /**
   * Called for a function-like container of the target. Return true to keep
   * walking from the function's creation point (an anonymous callback cannot
   * run before it is created, so what dominates its creation dominates its
   * body). Default: stop at every function boundary.
   */
  liftThrough?: (fn: ts.SignatureDeclaration) => boolean;
}

/**
 * The calls (all of them; filter for guards afterwards) that dominate
 * `target` within its container, in no particular order, without duplicates.
 * When `target` is a call, its own callee and arguments are included
 * (they are evaluated before the call itself).
 */
export function dominatingCalls(target: ts.Node, opts: DominanceOptions = {}): ts.CallExpression[] {
  const out: ts.CallExpression[] = [];
  if (ts.isCallExpression(target) || ts.isNewExpression(target)) {
    evaluated(target.expression, out);
    for (const a of target.arguments ?? []) evaluated(a, out);
  }
  let child: ts.Node = target;
  let parent: ts.Node | undefined = target.parent;
  while (parent) {
    if (ts.isFunctionLike(parent)) {
      if (!opts.liftThrough?.(parent)) break;
      child = parent;
      parent = parent.parent;
      continue;
    }
    if (isDeferredBoundary(parent)) break;
    evaluatedBefore(parent, child, out);
    child = parent;
    parent = parent.parent;
  }
  return [...new Set(out)];
}

/** Code under these runs later (class member initializers, static blocks, decorators), not in the walk's order. */
function isDeferredBoundary(n: ts.Node): boolean {
  return ts.isClassLike(n) || ts.isPropertyDeclaration(n) || ts.isClassStaticBlockDeclaration(n) || ts.isDecorator(n);
}

/** What `parent` certainly evaluated before `child` whenever `child` is evaluated. */
function evaluatedBefore(parent: ts.Node, child: ts.Node, out: ts.CallExpression[]): void {
  // Statement lists: every earlier statement completed normally.
  if (
    ts.isBlock(parent) ||
    ts.isSourceFile(parent) ||
    ts.isModuleBlock(parent) ||
    ts.isCaseClause(parent) ||
    ts.isDefaultClause(parent)
  ) {
    const stmts: readonly ts.Statement[] = parent.statements;
    for (const s of stmts) {
      if (s === child) break;
      completed(s, out);
    }
    return;
  }
  if (ts.isIfStatement(parent)) {
    if (child !== parent.expression) evaluated(parent.expression, out);
    return;
  }
  if (ts.isWhileStatement(parent)) {
    if (child === parent.statement) evaluated(parent.expression, out);
    return;
  }
  if (ts.isForStatement(parent)) {
    if (child === parent.initializer) return;
    forInitializer(parent.initializer, out);
    if (child !== parent.condition && parent.condition) evaluated(parent.condition, out);
    return;
  }
  if (ts.isForOfStatement(parent) || ts.isForInStatement(parent)) {
    if (child === parent.statement) evaluated(parent.expression, out);
    return;
  }
  // A do-while condition runs after the body's first pass, which may have been cut short by `continue`.
  if (ts.isDoStatement(parent)) {
    if (child === parent.expression) firstPass(parent.statement, out);
    return;
  }
  if (ts.isSwitchStatement(parent)) {
    if (child === parent.caseBlock) evaluated(parent.expression, out);
    return;
  }
  if (ts.isVariableDeclarationList(parent)) {
    for (const d of parent.declarations) {
      if (d === child) break;
      if (d.initializer) evaluated(d.initializer, out);
    }
    return;
  }
  // Expressions.
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
    const args: readonly ts.Expression[] = parent.arguments ?? [];
    const i = (args as readonly ts.Node[]).indexOf(child);
    if (i < 0) return;
    evaluated(parent.expression, out);
    for (let j = 0; j < i; j++) evaluated(args[j]!, out);
    return;
  }
  if (ts.isTaggedTemplateExpression(parent)) {
    if (child === parent.template) evaluated(parent.tag, out);
    return;
  }
  if (ts.isTemplateExpression(parent)) {
    for (const span of parent.templateSpans) {
      if (span === child) break;
      evaluated(span.expression, out);
    }
    return;
  }
  if (ts.isBinaryExpression(parent)) {
    if (child !== parent.right) return;
    const op = parent.operatorToken.kind;
    if (isAssignmentOperator(op)) return;
    evaluated(parent.left, out);
    return;
  }
  if (ts.isConditionalExpression(parent)) {
    if (child !== parent.condition) evaluated(parent.condition, out);
    return;
  }
  if (ts.isArrayLiteralExpression(parent)) {
    for (const e of parent.elements) {
      if (e === child) break;
      evaluated(e, out);
    }
    return;
  }
  if (ts.isObjectLiteralExpression(parent)) {
    for (const p of parent.properties) {
      if (p === child) break;
      evaluatedProperty(p, out);
    }
    return;
  }
  if (ts.isPropertyAssignment(parent)) {
    if (child === parent.initializer && ts.isComputedPropertyName(parent.name)) evaluated(parent.name.expression, out);
    return;
  }
  if (ts.isElementAccessExpression(parent)) {
    if (child === parent.argumentExpression) evaluated(parent.expression, out);
    return;
  }
  // Anything else (single-operand expressions, statements whose child is
  // evaluated first, labels, try/catch parts) adds nothing.
}

function isAssignmentOperator(op: ts.SyntaxKind): boolean {
  return op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment;
}

function forInitializer(init: ts.ForInitializer | undefined, out: ts.CallExpression[]): void {
  if (!init) return;
  if (ts.isVariableDeclarationList(init)) {
    for (const d of init.declarations) if (d.initializer) evaluated(d.initializer, out);
  } else {
    evaluated(init, out);
  }
}

/** Calls certainly evaluated when statement `s` completes normally. */
function completed(s: ts.Statement, out: ts.CallExpression[]): void {
  if (ts.isExpressionStatement(s)) {
    evaluated(s.expression, out);
    return;
  }
  if (ts.isVariableStatement(s)) {
    for (const d of s.declarationList.declarations) if (d.initializer) evaluated(d.initializer, out);
    return;
  }
  if (ts.isIfStatement(s)) {
    evaluated(s.expression, out);
    return;
  }
  if (ts.isBlock(s)) {
    statementsCompleted(s.statements, out);
    return;
  }
  if (ts.isLabeledStatement(s)) {
    completed(s.statement, out);
    return;
  }
  // A loop whose condition is always true (`while (true)`, `for (;;)`, `do … while (true)`) is left only by a
  // jump: what dominates every jump that leaves it dominates its completion (`while (true) { await g(); break; }`).
  if (isEndlessLoop(s)) {
    if (ts.isForStatement(s)) forInitializer(s.initializer, out);
    out.push(...leftOnlyAfter(s));
    return;
  }
  if (ts.isWhileStatement(s)) {
    evaluated(s.expression, out);
    return;
  }
  if (ts.isForStatement(s)) {
    forInitializer(s.initializer, out);
    if (s.condition) evaluated(s.condition, out);
    return;
  }
  if (ts.isForOfStatement(s) || ts.isForInStatement(s)) {
    evaluated(s.expression, out);
    return;
  }
  // A do-while body runs at least once: its first pass up to the first statement that may jump
  // (`break` leaves the loop, `continue` skips to the condition), and the condition when nothing can jump.
  if (ts.isDoStatement(s)) {
    firstPass(s.statement, out);
    if (!hasEscapingJump(s.statement)) evaluated(s.expression, out);
    return;
  }
  if (ts.isSwitchStatement(s)) {
    evaluated(s.expression, out);
    return;
  }
  if (ts.isTryStatement(s)) {
    // Normal completion of the try statement means: the try block completed,
    // or its catch completed. A catch that can complete normally swallows a
    // guard's throw, so the try block only counts when the catch cannot, and
    // when the finally block cannot discard its completion either.
    if (!tryBlockCompletionIntercepted(s)) statementsCompleted(s.tryBlock.statements, out);
    if (s.finallyBlock) statementsCompleted(s.finallyBlock.statements, out);
    return;
  }
  // return/throw, declarations, anything else: nothing.
}

/** `while (true)`, `for (;;)`, `for (…; true; …)`, `do … while (true)`: only a jump leaves it. */
function isEndlessLoop(s: ts.Statement): s is ts.WhileStatement | ts.ForStatement | ts.DoStatement {
  const isTrue = (e: ts.Expression | undefined) => e === undefined || skipParens(e).kind === ts.SyntaxKind.TrueKeyword;
  if (ts.isWhileStatement(s) || ts.isDoStatement(s)) return isTrue(s.expression);
  return ts.isForStatement(s) && isTrue(s.condition);
}

/**
 * The calls that dominate, inside `loop`, every jump that leaves it: each `break` that ends it and each
 * break/continue that targets a statement outside it (nested functions and classes excluded). The loop's
 * body may run several times; at the jump that leaves it, what dominates the jump in that pass has
 * completed. No jump: the loop is never left normally, and nothing is claimed.
 */
function leftOnlyAfter(loop: ts.WhileStatement | ts.ForStatement | ts.DoStatement): ts.CallExpression[] {
  const own = new Set<string>();
  for (let p = loop.parent; ts.isLabeledStatement(p); p = p.parent) own.add(p.label.text);
  const exits: Array<ts.BreakStatement | ts.ContinueStatement> = [];
  const visit = (n: ts.Node, loops: number, switches: number, labels: ReadonlySet<string>): void => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return;
    if (ts.isBreakStatement(n) || ts.isContinueStatement(n)) {
      const brk = ts.isBreakStatement(n);
      const inner = n.label
        ? labels.has(n.label.text) || (!brk && own.has(n.label.text))
        : brk
          ? loops + switches > 0
          : true;
      if (!inner) exits.push(n);
      return;
    }
    if (ts.isLabeledStatement(n)) {
      visit(n.statement, loops, switches, new Set(labels).add(n.label.text));
      return;
    }
    const isLoop = ts.isIterationStatement(n, false);
    const isSwitch = ts.isSwitchStatement(n);
    ts.forEachChild(n, (c) => visit(c, loops + (isLoop ? 1 : 0), switches + (isSwitch ? 1 : 0), labels));
  };
  visit(loop.statement, 0, 0, new Set());
  let common: Set<ts.CallExpression> | undefined;
  for (const jump of exits) {
    const before: ts.CallExpression[] = [];
    let child: ts.Node = jump;
    for (let parent = jump.parent; parent !== loop; parent = parent.parent) {
      evaluatedBefore(parent, child, before);
      child = parent;
    }
    common = common ? new Set(before.filter((c) => common!.has(c))) : new Set(before);
  }
  return common ? [...common] : [];
}

/** What a loop body's first pass certainly completed, up to the first statement that may jump out of it. */
function firstPass(body: ts.Statement, out: ts.CallExpression[]): void {
  statementsCompleted(ts.isBlock(body) ? body.statements : [body], out);
}

/**
 * A nested statement list: stop after the first statement that can jump out
 * of it (break/continue), because the rest may be skipped while the
 * enclosing statement still completes normally.
 */
function statementsCompleted(stmts: readonly ts.Statement[], out: ts.CallExpression[]): void {
  for (const s of stmts) {
    completed(s, out);
    if (hasEscapingJump(s)) return;
  }
}

/**
 * Can the try statement complete (or be left by a jump that an enclosing
 * label, loop or switch turns into normal completion) without its try block
 * having completed normally? Yes when a catch can complete normally (it
 * swallows the throw), and when the finally block can complete abruptly:
 * `break`, `continue`, `return` or `throw` in a finally replaces the try
 * block's completion, a guard's exception included
 * (`L: try { await guard(); } finally { break L; }`).
 */
function tryBlockCompletionIntercepted(s: ts.TryStatement): boolean {
  if (s.catchClause && !alwaysExitsAbruptly(s.catchClause.block)) return true;
  return s.finallyBlock !== undefined && mayCompleteAbruptly(s.finallyBlock);
}

/** Can `block` complete other than by falling through its end: a return, a throw, or a break/continue leaving it (nested functions excluded)? */
export function mayCompleteAbruptly(block: ts.Block): boolean {
  if (hasEscapingJump(block)) return true;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n) || ts.isClassLike(n)) return;
    if (ts.isReturnStatement(n) || ts.isThrowStatement(n)) {
      found = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(block);
  return found;
}

/** Does `block` end in throw/return with no break/continue that could leave it normally? */
function alwaysExitsAbruptly(block: ts.Block): boolean {
  const last = block.statements[block.statements.length - 1];
  if (!last || !(ts.isThrowStatement(last) || ts.isReturnStatement(last))) return false;
  return !block.statements.some(hasEscapingJump);
}

/** Does `root` contain a break/continue whose target lies outside `root` (nested functions excluded)? */
export function hasEscapingJump(root: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node, loops: number, switches: number, labels: Set<string>): void => {
    if (found) return;
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return;
    if (ts.isBreakStatement(n) || ts.isContinueStatement(n)) {
      if (n.label) {
        if (!labels.has(n.label.text)) found = true;
      } else if (ts.isBreakStatement(n) ? loops + switches === 0 : loops === 0) {
        found = true;
      }
      return;
    }
    if (ts.isLabeledStatement(n)) {
      const next = new Set(labels).add(n.label.text);
      visit(n.statement, loops, switches, next);
      return;
    }
    const isLoop = ts.isIterationStatement(n, false);
    const isSwitch = ts.isSwitchStatement(n);
    ts.forEachChild(n, (c) => visit(c, loops + (isLoop ? 1 : 0), switches + (isSwitch ? 1 : 0), labels));
  };
  visit(root, 0, 0, new Set());
  return found;
}

/**
 * Calls certainly evaluated (and completed) when expression `e` is fully
 * evaluated, in evaluation order. Unknown constructs contribute nothing.
 */
export function evaluated(e: ts.Node, out: ts.CallExpression[]): void {
  if (
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isTypeAssertionExpression(e)
  ) {
    evaluated(e.expression, out);
    return;
  }
  if (
    ts.isAwaitExpression(e) ||
    ts.isSpreadElement(e) ||
    ts.isTypeOfExpression(e) ||
    ts.isVoidExpression(e) ||
    ts.isDeleteExpression(e)
  ) {
    evaluated(e.expression, out);
    return;
  }
  if (ts.isYieldExpression(e)) {
    if (e.expression) evaluated(e.expression, out);
    return;
  }
  if (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) {
    evaluated(e.operand, out);
    return;
  }
  // Optional chains: only the part before the first `?.` is certain.
  if (ts.isNonNullExpression(e)) {
    evaluated(e.expression, out);
    return;
  }
  if (ts.isPropertyAccessExpression(e)) {
    evaluated(e.expression, out);
    return;
  }
  if (ts.isElementAccessExpression(e)) {
    evaluated(e.expression, out);
    if (!ts.isOptionalChain(e)) evaluated(e.argumentExpression, out);
    return;
  }
  if (ts.isCallExpression(e)) {
    evaluated(e.expression, out);
    if (ts.isOptionalChain(e)) return;
    for (const a of e.arguments) evaluated(a, out);
    out.push(e);
    return;
  }
  if (ts.isNewExpression(e)) {
    evaluated(e.expression, out);
    for (const a of e.arguments ?? []) evaluated(a, out);
    return;
  }
  if (ts.isTaggedTemplateExpression(e)) {
    evaluated(e.tag, out);
    evaluated(e.template, out);
    return;
  }
  if (ts.isTemplateExpression(e)) {
    for (const span of e.templateSpans) evaluated(span.expression, out);
    return;
  }
  if (ts.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    if (
      op === ts.SyntaxKind.AmpersandAmpersandToken ||
      op === ts.SyntaxKind.BarBarToken ||
      op === ts.SyntaxKind.QuestionQuestionToken
    ) {
      evaluated(e.left, out);
      return;
    }
    if (
      op === ts.SyntaxKind.AmpersandAmpersandEqualsToken ||
      op === ts.SyntaxKind.BarBarEqualsToken ||
      op === ts.SyntaxKind.QuestionQuestionEqualsToken
    ) {
      evaluated(e.left, out);
      return;
    }
    if (isAssignmentOperator(op)) {
      // Destructuring targets may hold defaults (conditional): only the value counts.
      if (!ts.isObjectLiteralExpression(e.left) && !ts.isArrayLiteralExpression(e.left)) evaluated(e.left, out);
      evaluated(e.right, out);
      return;
    }
    evaluated(e.left, out);
    evaluated(e.right, out);
    return;
  }
  if (ts.isConditionalExpression(e)) {
    evaluated(e.condition, out);
    return;
  }
  if (ts.isArrayLiteralExpression(e)) {
    for (const el of e.elements) evaluated(el, out);
    return;
  }
  if (ts.isObjectLiteralExpression(e)) {
    for (const p of e.properties) evaluatedProperty(p, out);
    return;
  }
  // Identifiers, literals, functions and classes (bodies run later), JSX and
  // anything unknown: nothing certain.
}

function evaluatedProperty(p: ts.ObjectLiteralElementLike, out: ts.CallExpression[]): void {
  if (ts.isPropertyAssignment(p)) {
    if (ts.isComputedPropertyName(p.name)) evaluated(p.name.expression, out);
    evaluated(p.initializer, out);
  } else if (ts.isSpreadAssignment(p)) {
    evaluated(p.expression, out);
  } else if (
    (ts.isMethodDeclaration(p) || ts.isGetAccessorDeclaration(p) || ts.isSetAccessorDeclaration(p)) &&
    ts.isComputedPropertyName(p.name)
  ) {
    evaluated(p.name.expression, out);
  }
}

/**
 * The calls certainly evaluated (and completed) when the statement list of a
 * function body runs to its end (falls through to an implicit return).
 */
export function completedCalls(stmts: readonly ts.Statement[]): ts.CallExpression[] {
  const out: ts.CallExpression[] = [];
  statementsCompleted(stmts, out);
  return [...new Set(out)];
}

// ---------------------------------------------------------------------------
// Truths: calls whose truthy result dominates a node (condition guards).

export interface TruthOptions extends DominanceOptions {
  /**
   * The initializer of a `const` an identifier denotes (a plain, never
   * reassigned binding), so that `const ok = cond(); if (!ok) throw ...`
   * tests the call. Default: identifiers test nothing.
   */
  constValue?: (id: ts.Identifier) => ts.Expression | undefined;
}

/**
 * The calls whose result was certainly truthy before `target` runs, on every
 * path that reaches it: `target` lies in the `if`'s consequent (or the
 * right operand of `&&`, the true branch of `?:`, a `while`/`for` body) of a
 * condition that is truthy only when the call's result is, or after an
 * `if (!call(...)) <block that cannot complete normally>` in the same
 * statement list. A throw inside a nested conditional, an exit-less branch,
 * a condition weakened by `&&` on its negation (`if (!c() && debug) throw`),
 * a swallowing `catch` or a `break` to a label that skips the rest: nothing.
 * `!`, `&&`, `||`, `await`, parentheses and `const` bindings are followed;
 * anything else tests nothing. Whether the call tests the promise or the
 * value (an un-awaited async condition is always truthy) is the caller's to
 * check (the call is returned as written).
 */
export function dominatingTruths(target: ts.Node, opts: TruthOptions = {}): ts.CallExpression[] {
  const out: ts.CallExpression[] = [];
  const t = new Truths(opts.constValue);
  let child: ts.Node = target;
  let parent: ts.Node | undefined = target.parent;
  while (parent) {
    if (ts.isFunctionLike(parent)) {
      if (!opts.liftThrough?.(parent)) break;
      child = parent;
      parent = parent.parent;
      continue;
    }
    if (isDeferredBoundary(parent)) break;
    t.before(parent, child, out);
    child = parent;
    parent = parent.parent;
  }
  return [...new Set(out)];
}

/** The calls certainly truthy when the statement list of a function body runs to its end. */
export function completedTruths(
  stmts: readonly ts.Statement[],
  constValue?: (id: ts.Identifier) => ts.Expression | undefined,
): ts.CallExpression[] {
  const out: ts.CallExpression[] = [];
  new Truths(constValue).afterList(stmts, out);
  return [...new Set(out)];
}

class Truths {
  private depth = 0;
  constructor(private readonly constValue?: (id: ts.Identifier) => ts.Expression | undefined) {}

  /** What `parent` established before `child` whenever `child` runs. */
  before(parent: ts.Node, child: ts.Node, out: ts.CallExpression[]): void {
    if (
      ts.isBlock(parent) ||
      ts.isSourceFile(parent) ||
      ts.isModuleBlock(parent) ||
      ts.isCaseClause(parent) ||
      ts.isDefaultClause(parent)
    ) {
      // A later statement of the list is reached only through the normal completion of every earlier one.
      const stmts: readonly ts.Statement[] = parent.statements;
      for (const s of stmts) {
        if (s === child) break;
        this.after(s, out);
      }
      return;
    }
    if (ts.isIfStatement(parent)) {
      if (child === parent.thenStatement) this.truthy(parent.expression, out);
      else if (child === parent.elseStatement) this.falsy(parent.expression, out);
      return;
    }
    if (ts.isConditionalExpression(parent)) {
      if (child === parent.whenTrue) this.truthy(parent.condition, out);
      else if (child === parent.whenFalse) this.falsy(parent.condition, out);
      return;
    }
    if (ts.isBinaryExpression(parent) && child === parent.right) {
      const op = parent.operatorToken.kind;
      if (op === ts.SyntaxKind.AmpersandAmpersandToken) this.truthy(parent.left, out);
      else if (op === ts.SyntaxKind.BarBarToken) this.falsy(parent.left, out);
      return;
    }
    if ((ts.isWhileStatement(parent) || ts.isForStatement(parent)) && child === parent.statement) {
      const cond = ts.isWhileStatement(parent) ? parent.expression : parent.condition;
      if (cond) this.truthy(cond, out);
    }
  }

  /** Calls certainly truthy when statement `s` completes normally. */
  after(s: ts.Statement, out: ts.CallExpression[]): void {
    if (ts.isIfStatement(s)) {
      const thenExits = exitsAbruptly(s.thenStatement);
      const elseExits = s.elseStatement !== undefined && exitsAbruptly(s.elseStatement);
      if (thenExits && elseExits) return;
      if (thenExits) {
        this.falsy(s.expression, out);
        if (s.elseStatement) this.after(s.elseStatement, out);
        return;
      }
      if (elseExits) {
        this.truthy(s.expression, out);
        this.after(s.thenStatement, out);
        return;
      }
      // Both branches may complete: only what both establish.
      const a: ts.CallExpression[] = [];
      this.truthy(s.expression, a);
      this.after(s.thenStatement, a);
      const b: ts.CallExpression[] = [];
      this.falsy(s.expression, b);
      if (s.elseStatement) this.after(s.elseStatement, b);
      for (const c of a) if (b.includes(c)) out.push(c);
      return;
    }
    if (ts.isBlock(s)) {
      this.afterList(s.statements, out);
      return;
    }
    if (ts.isLabeledStatement(s)) {
      // `L: { if (!c()) break L; }` completes normally through the break.
      if (!hasEscapingJump(s.statement)) this.after(s.statement, out);
      return;
    }
    if (ts.isTryStatement(s)) {
      if (!tryBlockCompletionIntercepted(s)) this.afterList(s.tryBlock.statements, out);
      if (s.finallyBlock) this.afterList(s.finallyBlock.statements, out);
      return;
    }
    // A loop that no jump leaves ends only when its condition is falsy: `while (!(await ready())) await sleep();`.
    if (ts.isWhileStatement(s) || ts.isDoStatement(s) || (ts.isForStatement(s) && s.condition)) {
      const cond = ts.isForStatement(s) ? s.condition : s.expression;
      if (cond && !hasEscapingJump(s.statement)) this.falsy(cond, out);
      return;
    }
    // Switches, expressions, declarations: nothing.
  }

  /** A nested statement list: stop before a statement that can jump out of it (the rest may be skipped). */
  afterList(stmts: readonly ts.Statement[], out: ts.CallExpression[]): void {
    for (const s of stmts) {
      if (hasEscapingJump(s)) return;
      this.after(s, out);
    }
  }

  /** Calls whose result is certainly truthy when `e` is. */
  truthy(e0: ts.Expression, out: ts.CallExpression[]): void {
    const e = skipParens(e0);
    if (ts.isAwaitExpression(e)) {
      this.truthy(e.expression, out);
      return;
    }
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) {
      this.falsy(e.operand, out);
      return;
    }
    if (ts.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op === ts.SyntaxKind.AmpersandAmpersandToken) {
        this.truthy(e.left, out);
        this.truthy(e.right, out);
      } else if (op === ts.SyntaxKind.BarBarToken) {
        both(
          out,
          (a) => this.truthy(e.left, a),
          (b) => this.truthy(e.right, b),
        );
      } else if (op === ts.SyntaxKind.EqualsEqualsEqualsToken) {
        // `x === true`: x is true.
        const other = comparedWithTrue(e);
        if (other) this.truthy(other, out);
      }
      return;
    }
    // A call in an optional chain is truthy only if it ran (a short-circuited chain is undefined).
    if (ts.isCallExpression(e)) {
      out.push(e);
      return;
    }
    if (ts.isIdentifier(e) && this.constValue && this.depth < 8) {
      const init = this.constValue(e);
      if (init) {
        this.depth++;
        try {
          this.truthy(init, out);
        } finally {
          this.depth--;
        }
      }
    }
  }

  /** Calls whose result is certainly truthy when `e` is falsy. */
  falsy(e0: ts.Expression, out: ts.CallExpression[]): void {
    const e = skipParens(e0);
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) {
      this.truthy(e.operand, out);
      return;
    }
    if (ts.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op === ts.SyntaxKind.BarBarToken) {
        this.falsy(e.left, out);
        this.falsy(e.right, out);
      } else if (op === ts.SyntaxKind.AmpersandAmpersandToken) {
        both(
          out,
          (a) => this.falsy(e.left, a),
          (b) => this.falsy(e.right, b),
        );
      } else if (op === ts.SyntaxKind.ExclamationEqualsEqualsToken) {
        // `x !== true` is false: x is true. (`x === false` being false says nothing: x may be undefined.)
        const other = comparedWithTrue(e);
        if (other) this.truthy(other, out);
      }
    }
  }
}

function both(
  out: ts.CallExpression[],
  f: (a: ts.CallExpression[]) => void,
  g: (b: ts.CallExpression[]) => void,
): void {
  const a: ts.CallExpression[] = [];
  const b: ts.CallExpression[] = [];
  f(a);
  g(b);
  for (const c of a) if (b.includes(c)) out.push(c);
}

/** `x === true` / `true === x` (strict operators only): x; otherwise undefined. */
function comparedWithTrue(e: ts.BinaryExpression): ts.Expression | undefined {
  if (skipParens(e.right).kind === ts.SyntaxKind.TrueKeyword) return e.left;
  if (skipParens(e.left).kind === ts.SyntaxKind.TrueKeyword) return e.right;
  return undefined;
}

/**
 * Can statement `s` never complete normally (every way through it throws,
 * returns, breaks or continues)? A block does not when one of its statements
 * does not; an `if` when both branches exit; anything else (a call, a loop,
 * a labelled statement, a try) is assumed to complete.
 */
function exitsAbruptly(s: ts.Statement): boolean {
  if (ts.isThrowStatement(s) || ts.isReturnStatement(s) || ts.isBreakStatement(s) || ts.isContinueStatement(s))
    return true;
  if (ts.isBlock(s)) return s.statements.some(exitsAbruptly);
  if (ts.isIfStatement(s))
    return s.elseStatement !== undefined && exitsAbruptly(s.thenStatement) && exitsAbruptly(s.elseStatement);
  return false;
}
