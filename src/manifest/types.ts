/**
 * The invariant manifest: the data model shared by the extractor, the diff
 * engine, the drift check and every report. `manifest.schema.json` is the
 * JSON form of these types; keep the two in step.
 *
 * Everything under `invariants` is semantic content (it feeds the digest and
 * the version bump). `locations` is kept apart so that moving a file never
 * changes the semantic content. No line numbers, no absolute paths anywhere.
 */

/**
 * 2: key-gating sites are keyed by entry point (guards on every path from the
 * entry through project helpers to the sink), with `keygate:via:` locations.
 */
export const MANIFEST_SCHEMA_VERSION = 2;

/** A normalized, structural type string (the grammar: docs/type-text.md). */
export type TypeText = string;

export interface FieldInfo {
  type: TypeText;
  optional: boolean;
}

export interface ResponseVariant {
  /** Flattened fields: nested objects as dotted paths, array elements as `path[]`. */
  fields: Record<string, FieldInfo>;
}

export interface LeHandler {
  /** Name of the literal-typed property that keys the variants, or null (single variant / bare literals / unbounded). */
  discriminant: string | null;
  /** Variants keyed by discriminant value (string form; enum members by value). */
  variants: Record<string, ResponseVariant>;
  /** Required fields of the request (first) parameter, top level, with their normalized types. */
  request: { requiredFields: Record<string, TypeText>; unbounded: boolean };
  unbounded: boolean;
  /** Sorted, de-duplicated, location-free reasons why the response set cannot be bounded. */
  unboundedReasons: string[];
}

export interface LogField extends FieldInfo {
  classification: string;
  redaction: string;
}

export interface LogSchema {
  fields: Record<string, LogField>;
  open: boolean;
  /** Sorted reasons why the schema is open (index signature, any/unknown field...). */
  openReasons: string[];
  retentionDays: number | null;
  /**
   * The `@logSink`s that log this schema, by name: `sha256:` digest of each one's implementation (its body and
   * the project declarations it depends on). Absent when no sink with a body logs it (and in manifests written
   * before sinks were digested).
   */
  sinks?: Record<string, string>;
}

export interface GuardDecl {
  async: boolean;
  /** Parameter names in declaration order (so arguments can be recorded by name). */
  params: string[];
  /** sha256 over the guard's normalized AST (comments and formatting ignored). */
  implDigest: string;
  /**
   * `condition`: a condition guard (`@keyGuard condition`, config `keyConditions`), which protects only where
   * its truthy result dominates a sink. Absent: an assertion-style guard, which protects where its call does.
   */
  kind?: 'condition';
}

export interface SinkDecl {
  async: boolean;
}

/** A literal argument value, or a description of a non-literal one (`isDynamicArg`: `<dynamic>`, `<param:x>`...). */
export type GuardArg = string | number | boolean | null;

export interface DominatingGuard {
  guard: string;
  /** Arguments keyed by the guard's parameter name ("#<index>" when unknown, e.g. rest params). */
  args: Record<string, GuardArg>;
  /** For an async guard: whether its promise is awaited before the sink. Always true for a sync guard. */
  awaited: boolean;
}

export interface GatedSite {
  /** The entry point (a function with no caller in the program, referenced as a value, declared, or a module's top level). */
  function: string;
  sink: string;
  /** Guards on every path from the entry point to every call of `sink` (through helpers), sorted by guard then args. */
  guards: DominatingGuard[];
}

export interface SinkEscape {
  function: string;
  sink: string;
  /** How the sink leaves direct-call position: "reference" (aliased, passed, stored) or "unresolved-call". */
  kind: string;
}

export interface Keygate {
  guards: Record<string, GuardDecl>;
  sinks: Record<string, SinkDecl>;
  /** Keyed by `${function} -> ${sink}`. */
  sites: Record<string, GatedSite>;
  /** Keyed by `${function} -> ${sink} (${kind})`. */
  escapes: Record<string, SinkEscape>;
}

export interface PrivacyInvariant {
  statement: string;
}

export interface ManifestInvariants {
  le: { handlers: Record<string, LeHandler> };
  logging: { schemas: Record<string, LogSchema> };
  keygate: Keygate;
  privacy: { invariants: Record<string, PrivacyInvariant> };
}

/**
 * Relative POSIX paths (from the project root) of where things are declared.
 * Keys: `le:<handler>`, `le:<handler>:variant:<value>`, `logging:<schema>`,
 * `keygate:guard:<guard>`, `keygate:sink:<sink>`, `keygate:site:<entry> -> <sink>`,
 * `keygate:via:<entry> -> <sink>` (a path `entry (file) -> helper (file) -> sink`),
 * `privacy:<invariant id>`; built and read only by src/manifest/keys.ts.
 */
export type Locations = Record<string, string>;

export interface Manifest {
  schemaVersion: number;
  manifestVersion: number;
  /** `sha256:` + hex over canonical JSON of `{ schemaVersion, invariants }`. */
  digest: string;
  generator: { name: string; version: string };
  invariants: ManifestInvariants;
  locations: Locations;
}

export function emptyInvariants(): ManifestInvariants {
  return {
    le: { handlers: {} },
    logging: { schemas: {} },
    keygate: { guards: {}, sinks: {}, sites: {}, escapes: {} },
    privacy: { invariants: {} },
  };
}

/** The marker recorded for a guard argument whose value cannot be described at all. */
export const DYNAMIC_ARG = '<dynamic>';

/**
 * Whether a recorded guard argument describes a value that is not a compile-time literal: `<dynamic>`, or a
 * description of where the value comes from (`<param#1>`, `<var:level#1a2b3c4d>`, `<this>.policy`,
 * `<expr:[...approvals, fake]>`; docs/annotations.md).
 */
export function isDynamicArg(v: unknown): boolean {
  // A literal string that happens to look like one is compared as unknown too: fail closed.
  return typeof v === 'string' && /^<(dynamic>|this>|param#\d+>|var:[^>]*>|expr:)/.test(v);
}
