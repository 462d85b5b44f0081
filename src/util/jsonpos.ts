/**
 * A small JSON parser that remembers where each value starts, so that a
 * schema error at `/orders/redaction/2` can be reported as `file:4:15`.
 * JSON.parse stays the source of truth for the value itself.
 */
export interface JsonPositions {
  /** JSON pointer -> character offset of the value. */
  offsets: Map<string, number>;
  /** JSON pointer of a property -> character offset of its key (for "unknown property" errors). */
  keys: Map<string, number>;
}

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

export function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return { line, column: col };
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function parseJsonWithPositions(text: string): { value: unknown; positions: JsonPositions } {
  const offsets = new Map<string, number>();
  const keys = new Map<string, number>();
  let i = 0;
  const ws = () => {
    while (i < text.length && /[\s\uFEFF]/.test(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new JsonSyntaxError(what, i);
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      if (text[i] === '\n') fail('unterminated string');
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      i = start;
      return fail('invalid string escape');
    }
  };
  const value = (ptr: string): void => {
    ws();
    offsets.set(ptr, i);
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a property name in double quotes');
        const keyAt = i;
        const key = str();
        keys.set(`${ptr}/${escapePointer(key)}`, keyAt);
        ws();
        if (text[i] !== ':') fail(`expected ':' after property name "${key}"`);
        i++;
        value(`${ptr}/${escapePointer(key)}`);
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === '}') fail('trailing comma is not allowed in JSON');
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail("expected ',' or '}' after a property value");
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        value(`${ptr}/${n}`);
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === ']') fail('trailing comma is not allowed in JSON');
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail("expected ',' or ']' after an array element");
      }
    } else if (c === '"') {
      str();
    } else {
      const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
      if (!m) fail(i >= text.length ? 'unexpected end of file' : `unexpected character '${c}'`);
      i += m![0].length;
    }
  };
  value('');
  ws();
  if (i < text.length) fail('unexpected content after the JSON value');
  return { value: JSON.parse(text), positions: { offsets, keys } };
}
