/**
 * Report-time positions. The manifest never holds line numbers (deterministic, refactor-neutral): a change
 * carries only relative file paths and the declaration it is about. SARIF and GitHub annotations want a line,
 * so the reports resolve one when they render: parse just that file (`ts.createSourceFile`, no program) and
 * find the named declaration. Not found (renamed, unreadable, not TypeScript): no position, file level.
 */
import { ts } from 'ts-morph';
import type { Change } from '../diff/types.js';
import * as path from 'node:path';
import { readFileAtRef } from '../git/files.js';
import { repoPrefix, repoRoot } from '../git/run.js';

/** 1-based line and column, as SARIF regions and GitHub annotations count them. */
export interface Position {
  line: number;
  column: number;
}

/** Where a change's declaration is in `file` (one of its locations), or null (then the result is file-level). */
export type PositionResolver = (file: string, change: Change) => Position | null;

/**
 * A resolver over `read` (relative path → source text, or null when it cannot be read). Each file is parsed
 * once per resolver.
 */
export function positionResolver(read: (file: string) => string | null): PositionResolver {
  const parsed = new Map<string, ts.SourceFile | null>();
  return (file, change) => {
    if (!/\.[cm]?tsx?$/.test(file)) return null;
    if (!parsed.has(file)) {
      const text = read(file);
      parsed.set(file, text === null ? null : ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true));
    }
    const sf = parsed.get(file);
    if (!sf) return null;
    const node = anchor(sf, change);
    if (!node) return null;
    const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    return { line: line + 1, column: character + 1 };
  };
}

/** The entity name of a change id: `keygate:site:A.b -> sink` and plain ids alike. */
function anchor(sf: ts.SourceFile, change: Change): ts.Node | undefined {
  const id = change.id.replace(/^(le|logging|keygate|privacy):((site|guard|sink|via):)?/, '');
  if (change.category === 'keygate' && id.includes(' -> ')) {
    // A gated site: the sink call inside the entry, else the call of the helper it reaches the sink through,
    // else the entry's name.
    const [entry, sink] = id.split(' -> ').map((s) => s.trim());
    const decl = findDeclaration(sf, entry!);
    if (!decl) return undefined;
    // The next hop of the site's path (` (path: entry (file) -> helper (file) -> … -> sink)` in the message).
    const hop = /\(path: [^()]+ \([^()]+\) -> ([\w$]+(?:\.[\w$]+)?)/.exec(change.message)?.[1];
    return findCall(decl, sink!) ?? (hop ? findCall(decl, hop.split('.').pop()!) : undefined) ?? nameOf(decl);
  }
  if (change.category === 'logging') {
    const decl = findDeclaration(sf, id);
    if (!decl) return undefined;
    const field = change.subject
      .split(/[.[\]]/)
      .filter(Boolean)
      .pop();
    return (field ? findMember(decl, field) : undefined) ?? nameOf(decl);
  }
  if (change.category === 'le') {
    // The handler id is the annotation's, not the function's name; a variant is its literal in the response type.
    if (change.subject) {
      const lit = findLiteral(sf, change.subject);
      if (lit) return lit;
    }
    const decl = findDeclaration(sf, id);
    return decl ? nameOf(decl) : findTagged(sf, id);
  }
  const decl = findDeclaration(sf, id);
  return decl ? nameOf(decl) : undefined;
}

function nameOf(decl: ts.Node): ts.Node {
  const name = (decl as { name?: ts.Node }).name;
  return name ?? decl;
}

/** A top-level function, class member (`Class.member`), type alias, interface, class, enum or variable. */
function findDeclaration(sf: ts.SourceFile, name: string): ts.Node | undefined {
  const [outer, inner] = name.includes('.') ? name.split('.', 2) : [name, undefined];
  let found: ts.Node | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    const nm = (n as { name?: ts.Node }).name;
    const named = nm && ts.isIdentifier(nm) && nm.text === outer;
    if (
      named &&
      (ts.isFunctionDeclaration(n) ||
        ts.isClassDeclaration(n) ||
        ts.isInterfaceDeclaration(n) ||
        ts.isTypeAliasDeclaration(n) ||
        ts.isEnumDeclaration(n) ||
        ts.isVariableDeclaration(n))
    ) {
      found = inner === undefined ? n : findMember(n, inner);
      if (found) return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** A member (method, property, property signature) named `name` anywhere inside `decl`. */
function findMember(decl: ts.Node, name: string): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    const nm = (n as { name?: ts.Node }).name;
    if (
      nm &&
      (ts.isIdentifier(nm) || ts.isStringLiteral(nm)) &&
      nm.text === name &&
      (ts.isMethodDeclaration(n) ||
        ts.isPropertyDeclaration(n) ||
        ts.isPropertySignature(n) ||
        ts.isPropertyAssignment(n) ||
        ts.isMethodSignature(n))
    ) {
      found = n;
      return;
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(decl, visit);
  return found && nameOf(found);
}

/** The first call inside `decl` whose callee is `name` or `x.name`. */
function findCall(decl: ts.Node, name: string): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n)) {
      const callee = ts.isPropertyAccessExpression(n.expression) ? n.expression.name : n.expression;
      if (ts.isIdentifier(callee) && callee.text === name) {
        found = n;
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(decl, visit);
  return found;
}

/** The first string literal (or literal type) with exactly this text. */
function findLiteral(sf: ts.SourceFile, text: string): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && n.text === text) {
      found = n;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** The name of the first declaration whose JSDoc mentions `id` as a whole word (e.g. `@le-handler id`). */
function findTagged(sf: ts.SourceFile, id: string): ts.Node | undefined {
  const word = new RegExp(`(^|[^\\w-])${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w-])`);
  let found: ts.Node | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    const docs = ts.getJSDocCommentsAndTags(n);
    if ((n as { name?: ts.Node }).name && docs.some((d) => word.test(d.getText(sf)))) {
      found = nameOf(n);
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/**
 * A resolver over the files of `commit` in the repository holding `root` (paths relative to the project
 * root), or undefined outside a repository: positions come from the candidate, never from the disk.
 */
export function positionsAtCommit(root: string, commit: string): PositionResolver | undefined {
  let repo: string, sub: string;
  try {
    repo = repoRoot(root);
    sub = repoPrefix(root);
  } catch {
    return undefined;
  }
  return positionResolver((file) => {
    try {
      return readFileAtRef(repo, commit, sub ? path.posix.join(sub, file) : file);
    } catch {
      return null;
    }
  });
}
