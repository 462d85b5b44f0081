import type { FileSystemHost } from 'ts-morph';
import type { ResolvedConfig } from '../config/index.js';
import { buildManifest } from '../manifest/index.js';
import type { Locations, Manifest, ManifestInvariants } from '../manifest/types.js';
import { fullFromEnv, openProject } from './analysis/program.js';
import type { ExtractContext } from './analysis/context.js';
import { COLLECTORS, jsDocNeedles } from './collectors/index.js';
import { progress } from '../util/progress.js';

/** The JSDoc needles of the program (analysis/program.ts), derived from the collectors' declared tags. */
export const JSDOC_NEEDLES: readonly string[] = jsDocNeedles();

/** Run every collector over an opened project, in the order of COLLECTORS. */
export function extractInvariants(ctx: ExtractContext): { invariants: ManifestInvariants; locations: Locations } {
  const n = ctx.sourceFiles.length;
  const invariants: Partial<Record<keyof ManifestInvariants, unknown>> = {};
  const locations: Locations = {};
  for (const c of COLLECTORS) {
    progress(`${n} files parsed; ${c.title}`);
    const r = c.run(ctx);
    invariants[c.id] = r.data;
    Object.assign(locations, r.locations);
  }
  return { invariants: invariants as ManifestInvariants, locations };
}

export interface ExtractOptions {
  root: string;
  config: ResolvedConfig;
  fileSystem?: FileSystemHost;
  label?: string;
  /** The committed manifest, for the version bump. */
  previous?: Manifest | null;
  /**
   * Full-program extraction: no pre-filter (every file walked, every call
   * resolved by the checker). Same result, slower; default: the
   * POLICYDRIFT_NO_PREFILTER=1 environment variable.
   */
  full?: boolean;
}

export function extractManifest(opts: ExtractOptions): Manifest {
  const full = opts.full ?? fullFromEnv();
  progress(`loading the TypeScript program${opts.label && opts.label !== '.' ? ` (${opts.label})` : ''}`);
  const { invariants, locations } = opts.fileSystem
    ? memoized(opts.fileSystem, memoKey(opts, full), (fileSystem) =>
        extractInvariants(openProject({ ...opts, fileSystem, full, jsDocNeedles: JSDOC_NEEDLES })),
      )
    : extractInvariants(openProject({ ...opts, full, jsDocNeedles: JSDOC_NEEDLES }));
  progress('');
  return buildManifest(invariants, locations, opts.previous ?? null);
}

// ---------------------------------------------------------------------------
// Same inputs, same manifest: `check` extracts the baseline and the candidate,
// which are often the very same tree (`--against HEAD`, a release of HEAD).
// An extraction from a FileSystemHost is a deterministic function of the
// options and of what the host answered; the second extraction replays every
// question the first one asked against its own host and reuses the result
// only when every answer is identical (file texts compared in full).

type Extracted = { invariants: ManifestInvariants; locations: Locations };

interface HostCall {
  method: string;
  args: unknown[];
  threw: boolean;
  value: unknown;
}

interface MemoEntry {
  calls: HostCall[];
  result: Extracted;
}

/** Methods whose answers can be replayed (the synchronous reads ts-morph uses). */
const READS = new Set([
  'readFileSync',
  'fileExistsSync',
  'directoryExistsSync',
  'readDirSync',
  'realpathSync',
  'getCurrentDirectory',
  'globSync',
  'isCaseSensitive',
]);
const memo = new Map<string, MemoEntry>();
const stats = { hits: 0, misses: 0 };

/** How often an extraction from a FileSystemHost was reused (for tests and diagnostics). */
export function extractionMemoStats(): { hits: number; misses: number } {
  return { ...stats };
}

function memoKey(opts: ExtractOptions, full: boolean): string {
  return JSON.stringify([opts.root, opts.config, full]);
}

function memoized(host: FileSystemHost, key: string, run: (host: FileSystemHost) => Extracted): Extracted {
  const hit = memo.get(key);
  if (hit && replays(host, hit.calls)) {
    stats.hits++;
    return structuredClone(hit.result);
  }
  stats.misses++;
  const calls: HostCall[] = [];
  let replayable = true;
  const recording = new Proxy(host, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      const method = String(prop);
      return (...args: unknown[]) => {
        if (!READS.has(method)) replayable = false;
        try {
          const value = (v as (...a: unknown[]) => unknown).apply(target, args);
          calls.push({ method, args, threw: false, value });
          return value;
        } catch (e) {
          calls.push({ method, args, threw: true, value: errorKey(e) });
          throw e;
        }
      };
    },
  });
  const result = run(recording);
  memo.delete(key);
  if (replayable) memo.set(key, { calls, result: structuredClone(result) });
  return result;
}

function replays(host: FileSystemHost, calls: HostCall[]): boolean {
  for (const c of calls) {
    const fn = (host as unknown as Record<string, unknown>)[c.method];
    if (typeof fn !== 'function') return false;
    let threw = false;
    let value: unknown;
    try {
      value = (fn as (...a: unknown[]) => unknown).apply(host, c.args);
    } catch (e) {
      threw = true;
      value = errorKey(e);
    }
    if (threw !== c.threw || !sameValue(value, c.value)) return false;
  }
  return true;
}

function errorKey(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown };
  const text = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  return `${text(err?.code)}\0${text(err?.message) || (e instanceof Error ? e.message : text(e))}`;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
