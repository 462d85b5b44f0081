import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, type ParserOptions, type ParserPlugin } from '@babel/parser';
import type { DominatingGuard, GuardArg, Manifest } from '../manifest/types.js';
import { isDynamicArg } from '../manifest/types.js';
import { keys, parseVia } from '../manifest/keys.js';

/**
 * AST scan of the emitted code of a release build (never a regex over JS).
 *
 * - forbidden identifiers (Identifier names, member/property names written as
 *   strings) and forbidden string markers (string and template literals,
 *   constant-folded `'a' + 'b'` chains; plain text search in non-JS files);
 * - gated sites: along the site's path (entry point -> helpers -> sink, by
 *   name), one function of the path must still call each of the site's
 *   guards (directly, or through a function that calls it) before it calls
 *   the next one (same or an enclosing function), with the same literal
 *   arguments on direct calls, awaited when the manifest says so;
 * - LE handlers: no literal discriminant value outside the manifest's variants.
 *
 * The last two rely on names surviving the build. Minified code mangles them;
 * a function that cannot be found is a warning (`site-not-found`,
 * `le-handler-not-found`), never a silent pass.
 */

export type Severity = 'error' | 'warning' | 'note';

export interface Finding {
  /** Stable id (see docs/verify-build.md). */
  rule: string;
  severity: Severity;
  message: string;
  /** Path relative to the project root (`dist/app.js`), when the finding is in a file. */
  file?: string;
  line?: number;
  column?: number;
}

export interface ScanOptions {
  /** Absolute output directory. */
  outDir: string;
  /** How the output directory is named in findings (the profile's outDir, POSIX). */
  label: string;
  /** Files to scan, relative to outDir (POSIX). */
  files: string[];
  forbiddenIdentifiers: string[];
  forbiddenStrings: string[];
  manifest: Manifest;
}

export const JS_EXTENSIONS = ['.js', '.mjs', '.cjs'];

// A loose view of Babel nodes: the walker is generic and every access is checked.
interface BNode {
  type: string;
  start?: number | null;
  loc?: { start: { line: number; column: number } } | null;
  [key: string]: unknown;
}

const SKIP_KEYS = new Set([
  'loc',
  'start',
  'end',
  'extra',
  'range',
  'leadingComments',
  'trailingComments',
  'innerComments',
  'comments',
  'tokens',
  'errors',
]);

function isNode(v: unknown): v is BNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

/** Depth-first walk with the ancestor chain (nearest last). */
function walk(root: BNode, visit: (node: BNode, ancestors: BNode[]) => void): void {
  const ancestors: BNode[] = [];
  const rec = (n: BNode) => {
    visit(n, ancestors);
    ancestors.push(n);
    for (const key of Object.keys(n)) {
      if (SKIP_KEYS.has(key)) continue;
      const v = n[key];
      if (Array.isArray(v)) {
        for (const c of v) if (isNode(c)) rec(c);
      } else if (isNode(v)) rec(v);
    }
    ancestors.pop();
  };
  rec(root);
}

const FUNCTION_TYPES = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
  'ObjectMethod',
  'ClassMethod',
  'ClassPrivateMethod',
]);

function isFunction(n: BNode | undefined): boolean {
  return !!n && FUNCTION_TYPES.has(n.type);
}

function child(n: BNode, key: string): BNode | undefined {
  const v = n[key];
  return isNode(v) ? v : undefined;
}

function str(n: BNode, key: string): string | undefined {
  const v = n[key];
  return typeof v === 'string' ? v : undefined;
}

/** The name a manifest id refers to in emitted code: `name@src/a.ts` -> `name`, `Class.method` -> `method`. */
export function emittedName(id: string): string {
  const bare = id.replace(/@.*$/, '');
  return bare.slice(bare.lastIndexOf('.') + 1);
}

/** Name of a non-computed key (identifier or string literal), e.g. of a property or method. */
function keyName(n: BNode): string | undefined {
  const key = child(n, 'key');
  if (!key) return undefined;
  if (n.computed === true) return key.type === 'StringLiteral' ? str(key, 'value') : undefined;
  if (key.type === 'Identifier') return str(key, 'name');
  if (key.type === 'StringLiteral') return str(key, 'value');
  if (key.type === 'PrivateName') return str(child(key, 'id') ?? { type: '' }, 'name');
  return undefined;
}

/** Name of a member expression's property (`a.b`, `a['b']`). */
function memberName(n: BNode): string | undefined {
  if (n.type !== 'MemberExpression' && n.type !== 'OptionalMemberExpression') return undefined;
  const p = child(n, 'property');
  if (!p) return undefined;
  if (n.computed === true) return p.type === 'StringLiteral' ? str(p, 'value') : undefined;
  if (p.type === 'Identifier') return str(p, 'name');
  if (p.type === 'PrivateName') return str(child(p, 'id') ?? { type: '' }, 'name');
  return undefined;
}

interface NamedFunction {
  name: string;
  /** The function node (its body is what we inspect). */
  fn: BNode;
  file: string;
}

/** Every function that carries a name in the emitted code, by the conventions of common emitters. */
function namedFunctions(ast: BNode, file: string): NamedFunction[] {
  const out: NamedFunction[] = [];
  const fnValue = (v: BNode | undefined) =>
    v && (v.type === 'FunctionExpression' || v.type === 'ArrowFunctionExpression') ? v : undefined;
  walk(ast, (n) => {
    let name: string | undefined;
    let fn: BNode | undefined;
    switch (n.type) {
      case 'FunctionDeclaration':
      case 'FunctionExpression': {
        const id = child(n, 'id');
        if (id) [name, fn] = [str(id, 'name'), n];
        break;
      }
      case 'VariableDeclarator': {
        const id = child(n, 'id');
        fn = fnValue(child(n, 'init'));
        // A named function expression is recorded under its own name as well.
        if (id?.type === 'Identifier') name = str(id, 'name');
        break;
      }
      case 'ObjectMethod':
      case 'ClassMethod':
      case 'ClassPrivateMethod':
        [name, fn] = [keyName(n), n];
        break;
      case 'ObjectProperty':
      case 'ClassProperty':
      case 'ClassPrivateProperty':
        [name, fn] = [keyName(n), fnValue(child(n, 'value'))];
        break;
      case 'AssignmentExpression': {
        // `Class.prototype.m = function () {}`, `exports.f = function () {}`, `f = () => {}`
        const left = child(n, 'left');
        fn = fnValue(child(n, 'right'));
        if (left) name = left.type === 'Identifier' ? str(left, 'name') : memberName(left);
        break;
      }
    }
    if (name && fn && !out.some((o) => o.fn === fn && o.name === name)) out.push({ name, fn, file });
  });
  return out;
}

interface CallSite {
  name: string;
  node: BNode;
  /** Argument nodes in call order (after unwrapping `.call(thisArg, ...)`); null for `.apply`/spread. */
  args: BNode[] | null;
  awaited: boolean;
  /** Nearest enclosing function node. */
  scope: BNode | undefined;
  /** Enclosing function nodes, outermost first. */
  scopes: BNode[];
}

/** Callee name by the shapes emitters produce: `f()`, `o.f()`, `(0, m.f)()`, `f.call(t, ...)`, `o?.f()`. */
function calleeInfo(call: BNode): { name: string; args: BNode[] | null } | undefined {
  let callee = child(call, 'callee');
  let args: BNode[] | null = ((call.arguments as unknown[]) ?? []).filter(isNode);
  if (args.some((a) => a.type === 'SpreadElement')) args = null;
  const unwrap = (c: BNode | undefined): BNode | undefined => {
    while (c && c.type === 'SequenceExpression') {
      const exprs = (c.expressions as unknown[]).filter(isNode);
      c = exprs[exprs.length - 1];
    }
    return c;
  };
  callee = unwrap(callee);
  if (!callee) return undefined;
  const nameOf = (c: BNode): string | undefined => (c.type === 'Identifier' ? str(c, 'name') : memberName(c));
  const prop = memberName(callee);
  if (
    (prop === 'call' || prop === 'apply') &&
    (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression')
  ) {
    const target = unwrap(child(callee, 'object'));
    const inner = target && nameOf(target);
    if (inner) return { name: inner, args: prop === 'call' && args ? args.slice(1) : null };
  }
  const name = nameOf(callee);
  return name ? { name, args } : undefined;
}

function callsIn(fn: BNode): CallSite[] {
  const out: CallSite[] = [];
  walk(fn, (n, ancestors) => {
    if (n.type !== 'CallExpression' && n.type !== 'OptionalCallExpression') return;
    const info = calleeInfo(n);
    if (!info) return;
    const parent = ancestors[ancestors.length - 1];
    // `await g()`, or `yield g()` in code down-levelled to generators (__awaiter).
    const awaited =
      !!parent &&
      (parent.type === 'AwaitExpression' || parent.type === 'YieldExpression') &&
      child(parent, 'argument') === n;
    const scopes = ancestors.filter(isFunction);
    out.push({ ...info, node: n, awaited, scope: scopes[scopes.length - 1], scopes });
  });
  return out;
}

/** A literal's value in the manifest's GuardArg form; undefined when not a literal. */
function literalValue(n: BNode | undefined): GuardArg | undefined {
  if (!n) return undefined;
  switch (n.type) {
    case 'StringLiteral':
      return str(n, 'value');
    case 'NumericLiteral':
      return typeof n.value === 'number' ? n.value : undefined;
    case 'BooleanLiteral':
      return typeof n.value === 'boolean' ? n.value : undefined;
    case 'NullLiteral':
      return null;
    case 'TemplateLiteral': {
      const quasis = (n.quasis as unknown[]).filter(isNode);
      if ((n.expressions as unknown[]).length === 0 && quasis.length === 1) {
        const v = quasis[0]!.value as { cooked?: string | null };
        return typeof v.cooked === 'string' ? v.cooked : undefined;
      }
      return undefined;
    }
    case 'UnaryExpression': {
      const arg = child(n, 'argument');
      if (n.operator === '-' && arg?.type === 'NumericLiteral' && typeof arg.value === 'number') return -arg.value;
      // minifiers write true/false as !0 / !1
      if (n.operator === '!' && arg?.type === 'NumericLiteral') return !arg.value;
      return undefined;
    }
    default:
      return undefined;
  }
}

function pos(n: BNode): { line?: number; column?: number } {
  const s = n.loc?.start;
  return s ? { line: s.line, column: s.column + 1 } : {};
}

const PARSE_BASE: ParserOptions = {
  sourceType: 'unambiguous',
  allowReturnOutsideFunction: true,
  allowAwaitOutsideFunction: true,
  allowSuperOutsideMethod: true,
  allowUndeclaredExports: true,
  errorRecovery: false,
};
const PLUGIN_SETS: ParserPlugin[][] = [[], ['jsx', 'decorators-legacy']];

function parseJs(text: string): { ast: BNode } | { error: string; line?: number; column?: number } {
  let first: { error: string; line?: number; column?: number } | undefined;
  for (const plugins of PLUGIN_SETS) {
    try {
      return { ast: parse(text, { ...PARSE_BASE, plugins }) as unknown as BNode };
    } catch (e) {
      const err = e as Error & { loc?: { line: number; column: number } };
      first ??= {
        error: err.message.replace(/\s*\(\d+:\d+\)$/, ''),
        line: err.loc?.line,
        column: err.loc ? err.loc.column + 1 : undefined,
      };
    }
  }
  return first!;
}

interface ParsedFile {
  rel: string;
  ast: BNode;
}

/** Scan the emitted files; findings sorted by file, position, rule. */
export function scanOutputs(o: ScanOptions): Finding[] {
  const findings: Finding[] = [];
  const at = (rel: string) => (o.label ? `${o.label.replace(/\/+$/, '')}/${rel}` : rel);
  const parsed: ParsedFile[] = [];
  for (const rel of o.files) {
    const abs = path.join(o.outDir, ...rel.split('/'));
    const st = fs.lstatSync(abs);
    if (!st.isFile()) continue;
    if (JS_EXTENSIONS.includes(path.extname(rel))) {
      const text = fs.readFileSync(abs, 'utf8');
      const r = parseJs(text);
      if ('error' in r) {
        findings.push({
          rule: 'parse-error',
          severity: 'error',
          message: `cannot parse emitted JavaScript (${r.error}); it cannot be scanned, so it cannot be verified`,
          file: at(rel),
          line: r.line,
          column: r.column,
        });
        continue;
      }
      parsed.push({ rel, ast: r.ast });
      findings.push(...scanForbidden(r.ast, at(rel), o.forbiddenIdentifiers, o.forbiddenStrings));
    } else if (o.forbiddenStrings.length) {
      findings.push(...scanText(fs.readFileSync(abs), at(rel), o.forbiddenStrings));
    }
  }
  const functions = parsed.flatMap((p) => namedFunctions(p.ast, at(p.rel)));
  findings.push(...checkGatedSites(o.manifest, functions));
  findings.push(...checkLeHandlers(o.manifest, functions));
  return sortFindings(findings);
}

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.rule.localeCompare(b.rule) ||
      a.message.localeCompare(b.message),
  );
}

function scanForbidden(ast: BNode, file: string, identifiers: string[], markers: string[]): Finding[] {
  const out: Finding[] = [];
  if (!identifiers.length && !markers.length) return out;
  const ids = new Set(identifiers);
  const seenAt = new Set<string>();
  const ident = (name: string | undefined, n: BNode) => {
    // `{ x }` shorthand: Babel gives key and value the same position; report it once.
    const at = `${n.loc?.start.line}:${n.loc?.start.column}`;
    if (name !== undefined && ids.has(name) && !seenAt.has(at)) {
      seenAt.add(at);
      out.push({
        rule: 'forbidden-identifier',
        severity: 'error',
        message: `forbidden identifier "${name}" in the emitted code`,
        file,
        ...pos(n),
      });
    }
  };
  const text = (value: string | undefined, n: BNode, what: string) => {
    if (value === undefined) return;
    for (const m of markers) {
      if (value.includes(m))
        out.push({
          rule: 'forbidden-string',
          severity: 'error',
          message: `forbidden string "${m}" in ${what}`,
          file,
          ...pos(n),
        });
    }
  };
  walk(ast, (n, ancestors) => {
    switch (n.type) {
      case 'Identifier':
      case 'JSXIdentifier':
        ident(str(n, 'name'), n);
        break;
      case 'MemberExpression':
      case 'OptionalMemberExpression':
        // `o['__debugBypass']`: a property name written as a string.
        if (n.computed === true && child(n, 'property')?.type === 'StringLiteral')
          ident(memberName(n), child(n, 'property')!);
        break;
      case 'ObjectProperty':
      case 'ObjectMethod':
      case 'ClassProperty':
      case 'ClassMethod':
        if (child(n, 'key')?.type === 'StringLiteral') ident(keyName(n), child(n, 'key')!);
        break;
      case 'StringLiteral':
      case 'DirectiveLiteral':
      case 'JSXText':
        text(str(n, 'value'), n, 'a string literal');
        break;
      case 'TemplateElement': {
        const v = n.value as { cooked?: string | null; raw?: string };
        text(v.cooked ?? v.raw, n, 'a template literal');
        break;
      }
      case 'RegExpLiteral':
        text(str(n, 'pattern'), n, 'a regular expression');
        break;
      case 'BinaryExpression': {
        // `'TEST_PRIV' + 'ATE_KEY'`: fold the outermost chain of string concatenations.
        const parent = ancestors[ancestors.length - 1];
        if (n.operator !== '+' || (parent?.type === 'BinaryExpression' && parent.operator === '+')) break;
        const folded = foldConcat(n);
        if (folded === undefined) break;
        for (const m of markers) {
          if (folded.includes(m) && !partsContain(n, m)) {
            out.push({
              rule: 'forbidden-string',
              severity: 'error',
              message: `forbidden string "${m}" in a concatenation of string literals`,
              file,
              ...pos(n),
            });
          }
        }
        break;
      }
    }
  });
  return out;
}

function foldConcat(n: BNode): string | undefined {
  if (n.type === 'BinaryExpression' && n.operator === '+') {
    const l = foldConcat(child(n, 'left')!);
    const r = foldConcat(child(n, 'right')!);
    return l === undefined || r === undefined ? undefined : l + r;
  }
  const v = literalValue(n);
  return v === undefined ? undefined : String(v);
}

/** Whether a single literal of the chain already holds the marker (then it is reported there). */
function partsContain(n: BNode, marker: string): boolean {
  if (n.type === 'BinaryExpression')
    return partsContain(child(n, 'left')!, marker) || partsContain(child(n, 'right')!, marker);
  const v = literalValue(n);
  return typeof v === 'string' && v.includes(marker);
}

/** Non-JS outputs (source maps, JSON, HTML, CSS...): plain text search for the markers. Binary files are skipped. */
function scanText(buf: Buffer, file: string, markers: string[]): Finding[] {
  if (buf.includes(0)) return [];
  const text = buf.toString('utf8');
  const out: Finding[] = [];
  for (const m of markers) {
    let i = text.indexOf(m);
    while (i !== -1) {
      const before = text.slice(0, i);
      const line = before.split('\n').length;
      const column = i - before.lastIndexOf('\n');
      out.push({
        rule: 'forbidden-string',
        severity: 'error',
        message: `forbidden string "${m}" in a non-JavaScript output file`,
        file,
        line,
        column,
      });
      i = text.indexOf(m, i + m.length);
    }
  }
  return out;
}

function describeArgs(args: Record<string, GuardArg>): string {
  const keys = Object.keys(args);
  return keys.length ? `(${keys.map((k) => `${k}: ${JSON.stringify(args[k])}`).join(', ')})` : '';
}

/**
 * The function names of a site's path, entry point first (the manifest's
 * `keygate:via:` location without files and sink); the entry point alone
 * when the manifest has no path.
 */
export function viaChain(manifest: Manifest, key: string, entry: string): string[] {
  const via = manifest.locations[keys.via(key)];
  if (!via) return [entry];
  const names = parseVia(via).hops.map((h) => h.name);
  return names.length > 0 && names.every((n) => n !== undefined) ? names : [entry];
}

interface Level {
  fname: string;
  next: string;
  cands: Array<{ cand: NamedFunction; calls: CallSite[]; steps: CallSite[] }>;
}

/**
 * Each gated site is checked along its path (entry point -> helpers -> sink,
 * by name): every guard must be called, in one function of the path, before
 * every call of the next function of the path (or of the sink) there, either
 * directly or through a function whose emitted body calls it (a guard
 * wrapper, followed 4 calls deep; arguments are compared on direct calls
 * only).
 */
function checkGatedSites(manifest: Manifest, functions: NamedFunction[]): Finding[] {
  const out: Finding[] = [];
  const kg = manifest.invariants.keygate;
  const byName = new Map<string, NamedFunction[]>();
  for (const f of functions) byName.set(f.name, [...(byName.get(f.name) ?? []), f]);
  const callsMemo = new Map<BNode, CallSite[]>();
  const calls = (fn: BNode) => {
    let c = callsMemo.get(fn);
    if (!c) callsMemo.set(fn, (c = callsIn(fn)));
    return c;
  };
  const wraps = (name: string, gname: string, depth: number, seen: Set<string>): boolean => {
    if (depth === 0 || seen.has(name)) return false;
    seen.add(name);
    return (byName.get(name) ?? []).some((f) =>
      calls(f.fn).some((c) => c.name === gname || wraps(c.name, gname, depth - 1, seen)),
    );
  };
  site: for (const key of Object.keys(kg.sites).sort()) {
    const site = kg.sites[key]!;
    const sname = emittedName(site.sink);
    const chain = viaChain(manifest, key, site.function).map(emittedName);
    const levels: Level[] = [];
    for (let i = 0; i < chain.length; i++) {
      const fname = chain[i]!;
      const next = i + 1 < chain.length ? chain[i + 1]! : sname;
      const candidates = byName.get(fname) ?? [];
      const path = chain.length > 1 ? ` (path ${[...chain, sname].join(' -> ')})` : '';
      if (!candidates.length) {
        out.push({
          rule: 'site-not-found',
          severity: 'warning',
          message: `gated site "${key}": no function named "${fname}" in the emitted code (minified or renamed?)${path}; its ${site.guards.length} guard(s) were NOT verified in the artifact`,
        });
        continue site;
      }
      const cands = candidates
        .map((cand) => ({ cand, calls: calls(cand.fn), steps: calls(cand.fn).filter((c) => c.name === next) }))
        .filter((x) => x.steps.length > 0);
      if (!cands.length) {
        out.push({
          rule: 'site-not-found',
          severity: 'warning',
          message: `gated site "${key}": "${fname}" exists in the emitted code (${candidates.map((c) => c.file).join(', ')}) but calls no "${next}" by name (inlined or renamed?)${path}; its guards were NOT verified in the artifact`,
          file: candidates[0]!.file,
          ...pos(candidates[0]!.fn),
        });
        continue site;
      }
      levels.push({ fname, next, cands });
    }
    for (const g of site.guards) {
      const gname = emittedName(g.guard);
      const isWrapper = (name: string) => wraps(name, gname, 4, new Set());
      let first: Finding | undefined;
      let ok = false;
      for (const level of levels) {
        for (const x of level.cands) {
          const r = checkGuard(
            key,
            level.fname,
            level.next,
            g,
            x.calls,
            x.steps,
            x.cand,
            kg.guards[g.guard]?.params ?? [],
            kg.guards[g.guard]?.async !== false,
            isWrapper,
          );
          if (r === null) ok = true;
          else first ??= r;
        }
        if (ok) break;
      }
      if (!ok && first) out.push(first);
    }
  }
  return out;
}

/** null when the guard precedes every step call; else the first problem (missing, arguments, not awaited). */
function checkGuard(
  siteKey: string,
  fname: string,
  sname: string,
  g: DominatingGuard,
  calls: CallSite[],
  sinkCalls: CallSite[],
  cand: NamedFunction,
  params: string[],
  isAsync: boolean,
  isWrapper: (name: string) => boolean,
): Finding | null {
  const gname = emittedName(g.guard);
  // The first sink call that the guard does not precede.
  for (const sink of sinkCalls) {
    const sinkStart = sink.node.start ?? 0;
    const inScope = (c: CallSite) =>
      (c.node.start ?? 0) < sinkStart &&
      (c.scope === sink.scope || (c.scope !== undefined && sink.scopes.includes(c.scope)));
    const before = calls.filter((c) => c.name === gname && inScope(c));
    const viaWrapper = calls.filter((c) => c.name !== gname && c.name !== sname && inScope(c) && isWrapper(c.name));
    const where = { file: cand.file, ...pos(sink.node) };
    if (!before.length && !viaWrapper.length) {
      return {
        rule: 'guard-missing',
        severity: 'error',
        message: `gated site "${siteKey}": the emitted "${fname}" calls "${sname}" without calling guard "${g.guard}" first`,
        ...where,
      };
    }
    const argOk = [...before.filter((c) => argsMatch(g.args, params, c.args)), ...viaWrapper];
    if (!argOk.length) {
      return {
        rule: 'guard-args-changed',
        severity: 'error',
        message: `gated site "${siteKey}": guard "${g.guard}" is called with literal arguments other than the manifest's ${describeArgs(g.args)}`,
        ...where,
      };
    }
    // The manifest records awaited: true for sync guards too (nothing to await); only async guards must be awaited.
    if (g.awaited && isAsync && !argOk.some((c) => c.awaited)) {
      return {
        rule: 'guard-not-awaited',
        severity: 'error',
        message: `gated site "${siteKey}": guard "${g.guard}" is awaited in the source but not in the emitted code (a rejected promise would not stop the sink)`,
        ...where,
      };
    }
  }
  return null;
}

/**
 * False only when an argument the manifest records as a literal is a
 * different literal in the emitted call. A non-literal emitted argument (an
 * enum member `Level.TEE_PROD`, a constant) cannot be compared and is accepted.
 */
function argsMatch(expected: Record<string, GuardArg>, params: string[], args: BNode[] | null): boolean {
  if (!args) return true;
  for (const [name, value] of Object.entries(expected)) {
    if (isDynamicArg(value)) continue;
    const idx = name.startsWith('#') ? Number(name.slice(1)) : params.indexOf(name);
    if (!Number.isInteger(idx) || idx < 0) continue;
    const actual = args[idx];
    if (!actual) return false;
    const lit = literalValue(actual);
    if (lit !== undefined && lit !== value) return false;
  }
  return true;
}

function checkLeHandlers(manifest: Manifest, functions: NamedFunction[]): Finding[] {
  const out: Finding[] = [];
  const handlers = manifest.invariants.le.handlers;
  for (const id of Object.keys(handlers).sort()) {
    const h = handlers[id]!;
    const disc = h.discriminant;
    if (!disc) continue;
    const fname = emittedName(id);
    const candidates = functions.filter((f) => f.name === fname);
    if (!candidates.length) {
      out.push({
        rule: 'le-handler-not-found',
        severity: 'warning',
        message: `LE handler "${id}": no function named "${fname}" in the emitted code (minified or renamed?); its response variants were NOT verified in the artifact`,
      });
      continue;
    }
    const allowed = new Set(Object.keys(h.variants));
    let seen = 0;
    for (const cand of candidates) {
      walk(cand.fn, (n) => {
        if (n.type !== 'ObjectProperty' || keyName(n) !== disc) return;
        const valueNode = child(n, 'value');
        const v = literalValue(valueNode);
        if (v === undefined) return;
        seen++;
        if (!allowed.has(String(v))) {
          out.push({
            rule: 'le-unknown-variant',
            severity: 'error',
            message: `LE handler "${id}": emitted response with ${disc}: ${JSON.stringify(v)}, which is not a variant of the manifest (${
              [...allowed]
                .sort()
                .map((k) => JSON.stringify(k))
                .join(', ') || 'none'
            })`,
            file: cand.file,
            ...pos(valueNode!),
          });
        }
      });
    }
    if (!seen) {
      out.push({
        rule: 'le-handler-not-found',
        severity: 'warning',
        message: `LE handler "${id}": the emitted "${fname}" builds no object literal with a literal "${disc}" (built elsewhere or renamed?); its response variants were NOT verified in the artifact`,
        file: candidates[0]!.file,
        ...pos(candidates[0]!.fn),
      });
    }
  }
  return out;
}
