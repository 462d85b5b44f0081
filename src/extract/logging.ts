import type { ExtractContext, Fragment } from './context.js';
import type { LogSchema } from '../manifest/types.js';

/** Logging schemas. (stub) */
export function extractLogging(ctx: ExtractContext): Fragment<Record<string, LogSchema>> {
  void ctx;
  return { data: {}, locations: {} };
}
