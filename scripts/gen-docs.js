#!/usr/bin/env node
// Regenerate the generated reference docs (build first: `npm run build`):
//   docs/rules.md  from the rule catalogue (dist/diff/rules/reference.js)
//   docs/config.md from config.schema.json
// `node scripts/gen-docs.js --check` exits 1 when a committed file is out of date.
// Importing this module (the tests do) only exports the renderers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderRulesReference } from '../dist/diff/rules/reference.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------
// docs/config.md

/** A JSON value as inline code (arrays on one line with spaces). */
const code = (v) =>
  '`' + (Array.isArray(v) ? `[${v.map((x) => JSON.stringify(x)).join(', ')}]` : JSON.stringify(v)) + '`';
/** Literal text (a pattern) as inline code. */
const raw = (s) => '`' + s + '`';
/** A table cell: one line, pipes escaped. */
const cell = (s) => String(s).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

/**
 * Descriptions for schema nodes that have none (keyed by the documented
 * path). The schema's own description always wins; every row must end up
 * with one (test/config-docs.test.js), so a new property cannot ship
 * undocumented.
 */
export const FALLBACK_DESCRIPTIONS = {
  'approvals.mode':
    '`signed`: an approval counts only with a valid SSH signature (namespace `policydrift`) by a key in `allowedSigners`. `listed`: the approver name must be in `approvers`; not cryptographic, anyone who can commit can write a name.',
  'approvals.minApprovals': 'Valid approvals a change set needs before it justifies anything.',
  'profiles.<name>.install':
    'Install command as an argument array, run without a shell in a fresh worktree of the candidate before `build` (e.g. `["npm", "ci"]` for a hermetic build).',
  'profiles.<name>.build':
    'Build command as an argument array, run without a shell in the project directory of the candidate worktree.',
  'profiles.<name>.env':
    'Extra environment for `install` and `build`, merged over the minimal one (`PATH`, `HOME`, `TZ=UTC`, `SOURCE_DATE_EPOCH`).',
  'profiles.<name>.outDir':
    'Build output folder, relative to the project root: every file in it is digested and scanned.',
  'profiles.<name>.reproducible': 'Build twice in two fresh worktrees and fail on any byte difference.',
  'profiles.<name>.forbiddenIdentifiers':
    'Identifiers that must not appear in the emitted JavaScript (exact name match: test or debug backdoors).',
  'profiles.<name>.forbiddenStrings':
    'Substrings that must not appear in string literals of the emitted code (or anywhere in other text outputs).',
  'profiles.<name>.publish':
    'Optional publish command as an argument array, run by `policydrift release` (without a shell, from the project root) after the build verified and the artifact was placed; the artifact path is appended as the last argument and `POLICYDRIFT_RELEASE_VERSION` is set. A failure withdraws the artifact and records no release.',
};

function resolveRef(schema, node) {
  let n = node;
  const seen = new Set();
  while (n && n.$ref) {
    if (seen.has(n.$ref)) throw new Error(`config.schema.json: $ref cycle at ${n.$ref}`);
    seen.add(n.$ref);
    const m = /^#\/\$defs\/(.+)$/.exec(n.$ref);
    if (!m || !schema.$defs?.[m[1]]) throw new Error(`config.schema.json: cannot resolve ${n.$ref}`);
    // Keywords next to $ref (description, default) win over the target's.
    const { $ref: _ref, ...rest } = n;
    n = { ...schema.$defs[m[1]], ...rest };
  }
  return n;
}

/** Constraints worth telling a user, as words. */
function constraints(n) {
  const out = [];
  if (n.minLength === 1) out.push('non-empty');
  else if (n.minLength !== undefined) out.push(`at least ${n.minLength} characters`);
  if (n.pattern && !n.description) out.push(`matching ${raw(n.pattern)}`);
  if (n.minItems !== undefined) out.push(`at least ${n.minItems} item${n.minItems === 1 ? '' : 's'}`);
  if (n.uniqueItems) out.push('no duplicates');
  if (n.minimum !== undefined) out.push(`≥ ${n.minimum}`);
  if (n.maximum !== undefined) out.push(`≤ ${n.maximum}`);
  return out;
}

const PLURAL = {
  string: 'strings',
  number: 'numbers',
  integer: 'integers',
  boolean: 'booleans',
  object: 'objects',
  array: 'arrays',
};

/** The type of a schema node in words, recursing into items, maps and alternatives. */
function typeText(schema, node) {
  const n = resolveRef(schema, node);
  if (n.enum) return n.enum.map(code).join(' or ');
  if (n.const !== undefined) return code(n.const);
  if (n.oneOf || n.anyOf) return (n.oneOf ?? n.anyOf).map((x) => typeText(schema, x)).join('; or ');
  const t = Array.isArray(n.type) ? n.type.join(' or ') : n.type;
  if (t === 'array') {
    const item = n.items ? resolveRef(schema, n.items) : null;
    let what = 'anything';
    const notes = [];
    if (item && !item.enum && !item.oneOf && !item.anyOf && item.type !== 'array' && item.type !== 'object') {
      const types = Array.isArray(item.type) ? item.type : [item.type];
      what = types.map((x) => PLURAL[x] ?? x).join(', ');
      const each = constraints(item);
      if (each.length) notes.push(`each ${each.join(', ')}`);
      if (item.description) notes.push(`each: ${item.description.replace(/\.$/, '')}`);
    } else if (item) {
      what = typeText(schema, item);
    }
    notes.push(...constraints(n));
    return `array of ${what}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  }
  if (t === 'object') {
    if (n.properties) return 'object (table below)';
    if (n.additionalProperties && typeof n.additionalProperties === 'object') {
      const value = resolveRef(schema, n.additionalProperties);
      return value.properties ? 'object: name → object (table below)' : `object: name → ${typeText(schema, value)}`;
    }
    return 'object';
  }
  const c = constraints(n);
  return `${t ?? 'any'}${c.length ? ` (${c.join(', ')})` : ''}`;
}

/** Object schemas below a property that get their own table: [label, schema]. */
function childTables(schema, label, node) {
  const n = resolveRef(schema, node);
  if (n.type === 'object' && n.properties) return [[label, n]];
  if (n.type === 'object' && n.additionalProperties && typeof n.additionalProperties === 'object') {
    const value = resolveRef(schema, n.additionalProperties);
    if (value.type === 'object' && value.properties) return [[`${label}.<name>`, value]];
  }
  return [];
}

function renderTable(schema, label, obj) {
  const lines = [];
  const anchor = label === '' ? 'top level' : raw(label);
  lines.push(`## ${anchor}`, '');
  const desc = label === '' ? null : obj.description;
  if (desc) lines.push(desc, '');
  if (obj.required?.length) lines.push(`Required: ${obj.required.map(raw).join(', ')}.`, '');
  if (obj.additionalProperties === false)
    lines.push('No other properties are allowed (a misspelt key is an error).', '');
  lines.push('| property | type | default | description |', '|---|---|---|---|');
  const nested = [];
  for (const [name, prop] of Object.entries(obj.properties)) {
    const n = resolveRef(schema, prop);
    const full = label ? `${label}.${name}` : name;
    const required = obj.required?.includes(name) ? ' **(required)**' : '';
    const def = n.default !== undefined ? code(n.default) : '—';
    let description = n.description ?? FALLBACK_DESCRIPTIONS[full] ?? '';
    if (n.propertyNames?.pattern)
      description += `${description ? ' ' : ''}Names must match ${raw(n.propertyNames.pattern)}.`;
    lines.push(
      `| ${raw(name)}${required} | ${cell(typeText(schema, prop))} | ${cell(def)} | ${cell(description || '—')} |`,
    );
    nested.push(...childTables(schema, full, prop));
  }
  lines.push('');
  for (const [childLabel, child] of nested) lines.push(...renderTable(schema, childLabel, child));
  return lines;
}

/** The config reference (docs/config.md), generated from the schema object. */
export function renderConfigReference(
  schema = JSON.parse(fs.readFileSync(path.join(root, 'config.schema.json'), 'utf8')),
) {
  const lines = [
    '# policydrift configuration (`policydrift.config.json`)',
    '',
    '<!-- Generated from config.schema.json by `node scripts/gen-docs.js`; do not edit by hand. -->',
    '',
    schema.description ?? '',
    '',
    'The file is plain JSON (no comments: use the `"$comment"` key), validated against',
    '[`config.schema.json`](../config.schema.json) (JSON Schema 2020-12) on every read; an error names the',
    'file, line and column. `policydrift init` writes a commented starting point. Paths are relative to the',
    'project root (the folder with the config) unless a row says otherwise.',
    '',
    'A default of — means "not set": the list is empty, or the feature is off.',
    '',
    ...renderTable(schema, '', schema),
  ];
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/\n*$/, '\n');
}

// ---------------------------------------------------------------------------

export const DOCS = [
  { file: 'docs/rules.md', render: () => renderRulesReference() },
  { file: 'docs/config.md', render: () => renderConfigReference() },
];

function main() {
  const check = process.argv.includes('--check');
  for (const { file, render } of DOCS) {
    const abs = path.join(root, file);
    const text = render();
    if (check) {
      const current = fs.existsSync(abs) ? fs.readFileSync(abs, 'utf8') : null;
      if (current !== text) {
        process.stderr.write(`${file} is out of date; run \`node scripts/gen-docs.js\`\n`);
        process.exitCode = 1;
      }
    } else {
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, text);
      process.stderr.write(`wrote ${path.relative(process.cwd(), abs) || abs}\n`);
    }
  }
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) main();
