/**
 * The release registry: an append-only, hash-chained event log committed to
 * the repository (default release/registry.json). `registry.schema.json` is
 * the JSON form of these types; keep the two in step. See docs/registry.md.
 */

export const REGISTRY_SCHEMA_VERSION = 1;

/** `prev` of the first event. */
export const GENESIS_PREV = `sha256:${'0'.repeat(64)}`;

interface EventBase {
  /** 1 for the first event, then +1 per event. */
  seq: number;
  /** `sha256:` of the canonical JSON of the previous event (GENESIS_PREV for the first). */
  prev: string;
  /** UTC, RFC 3339 (`2025-01-31T12:00:00.000Z`). The order is `seq`; a signed event's time never precedes the event before it. */
  time: string;
  /** The release signer (a principal of the release signers file) whose key made `signature`. */
  signer?: string;
  /**
   * Armored `ssh-keygen -Y sign -n policydrift-release` signature over the
   * canonical JSON of the event without `signature` (so it covers `seq`,
   * `prev`, `time` and `signer`: an event cannot be moved elsewhere in a log).
   * Absent only in a legacy prefix written before events were signed.
   */
  signature?: string;
}

export interface ReleaseEvent extends EventBase {
  type: 'release';
  version: string;
  /** Full sha of the released commit. */
  git_commit: string;
  /** Build profile name (config "profiles"). */
  profile: string;
  manifestVersion: number;
  manifestDigest: string;
  /** The policydrift that computed manifestDigest (optional; lets `verify` know whether re-extraction is comparable). */
  generator?: { name: string; version: string };
  artifact: { name: string; sha256: string };
  /** The release this one replaces (the release command sets it to the previous active release). */
  supersedes?: string;
  /** At a workspace root: each package's manifest (manifestVersion/manifestDigest are then the workspace index's). */
  packages?: Record<string, { manifestVersion: number; manifestDigest: string }>;
}

export interface RevokeEvent extends EventBase {
  type: 'revoke';
  /** The release revoked. */
  version: string;
  reason?: string;
}

export interface SupersedeEvent extends EventBase {
  type: 'supersede';
  /** The release superseded. */
  version: string;
  /** The release that replaces it (recorded earlier in the log). */
  by?: string;
  reason?: string;
}

export type RegistryEvent = ReleaseEvent | RevokeEvent | SupersedeEvent;

export interface Registry {
  schemaVersion: typeof REGISTRY_SCHEMA_VERSION;
  events: RegistryEvent[];
}

type WithoutChain<E> = E extends RegistryEvent
  ? Omit<E, 'seq' | 'prev' | 'time' | 'signer' | 'signature'> & { time?: string }
  : never;

/** An event as proposed to appendEvent: `seq`, `prev` (and the signature) are assigned under the lock; `time` defaults to now. */
export type NewEvent = WithoutChain<RegistryEvent>;

/** The first broken link found by verifyRegistry or compareWithTrusted. */
export interface RegistryProblem {
  /** 0-based position in `events` (null for a problem with the file as a whole). */
  index: number | null;
  seq: number | null;
  /** The event's `version` (the release it records or refers to), when readable. */
  version: string | null;
  type: string | null;
  message: string;
  hint?: string;
}
