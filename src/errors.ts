/** Exit codes, decided in one place. */
export const EXIT = { pass: 0, policy: 1, usage: 2 } as const;

/**
 * A failure caused by the user's input (flags, config, source annotations,
 * a manifest file, a git state). The CLI prints `message` (and `hint`) on one
 * or two lines, never a stack trace, and exits with `exitCode`.
 *
 * An error located in a file (`pos`) carries `file`, `line` and `column` as
 * fields too; its message still starts with `file:line:col: ` (see
 * `locatedError`), so text output is unchanged and tools read the fields.
 */
export class UserError extends Error {
  readonly hint?: string;
  readonly exitCode: number;
  /** The file (as shown: a relative path, or `<rev>:<path>` for a file read from git) the error is located in. */
  readonly file?: string;
  /** 1-based line, when known. */
  readonly line?: number;
  /** 1-based column, when known (only with a line). */
  readonly column?: number;
  constructor(message: string, opts: { hint?: string; exitCode?: number; pos?: SourcePos } = {}) {
    super(message);
    this.name = 'UserError';
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? EXIT.usage;
    if (opts.pos) {
      this.file = opts.pos.file;
      if (opts.pos.line !== undefined) {
        this.line = opts.pos.line;
        if (opts.pos.column !== undefined) this.column = opts.pos.column;
      }
    }
  }

  /** The position, when the error is located in a file. */
  get pos(): SourcePos | undefined {
    if (this.file === undefined) return undefined;
    return {
      file: this.file,
      ...(this.line !== undefined ? { line: this.line } : {}),
      ...(this.column !== undefined ? { column: this.column } : {}),
    };
  }

  /** The error as JSON output shows it: message, hint and position fields (absent ones omitted). */
  toJSON(): { message: string; hint?: string; file?: string; line?: number; column?: number } {
    return {
      message: this.message,
      ...(this.hint !== undefined ? { hint: this.hint } : {}),
      ...this.pos,
    };
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

/** A UserError located in a source or data file: `file:line:col: what`, with the position as fields. */
export function locatedError(pos: SourcePos, what: string, hint?: string): UserError {
  return new UserError(`${formatPos(pos)}: ${what}`, { hint, pos });
}
