/**
 * The structural type normaliser every extractor shares.
 *
 * `printType` turns a checker type into TypeText (the grammar:
 * docs/type-text.md): project types are expanded structurally, so a renamed alias,
 * a reordered union or a type moved to another file prints the same, while
 * library types (Date, Map, Promise...) stay opaque names. `flattenFields`
 * turns an object type into dotted field paths.
 *
 * Both report what they saw (`any`, `unknown`, index signatures, recursion)
 * so that callers can fail closed instead of trusting a type they could not
 * bound.
 */
import { Node, ts, type Type } from 'ts-morph';
import type { ExtractContext } from './context.js';
import { libraryFiles } from './library.js';
import type { FieldInfo, TypeText } from '../manifest/types.js';
import { isLinkedWorkspaceFile } from './workspace-origin.js';

/** Depth limit for dotted field paths. */
export const FLATTEN_DEPTH = 8;
/** Nesting limit for printing one type (guards against ever-growing generic instantiations). */
const PRINT_DEPTH = 32;
const RECURSIVE = '<recursive>';

/** What the printer or the flattener saw that weakens a bound. */
export type TypeIssueKind = 'any' | 'unknown' | 'object' | 'index' | 'recursive' | 'depth';

export interface TypeFacts {
  any: boolean;
  unknown: boolean;
  /** `object`, `{}` or `Object`: accepts any non-nullish value. */
  object: boolean;
  /** An index signature (or a Map-like opaque type). */
  index: boolean;
  recursive: boolean;
  depth: boolean;
}

export function emptyFacts(): TypeFacts {
  return { any: false, unknown: false, object: false, index: false, recursive: false, depth: false };
}

export interface PrintOptions {
  /** Drop `undefined` from the printed union (an optional property's own `undefined`). */
  stripUndefined?: boolean;
  /** Receives what was seen while printing (positions inside function parameters are ignored). */
  facts?: TypeFacts;
}

export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compilerType(type: Type | ts.Type): ts.Type {
  return 'compilerType' in type ? type.compilerType : type;
}

function tcOf(ctx: ExtractContext): ts.TypeChecker {
  return ctx.checker.compilerObject;
}

// ---------------------------------------------------------------------------
// Declarations: project vs library

const programCache = new WeakMap<ExtractContext, ts.Program>();
function programOf(ctx: ExtractContext): ts.Program {
  let p = programCache.get(ctx);
  if (!p) {
    p = ctx.project.getProgram().compilerObject;
    programCache.set(ctx, p);
  }
  return p;
}

type Origin = 'project' | 'lib' | 'external';

function originOf(ctx: ExtractContext, decl: ts.Node): Origin {
  const sf = decl.getSourceFile();
  const program = programOf(ctx);
  if (program.isSourceFileDefaultLibrary(sf)) return 'lib';
  if (libraryFiles(program).has(sf) && !isLinkedWorkspaceFile(program, sf)) return 'external';
  return 'project';
}

/** True when a declaration lives in the project (not in a lib*.d.ts or a library file, see src/extract/library.ts). */
export function isProjectDeclared(ctx: ExtractContext, decl: ts.Node | Node): boolean {
  const n = decl instanceof Node ? decl.compilerNode : decl;
  return originOf(ctx, n) === 'project';
}

/**
 * The opaque name of a library type (`Date`, `Map`, a node_modules interface
 * or alias), or undefined for a type that must be expanded structurally.
 * Utility aliases from the default lib (Record, Partial, Pick...) are type
 * operators, not data types, so they are expanded.
 */
function opaqueRef(ctx: ExtractContext, t: ts.Type): { name: string; args: readonly ts.Type[] } | undefined {
  const sym = t.getSymbol();
  if (sym && sym.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class)) {
    const decls = sym.getDeclarations() ?? [];
    if (decls.length > 0 && decls.every((d) => originOf(ctx, d) !== 'project')) {
      let args: readonly ts.Type[] = [];
      if (getObjectFlags(t) & ts.ObjectFlags.Reference) {
        const ref = t as ts.TypeReference;
        const n = ref.target.typeParameters?.length ?? 0;
        args = tcOf(ctx).getTypeArguments(ref).slice(0, n);
      }
      return { name: qualifiedName(sym), args };
    }
  }
  const alias = t.aliasSymbol;
  if (alias) {
    const decls = alias.getDeclarations() ?? [];
    if (decls.length > 0 && decls.every((d) => originOf(ctx, d) === 'external')) {
      return { name: qualifiedName(alias), args: t.aliasTypeArguments ?? [] };
    }
  }
  return undefined;
}

function qualifiedName(sym: ts.Symbol): string {
  let name = sym.getName();
  let parent = (sym as { parent?: ts.Symbol }).parent;
  while (
    parent &&
    parent.flags & ts.SymbolFlags.Namespace &&
    !/^["']/.test(parent.getName()) &&
    parent.getName() !== 'global'
  ) {
    name = `${parent.getName()}.${name}`;
    parent = (parent as { parent?: ts.Symbol }).parent;
  }
  return name;
}

function getObjectFlags(t: ts.Type): ts.ObjectFlags {
  return t.flags & ts.TypeFlags.Object ? (t as ts.ObjectType).objectFlags : ts.ObjectFlags.None;
}

// ---------------------------------------------------------------------------
// Literals

export interface LiteralValue {
  /** The string form used as a variant key: `ok`, `42`, `true`, `10n`, `null`. */
  key: string;
  /** The TypeText of the literal: `"ok"`, `42`, `true`, `10n`, `null`. */
  text: TypeText;
}

/** The value of a unit literal type (string/number/bigint/boolean literal, enum member), else undefined. */
export function literalValue(type: Type | ts.Type): LiteralValue | undefined {
  const t = compilerType(type);
  if (t.flags & ts.TypeFlags.StringLiteral) {
    const v = (t as ts.StringLiteralType).value;
    return { key: v, text: JSON.stringify(v) };
  }
  if (t.flags & ts.TypeFlags.NumberLiteral) {
    const v = String((t as ts.NumberLiteralType).value);
    return { key: v, text: v };
  }
  if (t.flags & ts.TypeFlags.BigIntLiteral) {
    const v = (t as ts.BigIntLiteralType).value;
    const s = `${v.negative ? '-' : ''}${v.base10Value}n`;
    return { key: s, text: s };
  }
  if (t.flags & ts.TypeFlags.BooleanLiteral) {
    const s = (t as { intrinsicName?: string }).intrinsicName === 'true' ? 'true' : 'false';
    return { key: s, text: s };
  }
  return undefined;
}

/**
 * The values of a literal or a union of literals (`"a" | "b"`, an enum type,
 * `boolean`), sorted by key; undefined when any member is not a literal.
 * Enum members give their values, so `Kind.A = "a"` and `"a"` are the same.
 */
export function literalValues(type: Type | ts.Type): LiteralValue[] | undefined {
  const t = compilerType(type);
  const members = t.flags & ts.TypeFlags.Union ? (t as ts.UnionType).types : [t];
  const out = new Map<string, LiteralValue>();
  for (const m of members) {
    const v = literalValue(m);
    if (!v) return undefined;
    out.set(v.key, v);
  }
  if (out.size === 0) return undefined;
  return [...out.values()].sort((a, b) => byText(a.key, b.key));
}

// ---------------------------------------------------------------------------
// TypeText helpers

/** Split at a top-level separator, outside (), [], {}, <>, strings and templates. */
export function splitTopLevel(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (c === '(' || c === '[' || c === '{' || c === '<') depth++;
    else if (c === ')' || c === ']' || c === '}' || (c === '>' && text[i - 1] !== '=')) depth--;
    else if (depth === 0 && text.startsWith(sep, i)) {
      out.push(text.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

function isTopLevelFunction(text: string): boolean {
  return splitTopLevel(text, ' => ').length > 1;
}

/** Parenthesize a member of an array, union or intersection when it would be ambiguous. */
function wrap(text: string, inside: 'array' | 'union' | 'intersection'): string {
  const isUnion = splitTopLevel(text, ' | ').length > 1;
  const isInter = splitTopLevel(text, ' & ').length > 1;
  const isFn = isTopLevelFunction(text);
  if (isFn || (inside !== 'union' && isUnion) || (inside === 'array' && isInter)) return `(${text})`;
  return text;
}

/** The union of TypeTexts: members split, de-duplicated, `true | false` collapsed, sorted. */
export function unionTexts(texts: string[]): TypeText {
  const members = new Set<string>();
  for (const t of texts) {
    for (const m of splitTopLevel(t, ' | ')) {
      const s = m.trim();
      // A parenthesized function member stays parenthesized; anything else is taken as is.
      if (s) members.add(s);
    }
  }
  if (members.has('any')) return 'any';
  if (members.has('unknown')) return 'unknown';
  if (members.has('true') && members.has('false')) {
    members.delete('true');
    members.delete('false');
    members.add('boolean');
  }
  if (members.size > 1) members.delete('never');
  const list = [...members].sort(byText);
  if (list.length === 0) return 'never';
  return list.map((m) => (list.length > 1 ? wrap(m, 'union') : m)).join(' | ');
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
function propName(sym: ts.Symbol): string {
  const name = sym.getName();
  if (name.startsWith('__@')) {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed by TypeScript 7 (the build), not by TypeScript 6 (the linter)
    const decl = sym.getDeclarations()?.[0] as ts.NamedDeclaration | undefined;
    if (decl?.name && ts.isComputedPropertyName(decl.name)) return `[${decl.name.expression.getText()}]`;
    return `[${name.slice(3).replace(/@\d+$/, '')}]`;
  }
  return IDENT.test(name) ? name : JSON.stringify(name);
}

// ---------------------------------------------------------------------------
// Printer

class Printer {
  private readonly stack: ts.Type[] = [];
  private inParam = 0;
  constructor(
    private readonly ctx: ExtractContext,
    private readonly tc: ts.TypeChecker,
    readonly facts: TypeFacts,
  ) {}

  private note(k: keyof TypeFacts): void {
    if (this.inParam === 0) this.facts[k] = true;
  }

  print(t: ts.Type, stripUndefined = false): TypeText {
    const f = t.flags;
    if (f & ts.TypeFlags.Any) {
      this.note('any');
      return 'any';
    }
    if (f & ts.TypeFlags.Unknown) {
      this.note('unknown');
      return 'unknown';
    }
    if (f & ts.TypeFlags.Boolean && !(f & ts.TypeFlags.BooleanLiteral)) return 'boolean';
    if (f & ts.TypeFlags.Union) return this.printUnion((t as ts.UnionType).types, stripUndefined);
    const lit = literalValue(t);
    if (lit) return lit.text;
    if (f & ts.TypeFlags.String) return 'string';
    if (f & ts.TypeFlags.Number) return 'number';
    if (f & ts.TypeFlags.BigInt) return 'bigint';
    if (f & ts.TypeFlags.ESSymbolLike) return 'symbol';
    if (f & ts.TypeFlags.Void) return 'void';
    if (f & ts.TypeFlags.Undefined) return 'undefined';
    if (f & ts.TypeFlags.Null) return 'null';
    if (f & ts.TypeFlags.Never) return 'never';
    if (f & ts.TypeFlags.NonPrimitive) {
      this.note('object');
      return 'object';
    }
    if (f & ts.TypeFlags.Enum) return 'number';
    if (f & ts.TypeFlags.TemplateLiteral) {
      const tl = t as ts.TemplateLiteralType;
      const esc = (s: string) => s.replace(/[`\\]/g, (c) => `\\${c}`).replace(/\$\{/g, '\\${');
      let s = '`' + esc(tl.texts[0] ?? '');
      tl.types.forEach((x, i) => {
        s += '${' + this.print(x) + '}' + esc(tl.texts[i + 1] ?? '');
      });
      return s + '`';
    }
    if (f & ts.TypeFlags.StringMapping) {
      const sm = t as ts.StringMappingType;
      return `${sm.symbol.getName()}<${this.print(sm.type)}>`;
    }
    if (f & ts.TypeFlags.TypeParameter) {
      const c = this.tc.getBaseConstraintOfType(t);
      if (c && c !== t && !(c.flags & ts.TypeFlags.Unknown)) return this.nested(t, () => this.print(c, stripUndefined));
      this.note('unknown');
      return 'unknown';
    }
    if (f & ts.TypeFlags.Intersection) return this.printIntersection(t as ts.IntersectionType);
    if (f & ts.TypeFlags.Object) return this.printObject(t as ts.ObjectType);
    if (f & ts.TypeFlags.Substitution) return this.print((t as ts.SubstitutionType).baseType, stripUndefined);
    // Deferred keyof / indexed access / conditional types: their constraint bounds them.
    const c = this.tc.getBaseConstraintOfType(t);
    if (c && c !== t && !(c.flags & ts.TypeFlags.Unknown)) return this.nested(t, () => this.print(c, stripUndefined));
    this.note('unknown');
    return 'unknown';
  }

  private printUnion(types: readonly ts.Type[], stripUndefined: boolean): TypeText {
    const texts: string[] = [];
    for (const m of types) {
      if (stripUndefined && m.flags & ts.TypeFlags.Undefined) continue;
      texts.push(this.print(m));
    }
    return unionTexts(texts);
  }

  private printIntersection(t: ts.IntersectionType): TypeText {
    const allObjects = t.types.every((m) => m.flags & ts.TypeFlags.Object && !opaqueRef(this.ctx, m));
    if (allObjects) return this.guarded(t, () => this.printStructural(t));
    const texts = [...new Set(t.types.map((m) => wrap(this.print(m), 'intersection')))].sort(byText);
    return texts.join(' & ');
  }

  private printObject(t: ts.ObjectType): TypeText {
    if (this.tc.isTupleType(t)) return this.printTuple(t as ts.TupleTypeReference);
    if (this.tc.isArrayType(t)) {
      const elem = this.tc.getTypeArguments(t as ts.TypeReference)[0];
      return `${wrap(elem ? this.print(elem) : 'unknown', 'array')}[]`;
    }
    const opaque = opaqueRef(this.ctx, t);
    if (opaque) {
      if (opaque.name === 'Object') this.note('object');
      if (/^(ReadonlyMap|Map|WeakMap)$/.test(opaque.name)) this.note('index');
      if (opaque.args.length === 0) return opaque.name;
      return this.guarded(t, () => `${opaque.name}<${opaque.args.map((a) => this.print(a)).join(', ')}>`);
    }
    return this.guarded(t, () => this.printStructural(t));
  }

  private printTuple(t: ts.TupleTypeReference): TypeText {
    const flags = t.target.elementFlags;
    const args = this.tc.getTypeArguments(t);
    const parts = args.map((a, i) => {
      const fl = flags[i] ?? ts.ElementFlags.Required;
      if (fl & ts.ElementFlags.Rest) return `...${wrap(this.print(a), 'array')}[]`;
      if (fl & ts.ElementFlags.Variadic) return `...${this.print(a)}`;
      if (fl & ts.ElementFlags.Optional) return `${this.print(a, true)}?`;
      return this.print(a);
    });
    return `[${parts.join(', ')}]`;
  }

  /** Recursion and depth guard for structural expansion. */
  private guarded(t: ts.Type, f: () => string): string {
    if (this.stack.includes(t)) {
      this.note('recursive');
      return RECURSIVE;
    }
    return this.nested(t, f);
  }

  private nested(t: ts.Type, f: () => string): string {
    if (this.stack.length >= PRINT_DEPTH) {
      this.note('depth');
      return RECURSIVE;
    }
    this.stack.push(t);
    try {
      return f();
    } finally {
      this.stack.pop();
    }
  }

  private printStructural(t: ts.Type): TypeText {
    const tc = this.tc;
    const props = tc.getPropertiesOfType(t);
    const calls = tc.getSignaturesOfType(t, ts.SignatureKind.Call);
    const ctors = tc.getSignaturesOfType(t, ts.SignatureKind.Construct);
    const indexes = tc.getIndexInfosOfType(t);
    if (props.length === 0 && indexes.length === 0 && calls.length + ctors.length === 1) {
      return calls.length === 1 ? this.printSignature(calls[0]!) : `new ${this.printSignature(ctors[0]!)}`;
    }
    if (props.length === 0 && indexes.length === 0 && calls.length + ctors.length === 0) {
      this.note('object');
      return '{}';
    }
    const members: string[] = [];
    const named = props.map((p) => ({ p, name: propName(p) })).sort((a, b) => byText(a.p.getName(), b.p.getName()));
    for (const { p, name } of named) {
      const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
      members.push(`${name}${optional ? '?' : ''}: ${this.print(tc.getTypeOfSymbol(p), optional)}`);
    }
    if (indexes.length > 0) this.note('index');
    const idx = indexes.map((ix) => `[key: ${this.print(ix.keyType)}]: ${this.print(ix.type)}`).sort(byText);
    const sigs = [
      ...calls.map((s) => this.printSignature(s, ': ')),
      ...ctors.map((s) => `new ${this.printSignature(s, ': ')}`),
    ].sort(byText);
    return `{ ${[...members, ...idx, ...sigs].join('; ')} }`;
  }

  private printSignature(s: ts.Signature, arrow = ' => '): string {
    const tc = this.tc;
    this.inParam++;
    let params: string[];
    try {
      params = s.getParameters().map((p) => {
        const decl = p.valueDeclaration;
        const isParam = decl !== undefined && ts.isParameter(decl);
        const rest = isParam && decl.dotDotDotToken !== undefined;
        const optional = isParam && !rest && (decl.questionToken !== undefined || decl.initializer !== undefined);
        return `${rest ? '...' : ''}${p.getName()}${optional ? '?' : ''}: ${this.print(tc.getTypeOfSymbol(p), optional)}`;
      });
    } finally {
      this.inParam--;
    }
    return `(${params.join(', ')})${arrow}${this.print(tc.getReturnTypeOfSignature(s))}`;
  }
}

const printCache = new WeakMap<
  ExtractContext,
  Map<ts.Type, { plain?: [string, TypeFacts]; strip?: [string, TypeFacts] }>
>();

function mergeFacts(into: TypeFacts, from: TypeFacts): void {
  for (const k of Object.keys(from) as Array<keyof TypeFacts>) if (from[k]) into[k] = true;
}

/**
 * Print a type as normalized TypeText. `node` is the location the type was
 * read at (kept for callers; the printer resolves everything through symbols).
 */
export function printType(
  ctx: ExtractContext,
  type: Type | ts.Type,
  _node?: Node | ts.Node,
  opts: PrintOptions = {},
): TypeText {
  const t = compilerType(type);
  let byType = printCache.get(ctx);
  if (!byType) {
    byType = new Map();
    printCache.set(ctx, byType);
  }
  let entry = byType.get(t);
  if (!entry) {
    entry = {};
    byType.set(t, entry);
  }
  const slot = opts.stripUndefined ? 'strip' : 'plain';
  let hit = entry[slot];
  if (!hit) {
    const p = new Printer(ctx, tcOf(ctx), emptyFacts());
    const text = p.print(t, opts.stripUndefined === true);
    hit = [text, p.facts];
    entry[slot] = hit;
  }
  if (opts.facts) mergeFacts(opts.facts, hit[1]);
  return hit[0];
}

// ---------------------------------------------------------------------------
// Shapes

/** An object type whose properties can be listed as fields (no index or call signatures, not opaque). */
export function isFieldObject(ctx: ExtractContext, type: Type | ts.Type): boolean {
  if (!isRecordObject(ctx, type)) return false;
  const t = compilerType(type);
  const tc = tcOf(ctx);
  return tc.getIndexInfosOfType(t).length === 0 && tc.getPropertiesOfType(t).length > 0;
}

/** An object-like type that can be a response variant or schema root (index signatures allowed). */
export function isRecordObject(ctx: ExtractContext, type: Type | ts.Type): boolean {
  const t = compilerType(type);
  const tc = tcOf(ctx);
  if (t.flags & ts.TypeFlags.Intersection) {
    if (!(t as ts.IntersectionType).types.every((m) => m.flags & ts.TypeFlags.Object && !opaqueRef(ctx, m)))
      return false;
  } else if (t.flags & ts.TypeFlags.Object) {
    if (tc.isArrayType(t) || tc.isTupleType(t) || opaqueRef(ctx, t)) return false;
  } else {
    return false;
  }
  return (
    tc.getSignaturesOfType(t, ts.SignatureKind.Call).length === 0 &&
    tc.getSignaturesOfType(t, ts.SignatureKind.Construct).length === 0
  );
}

/** Union members of a type (the type itself when it is not a union); type parameters resolved to their constraint. */
export function unionMembers(ctx: ExtractContext, type: Type | ts.Type): ts.Type[] {
  let t = compilerType(type);
  if (t.flags & ts.TypeFlags.TypeParameter) {
    const c = tcOf(ctx).getBaseConstraintOfType(t);
    t = c && c !== t ? c : tcOf(ctx).getUnknownType();
  }
  return t.flags & ts.TypeFlags.Union ? [...(t as ts.UnionType).types] : [t];
}

// ---------------------------------------------------------------------------
// Discriminants

export interface DiscriminantGroup {
  value: LiteralValue;
  members: ts.Type[];
}

export interface Discrimination {
  /** The discriminant property, or null. */
  name: string | null;
  /** Members keyed by discriminant value (string form), sorted. */
  groups: DiscriminantGroup[];
  /** Members that could not be keyed (no discriminant / a non-literal discriminant). */
  rest: ts.Type[];
  /** Why the members could not all be keyed, when they could not. */
  reason?: string;
}

/** Discriminant names in order of preference, before the alphabetical rest. */
export const PREFERRED_DISCRIMINANTS = ['kind', 'type', 'status'];
const PREFERRED = PREFERRED_DISCRIMINANTS;

/** The literal values of a required property of a member, or undefined when it is missing, optional or not literal. */
export function propValues(ctx: ExtractContext, member: ts.Type, name: string): LiteralValue[] | undefined {
  const tc = tcOf(ctx);
  const prop = tc.getPropertyOfType(member, name);
  if (!prop || prop.flags & ts.SymbolFlags.Optional) return undefined;
  return literalValues(tc.getTypeOfSymbol(prop));
}

/**
 * Find the literal-typed property common to all members (preferring `kind`,
 * `type`, `status`, then alphabetical) and group the members by its values.
 */
export function discriminate(ctx: ExtractContext, members: ts.Type[]): Discrimination {
  if (members.length === 0) return { name: null, groups: [], rest: [] };
  const tc = tcOf(ctx);
  const namesOf = (m: ts.Type) => new Set(tc.getPropertiesOfType(m).map((p) => p.getName()));
  let common = namesOf(members[0]!);
  for (const m of members.slice(1)) {
    const n = namesOf(m);
    common = new Set([...common].filter((x) => n.has(x)));
  }
  const candidates = [...common].filter((name) => members.every((m) => propValues(ctx, m, name) !== undefined));
  const rank = (n: string) => (PREFERRED.includes(n) ? PREFERRED.indexOf(n) : PREFERRED.length);
  candidates.sort((a, b) => rank(a) - rank(b) || byText(a, b));
  const group = (name: string, keyed: ts.Type[]): DiscriminantGroup[] => {
    const byKey = new Map<string, DiscriminantGroup>();
    for (const m of keyed) {
      for (const v of propValues(ctx, m, name)!) {
        let g = byKey.get(v.key);
        if (!g) byKey.set(v.key, (g = { value: v, members: [] }));
        if (!g.members.includes(m)) g.members.push(m);
      }
    }
    return [...byKey.values()].sort((a, b) => byText(a.value.key, b.value.key));
  };
  const chosen = candidates[0];
  if (chosen !== undefined) return { name: chosen, groups: group(chosen, members), rest: [] };
  if (members.length === 1) return { name: null, groups: [], rest: [...members] };
  const partial = PREFERRED.find((n) => common.has(n));
  if (partial !== undefined) {
    const keyed = members.filter((m) => propValues(ctx, m, partial) !== undefined);
    return {
      name: partial,
      groups: group(partial, keyed),
      rest: members.filter((m) => !keyed.includes(m)),
      reason: `discriminant "${partial}" is not a literal in every member`,
    };
  }
  return {
    name: null,
    groups: [],
    rest: [...members],
    reason: `no common literal discriminant across ${members.length} members`,
  };
}

// ---------------------------------------------------------------------------
// Flattening

export interface FlatField extends FieldInfo {
  /** The property declarations behind this path (several when union members were merged). */
  declarations: ts.Declaration[];
}

export interface TypeIssue {
  /** Dotted field path, or '' for the root. */
  path: string;
  kind: TypeIssueKind | 'primitive';
  /** For `primitive` roots: the printed type. */
  detail?: string;
}

export interface Flattened {
  fields: Record<string, FlatField>;
  issues: TypeIssue[];
}

function factsToIssues(path: string, facts: TypeFacts, out: TypeIssue[]): void {
  for (const k of Object.keys(facts) as Array<keyof TypeFacts>) if (facts[k]) out.push({ path, kind: k });
}

function pathSegment(name: string): string {
  return IDENT.test(name) ? name : JSON.stringify(name);
}

class Flattener {
  private readonly stack: ts.Type[] = [];
  readonly issues: TypeIssue[] = [];
  private readonly tc: ts.TypeChecker;
  constructor(private readonly ctx: ExtractContext) {
    this.tc = tcOf(ctx);
  }

  /** Fields of a set of root members (a union's members), merged: a field missing in some member is optional. */
  members(members: ts.Type[], prefix: string, depth: number): Record<string, FlatField> {
    const maps = members.map((m) => this.member(m, prefix, depth));
    return mergeFieldMaps(maps);
  }

  private member(m: ts.Type, prefix: string, depth: number): Record<string, FlatField> {
    const root = prefix.replace(/\.$/, '');
    const f = m.flags;
    if (f & ts.TypeFlags.TypeParameter) {
      const c = this.tc.getBaseConstraintOfType(m);
      return this.member(c && c !== m ? c : this.tc.getUnknownType(), prefix, depth);
    }
    if (f & ts.TypeFlags.Any) return this.issue(root, 'any');
    if (f & ts.TypeFlags.Unknown) return this.issue(root, 'unknown');
    if (f & ts.TypeFlags.NonPrimitive) return this.issue(root, 'object');
    if (!(f & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) || !isRecordObject(this.ctx, m)) {
      const facts = emptyFacts();
      const text = printType(this.ctx, m, undefined, { facts });
      factsToIssues(root, facts, this.issues);
      this.issues.push({ path: root, kind: 'primitive', detail: text });
      return {};
    }
    return this.object(m, prefix, depth);
  }

  private issue(path: string, kind: TypeIssueKind): Record<string, FlatField> {
    this.issues.push({ path, kind });
    return {};
  }

  private object(t: ts.Type, prefix: string, depth: number): Record<string, FlatField> {
    const tc = this.tc;
    const out: Record<string, FlatField> = {};
    const here = prefix.replace(/\.$/, '');
    // An index signature already makes the set of keys open; its value type is not a field.
    const indexed = tc.getIndexInfosOfType(t).length > 0;
    if (indexed) this.issues.push({ path: here, kind: 'index' });
    const props = tc.getPropertiesOfType(t);
    if (props.length === 0 && !indexed) this.issues.push({ path: here, kind: 'object' });
    this.stack.push(t);
    try {
      for (const p of props) this.property(p, prefix, depth, out);
    } finally {
      this.stack.pop();
    }
    return out;
  }

  /** `depth`: how many segments `prefix` has; a field's children have `depth + 2` segments, at most FLATTEN_DEPTH. */
  private property(p: ts.Symbol, prefix: string, depth: number, out: Record<string, FlatField>): void {
    const tc = this.tc;
    const path = prefix + pathSegment(p.getName().startsWith('__@') ? propName(p) : p.getName());
    const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
    const declarations = [...(p.getDeclarations() ?? [])];
    const pt = tc.getTypeOfSymbol(p);
    const all = unionMembers(this.ctx, pt).filter((m) => !(optional && m.flags & ts.TypeFlags.Undefined));
    const nullish = all.filter((m) => m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined));
    const rest = all.filter((m) => !(m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
    const nullTexts = nullish.map((m) => (m.flags & ts.TypeFlags.Null ? 'null' : 'undefined'));

    const leaf = () => {
      const facts = emptyFacts();
      out[path] = {
        type: printType(this.ctx, pt, undefined, { stripUndefined: optional, facts }),
        optional,
        declarations,
      };
      factsToIssues(path, facts, this.issues);
    };
    if (rest.length === 0) {
      leaf();
      return;
    }

    if (rest.every((m) => isFieldObject(this.ctx, m))) {
      if (rest.some((m) => this.stack.includes(m))) {
        out[path] = { type: unionTexts([RECURSIVE, ...nullTexts]), optional, declarations };
        this.issues.push({ path, kind: 'recursive' });
        return;
      }
      if (depth + 2 > FLATTEN_DEPTH) {
        this.issues.push({ path, kind: 'depth' });
        leaf();
        return;
      }
      out[path] = { type: unionTexts(['object', ...nullTexts]), optional, declarations };
      Object.assign(out, this.members(rest, `${path}.`, depth + 1));
      return;
    }

    if (rest.length === 1 && tc.isArrayType(rest[0]!)) {
      const elem = tc.getTypeArguments(rest[0] as ts.TypeReference)[0];
      if (elem) {
        const elemAll = unionMembers(this.ctx, elem);
        const elemNull = elemAll.filter((m) => m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined));
        const elemRest = elemAll.filter((m) => !(m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
        if (elemRest.length > 0 && elemRest.every((m) => isFieldObject(this.ctx, m))) {
          if (elemRest.some((m) => this.stack.includes(m))) {
            const e = unionTexts([
              RECURSIVE,
              ...elemNull.map((m) => (m.flags & ts.TypeFlags.Null ? 'null' : 'undefined')),
            ]);
            out[path] = { type: unionTexts([`${wrap(e, 'array')}[]`, ...nullTexts]), optional, declarations };
            this.issues.push({ path, kind: 'recursive' });
            return;
          }
          if (depth + 2 > FLATTEN_DEPTH) {
            this.issues.push({ path, kind: 'depth' });
            leaf();
            return;
          }
          const e = unionTexts([
            'object',
            ...elemNull.map((m) => (m.flags & ts.TypeFlags.Null ? 'null' : 'undefined')),
          ]);
          out[path] = { type: unionTexts([`${wrap(e, 'array')}[]`, ...nullTexts]), optional, declarations };
          Object.assign(out, this.members(elemRest, `${path}[].`, depth + 1));
          return;
        }
      }
    }
    leaf();
  }
}

/** Merge field maps of union members: union of types; a path missing in some member is optional. */
export function mergeFieldMaps(maps: Array<Record<string, FlatField>>): Record<string, FlatField> {
  if (maps.length === 1) return maps[0]!;
  const keys = new Set<string>();
  for (const m of maps) for (const k of Object.keys(m)) keys.add(k);
  const out: Record<string, FlatField> = {};
  for (const k of [...keys].sort(byText)) {
    const present = maps.map((m) => m[k]).filter((x): x is FlatField => x !== undefined);
    const declarations: ts.Declaration[] = [];
    for (const p of present) for (const d of p.declarations) if (!declarations.includes(d)) declarations.push(d);
    out[k] = {
      type: unionTexts(present.map((p) => p.type)),
      optional: present.length < maps.length || present.some((p) => p.optional),
      declarations,
    };
  }
  return out;
}

function sortFields<T>(fields: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(fields).sort(byText)) out[k] = fields[k]!;
  return out;
}

function dedupeIssues(issues: TypeIssue[]): TypeIssue[] {
  const seen = new Map<string, TypeIssue>();
  for (const i of issues) seen.set(`${i.path}\0${i.kind}\0${i.detail ?? ''}`, i);
  return [...seen.entries()].sort((a, b) => byText(a[0], b[0])).map((e) => e[1]);
}

/** Flatten the merged fields of several root members (e.g. the members of one response variant). */
export function flattenMembers(ctx: ExtractContext, members: Array<Type | ts.Type>): Flattened {
  const fl = new Flattener(ctx);
  const fields = fl.members(members.map(compilerType), '', 0);
  return { fields: sortFields(fields), issues: dedupeIssues(fl.issues) };
}

/** Flatten a type (a union's members merged) into dotted paths with declarations and issues. */
export function flattenDetailed(ctx: ExtractContext, type: Type | ts.Type): Flattened {
  const members = unionMembers(ctx, type);
  const data = members.filter((m) => !(m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void)));
  return flattenMembers(ctx, data.length > 0 ? data : members);
}

/** Flatten a type into dotted field paths -> { type, optional } (the flattening rules: docs/type-text.md). */
export function flattenFields(
  ctx: ExtractContext,
  type: Type | ts.Type,
  _node?: Node | ts.Node,
): Record<string, FieldInfo> {
  const { fields } = flattenDetailed(ctx, type);
  const out: Record<string, FieldInfo> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = { type: v.type, optional: v.optional };
  return out;
}

/** Strip declarations from flattened fields. */
export function plainFields(fields: Record<string, FlatField>): Record<string, FieldInfo> {
  const out: Record<string, FieldInfo> = {};
  for (const k of Object.keys(fields).sort(byText)) out[k] = { type: fields[k]!.type, optional: fields[k]!.optional };
  return out;
}

/** The relative file where a type is declared (alias, then symbol), when that is a project file. */
export function typeDeclarationFile(ctx: ExtractContext, type: Type | ts.Type): string | undefined {
  const t = compilerType(type);
  const syms = [t.aliasSymbol, t.getSymbol()];
  if (t.flags & ts.TypeFlags.Intersection)
    for (const m of (t as ts.IntersectionType).types) syms.push(m.aliasSymbol, m.getSymbol());
  for (const s of syms) {
    const d = s?.getDeclarations()?.[0];
    if (d && originOf(ctx, d) === 'project') {
      const sf = ctx.project.getSourceFile(d.getSourceFile().fileName);
      if (sf) return ctx.rel(sf);
    }
  }
  return undefined;
}
