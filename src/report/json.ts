import type { DiffResult } from '../diff/index.js';
import { canonicalJson } from '../manifest/index.js';
import { assertValid } from '../util/jsonfile.js';
import { UserError } from '../errors.js';

/** The JSON contract (diff.schema.json): validated before it is printed, canonical key order. */
export function renderJson(result: DiffResult): string {
  try {
    assertValid('diff', result, '(diff report)');
  } catch (e) {
    if (e instanceof UserError)
      throw new Error(`the diff report does not match diff.schema.json (a policydrift bug): ${e.message}`, {
        cause: e,
      });
    throw e;
  }
  return canonicalJson(result);
}
