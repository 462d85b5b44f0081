/**
 * The trusted registry: the registry, the config and the release signers as
 * they are at the trusted ref (the protected branch). The baseline, the
 * bootstrap decision and revocations are read from it only; what a candidate
 * appends is judged against it and never moves the baseline of the run that
 * sees it.
 */
import * as path from 'node:path';
import { CONFIG_FILE, defaultConfig, parseConfigText, type ResolvedConfig } from '../config/index.js';
import { readFileAtRef } from '../git/files.js';
import { EXIT, UserError } from '../errors.js';
import { parseRegistryText, verifyRegistry } from './index.js';
import type { ReleaseSigners } from './signing.js';
import type { Registry } from './types.js';

export interface TrustedRegistry {
  /** The ref (or commit) everything was read from. */
  ref: string;
  /** The config at that ref. */
  config: ResolvedConfig;
  /** Repository-relative path of the registry file. */
  rel: string;
  /** Null when the ref has no registry file. */
  registry: Registry | null;
  signers: ReleaseSigners;
  /** Unsigned events accepted as a legacy prefix. */
  legacy: number;
  warnings: string[];
}

const join = (sub: string, rel: string) => (sub ? path.posix.join(sub, rel) : rel);

/** The release signers named by `config`, read at `rev` (text null, with the reason as source, when there are none). */
export function releaseSignersAt(
  repo: string,
  rev: string,
  label: string,
  sub: string,
  config: ResolvedConfig,
): ReleaseSigners {
  if (!config.releaseSigners) return { text: null, source: `no "releaseSigners" in the config at ${label}` };
  const rel = join(sub, config.releaseSigners);
  const text = readFileAtRef(repo, rev, rel);
  return text === null
    ? { text: null, source: `the release signers file ${rel} does not exist at ${label}` }
    : { text, source: `${label}:${rel}` };
}

/**
 * Read and verify the registry at `rev` (chain, references and every
 * signature against the release signers at `rev`). A registry that does not
 * verify is a policy failure (exit 1) naming the first bad event: a forged
 * event on the protected branch stops every gate until it is removed.
 */
export function readTrustedRegistry(repo: string, rev: string, sub: string, label = rev): TrustedRegistry {
  const cfgRel = join(sub, CONFIG_FILE);
  const cfgText = readFileAtRef(repo, rev, cfgRel);
  const config = cfgText !== null ? parseConfigText(cfgText, `${label}:${cfgRel}`) : defaultConfig();
  const rel = join(sub, config.registry);
  const text = readFileAtRef(repo, rev, rel);
  const registry = text === null ? null : parseRegistryText(text, `${label}:${rel}`);
  const signers = releaseSignersAt(repo, rev, label, sub, config);
  const warnings: string[] = [];
  let legacy = 0;
  if (registry) {
    const v = verifyRegistry(registry, { signers });
    if (!v.ok) {
      throw new UserError(`${rel} at ${label} is broken at ${v.problem!.message}`, {
        hint: v.problem!.hint,
        exitCode: EXIT.policy,
      });
    }
    legacy = v.legacy;
    if (legacy > 0) {
      warnings.push(
        legacy === registry.events.length
          ? `${rel} at ${label}: none of its ${legacy} event(s) is signed (written before registry events were signed): accepted as a legacy log; the next signed release seals it`
          : `${rel} at ${label}: the first ${legacy} event(s) are unsigned (written before registry events were signed): accepted as a legacy prefix, sealed by the signed event after them`,
      );
    }
  }
  if (signers.text === null)
    warnings.push(
      `registry events cannot be authenticated: ${signers.source}; every event a change appends is reported, and \`release\` records nothing until release signers are configured`,
    );
  return { ref: rev, config, rel, registry, signers, legacy, warnings };
}
