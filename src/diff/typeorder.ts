/**
 * Parse normalized type text (the grammar in docs/type-text.md, printed by
 * the extractor) and compare two types in the disclosure order: "wider" means the
 * after-type can disclose more than the before-type.
 *
 * Fail closed: text this parser does not understand is compared as an opaque
 * string, and two different opaque strings are `incomparable` (=> modified).
 */
import type { FieldInfo, TypeText } from '../manifest/types.js';

export type TypeComparison = 'same' | 'wider' | 'narrower' | 'incomparable';

export type TypeNode =
  | { k: 'prim'; name: string }
  | { k: 'lit'; base: 'string' | 'number' | 'boolean' | 'bigint'; value: string }
  | { k: 'tpl'; text: string }
  | { k: 'array'; elem: TypeNode }
  | { k: 'tuple'; elems: TupleElem[] }
  | { k: 'object'; props: Record<string, { type: TypeNode; optional: boolean }>; index: IndexSig[] }
  | { k: 'union'; members: TypeNode[] }
  | { k: 'inter'; members: TypeNode[] }
  | { k: 'fn'; params: FnParam[]; ret: TypeNode }
  | { k: 'ref'; name: string; args: TypeNode[] }
  | { k: 'recursive' };

export interface TupleElem {
  type: TypeNode;
  optional: boolean;
  rest: boolean;
}
export interface IndexSig {
  key: TypeNode;
  value: TypeNode;
}
export interface FnParam {
  type: TypeNode;
  optional: boolean;
  rest: boolean;
}

const PRIMITIVES = new Set([
  'string',
  'number',
  'boolean',
  'bigint',
  'symbol',
  'null',
  'undefined',
  'void',
  'never',
  'unknown',
  'any',
  'object',
]);

/** Opaque library types whose type arguments are covariant for disclosure (a container discloses what it holds). */
const COVARIANT_REFS = new Set([
  'Array',
  'ReadonlyArray',
  'Promise',
  'PromiseLike',
  'Set',
  'ReadonlySet',
  'Map',
  'ReadonlyMap',
  'Iterable',
  'AsyncIterable',
  'Record',
  'Partial',
  'Readonly',
]);

// ---------------------------------------------------------------------------
// Tokenizer

type Tok = { t: 'str' | 'num' | 'tpl' | 'id' | 'punct' | 'rec'; v: string };

class ParseError extends Error {}

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new ParseError('unterminated string');
      const raw = src.slice(i, j + 1);
      try {
        out.push({ t: 'str', v: JSON.parse(raw) as string });
      } catch {
        throw new ParseError('bad string literal');
      }
      i = j + 1;
      continue;
    }
    if (c === '`') {
      let j = i + 1;
      let depth = 0;
      while (j < src.length) {
        if (src[j] === '\\') {
          j += 2;
          continue;
        }
        if (depth === 0 && src[j] === '`') break;
        if (src[j] === '$' && src[j + 1] === '{') {
          depth++;
          j += 2;
          continue;
        }
        if (depth > 0 && src[j] === '}') depth--;
        j++;
      }
      if (j >= src.length) throw new ParseError('unterminated template literal');
      out.push({ t: 'tpl', v: src.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    const num = /^-?(?:\d+(?:\.\d+)?(?:[eE][+-]?\d+)?n?|Infinity)/.exec(src.slice(i));
    if (num && (c === '-' || /\d/.test(c))) {
      out.push({ t: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    if (src.startsWith('<recursive>', i)) {
      out.push({ t: 'rec', v: '<recursive>' });
      i += '<recursive>'.length;
      continue;
    }
    const id = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    if (src.startsWith('=>', i) || src.startsWith('...', i)) {
      const v = src.startsWith('=>', i) ? '=>' : '...';
      out.push({ t: 'punct', v });
      i += v.length;
      continue;
    }
    if ('{}[]()<>,;:?|&'.includes(c)) {
      out.push({ t: 'punct', v: c });
      i++;
      continue;
    }
    throw new ParseError(`unexpected character ${JSON.stringify(c)}`);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Parser

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  parseAll(): TypeNode {
    const t = this.type();
    if (this.i !== this.toks.length) throw new ParseError('trailing tokens');
    return t;
  }

  private peek(o = 0): Tok | undefined {
    return this.toks[this.i + o];
  }
  private isP(v: string, o = 0): boolean {
    const t = this.peek(o);
    return !!t && t.t === 'punct' && t.v === v;
  }
  private eat(v: string): boolean {
    if (this.isP(v)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expect(v: string): void {
    if (!this.eat(v)) throw new ParseError(`expected ${v}`);
  }

  type(): TypeNode {
    this.eat('|');
    const members = [this.inter()];
    while (this.eat('|')) members.push(this.inter());
    return members.length === 1 ? members[0]! : { k: 'union', members };
  }

  private inter(): TypeNode {
    this.eat('&');
    const members = [this.postfix()];
    while (this.eat('&')) members.push(this.postfix());
    if (members.length === 1) return members[0]!;
    // An intersection of object types discloses the union of their properties: merge it (as the printer does).
    if (members.every((m) => m.k === 'object')) return mergeObjects(members);
    return { k: 'inter', members };
  }

  private postfix(): TypeNode {
    let t = this.primary();
    while (this.isP('[') && this.isP(']', 1)) {
      this.i += 2;
      t = { k: 'array', elem: t };
    }
    return t;
  }

  private primary(): TypeNode {
    const tok = this.peek();
    if (!tok) throw new ParseError('unexpected end');
    if (tok.t === 'punct') {
      if (tok.v === '(') return this.parenOrFunction();
      if (tok.v === '{') return this.object();
      if (tok.v === '[') return this.tuple();
      throw new ParseError(`unexpected ${tok.v}`);
    }
    this.i++;
    switch (tok.t) {
      case 'str':
        return { k: 'lit', base: 'string', value: JSON.stringify(tok.v) };
      case 'num':
        if (tok.v.endsWith('n')) return { k: 'lit', base: 'bigint', value: tok.v };
        return { k: 'lit', base: 'number', value: String(Number(tok.v)) };
      case 'tpl':
        return { k: 'tpl', text: tok.v };
      case 'rec':
        return { k: 'recursive' };
      case 'id': {
        if (tok.v === 'true' || tok.v === 'false') return { k: 'lit', base: 'boolean', value: tok.v };
        if (PRIMITIVES.has(tok.v)) return { k: 'prim', name: tok.v };
        if (tok.v === 'typeof' || tok.v === 'keyof' || tok.v === 'infer' || tok.v === 'unique')
          throw new ParseError(`unsupported ${tok.v}`);
        const args: TypeNode[] = [];
        if (this.eat('<')) {
          args.push(this.type());
          while (this.eat(',')) args.push(this.type());
          this.expect('>');
        }
        return { k: 'ref', name: tok.v, args };
      }
      default:
        throw new ParseError('unexpected token');
    }
  }

  private parenOrFunction(): TypeNode {
    const start = this.i;
    try {
      return this.fn();
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.i = start;
    }
    this.expect('(');
    const t = this.type();
    this.expect(')');
    return t;
  }

  private fn(): TypeNode {
    this.expect('(');
    const params: FnParam[] = [];
    if (!this.isP(')')) {
      do {
        const rest = this.eat('...');
        const name = this.peek();
        if (!name || name.t !== 'id') throw new ParseError('expected parameter name');
        this.i++;
        const optional = this.eat('?');
        this.expect(':');
        params.push({ type: this.type(), optional, rest });
      } while (this.eat(','));
    }
    this.expect(')');
    this.expect('=>');
    return { k: 'fn', params, ret: this.type() };
  }

  private object(): TypeNode {
    this.expect('{');
    const props: Record<string, { type: TypeNode; optional: boolean }> = {};
    const index: IndexSig[] = [];
    while (!this.isP('}')) {
      if (this.isP('[')) {
        this.i++;
        const name = this.peek();
        if (!name || name.t !== 'id') throw new ParseError('expected index parameter');
        this.i++;
        this.expect(':');
        const key = this.type();
        this.expect(']');
        this.expect(':');
        index.push({ key, value: this.type() });
      } else {
        const name = this.peek();
        if (!name || (name.t !== 'id' && name.t !== 'str' && name.t !== 'num'))
          throw new ParseError('expected property name');
        this.i++;
        const optional = this.eat('?');
        this.expect(':');
        if (Object.hasOwn(props, name.v)) throw new ParseError('duplicate property');
        props[name.v] = { type: this.type(), optional };
      }
      if (!this.eat(';') && !this.eat(',')) break;
    }
    this.expect('}');
    return { k: 'object', props, index };
  }

  private tuple(): TypeNode {
    this.expect('[');
    const elems: TupleElem[] = [];
    while (!this.isP(']')) {
      const rest = this.eat('...');
      // Named members `name: T` / `name?: T`.
      if (this.peek()?.t === 'id' && (this.isP(':', 1) || (this.isP('?', 1) && this.isP(':', 2)))) {
        this.i++;
        const optional = this.eat('?');
        this.expect(':');
        elems.push({ type: this.type(), optional, rest });
      } else {
        const type = this.type();
        const optional = this.eat('?');
        elems.push({ type, optional, rest });
      }
      if (!this.eat(',')) break;
    }
    this.expect(']');
    return { k: 'tuple', elems };
  }
}

/** Parse type text, or null when it does not follow the grammar (the caller then compares it as an opaque string). */
export function parseTypeText(text: TypeText): TypeNode | null {
  try {
    return new Parser(tokenize(text)).parseAll();
  } catch (e) {
    if (e instanceof ParseError) return null;
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Disclosure order

const key = (t: TypeNode): string => JSON.stringify(t);
const isTop = (t: TypeNode) => t.k === 'prim' && (t.name === 'any' || t.name === 'unknown');
const TRUE: TypeNode = { k: 'lit', base: 'boolean', value: 'true' };
const FALSE: TypeNode = { k: 'lit', base: 'boolean', value: 'false' };

function templateRegex(text: string): RegExp | null {
  // `a${string}b` -> /^a.*b$/ ; `${number}` -> a number. Anything else: unknown.
  const body = text.slice(1, -1);
  let re = '^';
  let i = 0;
  while (i < body.length) {
    if (body.startsWith('${', i)) {
      const end = body.indexOf('}', i);
      if (end < 0) return null;
      const inner = body.slice(i + 2, end).trim();
      if (inner === 'string') re += '[\\s\\S]*';
      else if (inner === 'number') re += '-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?';
      else return null;
      i = end + 1;
    } else {
      re += body[i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      i++;
    }
  }
  return new RegExp(re + '$');
}

function optionalLeq(aOptional: boolean, bOptional: boolean): boolean {
  // optional ⊑ required: a field that is always present discloses more.
  return aOptional || !bOptional;
}

function indexAccepts(idx: IndexSig, prop: string): boolean {
  if (isTop(idx.key) || (idx.key.k === 'prim' && idx.key.name === 'string')) return true;
  if (idx.key.k === 'prim' && idx.key.name === 'number') return /^-?\d+(\.\d+)?$/.test(prop);
  return false;
}

/** a ⊑ b: everything `a` can disclose, `b` can disclose too. */
export function leq(a: TypeNode, b: TypeNode): boolean {
  if (key(a) === key(b)) return true;
  if (isTop(b)) return true;
  if (a.k === 'prim' && a.name === 'never') return true;
  if (isTop(a)) return false;
  if (a.k === 'union') return a.members.every((m) => leq(m, b));
  if (b.k === 'union') {
    if (b.members.some((m) => leq(a, m))) return true;
    if (a.k === 'prim' && a.name === 'boolean') return leq(TRUE, b) && leq(FALSE, b);
    return false;
  }
  // Other intersections (`string & { brand: "x" }`) are compared only for equality (above): fail closed.
  if (a.k === 'inter' || b.k === 'inter') return false;
  switch (a.k) {
    case 'prim':
      if (b.k !== 'prim') return false;
      if (a.name === b.name) return true;
      return (a.name === 'undefined' && b.name === 'void') || (a.name === 'void' && b.name === 'undefined');
    case 'lit':
      if (b.k === 'prim') return b.name === a.base;
      if (b.k === 'lit') return a.base === b.base && a.value === b.value;
      if (b.k === 'tpl' && a.base === 'string') {
        const re = templateRegex(b.text);
        return !!re && re.test(JSON.parse(a.value) as string);
      }
      return false;
    case 'tpl':
      if (b.k === 'prim') return b.name === 'string';
      return b.k === 'tpl' && a.text === b.text;
    case 'recursive':
      return false;
    case 'array':
      if (b.k === 'prim') return b.name === 'object';
      if (b.k === 'array') return leq(a.elem, b.elem);
      if (b.k === 'ref' && (b.name === 'Array' || b.name === 'ReadonlyArray') && b.args.length === 1)
        return leq(a.elem, b.args[0]!);
      return false;
    case 'tuple':
      if (b.k === 'prim') return b.name === 'object';
      if (b.k === 'array')
        return a.elems.every((e) => leq(e.rest && e.type.k === 'array' ? e.type.elem : e.type, b.elem));
      if (b.k === 'tuple') {
        if (a.elems.length !== b.elems.length) return false;
        return a.elems.every((e, i) => {
          const f = b.elems[i]!;
          return e.rest === f.rest && optionalLeq(e.optional, f.optional) && leq(e.type, f.type);
        });
      }
      return false;
    case 'object':
      if (b.k === 'prim') return b.name === 'object';
      if (b.k !== 'object') return false;
      return objectLeq(a, b);
    case 'fn':
      if (b.k === 'prim') return b.name === 'object';
      if (b.k !== 'fn' || a.params.length !== b.params.length) return false;
      // Parameters must match exactly (either direction); the result is covariant.
      return (
        a.params.every((p, i) => {
          const q = b.params[i]!;
          return p.optional === q.optional && p.rest === q.rest && leq(p.type, q.type) && leq(q.type, p.type);
        }) && leq(a.ret, b.ret)
      );
    case 'ref':
      if (b.k === 'prim') return b.name === 'object';
      if (b.k === 'array' && (a.name === 'Array' || a.name === 'ReadonlyArray') && a.args.length === 1)
        return leq(a.args[0]!, b.elem);
      if (b.k !== 'ref' || a.name !== b.name || a.args.length !== b.args.length) return false;
      if (COVARIANT_REFS.has(a.name)) return a.args.every((x, i) => leq(x, b.args[i]!));
      return a.args.every((x, i) => leq(x, b.args[i]!) && leq(b.args[i]!, x));
  }
  return false;
}

function mergeObjects(members: TypeNode[]): Extract<TypeNode, { k: 'object' }> {
  const props: Record<string, { type: TypeNode; optional: boolean }> = {};
  const index: IndexSig[] = [];
  for (const m of members) {
    if (m.k !== 'object') continue;
    for (const [k, v] of Object.entries(m.props)) {
      const prev = props[k];
      if (!prev) {
        props[k] = v;
        continue;
      }
      const type: TypeNode =
        key(prev.type) === key(v.type)
          ? prev.type
          : prev.type.k === 'object' && v.type.k === 'object'
            ? mergeObjects([prev.type, v.type])
            : { k: 'inter', members: [prev.type, v.type] };
      props[k] = { type, optional: prev.optional && v.optional };
    }
    index.push(...m.index);
  }
  return { k: 'object', props, index };
}

function objectLeq(a: Extract<TypeNode, { k: 'object' }>, b: Extract<TypeNode, { k: 'object' }>): boolean {
  for (const [name, p] of Object.entries(a.props)) {
    const q = Object.hasOwn(b.props, name) ? b.props[name] : undefined;
    if (q) {
      if (!optionalLeq(p.optional, q.optional) || !leq(p.type, q.type)) return false;
      continue;
    }
    const idx = b.index.find((s) => indexAccepts(s, name));
    if (!idx || !leq(p.type, idx.value)) return false;
  }
  for (const s of a.index) {
    if (!b.index.some((t) => leq(s.key, t.key) && leq(s.value, t.value))) return false;
  }
  return true;
}

/** Compare two type texts in the disclosure order (before -> after). */
export function compareTypes(before: TypeText, after: TypeText): TypeComparison {
  if (before === after) return 'same';
  const a = parseTypeText(before);
  const b = parseTypeText(after);
  if (!a || !b) return 'incomparable';
  const up = leq(a, b);
  const down = leq(b, a);
  if (up && down) return 'same';
  if (up) return 'wider';
  if (down) return 'narrower';
  return 'incomparable';
}

/** Combine two independent comparisons of the same entity (e.g. its type and its optionality). */
export function combine(x: TypeComparison, y: TypeComparison): TypeComparison {
  if (x === 'same') return y;
  if (y === 'same') return x;
  return x === y ? x : 'incomparable';
}

/** Compare a field (type and optionality): optional -> required is a widening. */
export function compareFields(before: FieldInfo, after: FieldInfo): TypeComparison {
  const opt: TypeComparison = before.optional === after.optional ? 'same' : before.optional ? 'wider' : 'narrower';
  return combine(compareTypes(before.type, after.type), opt);
}
