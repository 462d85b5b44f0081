import stringify from 'json-stable-stringify';
import { sha256Hex } from '../util/fs.js';

/**
 * A short stable identity for a change: the first 16 hex digits of sha256 over
 * the canonical JSON of [rule, id, subject, before, after]. Locations and
 * messages are left out so that moving a file or rewording a message keeps
 * the fingerprint (SARIF `partialFingerprints`, approvals).
 */
export function fingerprint(rule: string, id: string, subject: string, before: unknown, after: unknown): string {
  const text = stringify([rule, id, subject, before ?? null, after ?? null]) ?? '';
  return sha256Hex(text).slice(0, 16);
}
