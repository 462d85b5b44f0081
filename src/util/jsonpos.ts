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

/**
 * How deeply objects and arrays may nest. Every file policydrift reads is a
 * few levels deep; the bound keeps this parser, ajv and every recursive walker
 * over the parsed value (canonical JSON, digests, diffs) far from the stack limit.
 */
export const MAX_JSON_DEPTH = 256;

/** A leading UTF-8 byte order mark (some editors on Windows write one); JSON.parse rejects it. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** A character for a message: itself when printable ASCII, else its code point. */
function showChar(c: string): string {
  return /^[\x21-\x7e]$/.test(c) ? `'${c}'` : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

export function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let col = 1;
  // A leading byte order mark is not a column.
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return { line, column: col };
}

/** A JSON number or literal, matched at lastIndex (no length limit: a long number is still a number). */
const SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Parse JSON text. A leading byte order mark is skipped (offsets still count
 * it, so they index `text`); nesting deeper than MAX_JSON_DEPTH is a
 * JsonSyntaxError at the offending bracket.
 */
export function parseJsonWithPositions(text: string): { value: unknown; positions: JsonPositions } {
  const offsets = new Map<string, number>();
  const keys = new Map<string, number>();
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const start0 = i;
  let depth = 0;
  const ws = () => {
    // JSON whitespace only (RFC 8259): what JSON.parse accepts.
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else return;
    }
  };
  const fail = (what: string, hint?: string): never => {
    throw new JsonSyntaxError(what, i, hint);
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
      return fail('invalid string (a bad escape, or a raw control character such as a tab)');
    }
  };
  const value = (ptr: string): void => {
    ws();
    offsets.set(ptr, i);
    const c = text[i];
    if ((c === '{' || c === '[') && ++depth > MAX_JSON_DEPTH) {
      fail(
        `nesting deeper than ${MAX_JSON_DEPTH} levels`,
        `no file policydrift reads nests this deep; restore the file from version control or regenerate it`,
      );
    }
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        depth--;
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
          depth--;
          return;
        }
        fail("expected ',' or '}' after a property value");
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        depth--;
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
          depth--;
          return;
        }
        fail("expected ',' or ']' after an array element");
      }
    } else if (c === '"') {
      str();
    } else {
      SCALAR.lastIndex = i;
      const m = SCALAR.exec(text);
      if (!m) fail(i >= text.length ? 'unexpected end of file' : `unexpected character ${showChar(c!)}`);
      i += m![0].length;
    }
  };
  value('');
  ws();
  if (i < text.length) fail('unexpected content after the JSON value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(start0 ? text.slice(start0) : text);
  } catch (e) {
    // The scan above accepts exactly JSON; should JSON.parse still disagree, it is an input error, not a crash.
    throw new JsonSyntaxError(e instanceof Error ? e.message : String(e), start0);
  }
  return { value: parsed, positions: { offsets, keys } };
}
