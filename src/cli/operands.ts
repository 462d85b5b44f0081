import * as path from 'node:path';
import { readManifestFile } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { UserError } from '../errors.js';
import { assertSafeRev } from '../git/run.js';

export interface OperandOptions {
  /** Directory relative operands are resolved against (default: process.cwd()). */
  cwd?: string;
}

/**
 * Load a manifest operand of `diff` (and later `check`): a manifest file path.
 * Errors name the operand as given, with line, column and JSON path.
 */
export function loadManifestOperand(spec: string, opts: OperandOptions = {}): Promise<Manifest> | Manifest {
  if (spec.startsWith('git:')) {
    const rev = spec.slice(4);
    if (!rev)
      throw new UserError(`${spec}: missing revision after git:`, {
        hint: 'e.g. git:HEAD, git:main~3, git:v1.2.0 or a commit sha',
      });
    assertSafeRev(rev);
    // Extracted from the git object database with that commit's tsconfig and config; no checkout.
    // Loaded on demand: the TypeScript compiler is only needed for git: operands.
    return import('../extract/from-tree.js').then(
      ({ extractAtRef }) => extractAtRef({ repoDir: opts.cwd ?? process.cwd(), rev }).manifest,
    );
  }
  if (spec === '') throw new UserError('empty manifest operand', { hint: 'pass the path of a manifest file' });
  return readManifestFile(path.resolve(opts.cwd ?? process.cwd(), spec), spec);
}
