import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import Ajv2020Import from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { UserError } from '../errors.js';
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
  return [...pool].sort((a, b) => b.instancePath.length - a.instancePath.length)[0]!;
}

/**
 * Validate a value against one of the shipped schemas. `text` and `offsets`
 * (when the value came from a file) let the error name a line and column.
 */
export function assertValid(
  name: SchemaName,
  value: unknown,
  label: string,
  source?: { text: string; offsets: Map<string, number> },
  hint?: string,
): void {
  const v = validator(name);
  if (v(value)) return;
  const err = bestError(v.errors ?? []);
  let where = label;
  if (source) {
    let ptr = err.instancePath;
    // Walk up to the nearest pointer we have a position for.
    while (!source.offsets.has(ptr) && ptr) ptr = ptr.slice(0, ptr.lastIndexOf('/'));
    const off = source.offsets.get(ptr);
    if (off !== undefined) {
      const { line, column } = lineCol(source.text, off);
      where = `${label}:${line}:${column}`;
    }
  }
  const more = (v.errors?.length ?? 1) > 1 ? ` (and ${(v.errors?.length ?? 1) - 1} more problem(s))` : '';
  throw new UserError(`${where}: invalid ${name} file: ${describe(err)}${more}`, {
    hint: hint ?? `fix the value at JSON path ${err.instancePath || '/'}; the schema is ${path.basename(schemaPath(name))}`,
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
  let parsed: { value: unknown; positions: { offsets: Map<string, number> } };
  try {
    parsed = parseJsonWithPositions(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      const { line, column } = lineCol(text, e.offset);
      throw new UserError(`${label}:${line}:${column}: malformed JSON: ${e.message}`, {
        hint: e.hint ?? `fix the syntax of ${label} (it must be plain JSON: no comments, no trailing commas)`,
      });
    }
    throw e;
  }
  assertValid(name, parsed.value, label, { text, offsets: parsed.positions.offsets }, hint);
  return parsed.value as T;
}
