import * as fs from 'node:fs';
import stringify from 'json-stable-stringify';
import { sha256Hex } from '../util/fs.js';
import { assertValid, readJsonFile, parseJsonText } from '../util/jsonfile.js';
import { MANIFEST_SCHEMA_VERSION, type Locations, type Manifest, type ManifestInvariants } from './types.js';
import { GENERATOR } from '../version.js';
import { UserError } from '../errors.js';
import { keys, type EntityFamily } from './keys.js';

/** Canonical JSON: sorted keys, 2-space indent, trailing newline. The only serializer for files we write. */
export function canonicalJson(value: unknown): string {
  const s = stringify(value, { space: 2 });
  if (s === undefined) throw new Error('value is not serializable');
  // json-stable-stringify spreads empty containers over two lines; newlines
  // inside JSON strings are always escaped, so this only touches structure.
  return s.replace(/\{\n\s*\}/g, '{}').replace(/\[\n\s*\]/g, '[]') + '\n';
}

/** Digest over the semantic content only; locations and the version never affect it. */
export function semanticDigest(invariants: ManifestInvariants): string {
  const compact = stringify({ schemaVersion: MANIFEST_SCHEMA_VERSION, invariants });
  return `sha256:${sha256Hex(compact ?? '')}`;
}

/**
 * Assemble a manifest. The version is kept when the semantic content equals
 * `previous`, bumped by one when it differs, and 1 when there is no previous.
 */
export function buildManifest(
  invariants: ManifestInvariants,
  locations: Locations,
  previous?: Manifest | null,
): Manifest {
  const digest = semanticDigest(invariants);
  let manifestVersion = 1;
  if (previous) manifestVersion = previous.digest === digest ? previous.manifestVersion : previous.manifestVersion + 1;
  const m: Manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    manifestVersion,
    digest,
    generator: { ...GENERATOR },
    invariants,
    locations,
  };
  assertValid(
    'manifest',
    m,
    '(extracted manifest)',
    undefined,
    'this is a policydrift bug: please report it with the source that produced it',
  );
  return m;
}

export interface ManifestReadOptions {
  /**
   * Accept a manifest written with an older schema version as-is (not
   * validated, digest not checked): only its version and digest are used, as
   * the `previous` manifest of a version bump. Without it, an older manifest
   * is a clear error (re-extract it).
   */
  acceptOlder?: boolean;
}

/** Read and validate a manifest file; a digest that does not match its content is an input error (hand edit). */
export function readManifestFile(file: string, label = file, opts: ManifestReadOptions = {}): Manifest {
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    text = undefined;
  }
  if (text !== undefined) {
    const older = olderSchema(text, label, opts);
    if (older) return older;
  }
  const m = readJsonFile<Manifest>(
    file,
    'manifest',
    label,
    `regenerate it with \`policydrift extract --write\` rather than editing it`,
  );
  return verifyManifestDigest(m, label);
}

export function parseManifestText(text: string, label: string, opts: ManifestReadOptions = {}): Manifest {
  const older = olderSchema(text, label, opts);
  if (older) return older;
  const m = parseJsonText<Manifest>(
    text,
    'manifest',
    label,
    `regenerate it with \`policydrift extract --write\` rather than editing it`,
  );
  return verifyManifestDigest(m, label);
}

/**
 * A manifest of an older schema version: returned as-is with `acceptOlder`,
 * else an error that says how to compare with it (re-extraction from git).
 */
function olderSchema(text: string, label: string, opts: ManifestReadOptions): Manifest | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const v = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof v !== 'number' || v >= MANIFEST_SCHEMA_VERSION) return null;
  if (opts.acceptOlder && typeof (raw as Manifest).manifestVersion === 'number') return raw as Manifest;
  throw new UserError(
    `${label}: manifest schema version ${v} is older than this policydrift's (${MANIFEST_SCHEMA_VERSION}); since schema 2 key-gating sites are recorded per entry point (guards on every path through helpers), so the two cannot be compared entry by entry`,
    {
      hint: 'compare with the commit instead (a git:<rev> operand, or `check`, re-extracts it from source), or regenerate the file with `policydrift extract --write`',
    },
  );
}

function verifyManifestDigest(m: Manifest, label: string): Manifest {
  const actual = semanticDigest(m.invariants);
  if (actual !== m.digest) {
    throw new UserError(
      `${label}: manifest digest does not match its content (recorded ${m.digest}, computed ${actual})`,
      {
        hint: 'the manifest was edited by hand; regenerate it with `policydrift extract --write`',
      },
    );
  }
  return m;
}

/** Top-level entries (`le:handle_le_request`, `logging:AuditEvent`, ...) whose content differs between two manifests. */
export function differingEntries(a: Manifest, b: Manifest): string[] {
  const out: string[] = [];
  const fam = (name: EntityFamily | 'location', x: Record<string, unknown>, y: Record<string, unknown>) => {
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (stringify(x[k]) !== stringify(y[k])) out.push(name === 'location' ? `location:${k}` : keys.entity(name, k));
    }
  };
  fam('le', a.invariants.le.handlers, b.invariants.le.handlers);
  fam('logging', a.invariants.logging.schemas, b.invariants.logging.schemas);
  fam('keygate:guard', a.invariants.keygate.guards, b.invariants.keygate.guards);
  fam('keygate:sink', a.invariants.keygate.sinks, b.invariants.keygate.sinks);
  fam('keygate:site', a.invariants.keygate.sites, b.invariants.keygate.sites);
  fam('keygate:escape', a.invariants.keygate.escapes, b.invariants.keygate.escapes);
  fam('privacy', a.invariants.privacy.invariants, b.invariants.privacy.invariants);
  fam('location', a.locations, b.locations);
  return out.sort();
}
