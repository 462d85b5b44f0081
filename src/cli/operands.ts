import * as path from 'node:path';
import { readManifestFile } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { UserError } from '../errors.js';

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
    throw new UserError(`${spec}: git: operands are not supported yet`, { hint: 'extract the manifest to a file first (e.g. `git show REF:invariants.manifest.json > base.json`) and pass the file' });
  }
  if (spec === '') throw new UserError('empty manifest operand', { hint: 'pass the path of a manifest file' });
  return readManifestFile(path.resolve(opts.cwd ?? process.cwd(), spec), spec);
}
