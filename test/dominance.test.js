// Structural dominance: which `G(n)` calls certainly run before the `S()` call.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ts } from 'ts-morph';
import {
  completedTruths,
  dominatingCalls,
  dominatingTruths,
  hasEscapingJump,
  mayCompleteAbruptly,
} from '../dist/extract/analysis/dominance.js';

/** Parse `async function* f() { body }`, return the labels `n` of the `G(n)` calls dominating `S(...)`. */
function dominators(body, opts = {}) {
  const sf = ts.createSourceFile('t.ts', `async function* f() {\n${body}\n}`, ts.ScriptTarget.ES2022, true);
  let target;
  const visit = (n) => {
    if (ts.isCallExpression(n) && calleeName(n) === 'S') target ??= n;
    ts.forEachChild(n, visit);
  };
  visit(sf);
  assert.ok(target, `no S() call in: ${body}`);
  return dominatingCalls(target, opts)
    .filter((c) => calleeName(c) === 'G')
    .map((c) => Number(c.arguments[0].getText(sf)))
    .sort((a, b) => a - b);
}

function calleeName(call) {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

/** @type {Array<[name: string, body: string, expected: number[]]>} */
const cases = [
  // dominates
  ['earlier statement', 'G(1); S();', [1]],
  [
    'awaited, declared, if-condition',
    'await G(1); const x = await G(2); if (!(await G(3))) throw new Error(); S();',
    [1, 2, 3],
  ],
  ['early return before the guard', 'if (c) return; G(1); S();', [1]],
  ['inside the same branch', 'if (c) { G(1); S(); }', [1]],
  ['if condition of the branch holding S', 'if (G(1)) { S(); }', [1]],
  ['left operand of &&', 'G(1) && S();', [1]],
  ['left operand of ||', 'G(1) || S();', [1]],
  ['conditional test', 'G(1) ? S() : 0;', [1]],
  ["S's own arguments", 'S(G(1), x, G(2));', [1, 2]],
  ['comma before', 'G(1), S();', [1]],
  ['earlier declarator', 'const a = G(1), b = S();', [1]],
  ['earlier array element / template span', '[G(1), `${G(2)}${S()}`];', [1, 2]],
  ['same try block', 'try { G(1); S(); } catch {}', [1]],
  ['try whose catch rethrows', 'try { G(1); } catch (e) { throw e; } S();', [1]],
  ['try whose catch returns', 'try { G(1); } catch { return; } S();', [1]],
  ['try without catch', 'try { G(1); } finally { x(); } S();', [1]],
  ['finally block', 'try { x(); } catch {} finally { G(1); } S();', [1]],
  ['nested block', 'G(1); { G(2); } S();', [1, 2]],
  ['break inside a nested loop stays inside', '{ for (;;) { if (c) break; } G(1); } S();', [1]],
  ['loop header (for-of expression)', 'for (const x of G(1)) { S(); }', [1]],
  ['while condition dominates its body', 'while (G(1)) { S(); }', [1]],
  ['switch discriminant and same case', 'switch (G(1)) { case 1: G(2); S(); }', [1, 2]],
  ['chain start before ?.', 'G(1)?.x; S();', [1]],
  ['new arguments', 'new X(G(1)); S();', [1]],
  ['yield operand', 'yield G(1); S();', [1]],
  ['finally whose jumps stay inside it', 'try { G(1); } finally { for (;;) { if (c) break; } } S();', [1]],
  ['finally holding a callback that returns', 'try { G(1); } finally { cleanup(() => { return 1; }); } S();', [1]],
  ['guard in a finally before its break', 'L: try { x(); } finally { G(1); break L; } S();', [1]],
  ['do body: runs at least once', 'do { G(1); } while (c); S();', [1]],
  ['do body up to its first jump', 'do { G(1); if (c) continue; G(2); } while (d); S();', [1]],
  ['do condition', 'do { x(); } while (G(1)); S();', [1]],
  ['do condition holding S', 'do { G(1); } while (S());', [1]],
  ['inside a do body', 'do { G(1); S(); } while (c);', [1]],
  ['inner try/finally that completes normally', 'try { G(1); } finally { try { x(); } finally { y(); } } S();', [1]],
  ['endless while: guard before its only break', 'while (true) { G(1); break; } S();', [1]],
  [
    'retry loop: the break follows the guard in a try',
    'for (;;) { try { await G(1); break; } catch { x(); } } S();',
    [1],
  ],
  ['endless loop: the guard before every break', 'while (true) { G(1); if (c) break; G(2); if (d) break; } S();', [1]],
  ['do … while (true)', 'do { G(1); if (c) break; } while (true); S();', [1]],
  ['labelled endless loop left by its label', 'L: while (true) { for (;;) { G(1); break L; } } S();', [1]],
  ['endless for: its initializer', 'for (G(1); ; ) { break; } S();', [1]],
  // does not dominate
  ['if branch', 'if (c) { G(1); } S();', []],
  ['else branch', 'if (c) {} else { G(1); } S();', []],
  ['after S', 'S(); G(1);', []],
  ['after S in the same expression', 'S(), G(1);', []],
  ['S in a callee chain, guard in the outer args', 'S().use(G(1));', []],
  ['swallowing catch', 'try { G(1); } catch { x(); } S();', []],
  ['catch that can break out', 'L: { try { G(1); } catch (e) { if (c) break L; throw e; } } S();', []],
  ['guard in catch', 'try { x(); } catch { G(1); } S();', []],
  ['S in catch', 'try { G(1); } catch { S(); }', []],
  ['S in finally', 'try { G(1); } finally { S(); }', []],
  ['finally breaks out of its label', 'attest: try { await G(1); } finally { break attest; } S();', []],
  ['finally breaks out of a labelled block', 'L: { try { G(1); } finally { break L; } } S();', []],
  ['finally breaks conditionally', 'L: { try { G(1); } finally { if (c) break L; } } S();', []],
  ['finally continues a loop', 'for (;;) { M: { try { G(1); } finally { continue; } } S(); }', []],
  ['finally breaks a switch', 'switch (k) { case 1: try { G(1); } finally { break; } }; S();', []],
  ['finally returns', 'try { G(1); } finally { return; } S();', []],
  ['finally throws another value', 'try { G(1); } finally { if (c) throw new Error(); } S();', []],
  ['rethrowing catch, breaking finally', 'L: try { G(1); } catch (e) { throw e; } finally { break L; } S();', []],
  [
    'nested: inner finally breaks the outer label',
    'L: { try { try { G(1); } finally { x(); } } finally { break L; } } S();',
    [],
  ],
  ['&& right operand', 'c && G(1); S();', []],
  ['|| right operand', 'c || G(1); S();', []],
  ['?? right operand', 'c ?? G(1); S();', []],
  ['logical assignment', 'x ??= G(1); S();', []],
  ['conditional branch', 'c ? G(1) : 0; S();', []],
  ['S in the other conditional branch', 'c ? S() : G(1);', []],
  ['short-circuit inside S args', 'S(c && G(1));', []],
  ['for-of body', 'for (const x of xs) { G(1); } S();', []],
  ['for body', 'for (let i = 0; i < n; i++) { G(1); } S();', []],
  ['while body', 'while (c) { G(1); } S();', []],
  ['do body cut short by continue', 'do { if (c) continue; G(1); } while (d); S();', []],
  ['do body cut short by break', 'do { if (c) break; G(1); } while (d); S();', []],
  ['do body cut short by a labelled continue', 'L: for (;;) { do { if (c) continue L; G(1); } while (d); S(); }', []],
  ['do condition after a body that can break', 'do { if (c) break; } while (G(1)); S();', []],
  ['do condition holding S, guard after a continue', 'do { if (c) continue; G(1); } while (S());', []],
  ['do condition: right operand of &&', 'do { x(); } while (c && G(1)); S();', []],
  ['endless loop: a break before the guard', 'while (true) { if (c) break; G(1); break; } S();', []],
  ['endless loop left through an outer label', 'L: { while (true) { if (c) break L; G(1); break; } } S();', []],
  [
    'endless loop continuing an outer loop',
    'O: for (;;) { while (true) { if (c) continue O; G(1); break; } S(); }',
    [],
  ],
  ['retry loop whose catch breaks', 'while (true) { try { G(1); } catch { break; } } S();', []],
  [
    'endless loop never left (a switch break stays inside)',
    'while (true) { switch (k) { case 1: break; } G(1); } S();',
    [],
  ],
  ['endless loop: guard in a callback', 'while (true) { xs.forEach(() => G(1)); break; } S();', []],
  ['while (c) is not endless', 'while (c) { G(1); break; } S();', []],
  ['for-in body', 'for (const k in o) { G(1); } S();', []],
  ['callback', 'xs.forEach(() => G(1)); S();', []],
  ['nested function', 'const g = () => { G(1); }; function h() { G(2); } S();', []],
  ['optional call', 'o?.G(1); S();', []],
  ['optional call of the guard itself', 'G?.(1); S();', []],
  ['argument of an optional chain', 'a?.b(G(1)); S();', []],
  ['other switch case (fallthrough)', 'switch (k) { case 1: G(1); case 2: S(); }', []],
  ['labeled block left early', 'L: { if (c) break L; G(1); } S();', []],
  ['destructuring default', 'const { a = G(1) } = o; ({ b = G(2) } = o); S();', []],
  ['class body', 'class K { static { G(1); } x = G(2); } S();', []],
];

for (const [name, body, expected] of cases) {
  test(`dominance: ${name}`, () => {
    assert.equal(dominators(body), expected, body);
  });
}

test('callbacks: creation point dominators count only when lifting', () => {
  const body = 'G(1); xs.map(() => { G(2); return S(); }); G(3);';
  assert.equal(dominators(body), [2]);
  assert.equal(dominators(body, { liftThrough: () => true }), [1, 2]);
});

test('callbacks: guards after the creation point do not count', () => {
  assert.equal(dominators('const cb = () => S(); G(1); cb();', { liftThrough: () => true }), []);
  assert.equal(dominators('run(() => S(), G(1));', { liftThrough: () => true }), []);
  assert.equal(dominators('run(G(1), () => S());', { liftThrough: () => true }), [1]);
});

test('mayCompleteAbruptly: return, throw and escaping jumps; nested functions and inner loops do not count', () => {
  const block = (src) =>
    /** @type {ts.Block} */ (ts.createSourceFile('t.ts', `{ ${src} }`, ts.ScriptTarget.ES2022, true).statements[0]);
  assert.is(mayCompleteAbruptly(block('x();')), false);
  assert.is(mayCompleteAbruptly(block('for (;;) { break; } while (c) { continue; }')), false);
  assert.is(mayCompleteAbruptly(block('const f = () => { return 1; }; function g() { throw e; }')), false);
  assert.is(mayCompleteAbruptly(block('if (c) return;')), true);
  assert.is(mayCompleteAbruptly(block('throw e;')), true);
  assert.is(mayCompleteAbruptly(block('break L;')), true);
  assert.is(mayCompleteAbruptly(block('for (;;) { continue M; }')), true);
});

test('hasEscapingJump: only jumps that leave the statement', () => {
  const stmt = (src) => ts.createSourceFile('t.ts', src, ts.ScriptTarget.ES2022, true).statements[0];
  assert.is(hasEscapingJump(stmt('for (;;) { break; }')), false);
  assert.is(hasEscapingJump(stmt('{ if (c) break; }')), true);
  assert.is(hasEscapingJump(stmt('L: { break L; }')), false);
  assert.is(hasEscapingJump(stmt('{ for (;;) { continue M; } }')), true);
  assert.is(hasEscapingJump(stmt('{ const f = () => { for (;;) break; }; }')), false);
  assert.is(hasEscapingJump(stmt('switch (k) { case 1: break; }')), false);
  assert.is(hasEscapingJump(stmt('switch (k) { case 1: continue; }')), true);
});

// Truths (condition guards): the `C(n)` calls whose truthy result certainly precedes `S()`.
function truths(body, opts = {}) {
  const sf = ts.createSourceFile('t.ts', `async function* f() {\n${body}\n}`, ts.ScriptTarget.ES2022, true);
  let target;
  const consts = new Map();
  const visit = (n) => {
    if (ts.isCallExpression(n) && calleeName(n) === 'S') target ??= n;
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && n.parent.flags & ts.NodeFlags.Const)
      consts.set(n.name.text, n.initializer);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  assert.ok(target, `no S() call in: ${body}`);
  return dominatingTruths(target, { constValue: (id) => consts.get(id.text), ...opts })
    .filter((c) => calleeName(c) === 'C')
    .map((c) => Number(c.arguments[0].getText(sf)))
    .sort((a, b) => a - b);
}

/** @type {Array<[name: string, body: string, expected: number[]]>} */
const truthCases = [
  ['negated throw', 'if (!C(1)) throw e; S();', [1]],
  ['negated return in a block', 'if (!C(1)) { log(); return; } S();', [1]],
  ['consequent', 'if (C(1)) { S(); }', [1]],
  ['else exits', 'if (C(1)) { x(); } else { throw e; } S();', [1]],
  ['|| on the negation', 'if (!C(1) || x) throw e; S();', [1]],
  ['&& in the consequent', 'if (C(1) && C(2)) S();', [1, 2]],
  ['!(a && b)', 'if (!(C(1) && C(2))) throw e; S();', [1, 2]],
  ['right operand of &&', 'C(1) && S();', [1]],
  ['ternary', 'C(1) ? S() : 0;', [1]],
  ['awaited', 'if (!(await C(1))) throw e; S();', [1]],
  ['const', 'const ok = C(1); const v = ok; if (!v) throw e; S();', [1]],
  ['continue in a loop', 'for (const d of ds) { if (!C(1)) continue; S(); }', [1]],
  [
    'two branches check with two calls (not merged: fail closed)',
    'if (x) { if (!C(1)) throw e; } else { if (!C(1)) return; } S();',
    [],
  ],
  ['while body', 'while (C(1)) S();', [1]],
  ['=== true / !== true', 'if ((await C(1)) !== true) throw e; if (C(2) === true) S();', [1, 2]],
  ['try block, catch rethrows', 'try { if (!C(1)) throw e; } catch (x) { throw x; } S();', [1]],
  [
    'after a polling loop (it ends only when its condition is falsy)',
    'while (!(await C(1))) { await sleep(); } S();',
    [1],
  ],
  ['after a loop whose body throws', 'while (!C(1)) { throw e; } S();', [1]],
  ['after for (; !C(); ) and do … while (!C())', 'for (; !C(1); ) x(); do { y(); } while (!C(2)); S();', [1, 2]],
  // not
  ['negation missing', 'if (C(1)) throw e; S();', []],
  ['nested throw', 'if (!C(1)) { if (d) throw e; } S();', []],
  ['no exit', 'if (!C(1)) { log(); } S();', []],
  ['&& debug', 'if (!C(1) && d) throw e; S();', []],
  ['result ignored', 'C(1); S();', []],
  ['else branch', 'if (C(1)) { x(); } else { S(); }', []],
  ['|| in the consequent', 'if (C(1) || C(2)) S();', []],
  ['right operand of ||', 'C(1) || S();', []],
  ['swallowing catch', 'try { if (!C(1)) throw e; } catch {} S();', []],
  ['break out of a label', 'L: { if (!C(1)) break L; } S();', []],
  ['labelled if', 'L: if (!C(1)) break L; S();', []],
  [
    '=== false / == true / !== false',
    'if (C(1) === false) throw e; if (C(2) != true) throw e; if (C(3) !== false) S();',
    [],
  ],
  ['let binding', 'let ok = C(1); if (!ok) throw e; S();', []],
  ['a loop left by a break', 'while (!C(1)) { if (x) break; } S();', []],
  ['a loop that ends when its condition is true', 'while (C(1)) { x(); } S();', []],
  ['a for loop left by a labelled continue', 'O: for (;;) { for (; !C(1); ) { continue O; } S(); }', []],
  ['callback', 'ds.forEach(() => { if (!C(1)) throw e; }); S();', []],
];
for (const [name, body, expected] of truthCases) {
  test(`truths: ${name}`, () => {
    assert.equal(truths(body), expected, body);
  });
}

test('truths: callbacks lift only when asked; the end of a function body', () => {
  assert.equal(truths('if (!C(1)) throw e; run(() => S());'), []);
  assert.equal(truths('if (!C(1)) throw e; run(() => S());', { liftThrough: () => true }), [1]);
  const sf = ts.createSourceFile('t.ts', 'if (!C(1)) throw e; x(); if (C(2)) y();', ts.ScriptTarget.ES2022, true);
  assert.equal(
    completedTruths(sf.statements).map((c) => c.arguments[0].getText(sf)),
    ['1'],
  );
});

test.run();
