import * as fs from 'node:fs';
import { canonicalJson } from '../manifest/index.js';
import { sha256Hex, writeFileAtomic } from '../util/fs.js';
import { parseJsonText, validator } from '../util/jsonfile.js';
import { EXIT, UserError } from '../errors.js';
import { SHALLOW_HINT, commitExists, isShallow } from '../git/run.js';
import { withFileLock, type LockOptions } from './lock.js';
import { isSigned, signEvent, signatureProblem, type ReleaseSigners, type SigningKey } from './signing.js';
import {
  GENESIS_PREV,
  REGISTRY_SCHEMA_VERSION,
  type NewEvent,
  type Registry,
  type RegistryEvent,
  type RegistryProblem,
  type ReleaseEvent,
} from './types.js';

export * from './types.js';
export * from './signing.js';

const EDIT_HINT =
  'the registry is append-only and written by policydrift; restore it from the trusted branch (`git checkout <trusted-ref> -- <registry>`) and append again';
const FORGED_HINT =
  'only the release job appends to the registry, signing each event with a key of the release signers file (config "releaseSigners"); an event without a valid signature was written by hand: remove it (on the protected branch, revert the commit that added it) — see docs/registry.md';

export function emptyRegistry(): Registry {
  return { schemaVersion: REGISTRY_SCHEMA_VERSION, events: [] };
}

/** `sha256:` of the canonical JSON of an event: what the next event's `prev` must be. */
export function eventDigest(event: RegistryEvent): string {
  return `sha256:${sha256Hex(canonicalJson(event))}`;
}

/** Parse and validate registry text (a file or a git blob); `label` names it in errors. */
export function parseRegistryText(text: string, label: string): Registry {
  return parseJsonText<Registry>(
    text,
    'registry',
    label,
    `the registry is written by policydrift; restore ${label} from version control rather than editing it`,
  );
}

/** Read and validate a registry file; a missing file is a UserError unless `allowMissing` (then the empty registry). */
export function readRegistryFile(file: string, label = file, opts: { allowMissing?: boolean } = {}): Registry {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && opts.allowMissing) return emptyRegistry();
    throw new UserError(`${label}: cannot read the release registry (${code ?? String(e)})`, {
      hint:
        code === 'ENOENT'
          ? 'no release has been recorded yet, or pass --registry FILE (config "registry", default release/registry.json)'
          : undefined,
    });
  }
  return parseRegistryText(text, label);
}

function describe(e: { seq?: unknown; type?: unknown; version?: unknown } | undefined): string {
  if (!e || typeof e !== 'object') return 'event';
  const seq = typeof e.seq === 'number' ? `seq ${e.seq}` : 'event';
  const what = typeof e.type === 'string' ? e.type : 'event';
  return typeof e.version === 'string' ? `${seq} (${what} ${e.version})` : seq;
}

/**
 * The release a deployment should run: the newest `release` event that no
 * later `revoke` or `supersede` event, nor a later release's `supersedes`,
 * refers to (by `version`). A release
 * that was revoked or superseded never becomes active again; the one before
 * it becomes the last active release only if it is itself untouched. Null
 * when every release was withdrawn or none was recorded.
 */
export function lastActiveRelease(registry: Registry): ReleaseEvent | null {
  const withdrawn = new Set<string>();
  for (let i = registry.events.length - 1; i >= 0; i--) {
    const e = registry.events[i]!;
    if (e.type === 'release') {
      if (!withdrawn.has(e.version)) return e;
      // A withdrawn release does not bring back the one it superseded.
      if (e.supersedes) withdrawn.add(e.supersedes);
    } else {
      withdrawn.add(e.version);
    }
  }
  return null;
}

export type ReleaseStatus =
  | { state: 'active' }
  | { state: 'revoked'; seq: number; reason?: string }
  | { state: 'superseded'; seq: number; by?: string; reason?: string };

/** Whether a recorded release was withdrawn, by the first event that refers to it. */
export function releaseStatus(registry: Registry, release: ReleaseEvent): ReleaseStatus {
  const idx = registry.events.indexOf(release);
  for (const e of registry.events.slice(idx + 1)) {
    if (e.type === 'release' && e.supersedes === release.version)
      return { state: 'superseded', seq: e.seq, by: e.version };
    if (e.version !== release.version) continue;
    if (e.type === 'revoke') return { state: 'revoked', seq: e.seq, reason: e.reason };
    if (e.type === 'supersede') return { state: 'superseded', seq: e.seq, by: e.by, reason: e.reason };
  }
  return { state: 'active' };
}

/** The release event recording `version`, or null. */
export function findRelease(registry: Registry, version: string): ReleaseEvent | null {
  return (
    (registry.events.find((e) => e.type === 'release' && e.version === version) as ReleaseEvent | undefined) ?? null
  );
}

/** The outcome of re-deriving a release's manifest digest at its commit. */
export type DigestCheck = { digest: string } | { skip: string };

export interface VerifyOptions {
  /** A git checkout: each release's git_commit must exist in it. */
  repoDir?: string;
  /**
   * Re-derive the manifest digest of a release at its commit (only with
   * repoDir). Return `{ skip }` when the result would not be comparable,
   * i.e. the generator in effect is not the one recorded for the release.
   */
  extract?: (release: ReleaseEvent) => DigestCheck;
  /**
   * Check each event's signature against these release signers (from the
   * trusted ref). Unsigned events are accepted only as a legacy prefix: after
   * the first signed event every event must be signed. Without it signatures
   * are not looked at (the chain alone).
   */
  signers?: ReleaseSigners;
}

export interface RegistryVerification {
  ok: boolean;
  /** Number of events read. */
  events: number;
  /** The first broken link, or null when ok. */
  problem: RegistryProblem | null;
  commitsChecked: number;
  digestsChecked: number;
  /** Releases whose digest was not re-derived, and why. */
  skipped: Array<{ seq: number; version: string; reason: string }>;
  /** With `signers`: unsigned events accepted as a legacy prefix (written before events were signed). */
  legacy: number;
  /** With `signers`: events whose signature verified. */
  signaturesChecked: number;
}

function problemAt(events: unknown[], index: number | null, message: string, hint?: string): RegistryProblem {
  const e = (index === null ? undefined : events[index]) as
    { seq?: unknown; type?: unknown; version?: unknown } | undefined;
  return {
    index,
    seq: e && typeof e.seq === 'number' ? e.seq : null,
    version: e && typeof e.version === 'string' ? e.version : null,
    type: e && typeof e.type === 'string' ? e.type : null,
    message: index === null ? message : `${describe(e)}: ${message}`,
    hint,
  };
}

function schemaProblem(value: unknown): string | null {
  const v = validator('registry');
  if (v(value)) return null;
  const errs = (v.errors ?? []).filter((e) => !['oneOf', 'anyOf', 'if'].includes(e.keyword));
  const err = [...(errs.length ? errs : (v.errors ?? []))].sort(
    (a, b) => b.instancePath.length - a.instancePath.length,
  )[0];
  if (!err) return 'does not match registry.schema.json';
  const where = err.instancePath.replace(/^\/events\/0/, '') || '(event)';
  if (err.keyword === 'additionalProperties')
    return `${where}: unknown property "${(err.params as { additionalProperty: string }).additionalProperty}"`;
  return `${where} ${err.message ?? 'is invalid'}`;
}

/**
 * Check a registry event by event and report the FIRST broken link: the
 * schema of each event, `seq` = position + 1, `prev` = digest of the event
 * before, unique release versions, revoke/supersede referring to an earlier
 * release, and (with repoDir) that each release's commit exists and — when
 * `extract` allows — that its manifest digest is what the commit gives.
 */
export function verifyRegistry(registry: unknown, opts: VerifyOptions = {}): RegistryVerification {
  const result: RegistryVerification = {
    ok: true,
    events: 0,
    problem: null,
    commitsChecked: 0,
    digestsChecked: 0,
    skipped: [],
    legacy: 0,
    signaturesChecked: 0,
  };
  const fail = (p: RegistryProblem): RegistryVerification => ({ ...result, ok: false, problem: p });

  if (!registry || typeof registry !== 'object' || !Array.isArray((registry as { events?: unknown }).events)) {
    return fail(problemAt([], null, 'not a registry: expected {"schemaVersion": 1, "events": [...]}'));
  }
  const events = (registry as { events: unknown[] }).events;
  result.events = events.length;
  const top = schemaProblem({ ...registry, events: [] });
  if (top) return fail(problemAt(events, null, `invalid registry: ${top}`));

  const shallow = opts.repoDir ? isShallow(opts.repoDir) : false;
  const releases = new Map<string, ReleaseEvent>();
  let firstSigned: number | null = null;
  for (let i = 0; i < events.length; i++) {
    const raw = events[i];
    const bad = schemaProblem({ schemaVersion: REGISTRY_SCHEMA_VERSION, events: [raw] });
    if (bad) return fail(problemAt(events, i, `invalid event: ${bad}`, EDIT_HINT));
    const e = raw as RegistryEvent;
    if (e.seq !== i + 1) {
      const why = e.seq > i + 1 ? 'an event before it was removed' : 'events were duplicated or reordered';
      return fail(problemAt(events, i, `seq ${e.seq} at position ${i + 1} (expected seq ${i + 1}): ${why}`, EDIT_HINT));
    }
    const expected = i === 0 ? GENESIS_PREV : eventDigest(events[i - 1] as RegistryEvent);
    if (e.prev !== expected) {
      const before =
        i === 0 ? 'the start of the log' : `the event before it, ${describe(events[i - 1] as RegistryEvent)}`;
      return fail(
        problemAt(
          events,
          i,
          `prev ${e.prev} does not match ${before} (${expected}): that event was edited, or events were inserted, removed or reordered`,
          EDIT_HINT,
        ),
      );
    }
    if (opts.signers) {
      if (!isSigned(e)) {
        if (firstSigned !== null) {
          return fail(
            problemAt(
              events,
              i,
              `is not signed, but seq ${firstSigned} was: after the first signed event every event must be signed by a release signer (a forged or hand-written event)`,
              FORGED_HINT,
            ),
          );
        }
        result.legacy++;
      } else {
        firstSigned ??= e.seq;
        const before = i > 0 ? (events[i - 1] as RegistryEvent).time : null;
        if (before !== null && Date.parse(e.time) < Date.parse(before)) {
          return fail(
            problemAt(
              events,
              i,
              `time ${e.time} is before the time of the event before it (${before}): a signed event's time never goes back`,
              FORGED_HINT,
            ),
          );
        }
        const why = signatureProblem(e, opts.signers);
        if (why) return fail(problemAt(events, i, why, FORGED_HINT));
        result.signaturesChecked++;
      }
    }
    if (e.type === 'release') {
      const dup = releases.get(e.version);
      if (dup)
        return fail(
          problemAt(
            events,
            i,
            `version ${e.version} was already released at seq ${dup.seq}`,
            'each release needs a new version',
          ),
        );
      if (e.supersedes !== undefined && !releases.has(e.supersedes)) {
        return fail(
          problemAt(
            events,
            i,
            `supersedes version ${e.supersedes}, which is not an earlier release in this registry`,
            EDIT_HINT,
          ),
        );
      }
      releases.set(e.version, e);
    } else {
      if (!releases.has(e.version)) {
        return fail(
          problemAt(
            events,
            i,
            `refers to version ${e.version}, which is not an earlier release in this registry`,
            EDIT_HINT,
          ),
        );
      }
      if (e.type === 'supersede' && e.by !== undefined) {
        if (e.by === e.version) return fail(problemAt(events, i, `a release cannot supersede itself`));
        if (!releases.has(e.by)) {
          return fail(
            problemAt(
              events,
              i,
              `superseded by version ${e.by}, which is not an earlier release in this registry`,
              'record the superseding release before the supersede event',
            ),
          );
        }
      }
    }
    if (opts.repoDir && e.type === 'release') {
      if (!commitExists(opts.repoDir, e.git_commit)) {
        if (shallow) {
          throw new UserError(`${describe(e)}: commit ${e.git_commit} is not present in this shallow clone`, {
            hint: SHALLOW_HINT,
          });
        }
        return fail(
          problemAt(
            events,
            i,
            `git_commit ${e.git_commit} does not exist in the repository`,
            'the event was edited, or the release commit was lost from history (force-push?)',
          ),
        );
      }
      result.commitsChecked++;
      if (opts.extract) {
        let check: DigestCheck;
        try {
          check = opts.extract(e);
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          return fail(
            problemAt(
              events,
              i,
              `cannot re-extract the manifest at ${e.git_commit.slice(0, 12)}: ${err.message}`,
              err.hint,
            ),
          );
        }
        if ('skip' in check) {
          result.skipped.push({ seq: e.seq, version: e.version, reason: check.skip });
        } else {
          if (check.digest !== e.manifestDigest) {
            return fail(
              problemAt(
                events,
                i,
                `manifestDigest ${e.manifestDigest} is not the digest of commit ${e.git_commit.slice(0, 12)} (${check.digest})`,
                'the event was edited, or the release was not made from this commit',
              ),
            );
          }
          result.digestsChecked++;
        }
      }
    }
  }
  return result;
}

export type TrustComparison = { ok: true; appended: RegistryEvent[] } | { ok: false; problem: RegistryProblem };

/**
 * Whether `candidate` is `trusted` plus appended events: every trusted event
 * must be present, at the same position, byte-identical in canonical form,
 * and the whole candidate must verify (so the appended events chain onto the
 * trusted head). This is what stops a change from editing the registry to
 * move the baseline past its own weakening. `trusted` null = no registry yet.
 */
export function compareWithTrusted(trusted: Registry | null, candidate: Registry): TrustComparison {
  const base = trusted?.events ?? [];
  for (let i = 0; i < base.length; i++) {
    const t = base[i]!;
    const c = candidate.events[i];
    if (!c) {
      return {
        ok: false,
        problem: {
          ...problemAt(
            base,
            i,
            'is in the trusted registry but missing from this one (events were removed)',
            EDIT_HINT,
          ),
        },
      };
    }
    if (canonicalJson(c) !== canonicalJson(t)) {
      const fields = [...new Set([...Object.keys(t), ...Object.keys(c)])]
        .filter(
          (k) =>
            JSON.stringify((t as unknown as Record<string, unknown>)[k]) !==
            JSON.stringify((c as unknown as Record<string, unknown>)[k]),
        )
        .sort();
      return {
        ok: false,
        problem: problemAt(base, i, `differs from the trusted registry (changed: ${fields.join(', ')})`, EDIT_HINT),
      };
    }
  }
  const v = verifyRegistry(candidate);
  if (!v.ok) return { ok: false, problem: v.problem! };
  return { ok: true, appended: candidate.events.slice(base.length) };
}

/** compareWithTrusted as a policy failure (exit 1) naming the first differing event. */
export function assertAppendOnly(
  trusted: Registry | null,
  candidate: Registry,
  label = 'release registry',
): RegistryEvent[] {
  const r = compareWithTrusted(trusted, candidate);
  if (!r.ok) {
    throw new UserError(`${label}: not an append-only extension of the trusted registry: ${r.problem.message}`, {
      hint: r.problem.hint,
      exitCode: EXIT.policy,
    });
  }
  return r.appended;
}

/** An event a candidate appends beyond the trusted registry, and why it is not trusted (null: validly signed). */
export interface AppendedEvent {
  /** 0-based position in the candidate's events. */
  index: number;
  event: RegistryEvent;
  problem: string | null;
}

/**
 * The events `candidate` appends to `trusted` (which it must extend, else a
 * policy failure naming the first differing event), each judged on its own:
 * an appended event is trusted only when it is validly signed by a release
 * signer of the trusted ref, and its time does not go back. Appended events
 * never count as a legacy prefix.
 */
export function appendedEvents(
  trusted: Registry | null,
  candidate: Registry,
  signers: ReleaseSigners,
  label?: string,
): AppendedEvent[] {
  const appended = assertAppendOnly(trusted, candidate, label);
  const start = candidate.events.length - appended.length;
  return appended.map((event, k) => {
    const index = start + k;
    const before = index > 0 ? candidate.events[index - 1]!.time : null;
    let problem = signatureProblem(event, signers);
    if (problem === null && before !== null && Date.parse(event.time) < Date.parse(before)) {
      problem = `has time ${event.time}, before the event before it (${before})`;
    }
    return { index, event, problem };
  });
}

/** `seq N (type version)` of an event, for messages. */
export function describeEvent(event: RegistryEvent): string {
  return describe(event);
}

export interface AppendOptions extends LockOptions {
  /** Label of the file in messages (default the path). */
  label?: string;
  /** Sign the new event with this key (its identity must be in `signers`). */
  sign?: SigningKey;
  /** Verify the current log and the new event against these release signers before writing. */
  signers?: ReleaseSigners;
}

/**
 * Append one event to the registry file atomically: under an exclusive lock
 * next to the file, re-read and verify the current log, assign seq and prev,
 * validate, then write (temp file + fsync + rename). Concurrent writers are
 * serialized by the lock, so none loses an event. A missing file starts a new log.
 */
export function appendEvent(
  file: string,
  event: NewEvent,
  opts: AppendOptions = {},
): { event: RegistryEvent; registry: Registry } {
  const label = opts.label ?? file;
  return withFileLock(
    file,
    (lock) => {
      const current = readRegistryFile(file, label, { allowMissing: true });
      const before = verifyRegistry(current, { signers: opts.signers });
      if (!before.ok) {
        throw new UserError(`${label}: refusing to append to a broken registry: ${before.problem!.message}`, {
          hint: before.problem!.hint,
        });
      }
      const last = current.events[current.events.length - 1];
      let time = event.time ?? new Date().toISOString();
      // A signed event's time never goes back (a clock behind the last event's is moved up to it).
      if (opts.sign && event.time === undefined && last && Date.parse(time) < Date.parse(last.time)) time = last.time;
      let full = {
        ...event,
        seq: current.events.length + 1,
        prev: last ? eventDigest(last) : GENESIS_PREV,
        time,
      } as RegistryEvent;
      if (opts.sign) full = signEvent(full, opts.sign);
      const next: Registry = { schemaVersion: REGISTRY_SCHEMA_VERSION, events: [...current.events, full] };
      const after = verifyRegistry(next, { signers: opts.signers });
      if (!after.ok)
        throw new UserError(`${label}: cannot append: ${after.problem!.message}`, { hint: after.problem!.hint });
      if (!lock.stillHeld()) {
        throw new UserError(
          `${label}: the registry lock was broken by another process while appending; nothing was written`,
          { hint: 'run the command again' },
        );
      }
      writeFileAtomic(file, canonicalJson(next));
      return { event: full, registry: next };
    },
    opts,
  );
}
