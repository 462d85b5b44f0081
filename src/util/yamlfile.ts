/**
 * The one way policydrift reads YAML (`approvals.yaml`, `.openspec.yaml`):
 * every problem is a located UserError, never an exception out of the yaml
 * package. The yaml composer recurses once per nesting level, so the nesting
 * is measured first on the (iteratively built) CST; aliases are expanded with
 * a bounded count (alias bombs), and the expanded value must be acyclic and
 * shallow, so that every recursive walker over it stays far from the stack limit.
 */
import { LineCounter, Parser, parseDocument, visit, type CST, type Document } from 'yaml';
import { UserError } from '../errors.js';

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
  const cstLines = new LineCounter();
  const deep = tooDeepAt(Array.from(new Parser(cstLines.addNewLine).parse(text)), MAX_YAML_DEPTH);
  if (deep !== null) {
    const { line, col } = cstLines.linePos(deep);
    throw new UserError(`${label}:${line}:${col}: malformed YAML: nesting deeper than ${MAX_YAML_DEPTH} levels`, {
      hint: `no file policydrift reads nests this deep; restore ${label} from version control`,
    });
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? (e.pos ? lc.linePos(e.pos[0]) : undefined);
    throw new UserError(`${pos ? `${label}:${pos.line}:${pos.col}` : label}: malformed YAML: ${e.message.split('\n')[0]}`, hint ? { hint } : {});
  }
  const aliasError = (what: string): UserError => {
    const pos = firstAliasPos(doc, lc);
    return new UserError(`${pos ? `${label}:${pos.line}:${pos.col}` : label}: ${what}`, {
      hint: `policydrift's YAML files need no anchors or aliases (&name / *name); write the values out`,
    });
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
    throw new UserError(`${label}: invalid YAML: ${problem}`);
  }
  return { doc, lineCounter: lc, value: value ?? null };
}
