/**
 * Workspace discovery and the workspace manifest index.
 *
 * A workspace root declares its member packages with npm/yarn
 * `package.json` `workspaces` (an array, or `{ packages: [...] }`), pnpm's
 * `pnpm-workspace.yaml` `packages`, or TypeScript project references in the
 * root tsconfig.json. policydrift covers the members that have their own
 * policydrift.config.json, plus those the root config lists in `packages`.
 * Discovery reads through a `WorkspaceReader`, so the same code answers for
 * the working tree and for a commit (check, release).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { minimatch } from 'minimatch';
import { parse as parseYaml } from 'yaml';
import { UserError, locatedError } from '../errors.js';
import { canonicalJson } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { sha256Hex } from '../util/fs.js';
import { assertValid, parseJsonText } from '../util/jsonfile.js';
import { JsonSyntaxError, lineCol, parseJsonWithPositions } from '../util/jsonpos.js';
import { GENERATOR } from '../version.js';
import { CONFIG_FILE } from '../config/index.js';

export const WORKSPACE_INDEX_FILE = 'invariants.workspace.json';
export const WORKSPACE_SCHEMA_VERSION = 1;

/** Reads a workspace: the working tree or a commit. Paths are POSIX, relative to the workspace root. */
export interface WorkspaceReader {
  /** Text of a file, or null when absent. */
  readFile(rel: string): string | null;
  /** Folders (relative; never the root itself) that hold a package.json, outside node_modules. */
  packageDirs(): string[];
  /** Label for messages (`.`, `HEAD:`...). */
  label(rel: string): string;
}

export interface WorkspacePackage {
  /** package.json "name", else the folder. */
  name: string;
  /** Folder relative to the workspace root (POSIX). */
  dir: string;
  /** Has its own policydrift.config.json. */
  hasConfig: boolean;
}

export interface Workspace {
  /** How members were declared: `package.json workspaces`, `pnpm-workspace.yaml`, `tsconfig.json references`, `policydrift.config.json packages`. */
  sources: string[];
  /** Every member package, sorted by folder. */
  members: WorkspacePackage[];
  /** The members policydrift covers, sorted by name. */
  packages: WorkspacePackage[];
  /** Root config path of the index file (relative). */
  indexPath: string;
}

export interface IndexEntry {
  dir: string;
  manifest: string;
  digest: string;
  manifestVersion: number;
  tracked: number;
}

export interface WorkspaceIndex {
  schemaVersion: number;
  workspaceVersion: number;
  digest: string;
  generator: { name: string; version: string };
  packages: Record<string, IndexEntry>;
}

const SKIP = new Set(['node_modules', '.git']);

/** The working tree under `root`. */
export function fsReader(root: string): WorkspaceReader {
  return {
    readFile(rel) {
      try {
        return fs.readFileSync(path.join(root, ...rel.split('/')), 'utf8');
      } catch {
        return null;
      }
    },
    packageDirs() {
      const out: string[] = [];
      const walk = (rel: string, depth: number) => {
        if (depth > 8) return;
        let entries: fs.Dirent[];
        try {
          entries = fs.readdirSync(path.join(root, ...rel.split('/').filter(Boolean)), { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of entries) {
          if (e.isFile() && e.name === 'package.json' && rel) out.push(rel);
          if (e.isDirectory() && !SKIP.has(e.name) && !e.name.startsWith('.'))
            walk(rel ? `${rel}/${e.name}` : e.name, depth + 1);
        }
      };
      walk('', 0);
      return out.sort();
    },
    label: (rel) => path.relative(process.cwd(), path.join(root, rel)) || rel,
  };
}

/** A commit: `files` are the commit's paths relative to the workspace root, `read` reads one. */
export function treeReader(
  files: Iterable<string>,
  read: (rel: string) => string | null,
  ref: string,
): WorkspaceReader {
  const dirs: string[] = [];
  for (const f of files) {
    const parts = f.split('/');
    if (parts.length < 2 || parts[parts.length - 1] !== 'package.json' || parts.some((p) => SKIP.has(p))) continue;
    dirs.push(parts.slice(0, -1).join('/'));
  }
  return { readFile: read, packageDirs: () => dirs.sort(), label: (rel) => `${ref}:${rel}` };
}

function parseJsonc(text: string, label: string): unknown {
  try {
    return parseJsonWithPositions(text).value;
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      const { line, column } = lineCol(text, e.offset);
      throw locatedError({ file: label, line, column }, `malformed JSON: ${e.message}`, `fix the syntax of ${label}`);
    }
    throw e;
  }
}

function stringList(v: unknown, label: string, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new UserError(`${label}: ${what} must be a list of folder patterns`, { hint: 'e.g. ["packages/*"]' });
  return v as string[];
}

const normalize = (p: string) => path.posix.normalize(p.replace(/\\/g, '/')).replace(/^\.\//, '').replace(/\/+$/, '');

/** Match member patterns (globs over folders with a package.json; `!` negates) against the known package folders. */
function expand(patterns: string[], dirs: string[]): string[] {
  const pos = patterns.filter((p) => !p.startsWith('!')).map(normalize);
  const neg = patterns.filter((p) => p.startsWith('!')).map((p) => normalize(p.slice(1)));
  return dirs.filter((d) => pos.some((p) => minimatch(d, p, { dot: false })) && !neg.some((p) => minimatch(d, p)));
}

/** Discover the workspace at the root the reader reads. Returns null when the root declares no workspace. */
export function discoverWorkspace(
  reader: WorkspaceReader,
  opts: { requireWorkspace?: boolean } = {},
): Workspace | null {
  const sources: string[] = [];
  const memberDirs = new Set<string>();
  const all = reader.packageDirs();

  const pkgText = reader.readFile('package.json');
  if (pkgText !== null) {
    const pkg = parseJsonc(pkgText, reader.label('package.json')) as { workspaces?: unknown };
    if (pkg && typeof pkg === 'object' && pkg.workspaces !== undefined) {
      const w = pkg.workspaces as unknown;
      const list = Array.isArray(w)
        ? w
        : w && typeof w === 'object'
          ? (w as { packages?: unknown }).packages
          : undefined;
      for (const d of expand(stringList(list, reader.label('package.json'), '"workspaces"'), all)) memberDirs.add(d);
      sources.push('package.json workspaces');
    }
  }
  const pnpmText = reader.readFile('pnpm-workspace.yaml');
  if (pnpmText !== null) {
    let doc: unknown;
    try {
      doc = parseYaml(pnpmText);
    } catch (e) {
      throw new UserError(
        `${reader.label('pnpm-workspace.yaml')}: invalid YAML: ${(e as Error).message.split('\n')[0]}`,
      );
    }
    const list = doc && typeof doc === 'object' ? (doc as { packages?: unknown }).packages : undefined;
    for (const d of expand(stringList(list, reader.label('pnpm-workspace.yaml'), '"packages"'), all)) memberDirs.add(d);
    sources.push('pnpm-workspace.yaml');
  }
  const tsText = reader.readFile('tsconfig.json');
  if (tsText !== null) {
    let refs: unknown;
    try {
      refs = (parseJsonc(stripJsonComments(tsText), reader.label('tsconfig.json')) as { references?: unknown })
        ?.references;
    } catch {
      refs = undefined; // the package's own extraction reports a broken tsconfig
    }
    if (Array.isArray(refs) && refs.length) {
      for (const r of refs) {
        const p = r && typeof r === 'object' ? (r as { path?: unknown }).path : undefined;
        if (typeof p !== 'string') continue;
        let d = normalize(p);
        if (/\.json$/i.test(d)) d = path.posix.dirname(d);
        if (d && d !== '.' && !d.startsWith('..')) memberDirs.add(d);
      }
      sources.push('tsconfig.json references');
    }
  }

  const rootCfgText = reader.readFile(CONFIG_FILE);
  let listed: string[] = [];
  let indexPath = WORKSPACE_INDEX_FILE;
  if (rootCfgText !== null) {
    const raw = parseJsonText<{ packages?: unknown; workspaceIndex?: unknown }>(
      rootCfgText,
      'config',
      reader.label(CONFIG_FILE),
    );
    listed = stringList(raw.packages, reader.label(CONFIG_FILE), '"packages"');
    if (typeof raw.workspaceIndex === 'string') indexPath = normalize(raw.workspaceIndex);
    if (listed.length) sources.push(`${CONFIG_FILE} packages`);
  }
  if (sources.length === 0) {
    if (opts.requireWorkspace) {
      throw new UserError(`${reader.label('.')}: not a workspace root`, {
        hint: 'a workspace root has package.json "workspaces", pnpm-workspace.yaml, tsconfig.json "references", or "packages" in policydrift.config.json',
      });
    }
    return null;
  }

  const known = new Set(all);
  const listedDirs = new Set<string>();
  for (const p of listed) {
    const n = normalize(p);
    const hits = /[*?[{]/.test(n) ? expand([n], all) : [n];
    if (hits.length === 0 || (!/[*?[{]/.test(n) && !known.has(n) && reader.readFile(`${n}/tsconfig.json`) === null)) {
      throw new UserError(`${reader.label(CONFIG_FILE)}: "packages" entry "${p}" matches no package folder`, {
        hint: 'list folders relative to the workspace root (globs like "packages/*" allowed)',
      });
    }
    for (const h of hits) {
      listedDirs.add(h);
      memberDirs.add(h);
    }
  }
  const members: WorkspacePackage[] = [...memberDirs].sort().map((dir) => {
    let name = dir;
    const t = reader.readFile(`${dir}/package.json`);
    if (t !== null) {
      try {
        const n = (JSON.parse(t) as { name?: unknown }).name;
        if (typeof n === 'string' && n) name = n;
      } catch {
        // a broken package.json keeps the folder as the name
      }
    }
    return { name, dir, hasConfig: reader.readFile(`${dir}/${CONFIG_FILE}`) !== null };
  });
  const packages = members
    .filter((m) => m.hasConfig || listedDirs.has(m.dir))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const seen = new Map<string, string>();
  for (const p of packages) {
    const prev = seen.get(p.name);
    if (prev !== undefined) {
      throw new UserError(`two covered packages are named "${p.name}": ${prev} and ${p.dir}`, {
        hint: 'give each package a unique "name" in its package.json',
      });
    }
    seen.set(p.name, p.dir);
  }
  return { sources, members, packages, indexPath };
}

/** tsconfig files are JSONC: drop comments and trailing commas the strict JSON parser rejects. */
function stripJsonComments(text: string): string {
  let out = '';
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inStr) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inStr = false;
    } else if (c === '"') {
      inStr = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) i++;
      i++;
    } else out += c;
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}

/** How many invariants a manifest tracks. */
export function trackedCount(m: Manifest): number {
  const i = m.invariants;
  return (
    Object.keys(i.le.handlers).length +
    Object.keys(i.logging.schemas).length +
    Object.keys(i.keygate.guards).length +
    Object.keys(i.keygate.sinks).length +
    Object.keys(i.keygate.sites).length +
    Object.keys(i.keygate.escapes).length +
    Object.keys(i.privacy.invariants).length
  );
}

/** The digest of an index: names, folders, manifest paths and manifest digests (not versions). */
export function indexDigest(packages: Record<string, IndexEntry>): string {
  const core: Record<string, unknown> = {};
  for (const [name, e] of Object.entries(packages)) core[name] = { dir: e.dir, manifest: e.manifest, digest: e.digest };
  return `sha256:${sha256Hex(canonicalJson({ schemaVersion: WORKSPACE_SCHEMA_VERSION, packages: core }))}`;
}

/** Assemble and validate an index; the version is kept when the digest equals `previous`'s, else bumped. */
export function buildIndex(entries: Record<string, IndexEntry>, previous: WorkspaceIndex | null): WorkspaceIndex {
  const digest = indexDigest(entries);
  const workspaceVersion = previous
    ? previous.digest === digest
      ? previous.workspaceVersion
      : previous.workspaceVersion + 1
    : 1;
  const sorted: Record<string, IndexEntry> = {};
  for (const k of Object.keys(entries).sort()) sorted[k] = entries[k]!;
  const idx: WorkspaceIndex = {
    schemaVersion: WORKSPACE_SCHEMA_VERSION,
    workspaceVersion,
    digest,
    generator: { ...GENERATOR },
    packages: sorted,
  };
  assertValid('workspace', idx, '(workspace index)', undefined, 'this is a policydrift bug: please report it');
  return idx;
}

/** Parse and validate an index (a file or a git blob); a digest that does not match its content is an input error. */
export function parseIndexText(text: string, label: string): WorkspaceIndex {
  const idx = parseJsonText<WorkspaceIndex>(
    text,
    'workspace',
    label,
    'regenerate it with `policydrift extract --workspace --write`',
  );
  const actual = indexDigest(idx.packages);
  if (actual !== idx.digest) {
    throw new UserError(
      `${label}: workspace index digest does not match its content (recorded ${idx.digest}, computed ${actual})`,
      {
        hint: 'the index was edited by hand; regenerate it with `policydrift extract --workspace --write`',
      },
    );
  }
  return idx;
}

export function indexEntry(pkg: WorkspacePackage, manifestRel: string, m: Manifest): IndexEntry {
  return {
    dir: pkg.dir,
    manifest: path.posix.join(pkg.dir, manifestRel),
    digest: m.digest,
    manifestVersion: m.manifestVersion,
    tracked: trackedCount(m),
  };
}
