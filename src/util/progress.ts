/**
 * Progress for long runs: one rewritten status line on an interactive
 * terminal, nothing in CI logs or pipes. Analysis code calls `progress()`;
 * only the CLI decides whether it is shown.
 */
let sink: ((line: string) => void) | null = null;

/** Report a stage; an empty stage clears the line (call it before printing results). */
export function progress(stage: string): void {
  sink?.(stage);
}

/** Show progress on stderr when it is a TTY and not in CI; returns a function that clears the line. */
export function enableTtyProgress(stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): () => void {
  if (!stream.isTTY || env.CI || env.POLICYDRIFT_NO_PROGRESS) return () => {};
  let shown = false;
  sink = (line) => {
    if (!line) {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
      return;
    }
    shown = true;
    stream.write(`\r\x1b[2Kpolicydrift: ${line}`);
  };
  return () => {
    sink = null;
    if (shown) stream.write('\r\x1b[2K');
  };
}
