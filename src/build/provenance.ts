import type { ProfileConfig } from '../config/index.js';
import { canonicalJson } from '../manifest/index.js';
import { sha256Hex } from '../util/fs.js';
import { GENERATOR } from '../version.js';
import type { OutputFile } from './digest.js';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PROVENANCE_PREDICATE_TYPE = 'https://policydrift.dev/provenance/v1';

export interface ProvenancePredicate {
  /** Full sha of the commit that was built. */
  commit: string;
  manifestVersion: number;
  /** `sha256:...` digest of the manifest at the commit. */
  manifestDigest: string;
  /** `sha256:` + hex of package-lock.json at the commit, or null when the commit has none. */
  lockfileDigest: string | null;
  profile: string;
  build: {
    install: string[] | null;
    command: string[];
    outDir: string;
    /** SOURCE_DATE_EPOCH given to the build (the commit time). */
    sourceDateEpoch: number;
  };
  /** `sha256:` over the sorted `sha256sum` listing of the outputs. */
  outputsDigest: string;
  builder: { name: string; version: string };
  /** True only when two builds in fresh worktrees produced identical outputs. */
  reproducible: boolean;
}

export interface ProvenanceStatement {
  _type: typeof IN_TOTO_STATEMENT_TYPE;
  subject: Array<{ name: string; digest: { sha256: string } }>;
  predicateType: typeof PROVENANCE_PREDICATE_TYPE;
  predicate: ProvenancePredicate;
}

export interface ProvenanceInput {
  commit: string;
  manifestVersion: number;
  manifestDigest: string;
  /** Content of package-lock.json at the commit, or null. */
  lockfile: string | Buffer | null;
  profileName: string;
  profile: ProfileConfig;
  sourceDateEpoch: number;
  /** Output files, paths relative to the output directory. */
  outputs: OutputFile[];
  outputsDigest: string;
  reproducible: boolean;
}

/**
 * An in-toto Statement v1 for the verified build. Deterministic: no
 * timestamps, no absolute paths, subjects sorted; serialize with
 * `provenanceJson` (canonical JSON) so the same build gives the same bytes.
 */
export function buildProvenance(i: ProvenanceInput): ProvenanceStatement {
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: i.outputs.map((f) => ({ name: f.path, digest: { sha256: f.sha256 } })),
    predicateType: PROVENANCE_PREDICATE_TYPE,
    predicate: {
      commit: i.commit,
      manifestVersion: i.manifestVersion,
      manifestDigest: i.manifestDigest,
      lockfileDigest: i.lockfile === null ? null : `sha256:${sha256Hex(i.lockfile)}`,
      profile: i.profileName,
      build: {
        install: i.profile.install ?? null,
        command: i.profile.build,
        outDir: i.profile.outDir,
        sourceDateEpoch: i.sourceDateEpoch,
      },
      outputsDigest: i.outputsDigest,
      builder: { name: GENERATOR.name, version: GENERATOR.version },
      reproducible: i.reproducible,
    },
  };
}

export function provenanceJson(statement: ProvenanceStatement): string {
  return canonicalJson(statement);
}
