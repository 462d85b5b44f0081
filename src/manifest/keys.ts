/**
 * Every key and composite id of the manifest, made and read in one place.
 *
 * - **Entity keys** name one entry of `invariants`: `le:<handler>`,
 *   `logging:<schema>`, `keygate:guard:<guard>`, `keygate:sink:<sink>`,
 *   `keygate:site:<site>`, `keygate:escape:<escape>`, `privacy:<invariant>`.
 * - **Location keys** (the keys of `locations`) are the entity keys of what
 *   has a declaration file (escapes have none), plus
 *   `le:<handler>:variant:<value>` (where a response variant is declared) and
 *   `keygate:via:<site>` (whose value is a via path, below).
 * - **Site ids** `<function> -> <sink>` and **escape ids**
 *   `<function> -> <sink> (<kind>)`; a function id is a declaration name,
 *   `<name>@<file>` when two used declarations share the name, or
 *   `<module:<file>>` for top-level code.
 * - **Via paths** (the value of a `keygate:via:` location):
 *   `<name> (<file>) -> ... -> <sink>`, `<module>` for top-level code.
 * - **Package locations**: a file of another workspace package is recorded as
 *   `<package name>:<path inside the package>`; `(outside):<basename>` for a
 *   file outside every package.
 *
 * Names and paths may hold `:`: the prefixes are fixed, so a key is read by
 * its prefix and the rest is the id. Two separators cannot be told apart
 * from the text they separate, and the parsers document which occurrence
 * they take: `:variant:` (the first), ` -> ` (the first in a site id, every
 * one in a via path: a file path or name holding ` -> ` does not round-trip
 * there), ` (` in a via hop (the first: a file path may hold ` (`, a
 * declaration name almost never does).
 */

/** Families of `invariants` entries, as they prefix entity keys. */
export type EntityFamily =
  'le' | 'logging' | 'keygate:guard' | 'keygate:sink' | 'keygate:site' | 'keygate:escape' | 'privacy';

/** A parsed manifest key (entity or location key). */
export type ManifestKey =
  | { kind: EntityFamily; id: string }
  | { kind: 'le:variant'; id: string; variant: string }
  | { kind: 'keygate:via'; id: string };

const VARIANT = ':variant:';

/** Every prefix; none is a prefix of another (`le:` is not one of `logging:`), so the order does not matter. */
const PREFIXES: ReadonlyArray<ManifestKey['kind']> = [
  'keygate:guard',
  'keygate:sink',
  'keygate:site',
  'keygate:escape',
  'keygate:via',
  'logging',
  'privacy',
  'le',
];

/** The text of a manifest key. */
export function formatKey(k: ManifestKey): string {
  if (k.kind === 'le:variant') return `le:${k.id}${VARIANT}${k.variant}`;
  return `${k.kind}:${k.id}`;
}

/**
 * Read a manifest key; undefined for a text that is not one. An `le:` key
 * whose rest holds `:variant:` is a variant key, split at the first
 * occurrence (a handler id holds it only inside a file path).
 */
export function parseKey(text: string): ManifestKey | undefined {
  for (const kind of PREFIXES) {
    if (!text.startsWith(`${kind}:`)) continue;
    const rest = text.slice(kind.length + 1);
    if (kind === 'le') {
      const at = rest.indexOf(VARIANT);
      if (at >= 0) return { kind: 'le:variant', id: rest.slice(0, at), variant: rest.slice(at + VARIANT.length) };
    }
    return { kind, id: rest } as ManifestKey;
  }
  return undefined;
}

/** Builders, one per key kind. */
export const keys = {
  /** The entity key of an entry of a family. */
  entity: (family: EntityFamily, id: string): string => formatKey({ kind: family, id }),
  handler: (id: string): string => formatKey({ kind: 'le', id }),
  variant: (handler: string, variant: string): string => formatKey({ kind: 'le:variant', id: handler, variant }),
  schema: (id: string): string => formatKey({ kind: 'logging', id }),
  guard: (id: string): string => formatKey({ kind: 'keygate:guard', id }),
  sink: (id: string): string => formatKey({ kind: 'keygate:sink', id }),
  site: (siteId: string): string => formatKey({ kind: 'keygate:site', id: siteId }),
  escape: (escapeId: string): string => formatKey({ kind: 'keygate:escape', id: escapeId }),
  via: (siteId: string): string => formatKey({ kind: 'keygate:via', id: siteId }),
  invariant: (id: string): string => formatKey({ kind: 'privacy', id }),
} as const;

// ---------------------------------------------------------------------------
// Function, site and escape ids

/** A function id qualified by its file, used when two used declarations share a name. */
export function qualifiedId(name: string, file: string): string {
  return `${name}@${file}`;
}

/** The function id of a file's top-level code. */
export function moduleFunctionId(file: string): string {
  return `<module:${file}>`;
}

const ARROW = ' -> ';

export interface SiteId {
  function: string;
  sink: string;
}

/** `<function> -> <sink>`. */
export function siteId(s: SiteId): string {
  return `${s.function}${ARROW}${s.sink}`;
}

/** Read a site id at its first ` -> ` (a function id holds it only inside a file path); undefined without one. */
export function parseSiteId(text: string): SiteId | undefined {
  const at = text.indexOf(ARROW);
  if (at < 0) return undefined;
  return { function: text.slice(0, at), sink: text.slice(at + ARROW.length) };
}

export interface EscapeId extends SiteId {
  kind: string;
}

/** `<function> -> <sink> (<kind>)`. */
export function escapeId(e: EscapeId): string {
  return `${siteId(e)} (${e.kind})`;
}

const ESCAPE_KIND = / \(([^()]*)\)$/;

/** Read an escape id; undefined when it has no ` (<kind>)` or no ` -> `. */
export function parseEscapeId(text: string): EscapeId | undefined {
  const m = ESCAPE_KIND.exec(text);
  if (!m) return undefined;
  const site = parseSiteId(text.slice(0, m.index));
  return site && { ...site, kind: m[1]! };
}

/** The site id an escape belongs to (`<function> -> <sink>`): the escape id without its ` (<kind>)`. */
export function escapeSiteId(text: string): string {
  return text.replace(ESCAPE_KIND, '');
}

// ---------------------------------------------------------------------------
// Via paths

export interface ViaHop {
  /** The declaration name, or undefined for top-level code (printed `<module>`). */
  name?: string;
  file: string;
}

export interface ViaPath {
  hops: ViaHop[];
  sink: string;
}

const MODULE = '<module>';

/** `<name> (<file>) -> ... -> <sink>`. */
export function formatVia(v: ViaPath): string {
  return [...v.hops.map((h) => `${h.name ?? MODULE} (${h.file})`), v.sink].join(ARROW);
}

/**
 * Read a via path: split at every ` -> `, the last part is the sink; a hop
 * is `<name> (<file>)` split at its first ` (`. A hop without ` (` keeps
 * the whole text as its name and an empty file.
 */
export function parseVia(text: string): ViaPath {
  const parts = text.split(ARROW);
  const sink = parts.pop()!;
  const hops = parts.map((p): ViaHop => {
    const at = p.indexOf(' (');
    const name = at >= 0 && p.endsWith(')') ? p.slice(0, at) : p;
    const file = at >= 0 && p.endsWith(')') ? p.slice(at + 2, -1) : '';
    return name === MODULE ? { file } : { name, file };
  });
  return { hops, sink };
}

// ---------------------------------------------------------------------------
// Package locations (workspaces)

const OUTSIDE = '(outside)';
/** An npm package name (`name`, `@scope/name`): never holds `:`. */
const PACKAGE_PREFIX = /^(?:@[^/:]+\/)?[^/:@][^/:]*:/;

/** Where a file of another workspace package is: `<package>:<path inside it>`. */
export function packageLocation(pkg: string, path: string): string {
  return `${pkg}:${path}`;
}

/** A file outside every package: `(outside):<basename>`. */
export function outsideLocation(basename: string): string {
  return `${OUTSIDE}:${basename}`;
}

/**
 * Read a package location (`package` is `(outside)` for a file outside every
 * package); undefined for a plain relative path. The package name holds no
 * `:`, so the first `:` ends it and the path may hold more.
 */
export function parsePackageLocation(loc: string): { package: string; path: string } | undefined {
  if (loc.startsWith(`${OUTSIDE}:`)) return { package: OUTSIDE, path: loc.slice(OUTSIDE.length + 1) };
  const m = PACKAGE_PREFIX.exec(loc);
  if (!m) return undefined;
  return { package: loc.slice(0, m[0].length - 1), path: loc.slice(m[0].length) };
}
