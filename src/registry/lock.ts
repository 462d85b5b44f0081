import * as fs from 'node:fs';
import * as os from 'node:os';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { UserError } from '../errors.js';

export interface LockOptions {
  /** Give up after this long (default 15 s). */
  timeoutMs?: number;
  /** A lock whose owner cannot be checked (another host, unreadable) is stale after this long (default 60 s). */
  staleMs?: number;
  /** Names the lock file in errors (default: its path). */
  label?: string;
  /** The hint when giving up (default: about the registry). */
  hint?: string;
}

/** Who owns a lock, a journal or a staging directory: a process on a host. */
export interface LockOwner {
  pid: number;
  host: string;
}

export function thisOwner(): LockOwner {
  return { pid: process.pid, host: os.hostname() };
}

/**
 * Whether `owner` is certainly gone: it ran on this host and its process no
 * longer exists. An owner on another host (or with a reused pid) is never
 * reported dead, so what it owns is left alone.
 */
export function ownerIsDead(owner: LockOwner): boolean {
  return owner.host === os.hostname() && owner.pid !== process.pid && !processAlive(owner.pid);
}

interface LockInfo {
  pid: number;
  host: string;
  token: string;
  time: string;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

function readLock(file: string): { text: string; mtimeMs: number } | null {
  try {
    const st = fs.statSync(file);
    return { text: fs.readFileSync(file, 'utf8'), mtimeMs: st.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function parseLock(text: string): LockInfo | null {
  try {
    const v = JSON.parse(text) as LockInfo;
    return typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.token === 'string' ? v : null;
  } catch {
    return null;
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a lock left by someone else can be broken: its owner on this host is gone, or it is older than staleMs. */
function isStale(text: string, mtimeMs: number, staleMs: number): boolean {
  const info = parseLock(text);
  if (info && info.host === os.hostname()) return !processAlive(info.pid);
  return Date.now() - mtimeMs > staleMs;
}

/**
 * An exclusive lock next to `target` (`<target>.lock`, created with O_EXCL).
 * `stillHeld()` lets the holder check, just before it commits a write, that
 * nobody broke the lock in the meantime.
 */
export class FileLock {
  readonly file: string;
  readonly #token: string;

  private constructor(file: string, token: string) {
    this.file = file;
    this.#token = token;
  }

  static acquire(target: string, opts: LockOptions = {}): FileLock {
    const file = `${target}.lock`;
    const timeoutMs = opts.timeoutMs ?? 15_000;
    const staleMs = opts.staleMs ?? 60_000;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const token = crypto.randomBytes(16).toString('hex');
    const body = JSON.stringify({
      pid: process.pid,
      host: os.hostname(),
      token,
      time: new Date().toISOString(),
    } satisfies LockInfo);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let fd: number | null = null;
      try {
        fd = fs.openSync(file, 'wx', 0o644);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      if (fd !== null) {
        try {
          fs.writeFileSync(fd, body);
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
        return new FileLock(file, token);
      }
      const seen = readLock(file);
      if (seen && isStale(seen.text, seen.mtimeMs, staleMs)) {
        breakStaleLock(file, seen.text);
        continue;
      }
      if (Date.now() > deadline) {
        const info = seen ? parseLock(seen.text) : null;
        throw new UserError(
          `${opts.label ?? file}: locked${info ? ` by process ${info.pid} on ${info.host} since ${info.time}` : ''}; gave up after ${Math.round(timeoutMs / 1000)}s`,
          {
            hint: opts.hint ?? 'another policydrift is writing the registry; if none is running, delete the lock file',
          },
        );
      }
      sleep(5 + Math.floor(Math.random() * 20));
    }
  }

  /** Whether the lock file still carries this holder's token. */
  stillHeld(): boolean {
    const seen = readLock(this.file);
    return seen !== null && parseLock(seen.text)?.token === this.#token;
  }

  release(): void {
    // Never remove a lock that someone else now holds.
    if (this.stillHeld()) fs.rmSync(this.file, { force: true });
  }
}

/**
 * Break a stale lock without racing another breaker: move it aside atomically,
 * and only delete it when what was moved is the stale lock we inspected. When
 * a live lock was moved instead (someone broke and re-took it meanwhile), put
 * it back with link(2), which fails rather than overwrite a newer lock.
 */
function breakStaleLock(file: string, staleText: string): void {
  const aside = `${file}.stale-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = readLock(aside);
  if (moved && moved.text !== staleText) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // A newer lock exists; its holder and the one we displaced will both
      // re-check `stillHeld()` before writing, and the displaced one fails.
    }
  }
  fs.rmSync(aside, { force: true });
}

/** Run `fn` holding the lock of `target`. */
export function withFileLock<T>(target: string, fn: (lock: FileLock) => T, opts?: LockOptions): T {
  const lock = FileLock.acquire(target, opts);
  try {
    return fn(lock);
  } finally {
    lock.release();
  }
}
