/**
 * Approvals of a change set: `approvals.yaml` at the change root (a sidecar
 * OpenSpec ignores and keeps on archive). OpenSpec tracks no approval state;
 * this format and its verification are policydrift's own.
 *
 *   approvals:
 *     - identity: alice@example.com
 *       digest: sha256:...            # changeSetDigest at approval time
 *       signature: |                  # signed mode only
 *         -----BEGIN SSH SIGNATURE-----
 *         ...
 *       time: 2026-01-02T03:04:05.000Z   # informational, not trusted
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import type { ApprovalsConfig } from '../config/index.js';
import { UserError, locatedError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { parseYamlText } from '../util/yamlfile.js';
import { METADATA_FILE } from '../openspec/changes.js';
import { changeSetDigest } from './digest.js';
import { identityProblem, signMessage, verifySignature } from './ssh.js';

export const APPROVALS_FILE = 'approvals.yaml';

export interface ApprovalEntry {
  identity: string;
  digest: string;
  /** Armored SSH signature over the digest string; absent in listed mode. */
  signature?: string;
  /** ISO 8601; recorded by the approver, never trusted. */
  time: string;
}

export interface ApprovalEvaluation {
  approved: boolean;
  mode: ApprovalsConfig['mode'];
  /** The change set's current digest. */
  digest: string;
  /** Distinct identities whose approval counts. */
  valid: Array<{ identity: string }>;
  invalid: Array<{ identity: string; reason: string }>;
  /** Required distinct identities (minApprovals, at least 1). */
  required: number;
  /** Why it is not approved; null when approved. */
  reason: string | null;
}

const ENTRY_KEYS = ['identity', 'digest', 'signature', 'time'];

/** Read `approvals.yaml` as raw entries (missing file => []). Malformed YAML or top-level shape throws a located UserError. */
export function readApprovals(setDir: string): unknown[] {
  const file = path.join(setDir, APPROVALS_FILE);
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st) return [];
  if (!st.isFile()) throw new UserError(`${file}: must be a regular file`);
  const text = fs.readFileSync(file, 'utf8');
  const { doc, lineCounter, value: js } = parseYamlText(text, file);
  if (js === null || js === undefined) return [];
  const list = (js as Record<string, unknown>)?.approvals;
  if (typeof js !== 'object' || Array.isArray(js) || (list !== undefined && list !== null && !Array.isArray(list))) {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed by TypeScript 7 (the build), not by TypeScript 6 (the linter)
    const node = ((typeof js === 'object' && !Array.isArray(js) ? doc.get('approvals', true) : null) ??
      doc.contents) as { range?: [number, number, number] } | null;
    const pos = node?.range ? lineCounter.linePos(node.range[0]) : null;
    throw locatedError(
      pos ? { file, line: pos.line, column: pos.col } : { file },
      'expected "approvals:" with a list of { identity, digest, signature, time }',
      'policydrift approve writes this file; restore it from version control or delete it and approve again',
    );
  }
  return (list as unknown[] | null | undefined) ?? [];
}

/** Shape problem of one raw entry, or null. */
function entryProblem(raw: unknown): string | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'entry is not a mapping';
  const e = raw as Record<string, unknown>;
  const unknownKey = Object.keys(e).find((k) => !ENTRY_KEYS.includes(k));
  if (unknownKey) return `unknown key "${unknownKey}"`;
  const idProblem = identityProblem(e.identity);
  if (idProblem) return idProblem;
  if (typeof e.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(e.digest))
    return 'digest must be "sha256:<64 hex>"';
  if (e.signature !== undefined && typeof e.signature !== 'string') return 'signature must be a string';
  if (e.time !== undefined && typeof e.time !== 'string') return 'time must be a string';
  return null;
}

function displayIdentity(raw: unknown): string {
  const id = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).identity : undefined;
  return typeof id === 'string' && id ? id : '(none)';
}

/**
 * Approve the change set at `setDir` as `identity`: compute its digest, sign
 * it with the SSH key at `keyPath` (signed mode) or record it unsigned when
 * `keyPath` is null (listed mode), and append the entry atomically. An earlier
 * entry by the same identity for the same digest is replaced.
 */
export function approve(
  setDir: string,
  keyPath: string | null,
  identity: string,
  now: Date = new Date(),
): ApprovalEntry & { replaced: string | null } {
  const bad = identityProblem(identity);
  if (bad)
    throw new UserError(bad, { hint: 'use the principal from the allowed signers file, e.g. alice@example.com' });
  if (!fs.existsSync(path.join(setDir, METADATA_FILE)) && !fs.existsSync(path.join(setDir, 'proposal.md'))) {
    throw new UserError(`${setDir}: not an OpenSpec change set (no .openspec.yaml or proposal.md)`);
  }
  const digest = changeSetDigest(setDir);
  const entry: ApprovalEntry =
    keyPath === null
      ? { identity, digest, time: now.toISOString() }
      : { identity, digest, signature: signMessage(digest, keyPath), time: now.toISOString() };
  // Validate what is there before rewriting it; never drop entries silently.
  const existing = readApprovals(setDir);
  const file = path.join(setDir, APPROVALS_FILE);
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const doc = parseDocument(text || 'approvals: []\n');
  const kept = existing.filter((raw) => {
    const e = raw as Record<string, unknown> | null;
    return !(e && typeof e === 'object' && e.identity === identity && e.digest === digest);
  });
  const entries = [...kept, entry];
  doc.set('approvals', doc.createNode(entries));
  writeFileAtomic(file, doc.toString({ lineWidth: 0, blockQuote: 'literal' }));
  const earlier = existing.find((raw) => !kept.includes(raw)) as { time?: unknown } | undefined;
  return {
    ...entry,
    replaced: earlier ? (typeof earlier.time === 'string' ? `approved ${earlier.time}` : 'an earlier approval') : null,
  };
}

/**
 * Decide whether the change set at `setDir` is approved. An approval counts
 * only when its digest equals the current digest and, in signed mode, its
 * signature verifies against the BASELINE's allowed-signers text for that
 * identity, or, in listed mode, the identity is in `cfg.approvers`.
 * `minApprovals` distinct identities are needed. Anything unexpected fails closed.
 */
export function evaluateApprovals(
  setDir: string,
  cfg: ApprovalsConfig,
  allowedSignersText: string | null,
): ApprovalEvaluation {
  const mode = cfg.mode;
  const required = Math.max(1, Number.isInteger(cfg.minApprovals) ? cfg.minApprovals : 1);
  const digest = changeSetDigest(setDir);
  const raws = readApprovals(setDir);
  const valid: Array<{ identity: string }> = [];
  const invalid: Array<{ identity: string; reason: string }> = [];
  let setupProblem: string | null = null;
  if (mode === 'signed') {
    if (!cfg.allowedSigners) {
      setupProblem =
        'signed approvals need approvals.allowedSigners in the config (an OpenSSH allowed_signers file), and none is configured';
    } else if (allowedSignersText === null) {
      setupProblem = `the allowed signers file ${cfg.allowedSigners} does not exist at the baseline`;
    }
  } else if (mode === 'listed') {
    if (!cfg.approvers || cfg.approvers.length === 0)
      setupProblem = 'listed approvals need approvals.approvers in the config, and none are configured';
  } else {
    setupProblem = `unknown approvals mode ${JSON.stringify(mode)}`;
  }
  const seen = new Set<string>();
  for (const raw of raws) {
    const identity = displayIdentity(raw);
    const shape = entryProblem(raw);
    if (shape) {
      invalid.push({ identity, reason: `malformed approval: ${shape}` });
      continue;
    }
    const e = raw as ApprovalEntry;
    if (e.digest !== digest) {
      invalid.push({
        identity,
        reason: `approved digest ${e.digest} is not the current ${digest}: the change set was edited after approval`,
      });
      continue;
    }
    if (setupProblem) {
      invalid.push({ identity, reason: setupProblem });
      continue;
    }
    if (mode === 'signed') {
      if (!e.signature) {
        invalid.push({ identity, reason: 'no signature (signed mode)' });
        continue;
      }
      const v = verifySignature(digest, e.signature, e.identity, allowedSignersText!);
      if (!v.ok) {
        invalid.push({ identity, reason: v.reason });
        continue;
      }
    } else if (!cfg.approvers!.includes(e.identity)) {
      invalid.push({ identity, reason: `${e.identity} is not in approvals.approvers` });
      continue;
    }
    if (!seen.has(e.identity)) {
      seen.add(e.identity);
      valid.push({ identity: e.identity });
    }
  }
  const approved = setupProblem === null && valid.length >= required;
  let reason: string | null = null;
  if (!approved) {
    reason =
      setupProblem ??
      (raws.length === 0
        ? `no approvals (${APPROVALS_FILE} is missing or empty); ${required} required`
        : `${valid.length} of ${required} required distinct approvals`);
  }
  return { approved, mode, digest, valid, invalid, required, reason };
}
