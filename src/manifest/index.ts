import stringify from 'json-stable-stringify';
import { sha256Hex } from '../util/fs.js';
import { assertValid, readJsonFile, parseJsonText } from '../util/jsonfile.js';
import { MANIFEST_SCHEMA_VERSION, type Locations, type Manifest, type ManifestInvariants } from './types.js';
import { GENERATOR } from '../version.js';
import { UserError } from '../errors.js';

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
export function buildManifest(invariants: ManifestInvariants, locations: Locations, previous?: Manifest | null): Manifest {
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
  assertValid('manifest', m, '(extracted manifest)', undefined, 'this is a policydrift bug: please report it with the source that produced it');
  return m;
}

/** Read and validate a manifest file; a digest that does not match its content is an input error (hand edit). */
export function readManifestFile(file: string, label = file): Manifest {
  const m = readJsonFile<Manifest>(file, 'manifest', label, `regenerate it with \`policydrift extract --write\` rather than editing it`);
  return verifyManifestDigest(m, label);
}

export function parseManifestText(text: string, label: string): Manifest {
  const m = parseJsonText<Manifest>(text, 'manifest', label, `regenerate it with \`policydrift extract --write\` rather than editing it`);
  return verifyManifestDigest(m, label);
}

function verifyManifestDigest(m: Manifest, label: string): Manifest {
  const actual = semanticDigest(m.invariants);
  if (actual !== m.digest) {
    throw new UserError(`${label}: manifest digest does not match its content (recorded ${m.digest}, computed ${actual})`, {
      hint: 'the manifest was edited by hand; regenerate it with `policydrift extract --write`',
    });
  }
  return m;
}

/** Top-level entries (`le:handle_le_request`, `logging:AuditEvent`, ...) whose content differs between two manifests. */
export function differingEntries(a: Manifest, b: Manifest): string[] {
  const out: string[] = [];
  const fam = (name: string, x: Record<string, unknown>, y: Record<string, unknown>) => {
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (stringify(x[k]) !== stringify(y[k])) out.push(`${name}:${k}`);
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
