import type { ExtractContext } from '../analysis/context.js';
import type { Locations, ManifestInvariants } from '../../manifest/types.js';
import { extractLe } from './le.js';
import { extractLogging } from './logging.js';
import { extractKeygate } from './keygate.js';
import { extractPrivacy } from './privacy.js';

/**
 * One invariant family. `tags` are the JSDoc tags the collector (and the analysis it calls) reads from parsed
 * JSDoc, `names` the identifiers it reacts to without a tag, `commentTags` tags it reads from the raw comment
 * text (parsed JSDoc not needed). The program parses JSDoc fully only in files that mention a tag or a name
 * (`jsDocNeedles`), so a tag read but not declared here would silently be missed: test/collectors.test.js
 * checks the collectors' sources against these lists.
 */
export interface Collector<K extends keyof ManifestInvariants = keyof ManifestInvariants> {
  id: K;
  /** Shown in the progress line. */
  title: string;
  tags: readonly string[];
  names: readonly string[];
  commentTags: readonly string[];
  run(ctx: ExtractContext): { data: ManifestInvariants[K]; locations: Locations };
}

const le: Collector<'le'> = {
  id: 'le',
  title: 'LE handlers',
  tags: ['leHandler'],
  names: ['handle_le_request'],
  commentTags: [],
  run(ctx) {
    const { data, locations } = extractLe(ctx);
    return { data: { handlers: data }, locations };
  },
};

const logging: Collector<'logging'> = {
  id: 'logging',
  title: 'logging schemas',
  tags: ['logSchema', 'logSink', 'retentionDays'],
  names: [],
  commentTags: ['classification', 'redact'],
  run(ctx) {
    const { data, locations } = extractLogging(ctx);
    return { data: { schemas: data }, locations };
  },
};

const keygate: Collector<'keygate'> = {
  id: 'keygate',
  title: 'key gating',
  // entryPoint, keyGated and leHandler (and the name handle_le_request) are read by analysis/callgraph.ts.
  tags: ['keyGuard', 'keySink', 'entryPoint', 'keyGated', 'leHandler'],
  names: ['handle_le_request'],
  commentTags: [],
  run: extractKeygate,
};

const privacy: Collector<'privacy'> = {
  id: 'privacy',
  title: 'privacy invariants',
  tags: ['invariant'],
  names: [],
  commentTags: [],
  run(ctx) {
    const { data, locations } = extractPrivacy(ctx);
    return { data: { invariants: data }, locations };
  },
};

/** Every collector, in the order they run. */
export const COLLECTORS: readonly Collector[] = [le, logging, keygate, privacy] as readonly Collector[];

/** What a file's text must contain for its JSDoc to matter: every declared tag (as `@tag`) and name. */
export function jsDocNeedles(collectors: readonly Collector[] = COLLECTORS): string[] {
  const out = new Set<string>();
  for (const c of collectors) {
    for (const t of c.tags) out.add(`@${t}`);
    for (const n of c.names) out.add(n);
  }
  return [...out].sort();
}
