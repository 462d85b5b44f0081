import type { FileSystemHost } from 'ts-morph';
import type { ResolvedConfig } from '../config/index.js';
import { buildManifest } from '../manifest/index.js';
import type { Locations, Manifest, ManifestInvariants } from '../manifest/types.js';
import { openProject } from '../project/index.js';
import type { ExtractContext } from './context.js';
import { extractLe } from './le.js';
import { extractLogging } from './logging.js';
import { extractKeygate } from './keygate.js';
import { extractPrivacy } from './privacy.js';

/** Run every extractor over an opened project. */
export function extractInvariants(ctx: ExtractContext): { invariants: ManifestInvariants; locations: Locations } {
  const le = extractLe(ctx);
  const logging = extractLogging(ctx);
  const keygate = extractKeygate(ctx);
  const privacy = extractPrivacy(ctx);
  return {
    invariants: {
      le: { handlers: le.data },
      logging: { schemas: logging.data },
      keygate: keygate.data,
      privacy: { invariants: privacy.data },
    },
    locations: { ...le.locations, ...logging.locations, ...keygate.locations, ...privacy.locations },
  };
}

export interface ExtractOptions {
  root: string;
  config: ResolvedConfig;
  fileSystem?: FileSystemHost;
  label?: string;
  /** The committed manifest, for the version bump. */
  previous?: Manifest | null;
}

export function extractManifest(opts: ExtractOptions): Manifest {
  const ctx = openProject(opts);
  const { invariants, locations } = extractInvariants(ctx);
  return buildManifest(invariants, locations, opts.previous ?? null);
}
