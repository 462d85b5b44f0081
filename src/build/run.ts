import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProfileConfig } from '../config/index.js';
import { EXIT, UserError } from '../errors.js';
import type { Worktree } from './worktree.js';

/** Bytes of each stream kept (the tail: a failing build reports its last lines). */
const KEEP_BYTES = 1024 * 1024;
/** Lines of stderr quoted in a build failure. */
const TAIL_LINES = 40;

export interface CommandResult {
  argv: string[];
  /** Exit code, or null when killed by a signal. */
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** A build or install command that exited non-zero (or could not start). A policy failure (exit 1): the candidate does not build. */
export class BuildFailedError extends UserError {
  readonly argv: string[];
  readonly stderrTail: string;
  constructor(argv: string[], why: string, stderrTail: string, hint?: string) {
    super(
      `build command \`${argv.join(' ')}\` ${why}${stderrTail ? `; stderr (last lines):\n${indent(stderrTail)}` : ''}`,
      {
        hint,
        exitCode: EXIT.policy,
      },
    );
    this.name = 'BuildFailedError';
    this.argv = argv;
    this.stderrTail = stderrTail;
  }
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

export function tailLines(s: string, n = TAIL_LINES): string {
  const lines = s.replace(/\s+$/, '').split('\n');
  return lines.slice(Math.max(0, lines.length - n)).join('\n');
}

/**
 * The build environment: a minimal base (PATH, HOME, TZ=UTC and
 * SOURCE_DATE_EPOCH = the candidate's commit time) with the profile's `env`
 * merged over it. Nothing else leaks in from the caller's environment (tokens,
 * NODE_OPTIONS, npm_config_*), so the build is the same on a laptop and in CI.
 */
export function buildEnv(profile: ProfileConfig, sourceDateEpoch: number): Record<string, string> {
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? os.homedir(),
    TZ: 'UTC',
    SOURCE_DATE_EPOCH: String(sourceDateEpoch),
  };
  if (process.platform === 'win32') {
    for (const k of [
      'SystemRoot',
      'SYSTEMROOT',
      'PATHEXT',
      'TEMP',
      'TMP',
      'USERPROFILE',
      'APPDATA',
      'LOCALAPPDATA',
      'ComSpec',
    ]) {
      const v = process.env[k];
      if (v !== undefined) base[k] = v;
    }
  }
  return { ...base, ...(profile.env ?? {}) };
}

/** Run one argv (no shell) in `cwd`; resolves with the result whatever the exit code. */
export function runCommand(
  argv: string[],
  cwd: string,
  env: Record<string, string>,
  opts: { timeoutMs?: number } = {},
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (!cmd) {
      reject(
        new UserError('empty build command', {
          hint: 'profile "build" and "install" are argv arrays: ["npm", "run", "build"]',
        }),
      );
      return;
    }
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, shell: false });
    const out = new Tail();
    const err = new Tail();
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      const hint =
        e.code === 'ENOENT'
          ? `"${cmd}" was not found on the build PATH (${env.PATH ?? ''}); the build sees only PATH, HOME, TZ, SOURCE_DATE_EPOCH and the profile's env`
          : undefined;
      reject(new BuildFailedError(argv, `could not start (${e.code ?? e.message})`, '', hint));
    });
    child.on('close', (status, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ argv, status, signal, stdout: out.text(), stderr: err.text(), durationMs: Date.now() - started });
    });
  });
}

/** Keeps the last KEEP_BYTES of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > KEEP_BYTES && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export interface ProfileBuildOptions {
  worktree: Worktree;
  /** The project root inside the worktree (where the config's paths are relative to). */
  projectDir: string;
  /** The user's project root and repository top level: where an existing node_modules may be borrowed from. */
  userProjectDir: string;
  userToplevel: string;
  profile: ProfileConfig;
  sourceDateEpoch: number;
  timeoutMs?: number;
}

export interface ProfileBuildResult {
  steps: CommandResult[];
  /** node_modules directories linked from the user's tree (paths relative to the worktree), when the profile has no install step. */
  linkedNodeModules: string[];
}

/**
 * Run the profile's `install` (optional) then `build` in the worktree.
 * Without an install step and without a committed node_modules, the user's
 * node_modules (project root, and the repository top level for a package in a
 * monorepo) is symlinked into the worktree so that a build that only needs
 * already-installed tools works. Those dependencies then come from the user's
 * tree, not from the commit: profiles for real releases should declare
 * `install` (e.g. ["npm", "ci"]).
 */
export async function runProfileBuild(o: ProfileBuildOptions): Promise<ProfileBuildResult> {
  const env = buildEnv(o.profile, o.sourceDateEpoch);
  const linkedNodeModules: string[] = [];
  if (!o.profile.install) {
    const pairs: Array<[string, string]> = [
      [path.join(o.userProjectDir, 'node_modules'), path.join(o.projectDir, 'node_modules')],
    ];
    if (path.resolve(o.userProjectDir) !== path.resolve(o.userToplevel)) {
      pairs.push([path.join(o.userToplevel, 'node_modules'), path.join(o.worktree.dir, 'node_modules')]);
    }
    for (const [from, to] of pairs) {
      if (!fs.existsSync(from) || fs.existsSync(to)) continue;
      fs.symlinkSync(from, to, process.platform === 'win32' ? 'junction' : 'dir');
      o.worktree.symlinks.push(to);
      linkedNodeModules.push(path.relative(o.worktree.dir, to).split(path.sep).join('/'));
    }
  }
  const steps: CommandResult[] = [];
  for (const argv of [o.profile.install, o.profile.build]) {
    if (!argv) continue;
    const r = await runCommand(argv, o.projectDir, env, { timeoutMs: o.timeoutMs });
    steps.push(r);
    if (r.status !== 0) {
      const why = r.status === null ? `was killed (${r.signal ?? 'signal'})` : `exited with status ${r.status}`;
      throw new BuildFailedError(
        argv,
        why,
        tailLines(r.stderr || r.stdout),
        'reproduce it in a clean checkout of the candidate commit with the same command',
      );
    }
  }
  return { steps, linkedNodeModules };
}
