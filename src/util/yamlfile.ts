/**
 * The one way policydrift reads YAML (`approvals.yaml`, `.openspec.yaml`):
 * every problem is a located UserError, never an exception out of the yaml
 * package. The yaml composer recurses once per nesting level, so the nesting
 * is measured first on the (iteratively built) CST; aliases are expanded with
 * a bounded count (alias bombs), and the expanded value must be acyclic and
 * shallow, so that every recursive walker over it stays far from the stack limit.
 */
import { Composer, Lexer, LineCounter, Parser, YAMLParseError, visit, type CST, type Document } from 'yaml';
import { UserError, locatedError, type SourcePos } from '../errors.js';
import { lineCol } from './jsonpos.js';

/** Nesting of mappings and sequences in the YAML text (policydrift's files need fewer than 10). */
export const MAX_YAML_DEPTH = 100;
/** Nesting of the value once aliases are expanded. */
export const MAX_YAML_VALUE_DEPTH = 256;
/** Alias expansions allowed per document (the yaml package's `maxAliasCount`). */
export const MAX_YAML_ALIASES = 100;

export interface ParsedYaml {
  doc: Document;
  lineCounter: LineCounter;
  /** The document as plain data (null for an empty document). */
  value: unknown;
}

/**
 * Fast rejection of the cheap attacks (`[[[[…`, `- - - - …`): a lower bound of
 * the nesting from the token stream (open flow brackets, sequence and key
 * indicators on one line), stopping at the first token past `max`. Exact
 * checking is tooDeepAt's; this only keeps a 10^5-deep file from costing
 * seconds of parsing before it is refused.
 */
function obviouslyTooDeepAt(text: string, max: number): number | null {
  let flow = 0;
  let onLine = 0;
  let offset = 0;
  for (const tok of new Lexer().lex(text)) {
    if (tok === '[' || tok === '{') {
      if (++flow > max) return offset;
    } else if (tok === ']' || tok === '}') {
      flow = Math.max(0, flow - 1);
    } else if (tok === '\n' || tok === '\r\n') {
      onLine = 0;
    } else if ((tok === '-' || tok === '?') && flow === 0) {
      if (++onLine > max) return offset;
    }
    // The lexer's one-character control tokens (document, scalar, flow error) are not source text.
    if (!(tok.length === 1 && (tok === '\x02' || tok === '\x18' || tok === '\x1f'))) offset += tok.length;
  }
  return null;
}

/** Offset of the first collection nested deeper than `max`, or null. Iterative: the CST can be arbitrarily deep. */
function tooDeepAt(tokens: CST.Token[], max: number): number | null {
  const stack: Array<[CST.Token | undefined, number]> = tokens.map((t) => [t, 0]);
  while (stack.length) {
    const [tok, depth] = stack.pop()!;
    if (!tok) continue;
    switch (tok.type) {
      case 'document':
        stack.push([tok.value, depth]);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        if (depth + 1 > max) return tok.offset;
        for (const item of tok.items) {
          const it = item as { key?: CST.Token | null; value?: CST.Token };
          if (it.key) stack.push([it.key, depth + 1]);
          stack.push([it.value, depth + 1]);
        }
        break;
      }
      default:
        break;
    }
  }
  return null;
}

/** Whether the plain value has a cycle or nests deeper than `max`. Iterative. */
function valueProblem(value: unknown, max: number): string | null {
  const onPath = new Set<object>();
  const stack: Array<{ v: unknown; depth: number; exit?: boolean }> = [{ v: value, depth: 0 }];
  while (stack.length) {
    const { v, depth, exit } = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (exit) {
      onPath.delete(v);
      continue;
    }
    if (onPath.has(v)) return 'an alias refers to a node that contains it (a cycle)';
    if (depth + 1 > max) return `nesting deeper than ${max} levels once aliases are expanded`;
    onPath.add(v);
    stack.push({ v, depth, exit: true });
    const children = v instanceof Map ? [...v.keys(), ...v.values()] : v instanceof Set ? [...v] : Object.values(v);
    for (const c of children) stack.push({ v: c, depth: depth + 1 });
  }
  return null;
}

/** line:col of the first alias in the document, for alias errors. */
function firstAliasPos(doc: Document, lineCounter: LineCounter): { line: number; col: number } | undefined {
  let off: number | undefined;
  visit(doc, {
    Alias(_, node) {
      off = node.range?.[0];
      return visit.BREAK;
    },
  });
  return off === undefined ? undefined : lineCounter.linePos(off);
}

/**
 * Parse YAML text; `label` names the file in errors, `hint` (optional) is
 * added to syntax errors. Throws a located UserError for anything malformed.
 */
export function parseYamlText(text: string, label: string, hint?: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const at = (pos: { line: number; col: number } | null | undefined): SourcePos =>
    pos ? { file: label, line: pos.line, column: pos.col } : { file: label };
  const tooDeep = (pos: { line: number; col: number } | null): UserError =>
    locatedError(
      at(pos),
      `malformed YAML: nesting deeper than ${MAX_YAML_DEPTH} levels`,
      `no file policydrift reads nests this deep; restore ${label} from version control`,
    );
  const early = obviouslyTooDeepAt(text, MAX_YAML_DEPTH);
  if (early !== null) {
    const { line, column } = lineCol(text, early);
    throw tooDeep({ line, col: column });
  }
  // parseDocument, in two steps: the CST (built without recursion) is checked before the (recursive) composer runs.
  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text));
  const deep = tooDeepAt(tokens, MAX_YAML_DEPTH);
  if (deep !== null) throw tooDeep(lineCounter.linePos(deep));
  let doc: Document.Parsed | null = null;
  for (const d of new Composer({ prettyErrors: false }).compose(tokens, true, text.length)) {
    if (!doc) doc = d;
    else {
      doc.errors.push(
        new YAMLParseError([d.range[0], d.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents'),
      );
      break;
    }
  }
  if (!doc) throw locatedError({ file: label }, 'malformed YAML: no document');
  const lc = lineCounter;
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? (e.pos ? lc.linePos(e.pos[0]) : undefined);
    throw locatedError(at(pos), `malformed YAML: ${e.message.split('\n')[0]}`, hint);
  }
  const aliasError = (what: string): UserError => {
    const pos = firstAliasPos(doc, lc);
    return locatedError(
      at(pos),
      what,
      `policydrift's YAML files need no anchors or aliases (&name / *name); write the values out`,
    );
  };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    // The yaml package throws (ReferenceError, ...) for alias bombs and unresolved aliases.
    throw aliasError(`invalid YAML: ${(e as Error)?.message ?? String(e)}`);
  }
  const problem = valueProblem(value, MAX_YAML_VALUE_DEPTH);
  if (problem) {
    let hasAlias = false;
    visit(doc, {
      Alias() {
        hasAlias = true;
        return visit.BREAK;
      },
    });
    if (hasAlias) throw aliasError(`invalid YAML: ${problem}`);
    throw locatedError({ file: label }, `invalid YAML: ${problem}`);
  }
  return { doc, lineCounter: lc, value: value ?? null };
}
