/**
 * Progress for long runs, on stderr. Analysis code calls `progress()`; only
 * the CLI decides whether and how it is shown:
 * - on an interactive terminal, one rewritten status line (with the elapsed
 *   time once the run passes a few seconds), cleared at the end;
 * - off a TTY (pre-commit hooks, CI logs, pipes), nothing for a quick run; once
 *   the run passes a few seconds, one line per stage with the elapsed time, so
 *   a slow hook or CI step shows where its time goes;
 * - nothing at all with --quiet or POLICYDRIFT_NO_PROGRESS.
 * "A few seconds" is 3 s; POLICYDRIFT_PROGRESS_AFTER=<seconds> changes it (0: always).
 * Analysis is synchronous, so stages are reported when they start, never from timers.
 */
let sink: ((line: string) => void) | null = null;
let quiet = false;

/** Report a stage; an empty stage clears the line (call it before printing results). */
export function progress(stage: string): void {
  sink?.(stage);
}

/** --quiet: no progress, and `note()` lines are dropped. */
export function setQuiet(q: boolean): void {
  quiet = q;
}

export function isQuiet(): boolean {
  return quiet;
}

/** An informational message on stderr (not an error, a failure or the command's result): dropped with --quiet. */
export function note(text: string): void {
  if (!quiet) process.stderr.write(text);
}

export interface ProgressOptions {
  /** No output at all (--quiet). */
  quiet?: boolean;
  /** Off a TTY, stages are printed once the run is older than this (ms); on a TTY, the elapsed time is shown from then on. */
  thresholdMs?: number;
  now?: () => number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Start showing progress on `stream`; returns a function that ends it (clearing a TTY line). */
export function enableProgress(
  stream: { isTTY?: boolean; write(s: string): unknown } = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
  opts: ProgressOptions = {},
): () => void {
  if (opts.quiet || env.POLICYDRIFT_NO_PROGRESS) return () => {};
  const now = opts.now ?? Date.now;
  const after = Number(env.POLICYDRIFT_PROGRESS_AFTER);
  const threshold = opts.thresholdMs ?? (env.POLICYDRIFT_PROGRESS_AFTER && after >= 0 ? after * 1000 : 3000);
  const start = now();
  const tty = !!stream.isTTY && !env.CI;
  let shown = false;
  let lines = 0;
  sink = (line) => {
    const elapsed = now() - start;
    if (!tty) {
      if (!line || elapsed < threshold) return;
      lines++;
      stream.write(`policydrift: [${seconds(elapsed)}] ${line}\n`);
      return;
    }
    if (!line) {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
      return;
    }
    shown = true;
    stream.write(`\r\x1b[2Kpolicydrift: ${elapsed >= threshold ? `[${seconds(elapsed)}] ` : ''}${line}`);
  };
  return () => {
    if (!sink) return;
    sink = null;
    if (tty && shown) stream.write('\r\x1b[2K');
    if (!tty && lines) stream.write(`policydrift: [${seconds(now() - start)}] done\n`);
  };
}
