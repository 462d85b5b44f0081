/**
 * The OpenSpec CLI, spawned as a subprocess. OpenSpec has no programmatic API
 * (its package exports only the CLI entry), so we run the project's own pinned
 * copy with `--json` and parse the one JSON document it prints.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { UserError } from '../errors.js';
import { PACKAGE_ROOT } from '../util/jsonfile.js';

/** The version policydrift is tested against (package.json pins it exactly). */
export const OPENSPEC_VERSION = '1.13.2';
const OPENSPEC_PACKAGE = '@fission-ai/openspec';
const TIMEOUT_MS = 120_000;

/** OpenSpec's own change-id grammar (core/id.js KEBAB_ID_REGEX). */
export const CHANGE_ID_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface ValidationIssue {
  level: 'ERROR' | 'WARNING' | 'INFO';
  /** Relative to the change's specs/ folder, or "file". */
  path: string;
  message: string;
  line?: number;
}

export interface ValidationItem {
  id: string;
  type: 'change' | 'spec';
  valid: boolean;
  issues: ValidationIssue[];
}

export interface ValidationTotals {
  items: number;
  passed: number;
  failed: number;
}

export interface ValidationSummary {
  totals: ValidationTotals;
  byType: Record<string, ValidationTotals>;
}

/** A tool-error entry (`{ status: [...] }` document), e.g. code `unknown_item`. */
export interface ToolStatus {
  severity: string;
  code: string;
  message: string;
  fix?: string;
}

export interface OpenSpecRoot {
  path: string;
  source: string;
}

export interface ValidationResult {
  /** Exit 0, no tool error, and every item valid. */
  ok: boolean;
  items: ValidationItem[];
  /** null when OpenSpec reported a tool error instead of a report. */
  summary: ValidationSummary | null;
  root: OpenSpecRoot | null;
  /** Non-empty when OpenSpec printed a tool-error document. */
  toolErrors: ToolStatus[];
}

export interface NewChangeResult {
  id: string;
  /** Absolute path of the new change folder. */
  path: string;
}

let cachedEntry: string | null = null;

/**
 * The bin script of the OpenSpec package that policydrift itself depends on,
 * found like Node resolves it (PACKAGE_ROOT/node_modules, then ancestors, so a
 * hoisted install works too). Never a global install from PATH.
 */
export function openspecEntry(): string {
  if (cachedEntry) return cachedEntry;
  let dir = PACKAGE_ROOT;
  for (;;) {
    const pkgDir = path.join(dir, 'node_modules', ...OPENSPEC_PACKAGE.split('/'));
    const pkgJson = path.join(pkgDir, 'package.json');
    if (fs.existsSync(pkgJson)) {
      const pkg = JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { bin?: string | Record<string, string> };
      const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.openspec;
      if (bin) {
        cachedEntry = path.join(pkgDir, bin);
        return cachedEntry;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new UserError(`cannot find the ${OPENSPEC_PACKAGE} package (node_modules/.bin/openspec) next to policydrift`, {
    hint: `reinstall policydrift's dependencies (npm ci); it needs ${OPENSPEC_PACKAGE}@${OPENSPEC_VERSION}`,
  });
}

/** A minimal environment: no telemetry, no update check, nothing else inherited but PATH/HOME. */
function openspecEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { OPENSPEC_TELEMETRY: '0', OPENSPEC_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };
  for (const k of ['PATH', 'HOME', 'SYSTEMROOT', 'USERPROFILE', 'APPDATA'] as const) {
    if (process.env[k] !== undefined) env[k] = process.env[k];
  }
  return env;
}

interface RawRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cwd: string, args: string[]): RawRun {
  const r = spawnSync(process.execPath, [openspecEntry(), ...args], {
    cwd,
    env: openspecEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ETIMEDOUT') {
      throw new UserError(`openspec ${args[0]} timed out after ${TIMEOUT_MS / 1000}s in ${cwd}`);
    }
    throw new UserError(`cannot run openspec ${args[0]}: ${code ?? r.error.message}`);
  }
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function firstLine(s: string): string {
  // Strip ANSI colour codes some messages carry even with NO_COLOR.
  const clean = s.replace(/\u001b\[[0-9;]*m/g, '').trim();
  return clean.split('\n').find((l) => l.trim() && !l.startsWith('- ')) ?? clean.split('\n')[0] ?? '';
}

function parseJsonOutput(r: RawRun, what: string): Record<string, unknown> {
  const text = r.stdout.trim();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    const detail = firstLine(r.stderr) || firstLine(r.stdout) || `exit code ${r.status}`;
    throw new UserError(`openspec ${what} did not print a JSON document: ${detail}`, {
      hint: `policydrift is tested with ${OPENSPEC_PACKAGE} ${OPENSPEC_VERSION}`,
    });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UserError(`openspec ${what} printed unexpected JSON (not an object)`);
  }
  return doc as Record<string, unknown>;
}

function realDir(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch (e) {
    throw new UserError(`${dir}: cannot open directory (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

function parseStatus(doc: Record<string, unknown>): ToolStatus[] | null {
  if (!Array.isArray(doc.status)) return null;
  return doc.status.map((s) => {
    const o = (s && typeof s === 'object' ? s : {}) as Record<string, unknown>;
    const st: ToolStatus = {
      severity: typeof o.severity === 'string' ? o.severity : 'error',
      code: typeof o.code === 'string' ? o.code : 'unknown',
      message: typeof o.message === 'string' ? o.message : JSON.stringify(s),
    };
    if (typeof o.fix === 'string') st.fix = o.fix;
    return st;
  });
}

/**
 * A global store (`~/.config/openspec`) or a `store:` pointer can redirect
 * OpenSpec to another tree; then its verdict is about the wrong files.
 */
function assertRoot(root: unknown, repoReal: string, what: string): OpenSpecRoot {
  const r = (root && typeof root === 'object' ? root : {}) as Record<string, unknown>;
  const p = typeof r.path === 'string' ? r.path : '';
  const source = typeof r.source === 'string' ? r.source : '';
  let pReal = p;
  try {
    if (p) pReal = fs.realpathSync(p);
  } catch {
    // keep the reported path; the comparison below fails
  }
  if (pReal !== repoReal || source !== 'nearest') {
    throw new UserError(
      `openspec ${what} resolved its root to ${p || '(none)'} (source ${source || 'unknown'}), not ${repoReal}`,
      {
        hint: 'the repository needs its own openspec/ folder (openspec init); a global OpenSpec store or a store: pointer must not redirect it',
      },
    );
  }
  return { path: p, source };
}

function toIssue(v: unknown): ValidationIssue {
  const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
  const level = o.level === 'WARNING' || o.level === 'INFO' ? o.level : 'ERROR';
  const issue: ValidationIssue = {
    level,
    path: typeof o.path === 'string' ? o.path : '',
    message: typeof o.message === 'string' ? o.message : JSON.stringify(v),
  };
  if (typeof o.line === 'number') issue.line = o.line;
  return issue;
}

function toItem(v: unknown): ValidationItem {
  const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
  if (typeof o.id !== 'string' || (o.type !== 'change' && o.type !== 'spec')) {
    throw new UserError(`openspec validate printed an item of unexpected shape: ${JSON.stringify(v).slice(0, 200)}`);
  }
  return {
    id: o.id,
    type: o.type,
    // Fail closed: anything but a literal true is invalid.
    valid: o.valid === true,
    issues: Array.isArray(o.issues) ? o.issues.map(toIssue) : [],
  };
}

function toTotals(v: unknown): ValidationTotals {
  const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
  const n = (x: unknown) => (typeof x === 'number' ? x : 0);
  return { items: n(o.items), passed: n(o.passed), failed: n(o.failed) };
}

function validate(repoDir: string, args: string[], what: string): ValidationResult {
  const repoReal = realDir(repoDir);
  const r = run(repoReal, ['validate', ...args, '--json', '--no-interactive']);
  const doc = parseJsonOutput(r, what);
  const status = parseStatus(doc);
  if (status) {
    return { ok: false, items: [], summary: null, root: null, toolErrors: status };
  }
  if (!Array.isArray(doc.items)) {
    throw new UserError(`openspec ${what} printed JSON without "items"`, {
      hint: `policydrift is tested with ${OPENSPEC_PACKAGE} ${OPENSPEC_VERSION}`,
    });
  }
  const root = assertRoot(doc.root, repoReal, what);
  const items = doc.items.map(toItem);
  const s = (doc.summary && typeof doc.summary === 'object' ? doc.summary : {}) as Record<string, unknown>;
  const byTypeRaw = (s.byType && typeof s.byType === 'object' ? s.byType : {}) as Record<string, unknown>;
  const summary: ValidationSummary = {
    totals: toTotals(s.totals),
    byType: Object.fromEntries(Object.entries(byTypeRaw).map(([k, v]) => [k, toTotals(v)])),
  };
  return { ok: r.status === 0 && items.every((i) => i.valid), items, summary, root, toolErrors: [] };
}

function assertChangeId(id: string): void {
  if (!CHANGE_ID_RE.test(id)) {
    throw new UserError(`${JSON.stringify(id)} is not a valid OpenSpec change id`, {
      hint: 'change ids are kebab-case: lowercase letters, digits and single hyphens (e.g. add-account-metadata)',
    });
  }
}

/** `openspec validate <id> --type change --strict --json` in `repoDir`. */
export function validateChange(repoDir: string, id: string, opts: { strict?: boolean } = {}): ValidationResult {
  assertChangeId(id);
  // With --type change, OpenSpec reports an unknown id as "no deltas", not unknown_item.
  const setDir = path.join(repoDir, 'openspec', 'changes', id);
  if (!fs.statSync(setDir, { throwIfNoEntry: false })?.isDirectory()) {
    return {
      ok: false,
      items: [],
      summary: null,
      root: null,
      toolErrors: [
        {
          severity: 'error',
          code: 'unknown_item',
          message: `Unknown change '${id}' (no folder openspec/changes/${id}/)`,
        },
      ],
    };
  }
  const args = [id, '--type', 'change'];
  if (opts.strict !== false) args.push('--strict');
  return validate(repoDir, args, `validate ${id}`);
}

/** `openspec validate --all --strict --json` in `repoDir` (active changes and main specs; archive/ is skipped). */
export function validateAll(repoDir: string, opts: { strict?: boolean } = {}): ValidationResult {
  const args = ['--all'];
  if (opts.strict !== false) args.push('--strict');
  return validate(repoDir, args, 'validate --all');
}

/** The validation item of one change in a result, or null when absent. */
export function changeItem(result: ValidationResult, id: string): ValidationItem | null {
  return result.items.find((i) => i.type === 'change' && i.id === id) ?? null;
}

/** One line per problem (tool errors, then ERROR/WARNING issues), for reports. */
export function validationMessages(result: ValidationResult): string[] {
  const out = result.toolErrors.map((s) => `openspec: ${s.message}${s.fix ? ` (${s.fix})` : ''}`);
  for (const item of result.items) {
    for (const i of item.issues) {
      if (i.level === 'INFO') continue;
      const where = i.path && i.path !== 'file' ? `${i.path}${i.line !== undefined ? `:${i.line}` : ''}: ` : '';
      out.push(`${item.type} ${item.id}: ${i.level}: ${where}${i.message}`);
    }
    if (!item.valid && !item.issues.some((i) => i.level !== 'INFO')) out.push(`${item.type} ${item.id}: invalid`);
  }
  return out;
}

/** `openspec new change <id>` in `repoDir`; the folder is `openspec/changes/<id>/`. */
export function newChange(repoDir: string, id: string): NewChangeResult {
  assertChangeId(id);
  const repoReal = realDir(repoDir);
  const r = run(repoReal, ['new', 'change', id, '--json']);
  const doc = parseJsonOutput(r, `new change ${id}`);
  const status = parseStatus(doc);
  if (status && status.length) {
    const s = status[0]!;
    throw new UserError(`openspec new change ${id}: ${s.message}`, { hint: s.fix });
  }
  if (r.status !== 0) throw new UserError(`openspec new change ${id} failed (exit ${r.status})`);
  assertRoot(doc.root, repoReal, `new change ${id}`);
  const change = (doc.change && typeof doc.change === 'object' ? doc.change : {}) as Record<string, unknown>;
  const p = typeof change.path === 'string' ? change.path : path.join(repoReal, 'openspec', 'changes', id);
  return { id, path: p };
}
