import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import Ajv2020Import from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { UserError, formatPos, locatedError, type SourcePos } from '../errors.js';
import { JsonSyntaxError, lineCol, parseJsonWithPositions } from './jsonpos.js';

const Ajv2020 = ((Ajv2020Import as unknown as { default?: unknown }).default ?? Ajv2020Import) as unknown as new (
  opts: object,
) => { compile(schema: object): ValidateFunction };

/** The package root (where the shipped schemas live), from dist/util/ or src/util/. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export type SchemaName = 'manifest' | 'config' | 'diff' | 'registry' | 'workspace';

const compiled = new Map<SchemaName, ValidateFunction>();

export function schemaPath(name: SchemaName): string {
  return path.join(PACKAGE_ROOT, `${name}.schema.json`);
}

export function validator(name: SchemaName): ValidateFunction {
  let v = compiled.get(name);
  if (!v) {
    const schema = JSON.parse(fs.readFileSync(schemaPath(name), 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    v = ajv.compile(schema);
    compiled.set(name, v);
  }
  return v;
}

function describe(err: ErrorObject): string {
  const where = err.instancePath || '(top level)';
  if (err.keyword === 'additionalProperties') {
    return `${where}: unknown property "${(err.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (err.keyword === 'enum') {
    return `${where} must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${where} ${err.message ?? 'is invalid'}`;
}

/** Pick the most useful error: the deepest one, and not an anyOf/oneOf summary. */
function bestError(errors: ErrorObject[]): ErrorObject {
  const specific = errors.filter((e) => !['anyOf', 'oneOf', 'if'].includes(e.keyword));
  const pool = specific.length ? specific : errors;
  // An unknown key counts one level below its object: it is what the user typed.
  const depth = (e: ErrorObject) => e.instancePath.split('/').length + (e.keyword === 'additionalProperties' ? 1 : 0);
  return [...pool].sort((a, b) => depth(b) - depth(a))[0]!;
}

/** Levenshtein distance (small strings: config keys). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known name closest to `name` (case-insensitive edit distance), when it is close enough to be a typo. */
export function closest(name: string, known: string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== null && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

const verboseCompiled = new Map<SchemaName, ValidateFunction>();

/**
 * The property names the schema allows at the object holding the unknown key. Error paths inside a $ref
 * are relative to it, so the errors are recomputed (only on this error path) by a verbose validator, whose
 * errors carry the schema object they come from.
 */
function knownKeys(name: SchemaName, value: unknown, instancePath: string): string[] {
  let v = verboseCompiled.get(name);
  if (!v) {
    const schema = JSON.parse(fs.readFileSync(schemaPath(name), 'utf8')) as object;
    v = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true }).compile(schema);
    verboseCompiled.set(name, v);
  }
  v(value);
  const err = (v.errors ?? []).find((e) => e.keyword === 'additionalProperties' && e.instancePath === instancePath);
  const props = (err?.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props).filter((k) => k !== '$schema' && k !== '$comment') : [];
}

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Validate a value against one of the shipped schemas. `text` and `offsets`
 * (when the value came from a file) let the error name a line and column:
 * the key of an unknown property, else the offending value.
 */
export function assertValid(
  name: SchemaName,
  value: unknown,
  label: string,
  source?: { text: string; offsets: Map<string, number>; keys?: Map<string, number> },
  hint?: string,
): void {
  const v = validator(name);
  if (v(value)) return;
  const err = bestError(v.errors ?? []);
  const unknownKey =
    err.keyword === 'additionalProperties' ? (err.params as { additionalProperty: string }).additionalProperty : null;
  const errPtr = unknownKey !== null ? `${err.instancePath}/${escapePointer(unknownKey)}` : err.instancePath;
  let pos: SourcePos | undefined;
  if (source) {
    pos = { file: label };
    let off = unknownKey !== null ? source.keys?.get(errPtr) : undefined;
    let ptr = err.instancePath;
    // Walk up to the nearest pointer we have a position for.
    while (off === undefined && !source.offsets.has(ptr) && ptr) ptr = ptr.slice(0, ptr.lastIndexOf('/'));
    off ??= source.offsets.get(ptr);
    if (off !== undefined) {
      const { line, column } = lineCol(source.text, off);
      pos = { file: label, line, column };
    }
  }
  const extra = (v.errors?.length ?? 1) - 1;
  const more = extra > 0 ? ` (and ${extra} more problem${extra === 1 ? '' : 's'})` : '';
  let fix = `fix the value at JSON path ${errPtr || '/'}`;
  if (unknownKey !== null) {
    const known = knownKeys(name, value, err.instancePath);
    const guess = closest(unknownKey, known);
    fix = guess
      ? `did you mean "${guess}"? (JSON path ${errPtr})`
      : `remove or rename the key at JSON path ${errPtr}${known.length ? `; known keys here: ${known.join(', ')}` : ''}`;
  }
  throw new UserError(`${pos ? formatPos(pos) : label}: invalid ${name} file: ${describe(err)}${more}`, {
    hint: hint ?? `${fix}; the schema is ${path.basename(schemaPath(name))}`,
    ...(pos ? { pos } : {}),
  });
}

/** Read, parse and validate a JSON file; errors name the file, line and column. */
export function readJsonFile<T>(file: string, name: SchemaName, label = file, hint?: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${label}: cannot read ${name} file (${code ?? String(e)})`, {
      hint: code === 'ENOENT' ? 'check the path' : undefined,
    });
  }
  return parseJsonText<T>(text, name, label, hint);
}

export function parseJsonText<T>(text: string, name: SchemaName, label: string, hint?: string): T {
  let parsed: ReturnType<typeof parseJsonWithPositions>;
  try {
    parsed = parseJsonWithPositions(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      const { line, column } = lineCol(text, e.offset);
      throw locatedError(
        { file: label, line, column },
        `malformed JSON: ${e.message}`,
        e.hint ?? `fix the syntax of ${label} (it must be plain JSON: no comments, no trailing commas)`,
      );
    }
    throw e;
  }
  assertValid(name, parsed.value, label, { text, ...parsed.positions }, hint);
  return parsed.value as T;
}
