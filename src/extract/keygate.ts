import type { ExtractContext, Fragment } from './context.js';
import type { Keygate } from '../manifest/types.js';

/** Key gating, sink-centric. (stub) */
export function extractKeygate(ctx: ExtractContext): Fragment<Keygate> {
  void ctx;
  return { data: { guards: {}, sinks: {}, sites: {}, escapes: {} }, locations: {} };
}
