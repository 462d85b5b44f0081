import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseJsonText } from '../util/jsonfile.js';
import { UserError, locatedError } from '../errors.js';

export const CONFIG_FILE = 'policydrift.config.json';

export const DEFAULT_REDACTION_ORDER = ['none', 'mask', 'truncate', 'hash', 'tokenize', 'drop'];
export const DEFAULT_CLASSIFICATION_ORDER = ['public', 'internal', 'pseudonymous', 'personal', 'sensitive', 'secret'];
/** The classification of a field without `@classification`; below every level. */
export const UNCLASSIFIED = 'unclassified';
export const DEFAULT_REDACTION = 'none';

export type GuardArgOrder = Array<string | number | boolean> | 'higher-is-stronger' | 'lower-is-stronger';

export interface Orders {
  redaction: string[];
  classification: string[];
  guardArgs: Record<string, GuardArgOrder>;
}

export interface ProfileConfig {
  install?: string[];
  build: string[];
  env?: Record<string, string>;
  outDir: string;
  reproducible?: boolean;
  forbiddenIdentifiers?: string[];
  forbiddenStrings?: string[];
  publish?: string[];
}

export interface ApprovalsConfig {
  mode: 'signed' | 'listed';
  allowedSigners?: string;
  approvers?: string[];
  minApprovals: number;
}

/** The config with every default filled in. */
export interface ResolvedConfig {
  manifest: string;
  tsconfig: string;
  exclude: string[];
  leHandlers: string[];
  logSchemas: string[];
  logSinks: string[];
  keyGuards: string[];
  keyConditions: string[];
  keySinks: string[];
  entryPoints: string[];
  orders: Orders;
  registry: string;
  /** Allowed-signers file of the keys that may sign release registry events (read from the trusted ref). */
  releaseSigners?: string;
  /** The branch the release job runs on; `release` without --registry-ref refuses to run elsewhere. */
  releaseBranch: string;
  approvals: ApprovalsConfig;
  profiles: Record<string, ProfileConfig>;
  /** Where it came from (relative label), or null when defaults only. */
  source: string | null;
}

type RawConfig = Partial<Omit<ResolvedConfig, 'orders' | 'approvals' | 'source'>> & {
  orders?: Partial<Orders>;
  approvals?: Partial<ApprovalsConfig>;
};

export function resolveConfig(raw: RawConfig, source: string | null): ResolvedConfig {
  return {
    manifest: raw.manifest ?? 'invariants.manifest.json',
    tsconfig: raw.tsconfig ?? 'tsconfig.json',
    exclude: raw.exclude ?? [],
    leHandlers: raw.leHandlers ?? [],
    logSchemas: raw.logSchemas ?? [],
    logSinks: raw.logSinks ?? [],
    keyGuards: raw.keyGuards ?? [],
    keyConditions: raw.keyConditions ?? [],
    keySinks: raw.keySinks ?? [],
    entryPoints: raw.entryPoints ?? [],
    orders: {
      redaction: raw.orders?.redaction ?? DEFAULT_REDACTION_ORDER,
      classification: raw.orders?.classification ?? DEFAULT_CLASSIFICATION_ORDER,
      guardArgs: raw.orders?.guardArgs ?? {},
    },
    registry: raw.registry ?? 'release/registry.json',
    releaseSigners: raw.releaseSigners,
    releaseBranch: raw.releaseBranch ?? 'main',
    approvals: {
      mode: raw.approvals?.mode ?? 'signed',
      allowedSigners: raw.approvals?.allowedSigners,
      approvers: raw.approvals?.approvers,
      minApprovals: raw.approvals?.minApprovals ?? 1,
    },
    profiles: raw.profiles ?? {},
    source,
  };
}

export function defaultConfig(): ResolvedConfig {
  return resolveConfig({}, null);
}

/** Parse config text (from a file or a git blob). `label` names it in errors. */
export function parseConfigText(text: string, label: string): ResolvedConfig {
  const raw = parseJsonText<RawConfig>(text, 'config', label, undefined);
  if (raw.orders?.classification?.includes(UNCLASSIFIED)) {
    throw locatedError(
      { file: label },
      `orders.classification must not list "${UNCLASSIFIED}"`,
      `"${UNCLASSIFIED}" is the implicit lowest level; remove it from the list`,
    );
  }
  return resolveConfig(raw, label);
}

/**
 * Load the config: an explicit `--config FILE` must exist; otherwise
 * `<root>/policydrift.config.json` is used when present, else the defaults.
 */
export function loadConfig(root: string, explicit?: string): ResolvedConfig {
  if (explicit) {
    const file = path.resolve(explicit);
    if (!fs.existsSync(file)) {
      throw new UserError(`${explicit}: config file not found`, { hint: 'check the --config path' });
    }
    const label = path.relative(process.cwd(), file) || file;
    return resolveConfigFile(file, label);
  }
  const file = path.join(root, CONFIG_FILE);
  if (!fs.existsSync(file)) return defaultConfig();
  return resolveConfigFile(file, path.relative(process.cwd(), file) || CONFIG_FILE);
}

function resolveConfigFile(file: string, label: string): ResolvedConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`${label}: cannot read config file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseConfigText(text, label);
}
