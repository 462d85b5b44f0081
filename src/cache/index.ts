/**
 * The pre-commit cache: lets `extract --write --staged` skip the TypeScript
 * program entirely when nothing relevant changed since the last run.
 *
 * It lives under `<project>/node_modules/.cache/policydrift/` and only ever
 * saves time: a missing, unreadable, corrupt or foreign entry is a miss, and
 * deleting the folder is always safe. Light on purpose (no ts-morph, no ajv).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import type { TreeEntry } from '../git/tree.js';
import { writeFileAtomic } from '../util/fs.js';

export const CACHE_DIR = path.join('node_modules', '.cache', 'policydrift');
/** Bump when the meaning of a key or an entry changes. */
const FORMAT = 1;

/**
 * Staged files that can change the manifest: TypeScript sources and
 * declarations, JSON (tsconfig, package.json, the config, JSON modules),
 * JavaScript (part of the program under `allowJs`) and lockfiles (which
 * pin the node_modules types that are read from the working tree).
 */
const RELEVANT =
  /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|json)$|(^|\/)(yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|npm-shrinkwrap\.json)$/;

export function isRelevant(rel: string): boolean {
  return RELEVANT.test(rel);
}

export interface StagedKeyInput {
  /** The tool version (a new policydrift may extract differently). */
  version: string;
  /** Project directory inside the repository ('' = top). */
  prefix: string;
  /** Repository-relative path of the config file (whether or not it exists). */
  configRel: string;
  /** Repository-relative path of the manifest: left out of the key (it is the output). */
  manifestRel: string;
  /** The staged entries (`listIndex`). */
  entries: Map<string, TreeEntry>;
}

/**
 * sha256 over the tool version, where the project, config and manifest are,
 * the config's blob id (so its text), and the sorted list of relevant staged
 * paths with their modes and blob ids. Paths are framed with NULs, so no two
 * listings hash alike. The whole repository is listed, not only the project:
 * a tsconfig `extends` or an import may reach outside it.
 */
export function stagedKey(k: StagedKeyInput): string {
  const h = crypto.createHash('sha256');
  h.update(`policydrift-staged-cache/${FORMAT}\0${k.version}\0${k.prefix}\0${k.configRel}\0${k.manifestRel}\0`);
  h.update(`config\0${k.entries.get(k.configRel)?.oid ?? 'none'}\0`);
  const rels = [...k.entries.keys()].filter((r) => r !== k.manifestRel && isRelevant(r)).sort();
  for (const rel of rels) {
    const e = k.entries.get(rel)!;
    h.update(`${rel}\0${e.mode}\0${e.oid}\0`);
  }
  return h.digest('hex');
}

/** What a run recorded: with this key, the staged manifest was (and must still be) this blob. */
export interface StagedEntry {
  format: number;
  key: string;
  /** Repository-relative manifest path (from the config the key covers). */
  manifestRel: string;
  /** Blob id of the manifest text that extraction produced for this key. */
  manifestOid: string;
  manifestVersion: number;
}

/** One entry per (project root, --config): a new run replaces it. */
export function stagedCacheFile(projectRoot: string, configArg: string | undefined): string {
  const tag = crypto
    .createHash('sha256')
    .update(configArg ?? '')
    .digest('hex')
    .slice(0, 12);
  return path.join(projectRoot, CACHE_DIR, `extract-staged-${tag}.json`);
}

export function readStagedEntry(file: string): StagedEntry | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<StagedEntry>;
    if (
      v &&
      v.format === FORMAT &&
      typeof v.key === 'string' &&
      typeof v.manifestRel === 'string' &&
      typeof v.manifestOid === 'string' &&
      typeof v.manifestVersion === 'number'
    ) {
      return v as StagedEntry;
    }
  } catch {
    // missing or corrupt: a miss
  }
  return null;
}

/** Best effort: a cache that cannot be written (read-only node_modules) only costs time. */
export function writeStagedEntry(file: string, entry: Omit<StagedEntry, 'format'>): boolean {
  try {
    writeFileAtomic(file, JSON.stringify({ format: FORMAT, ...entry }, null, 2) + '\n');
    return true;
  } catch {
    return false;
  }
}
