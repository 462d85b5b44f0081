/** Exit codes, decided in one place. */
export const EXIT = { pass: 0, policy: 1, usage: 2 } as const;

/**
 * A failure caused by the user's input (flags, config, source annotations,
 * a manifest file, a git state). The CLI prints `message` (and `hint`) on one
 * or two lines, never a stack trace, and exits with `exitCode`.
 */
export class UserError extends Error {
  readonly hint?: string;
  readonly exitCode: number;
  constructor(message: string, opts: { hint?: string; exitCode?: number } = {}) {
    super(message);
    this.name = 'UserError';
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? EXIT.usage;
  }
}

/** A position in a user's file, for messages like `src/a.ts:12:3: ...`. */
export interface SourcePos {
  file: string;
  line?: number;
  column?: number;
}

export function formatPos(pos: SourcePos): string {
  let s = pos.file;
  if (pos.line !== undefined) s += `:${pos.line}`;
  if (pos.line !== undefined && pos.column !== undefined) s += `:${pos.column}`;
  return s;
}

/** A UserError located in a source or data file. */
export function locatedError(pos: SourcePos, what: string, hint?: string): UserError {
  return new UserError(`${formatPos(pos)}: ${what}`, { hint });
}
