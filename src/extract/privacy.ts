import { ts } from 'ts-morph';
import type { ExtractContext, Fragment } from './context.js';
import type { PrivacyInvariant } from '../manifest/types.js';
import { locatedError } from '../errors.js';
import { fileMayMatch } from './prefilter.js';
import { keys } from '../manifest/keys.js';

export const INVARIANT_ID = /^[a-z0-9]+([.-][a-z0-9]+)*$/;

/** Every JSDoc tag in a file, wherever its comment is attached (including the end-of-file token). */
export function allJsDocTags(sf: ts.SourceFile): ts.JSDocTag[] {
  const out: ts.JSDocTag[] = [];
  const visit = (n: ts.Node) => {
    const docs = (n as { jsDoc?: ts.JSDoc[] }).jsDoc;
    if (docs) for (const d of docs) for (const t of d.tags ?? []) out.push(t);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out.sort((a, b) => a.pos - b.pos);
}

export function tagText(tag: ts.JSDocTag): string {
  const raw = typeof tag.comment === 'string' ? tag.comment : (ts.getTextOfJSDocComment(tag.comment) ?? '');
  return raw.replace(/\s+/g, ' ').trim();
}

/** `@invariant <id> <statement>` anywhere in JSDoc: privacy invariants keyed by id. */
export function extractPrivacy(ctx: ExtractContext): Fragment<Record<string, PrivacyInvariant>> {
  const data: Record<string, PrivacyInvariant> = {};
  const locations: Record<string, string> = {};
  const seen = new Map<string, string>();
  for (const sf of ctx.sourceFiles) {
    if (!fileMayMatch(ctx, sf, ['@invariant'])) continue;
    const file = ctx.rel(sf);
    const csf = sf.compilerNode;
    for (const tag of allJsDocTags(csf)) {
      if (tag.tagName.text !== 'invariant') continue;
      const { line, character } = csf.getLineAndCharacterOfPosition(tag.getStart(csf));
      const pos = { file, line: line + 1, column: character + 1 };
      const text = tagText(tag);
      const m = /^(\S+)\s+(.+)$/.exec(text);
      if (!m) {
        throw locatedError(
          pos,
          '@invariant needs an id and a statement',
          'write `@invariant <id> <statement>`, e.g. `@invariant le.response.closed LE responses are limited to the listed variants`',
        );
      }
      const id = m[1]!;
      const statement = m[2]!;
      if (!INVARIANT_ID.test(id)) {
        throw locatedError(
          pos,
          `invalid invariant id "${id}"`,
          'ids are lower-case words joined by "." or "-", matching [a-z0-9]+([.-][a-z0-9]+)*',
        );
      }
      const prev = seen.get(id);
      if (prev) {
        throw locatedError(
          pos,
          `duplicate invariant id "${id}" (first declared at ${prev})`,
          'each @invariant id must be unique across the project; rename one of them',
        );
      }
      seen.set(id, `${file}:${pos.line}:${pos.column}`);
      data[id] = { statement };
      locations[keys.invariant(id)] = file;
    }
  }
  return { data, locations };
}
