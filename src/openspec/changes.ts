/**
 * Discover OpenSpec change sets in a plain directory tree and read their
 * `policydrift:` block from `.openspec.yaml` (OpenSpec ignores unknown
 * top-level keys there and keeps them byte-for-byte on archive).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Document } from 'yaml';
import { UserError, locatedError, type SourcePos } from '../errors.js';
import { relPosix } from '../util/fs.js';
import { parseYamlText } from '../util/yamlfile.js';

export const CHANGES_DIR = 'openspec/changes';
export const METADATA_FILE = '.openspec.yaml';
export const POLICYDRIFT_KEY = 'policydrift';
const ARCHIVED_RE = /^(\d{4}-\d{2}-\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$/;

/** One entry of `policydrift.justifies`: names exactly one Change. */
export interface JustificationDecl {
  rule: string;
  id: string;
  /** "" when the change is about the entity itself. */
  subject: string;
  /** When present, the Change's fingerprint must equal it (pins before/after). */
  fingerprint?: string;
  reason?: string;
  /** At a workspace root: the package whose change this names (absent: a single-project check). */
  package?: string;
}

/** The `policydrift:` block of `.openspec.yaml`. */
export interface PolicydriftBlock {
  /** Baseline manifestVersion. */
  from: number;
  /** Candidate manifestVersion (>= from). */
  to: number;
  justifies: JustificationDecl[];
}

/** A `**Invariants**: <id>, <id>` line in a delta spec (informational). */
export interface InvariantRef {
  /** Relative to the change folder, POSIX (`specs/le/spec.md`). */
  file: string;
  line: number;
  /** The enclosing `### Requirement:` name, or null. */
  requirement: string | null;
  id: string;
}

export interface ChangeSet {
  /** The change id (for archived sets, without the date prefix). */
  id: string;
  /** Absolute path of the change folder. */
  dir: string;
  /** POSIX path relative to the tree root (`openspec/changes/add-x`). */
  relDir: string;
  archived: boolean;
  /** YYYY-MM-DD of the archive folder, null when active. */
  archivedOn: string | null;
  /** The whole `.openspec.yaml` as plain data ({} when the file is absent). */
  metadata: Record<string, unknown>;
  /** null when `.openspec.yaml` has no `policydrift:` key. */
  policydrift: PolicydriftBlock | null;
  invariants: InvariantRef[];
}

const DECL_KEYS = ['rule', 'id', 'subject', 'fingerprint', 'reason', 'package'] as const;
const BLOCK_KEYS = ['from', 'to', 'justifies'] as const;

/** `policydrift.justifies[0].rule` style key path. */
export function keyPathText(keys: Array<string | number>): string {
  let s = '';
  for (const k of keys) s += typeof k === 'number' ? `[${k}]` : s ? `.${k}` : k;
  return s;
}

/**
 * Problems of one declaration (shape, wildcards), or [] when it is usable.
 * Shared by the parser and by matchJustifications (fail closed on anything
 * built by hand).
 */
export function declarationProblems(decl: unknown): Array<{ key: string | null; problem: string }> {
  if (!decl || typeof decl !== 'object' || Array.isArray(decl)) {
    return [{ key: null, problem: 'must be a mapping with rule, id and subject' }];
  }
  const d = decl as Record<string, unknown>;
  const out: Array<{ key: string | null; problem: string }> = [];
  for (const k of Object.keys(d)) {
    if (!(DECL_KEYS as readonly string[]).includes(k)) {
      out.push({ key: k, problem: `unknown key "${k}" (allowed: ${DECL_KEYS.join(', ')})` });
    }
  }
  for (const k of ['rule', 'id', 'subject'] as const) {
    const v = d[k];
    if (v === undefined || v === null)
      out.push({ key: k, problem: `"${k}" is required${k === 'subject' ? ' (use "" for the entity itself)' : ''}` });
    else if (typeof v !== 'string') out.push({ key: k, problem: `"${k}" must be a string (quote it in YAML)` });
    else if (k !== 'subject' && v === '') out.push({ key: k, problem: `"${k}" must not be empty` });
  }
  for (const k of ['fingerprint', 'reason', 'package'] as const) {
    const v = d[k];
    if (v !== undefined && typeof v !== 'string') out.push({ key: k, problem: `"${k}" must be a string` });
    if (k === 'package' && v === '')
      out.push({ key: k, problem: '"package" must not be empty (omit it outside a workspace root)' });
    if (k === 'fingerprint' && v === '')
      out.push({ key: k, problem: '"fingerprint" must not be empty (omit it instead)' });
  }
  // No wildcards: a justification names one change exactly, so a reviewer
  // approves exactly what will pass.
  for (const k of ['rule', 'id', 'subject', 'fingerprint'] as const) {
    const v = d[k];
    if (typeof v === 'string' && v.includes('*')) {
      out.push({ key: k, problem: `"${k}" contains "*": wildcards are not allowed, name each change exactly` });
    }
  }
  return out;
}

function declKey(d: { rule: string; id: string; subject: string; package?: string }): string {
  return JSON.stringify(d.package === undefined ? [d.rule, d.id, d.subject] : [d.rule, d.id, d.subject, d.package]);
}

/**
 * Check the shape of a `policydrift:` value. `locate(keys)` turns a key path
 * into a position (`file:line:col`); errors name the file and the key path.
 */
export function parsePolicydriftBlock(
  value: unknown,
  label: string,
  locate: (keys: Array<string | number>) => SourcePos = () => ({ file: label }),
): PolicydriftBlock {
  const fail = (keys: Array<string | number>, problem: string): never => {
    throw locatedError(
      locate([POLICYDRIFT_KEY, ...keys]),
      `${keyPathText([POLICYDRIFT_KEY, ...keys])}: ${problem}`,
      'expected policydrift: { from: <manifestVersion>, to: <manifestVersion>, justifies: [ { rule, id, subject, fingerprint?, reason? } ] }',
    );
  };
  if (!value || typeof value !== 'object' || Array.isArray(value))
    fail([], 'must be a mapping with from, to and justifies');
  const b = value as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!(BLOCK_KEYS as readonly string[]).includes(k))
      fail([k], `unknown key "${k}" (allowed: ${BLOCK_KEYS.join(', ')})`);
  }
  for (const k of ['from', 'to'] as const) {
    const v = b[k];
    if (v === undefined || v === null) fail([k], `"${k}" is required (a manifestVersion)`);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
      fail([k], `"${k}" must be a positive integer manifestVersion`);
  }
  // Equal versions are allowed: a config change can need justification without changing the manifest.
  if ((b.to as number) < (b.from as number))
    fail(['to'], `"to" (${String(b.to)}) must not be less than "from" (${String(b.from)})`);
  if (!Array.isArray(b.justifies)) fail(['justifies'], '"justifies" must be a list of { rule, id, subject }');
  const seen = new Map<string, number>();
  const justifies: JustificationDecl[] = [];
  (b.justifies as unknown[]).forEach((raw, i) => {
    const problems = declarationProblems(raw);
    if (problems.length) {
      const p = problems[0]!;
      fail(
        p.key === null || !(DECL_KEYS as readonly string[]).includes(p.key)
          ? ['justifies', i]
          : ['justifies', i, p.key],
        p.problem,
      );
    }
    const d = raw as Record<string, string>;
    const decl: JustificationDecl = { rule: d.rule!, id: d.id!, subject: d.subject! };
    if (d.fingerprint !== undefined) decl.fingerprint = d.fingerprint;
    if (d.reason !== undefined) decl.reason = d.reason;
    if (d.package !== undefined) decl.package = d.package;
    const key = declKey(decl);
    const prev = seen.get(key);
    if (prev !== undefined) fail(['justifies', i], `duplicates justifies[${prev}] (same rule, id and subject)`);
    seen.set(key, i);
    justifies.push(decl);
  });
  return { from: b.from as number, to: b.to as number, justifies };
}

export interface ParsedMetadata {
  doc: Document;
  metadata: Record<string, unknown>;
  policydrift: PolicydriftBlock | null;
}

/** Parse `.openspec.yaml` text; `label` names the file in errors. */
export function parseMetadataText(text: string, label: string, opts: { checkBlock?: boolean } = {}): ParsedMetadata {
  const { doc, lineCounter, value: js } = parseYamlText(text, label, `fix the syntax of ${label}`);
  const locate = (keys: Array<string | number>): SourcePos => {
    for (let n = keys.length; n >= 0; n--) {
      const node = doc.getIn(keys.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) {
        const { line, col } = lineCounter.linePos(node.range[0]);
        return { file: label, line, column: col };
      }
    }
    return { file: label };
  };
  if (js === null || js === undefined) return { doc, metadata: {}, policydrift: null };
  if (opts.checkBlock === false) return { doc, metadata: js as Record<string, unknown>, policydrift: null };
  if (typeof js !== 'object' || Array.isArray(js)) {
    throw locatedError(locate([]), `${path.basename(label)} must be a YAML mapping`);
  }
  const metadata = js as Record<string, unknown>;
  const raw = metadata[POLICYDRIFT_KEY];
  const policydrift = raw === undefined ? null : parsePolicydriftBlock(raw, label, locate);
  return { doc, metadata, policydrift };
}

const INVARIANTS_RE = /^\s*(?:[-*]\s+)?\*\*Invariants\*\*\s*:\s*(.*)$/;
const REQUIREMENT_RE = /^###\s+Requirement:\s*(.+?)\s*$/;

/** Every `specs/**\/spec.md` under a change folder, as sorted POSIX paths relative to it. */
export function deltaSpecFiles(setDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const ent of entries) {
      const abs = path.join(dir, ent.name);
      if (ent.isSymbolicLink()) {
        throw new UserError(`${abs}: symbolic links are not allowed inside a change set's specs/`, {
          hint: 'commit the file itself; a link could point outside the change set',
        });
      }
      if (ent.isDirectory()) walk(abs);
      else if (ent.isFile() && ent.name === 'spec.md') out.push(relPosix(setDir, abs));
    }
  };
  walk(path.join(setDir, 'specs'));
  return out.sort(byCodeUnit);
}

export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `**Invariants**: a, b` lines of the delta specs, in file order. */
export function collectInvariantRefs(setDir: string): InvariantRef[] {
  const refs: InvariantRef[] = [];
  for (const file of deltaSpecFiles(setDir)) {
    const lines = fs.readFileSync(path.join(setDir, file), 'utf8').split(/\r?\n/);
    let requirement: string | null = null;
    lines.forEach((text, i) => {
      const req = REQUIREMENT_RE.exec(text);
      if (req) {
        requirement = req[1]!;
        return;
      }
      if (/^#{1,2}\s/.test(text)) requirement = null;
      const m = INVARIANTS_RE.exec(text);
      if (!m) return;
      for (const part of m[1]!.split(',')) {
        const id = part
          .trim()
          .replace(/^`(.*)`$/, '$1')
          .trim();
        if (id) refs.push({ file, line: i + 1, requirement, id });
      }
    });
  }
  return refs;
}

/**
 * Read one change folder. `root` is the tree root (for relative labels).
 * Throws a located UserError for malformed `.openspec.yaml` or `policydrift:`.
 */
export function readChangeSet(root: string, dir: string): ChangeSet {
  const absRoot = path.resolve(root);
  const abs = path.resolve(dir);
  const relDir = relPosix(absRoot, abs);
  const name = path.basename(abs);
  const parent = path.basename(path.dirname(abs));
  const archivedMatch = parent === 'archive' ? ARCHIVED_RE.exec(name) : null;
  const metaFile = path.join(abs, METADATA_FILE);
  let parsed: ParsedMetadata | null = null;
  const lst = fs.lstatSync(metaFile, { throwIfNoEntry: false });
  if (lst) {
    if (!lst.isFile()) throw new UserError(`${relDir}/${METADATA_FILE}: must be a regular file (not a link or folder)`);
    parsed = parseMetadataText(fs.readFileSync(metaFile, 'utf8'), `${relDir}/${METADATA_FILE}`);
  }
  return {
    id: archivedMatch ? archivedMatch[2]! : name,
    dir: abs,
    relDir,
    archived: archivedMatch !== null,
    archivedOn: archivedMatch ? archivedMatch[1]! : null,
    metadata: parsed?.metadata ?? {},
    policydrift: parsed?.policydrift ?? null,
    invariants: collectInvariantRefs(abs),
  };
}

function subdirs(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
  // Real directories only: a symlinked change could point outside the tree.
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(byCodeUnit);
}

/**
 * All change sets under `<root>/openspec/changes`: active ones (every
 * non-hidden folder except archive/) then archived ones
 * (`archive/YYYY-MM-DD-<id>/`; other names there are not change sets).
 * Sorted by relDir within each group.
 */
export function discoverChangeSets(root: string): ChangeSet[] {
  const changesDir = path.join(path.resolve(root), ...CHANGES_DIR.split('/'));
  const sets: ChangeSet[] = [];
  for (const name of subdirs(changesDir)) {
    if (name === 'archive') continue;
    sets.push(readChangeSet(root, path.join(changesDir, name)));
  }
  const archiveDir = path.join(changesDir, 'archive');
  for (const name of subdirs(archiveDir)) {
    if (!ARCHIVED_RE.test(name)) continue;
    sets.push(readChangeSet(root, path.join(archiveDir, name)));
  }
  return sets;
}
