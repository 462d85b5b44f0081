/**
 * The release's lock, journal and recovery (see the module comment of
 * ./index.ts). A real run holds `<publish dir>/.release.lock` (owner pid and
 * host) from before recovery to its end. Recovery only touches what a dead run
 * owned: the journal records its owner, staging directory names carry theirs,
 * and an owner counts as dead only when it ran on this host and its process is
 * gone. Anything else is left and reported.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findRelease, readRegistryFile } from '../registry/index.js';
import { FileLock, ownerIsDead, thisOwner, type LockOwner } from '../registry/lock.js';
import { UserError } from '../errors.js';
import { sha256Hex } from '../util/fs.js';

export interface Journal {
  version: string;
  staging: string;
  published: string;
  /** The run that wrote it (absent in journals written before the release lock existed). */
  owner?: LockOwner;
}

export const JOURNAL = '.release-in-progress.json';
/** `<publish dir>/.release.lock`: held by a real run from before recovery to its end. */
const LOCK_TARGET = '.release';
/** A release lock of another host is never considered stale before this (a release can take long). */
const LOCK_STALE_MS = 24 * 60 * 60 * 1000;

/** Staging directories are named `.staging-<pid>-<host tag>-XXXXXX`, so recovery can tell whose they are. */
function hostTag(host = os.hostname()): string {
  return sha256Hex(host).slice(0, 8);
}
export function stagingPrefix(): string {
  return `.staging-${process.pid}-${hostTag()}-`;
}

/** The owner encoded in a staging directory name; null for a foreign host or an old (unowned) name. */
function stagingOwner(name: string): { owner: LockOwner | null; why: string } {
  const m = /^\.staging-(\d+)-([0-9a-f]{8})-/.exec(name);
  if (!m) return { owner: null, why: 'no owner recorded in its name' };
  if (m[2] !== hostTag()) return { owner: null, why: 'owned by a run on another host' };
  return { owner: { pid: Number(m[1]), host: os.hostname() }, why: '' };
}

function readJournal(file: string): Journal | null {
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Journal;
    return j && typeof j === 'object' && typeof j.version === 'string' && typeof j.published === 'string' ? j : null;
  } catch {
    return null;
  }
}

function validOwner(o: unknown): o is LockOwner {
  return (
    !!o &&
    typeof o === 'object' &&
    typeof (o as LockOwner).pid === 'number' &&
    typeof (o as LockOwner).host === 'string'
  );
}

/** Take the release lock of `publishRoot`, or fail (exit 2) naming the run that holds it. */
export function acquireReleaseLock(publishRoot: string, opts: { timeoutMs?: number } = {}): FileLock {
  const label = path.relative(process.cwd(), path.join(publishRoot, `${LOCK_TARGET}.lock`)) || `${LOCK_TARGET}.lock`;
  try {
    return FileLock.acquire(path.join(publishRoot, LOCK_TARGET), {
      timeoutMs: opts.timeoutMs ?? 2_000,
      staleMs: LOCK_STALE_MS,
      label,
      hint: 'another policydrift release is running in this checkout; wait for it to finish and run again (if none is running, delete the lock file)',
    });
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${label}: cannot create the release lock (${code ?? String(e)})`, {
      hint: 'the publish directory must be writable',
    });
  }
}

/**
 * The lock must still be ours before each irreversible step (publish, registry
 * append); before the append, the published artifact must also still be the
 * one built, so the registry never records an artifact that is gone.
 */
export function assertStillHeld(lock: FileLock | null, artifact?: { file: string; sha256: string }): void {
  if (lock && !lock.stillHeld()) {
    throw new UserError(`${lock.file}: the release lock was taken over by another run`, {
      hint: 'run the release again once no other release is running',
    });
  }
  if (artifact) {
    let actual: string | null;
    try {
      actual = sha256Hex(fs.readFileSync(artifact.file));
    } catch {
      actual = null;
    }
    if (actual !== artifact.sha256) {
      throw new UserError(
        `${path.relative(process.cwd(), artifact.file)}: the published artifact ${actual === null ? 'is gone' : 'changed'} before the release was recorded`,
        {
          hint: 'something else writes the publish directory; nothing was appended to the registry, run the release again',
        },
      );
    }
  }
}

/** The journal of the release in progress, naming this process as its owner. */
export function journalText(j: Omit<Journal, 'owner'>): string {
  return JSON.stringify({ ...j, owner: thisOwner() } satisfies Journal) + '\n';
}

/**
 * Undo what an interrupted run left: its orphan artifact (not in the registry)
 * and staging directories. Call it only while holding the release lock. Only
 * what a dead run owned is touched (see ownerIsDead); anything else is left
 * and reported.
 */
export function recover(publishRoot: string, registryFile: string): string[] {
  const done: string[] = [];
  if (!fs.existsSync(publishRoot)) return done;
  const journalFile = path.join(publishRoot, JOURNAL);
  if (fs.existsSync(journalFile)) {
    const j = readJournal(journalFile);
    const rel = (name: string) => path.relative(process.cwd(), path.join(publishRoot, name));
    if (j && validOwner(j.owner) && !ownerIsDead(j.owner)) {
      done.push(
        `left ${rel(JOURNAL)} alone: written by process ${j.owner.pid} on ${j.owner.host}, which may still be running; if it is not, delete it and the unrecorded ${rel(path.basename(j.published))} by hand`,
      );
    } else if (j && !validOwner(j.owner)) {
      done.push(
        `left ${rel(JOURNAL)} alone: it records no owner (an older policydrift); if no release is running, delete it and the unrecorded ${rel(path.basename(j.published))} by hand`,
      );
    } else {
      const registry = readRegistryFile(registryFile, registryFile, { allowMissing: true });
      if (j && !findRelease(registry, j.version)) {
        const published = path.join(publishRoot, path.basename(j.published));
        if (fs.existsSync(published)) {
          fs.rmSync(published, { recursive: true, force: true });
          done.push(
            `removed unrecorded artifact ${path.basename(published)} of an interrupted release${j.owner ? ` (process ${j.owner.pid}, gone)` : ''}`,
          );
        }
      }
      fs.rmSync(journalFile, { force: true });
    }
  }
  for (const name of fs.readdirSync(publishRoot)) {
    if (!name.startsWith('.staging-')) continue;
    const { owner, why } = stagingOwner(name);
    if (owner === null) {
      done.push(`left staging directory ${name} alone: ${why}; delete it by hand if no release is running`);
    } else if (ownerIsDead(owner)) {
      fs.rmSync(path.join(publishRoot, name), { recursive: true, force: true });
      done.push(`removed staging directory ${name} (process ${owner.pid}, gone)`);
    }
  }
  return done;
}
