import type { ExtractContext, Fragment } from './context.js';
import type { LeHandler } from '../manifest/types.js';

/** LE handlers: response variants, request requirements, boundedness. (stub) */
export function extractLe(ctx: ExtractContext): Fragment<Record<string, LeHandler>> {
  void ctx;
  return { data: {}, locations: {} };
}
