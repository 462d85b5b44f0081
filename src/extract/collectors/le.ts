import { Node, ts } from 'ts-morph';
import type { ExtractContext, Fragment } from '../analysis/context.js';
import type { LeHandler, ResponseVariant, TypeText } from '../../manifest/types.js';
import { hasTag } from '../analysis/jsdoc.js';
import { declarationName, uniqueIds } from '../analysis/names.js';
import { fileMayMatch } from '../analysis/prefilter.js';
import { writtenElsewhere } from '../analysis/digest.js';
import {
  excessPaths,
  mutationsReaching,
  reachableObjects,
  returnedExpressions,
  scanFlows,
  wideningsInto,
  primeWidenings,
  toJsonPaths,
} from '../analysis/values.js';
import {
  byText,
  discriminate,
  emptyFacts,
  flattenMembers,
  isRecordObject,
  literalValue,
  mergeFieldMaps,
  plainFields,
  printType,
  typeDeclarationFile,
  unionMembers,
  unionTexts,
  type FlatField,
  type TypeIssue,
} from '../analysis/types.js';
import { keys } from '../../manifest/keys.js';

const HANDLER_NAME = 'handle_le_request';
const HANDLER_TAG = 'leHandler';

/** A callable declaration as found in source: where it is, what it promises, and which bodies implement it. */
export interface HandlerSite {
  /** The declaration that names it (implementation, variable, property). */
  node: Node;
  /** The callable surface: overload signatures when present, else the implementation / declared type. */
  signatures: ts.Signature[];
  /** Function-like nodes whose return paths are walked. */
  bodies: ts.SignatureDeclaration[];
}

function isFunctionValue(n: Node | undefined): n is Node & { compilerNode: ts.ArrowFunction | ts.FunctionExpression } {
  return n !== undefined && (Node.isArrowFunction(n) || Node.isFunctionExpression(n));
}

/** Unwrap `(expr)`, `expr satisfies T` around a function initializer. */
export function functionInitializer(
  init: Node | undefined,
): (Node & { compilerNode: ts.ArrowFunction | ts.FunctionExpression }) | undefined {
  let n = init;
  while (n && (Node.isParenthesizedExpression(n) || Node.isSatisfiesExpression(n))) n = n.getExpression();
  return isFunctionValue(n) ? n : undefined;
}

/** All declarations of an overloadable function or method (overloads + implementation). */
export function overloadSet(n: Node): Node[] {
  const sym = n.getSymbol();
  const kind = n.getKind();
  const decls = sym?.getDeclarations().filter((d) => d.getKind() === kind && d.getParent() === n.getParent()) ?? [];
  return decls.length > 0 ? decls : [n];
}

/**
 * The callable surface of a function, method, function-valued variable or
 * property: overload signatures when present (else the implementation), a
 * type annotation's call signatures when the variable has one.
 */
export function callableSite(ctx: ExtractContext, n: Node): HandlerSite | undefined {
  const tc = ctx.checker.compilerObject;
  if (Node.isFunctionDeclaration(n) || Node.isMethodDeclaration(n)) {
    const decls = overloadSet(n);
    const impl = decls.find((d) => (d.compilerNode as ts.FunctionLikeDeclaration).body !== undefined);
    const overloads = decls.filter((d) => d !== impl);
    const surface = overloads.length > 0 ? overloads : decls;
    const signatures = surface
      .map((d) => tc.getSignatureFromDeclaration(d.compilerNode as ts.SignatureDeclaration))
      .filter((s): s is ts.Signature => s !== undefined);
    return { node: impl ?? decls[0]!, signatures, bodies: impl ? [impl.compilerNode as ts.SignatureDeclaration] : [] };
  }
  if (Node.isVariableDeclaration(n) || Node.isPropertyDeclaration(n) || Node.isPropertyAssignment(n)) {
    const fn = functionInitializer(n.getInitializer());
    const annotated = !Node.isPropertyAssignment(n) && n.getTypeNode() !== undefined;
    let signatures: ts.Signature[];
    if (fn && !annotated) {
      const s = tc.getSignatureFromDeclaration(fn.compilerNode);
      signatures = s ? [s] : [];
    } else {
      signatures = [...tc.getTypeAtLocation(n.compilerNode).getCallSignatures()];
    }
    return { node: n, signatures, bodies: fn ? [fn.compilerNode] : [] };
  }
  if (Node.isMethodSignature(n) || Node.isPropertySignature(n)) {
    return { node: n, signatures: [...tc.getTypeAtLocation(n.compilerNode).getCallSignatures()], bodies: [] };
  }
  if (Node.isArrowFunction(n) || Node.isFunctionExpression(n)) {
    const s = tc.getSignatureFromDeclaration(n.compilerNode);
    return { node: n, signatures: s ? [s] : [], bodies: [n.compilerNode] };
  }
  return undefined;
}

/** Every handler: by name, by `@leHandler` on any overload or the implementation, and by config. */
function findHandlers(ctx: ExtractContext): HandlerSite[] {
  const found = new Map<Node, HandlerSite>();
  const add = (n: Node) => {
    const site = callableSite(ctx, n);
    if (site && !found.has(site.node)) found.set(site.node, site);
  };
  for (const sf of ctx.sourceFiles) {
    if (!fileMayMatch(ctx, sf, [HANDLER_NAME, `@${HANDLER_TAG}`])) continue;
    sf.forEachDescendant((n) => {
      if (Node.isFunctionDeclaration(n) || Node.isMethodDeclaration(n)) {
        const named = n.getName() === HANDLER_NAME;
        if (named || overloadSet(n).some((d) => hasTag(d, HANDLER_TAG))) add(n);
      } else if (Node.isVariableDeclaration(n) || Node.isPropertyDeclaration(n) || Node.isPropertyAssignment(n)) {
        if (!functionInitializer(n.getInitializer())) return;
        if (n.getName() === HANDLER_NAME || hasTag(n, HANDLER_TAG)) add(n);
      }
    });
  }
  for (const n of ctx.configured('leHandlers')) {
    const site = callableSite(ctx, n);
    if (!site)
      ctx.fail(
        n,
        'a configured LE handler must be a function, method or function-valued variable',
        'point "leHandlers" at a function declaration, a method or a `const x = (...) => ...`',
      );
    if (!found.has(site.node)) found.set(site.node, site);
  }
  return [...found.values()];
}

// ---------------------------------------------------------------------------
// Return paths

/** True when the handler's response type is written down (annotation, overloads, typed variable), not inferred from its body. */
function hasDeclaredResponse(site: HandlerSite): boolean {
  return (
    site.signatures.length > 0 &&
    site.signatures.every((sig) => {
      const d = sig.getDeclaration() as ts.SignatureDeclaration | undefined;
      return d !== undefined && (d.type !== undefined || !site.bodies.includes(d));
    })
  );
}

/**
 * Walk the value positions of returned expressions (through parentheses,
 * await, conditionals, logical operators, object and array literals, and local
 * variables' initializers and assignments) for type assertions, any-typed
 * values and values wider than the declared response: each lets data the
 * declared type does not describe escape. Project functions whose returned
 * values flow into the response are followed: a cast or an `any` inside a
 * helper the handler returns from is as good as one in the handler itself.
 *
 * What `JSON.stringify` writes beyond the type is checked too: getters count
 * as fields, a `toJSON()` anywhere in a returned object (own or inherited) and
 * a reflective change to a type the response can hold (`Object.defineProperty`,
 * a class's `prototype`...) make the response unbounded.
 */
const checkedCache = new WeakMap<ExtractContext, Set<ts.Node>>();

/**
 * The values every handler's return paths are made of (what scanReturnPaths compares with the handler's own
 * response): a widening there is that handler's reason already, not one of every handler that shares the type.
 */
function handlersChecked(ctx: ExtractContext): Set<ts.Node> {
  let set = checkedCache.get(ctx);
  if (set) return set;
  set = new Set();
  for (const site of findHandlers(ctx))
    scanFlows(
      ctx,
      site.bodies.map((b) => ({ body: b, exprs: returnedExpressions(b) })),
      undefined,
      new Set<ts.Node>(site.bodies),
      false,
      set,
    );
  checkedCache.set(ctx, set);
  return set;
}

function scanReturnPaths(ctx: ExtractContext, site: HandlerSite, response: ts.Type[]): string[] {
  const reasons = new Set<string>();
  const checkWidth = hasDeclaredResponse(site) && response.length > 0;
  const objects = new Set<ts.Type>();
  for (const m of response) reachableObjects(ctx, m, objects);
  const toJson = new Set<string>();
  for (const m of response) for (const p of toJsonPaths(ctx, m)) toJson.add(p);
  const issues = scanFlows(
    ctx,
    site.bodies.map((b) => ({ body: b, exprs: returnedExpressions(b) })),
    (t) => {
      if (checkWidth) {
        const getters = new Set<string>();
        const paths = excessPaths(ctx, t, response, '', 0, new Set(), getters);
        if (paths.some((p) => !getters.has(p)))
          reasons.add('returned value has properties the response type does not declare');
        for (const g of getters)
          reasons.add(`returned object has a getter the response type does not declare at ${JSON.stringify(g)}`);
      }
      for (const p of toJsonPaths(ctx, t)) toJson.add(p);
      reachableObjects(ctx, t, objects);
    },
    new Set<ts.Node>(site.bodies),
  );
  // A wider value put anywhere a response type is declared keeps its extra fields when it is returned later
  // (`const r: Ok = wide`, `{ ok: wide }`, `list.push(wide)`): the checker saw only the declared type.
  if (checkWidth && wideningsInto(ctx, new Set(response), handlersChecked(ctx)).length > 0)
    reasons.add('a value with properties the response type does not declare is put where a response type is declared');
  if (issues.has('any')) reasons.add('any-typed expression on a return path');
  if (issues.has('cast')) reasons.add('type assertion on a return path');
  if (issues.has('spread'))
    reasons.add('a spread of a value that can have any key (an index signature) on a return path');
  if (issues.has('deep')) reasons.add('return path calls deeper than the analysis follows');
  if (issues.has('replaced')) reasons.add('a function on a return path is replaced at run time by a write to its name');
  if (issues.has('suppressed'))
    reasons.add('a type-check suppression (@ts-ignore, @ts-expect-error, @ts-nocheck) on a return path');
  for (const p of toJson)
    reasons.add(
      p === '(root)' ? 'returned object defines toJSON' : `returned object defines toJSON at ${JSON.stringify(p)}`,
    );
  for (const how of mutationsReaching(ctx, objects))
    reasons.add(`returned object can be changed behind its type by ${how}`);
  // `// @ts-ignore` then `handle_le_request = async () => rows` anywhere: the analysed body is not what runs.
  if (writtenElsewhere(ctx, [site.node.compilerNode, ...site.bodies]))
    reasons.add('the handler is replaced at run time by a write to its name');
  return [...reasons].sort();
}

// ---------------------------------------------------------------------------
// Variants

interface VariantBuild {
  fields: Record<string, FlatField>;
  files: Set<string>;
}

const GENERIC =
  ts.TypeFlags.TypeParameter |
  ts.TypeFlags.Conditional |
  ts.TypeFlags.IndexedAccess |
  ts.TypeFlags.Substitution |
  ts.TypeFlags.Index;

/**
 * The union members of the awaited return types of all signatures. A member
 * that depends on a type parameter is replaced by its constraint (or unknown)
 * and reported: its real shape is chosen by the caller.
 */
function responseMembers(ctx: ExtractContext, site: HandlerSite, reasons: Set<string>): ts.Type[] {
  const tc = ctx.checker.compilerObject;
  const out: ts.Type[] = [];
  const add = (t: ts.Type, depth: number): void => {
    for (const m of t.flags & ts.TypeFlags.Union ? (t as ts.UnionType).types : [t]) {
      if (m.flags & GENERIC) {
        reasons.add('return type depends on a type parameter');
        const c = tc.getBaseConstraintOfType(m);
        add(c && c !== m && depth < 4 ? (tc.getAwaitedType(c) ?? c) : tc.getUnknownType(), depth + 1);
      } else if (!out.includes(m)) out.push(m);
    }
  };
  for (const s of site.signatures) {
    const rt = tc.getReturnTypeOfSignature(s);
    add(tc.getAwaitedType(rt) ?? rt, 0);
  }
  return out;
}

/**
 * Why a variant's fields cannot be bounded, with the field path: `field "profile.extra" includes any (variant OK)`.
 * An `object`-typed field stays unbounded: it accepts (and serializes) any non-primitive value.
 */
function issueReasons(issues: TypeIssue[], into: Set<string>, variant?: string): void {
  const at = (i: TypeIssue, what: string, root: string) =>
    i.path === ''
      ? root
      : `field ${JSON.stringify(i.path)} ${what}${variant !== undefined && variant !== '*' ? ` (variant ${variant})` : ''}`;
  for (const i of issues) {
    if (i.kind === 'any') into.add(at(i, 'includes any', 'return type includes any'));
    else if (i.kind === 'unknown') into.add(at(i, 'includes unknown', 'return type includes unknown'));
    else if (i.kind === 'object') into.add(at(i, 'accepts any object', 'return type includes object'));
    else if (i.kind === 'index' && i.path === '') into.add('return type has an index signature');
  }
}

function analyseHandler(
  ctx: ExtractContext,
  site: HandlerSite,
  handlerFile: string,
): { handler: LeHandler; variantFiles: Record<string, string> } {
  const reasons = new Set<string>();
  const response = responseMembers(ctx, site, reasons);
  for (const r of scanReturnPaths(ctx, site, response)) reasons.add(r);
  if (site.signatures.length === 0) reasons.add('handler has no call signature');

  const objects: ts.Type[] = [];
  const bare = new Map<string, ts.Type[]>();
  for (const m of response) {
    const f = m.flags;
    if (f & ts.TypeFlags.Any) reasons.add('return type includes any');
    else if (f & ts.TypeFlags.Unknown) reasons.add('return type includes unknown');
    else if (f & ts.TypeFlags.Never) continue;
    else if (f & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void)) {
      const key = f & ts.TypeFlags.Null ? 'null' : f & ts.TypeFlags.Undefined ? 'undefined' : 'void';
      bare.set(key, [...(bare.get(key) ?? []), m]);
    } else if (literalValue(m)) {
      const key = literalValue(m)!.key;
      bare.set(key, [...(bare.get(key) ?? []), m]);
    } else if (isRecordObject(ctx, m)) objects.push(m);
    else reasons.add('return type is not an object or literal union');
  }

  const builds = new Map<string, VariantBuild>();
  const fileOf = (t: ts.Type) => typeDeclarationFile(ctx, t) ?? handlerFile;
  const disc = discriminate(ctx, objects);
  if (disc.reason) reasons.add(disc.reason);
  const addVariant = (key: string, members: ts.Type[], discriminant?: { name: string; text: TypeText }) => {
    const flat = flattenMembers(ctx, members);
    issueReasons(flat.issues, reasons, key);
    const fields = { ...flat.fields };
    if (discriminant) {
      const prev = fields[discriminant.name];
      fields[discriminant.name] = { type: discriminant.text, optional: false, declarations: prev?.declarations ?? [] };
    }
    const files = new Set(members.map(fileOf));
    const prev = builds.get(key);
    if (prev) {
      builds.set(key, { fields: mergeFieldMaps([prev.fields, fields]), files: new Set([...prev.files, ...files]) });
    } else builds.set(key, { fields, files });
  };
  for (const g of disc.groups) addVariant(g.value.key, g.members, { name: disc.name!, text: g.value.text });
  if (disc.rest.length > 0) addVariant('*', disc.rest);
  for (const [key, members] of bare) {
    const files = new Set(members.map(fileOf));
    const prev = builds.get(key);
    if (prev) builds.set(key, { fields: mergeFieldMaps([prev.fields, {}]), files: new Set([...prev.files, ...files]) });
    else builds.set(key, { fields: {}, files });
  }

  const variants: Record<string, ResponseVariant> = {};
  const variantFiles: Record<string, string> = {};
  for (const key of [...builds.keys()].sort(byText)) {
    const b = builds.get(key)!;
    variants[key] = { fields: plainFields(b.fields) };
    variantFiles[key] = [...b.files].sort(byText)[0]!;
  }

  const unboundedReasons = [...reasons].sort(byText);
  return {
    handler: {
      discriminant: objects.length > 0 ? disc.name : null,
      variants,
      request: requestOf(ctx, site),
      unbounded: unboundedReasons.length > 0,
      unboundedReasons,
    },
    variantFiles,
  };
}

/** Required top-level fields of the first parameter, kept only when every signature requires them. */
function requestOf(ctx: ExtractContext, site: HandlerSite): LeHandler['request'] {
  const tc = ctx.checker.compilerObject;
  let unbounded = false;
  const perSig: Array<Record<string, TypeText>> = [];
  for (const s of site.signatures) {
    const p = s.getParameters()[0];
    if (!p) {
      perSig.push({});
      continue;
    }
    const decl = p.valueDeclaration;
    if (decl && ts.isParameter(decl) && decl.dotDotDotToken) {
      unbounded = true;
      perSig.push({});
      continue;
    }
    const required: Record<string, TypeText> = {};
    const members = unionMembers(ctx, tc.getTypeOfSymbol(p));
    for (const m of members) {
      if (m.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive)) unbounded = true;
      else if (m.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection) && tc.getIndexInfosOfType(m).length > 0)
        unbounded = true;
    }
    const objs = members.filter((m) => m.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection));
    if (
      objs.length > 0 &&
      objs.length === members.filter((m) => !(m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined))).length
    ) {
      // A property is required by a union parameter only when every member requires it.
      const maps = objs.map((m) => {
        const r: Record<string, TypeText> = {};
        for (const prop of tc.getPropertiesOfType(m)) {
          if (prop.flags & ts.SymbolFlags.Optional) continue;
          r[prop.getName()] = printType(ctx, tc.getTypeOfSymbol(prop), undefined, { facts: emptyFacts() });
        }
        return r;
      });
      Object.assign(required, intersectRequired(maps));
    }
    perSig.push(required);
  }
  const requiredFields = intersectRequired(perSig);
  return { requiredFields, unbounded };
}

function intersectRequired(maps: Array<Record<string, TypeText>>): Record<string, TypeText> {
  if (maps.length === 0) return {};
  const out: Record<string, TypeText> = {};
  const keys = Object.keys(maps[0]!)
    .filter((k) => maps.every((m) => k in m))
    .sort(byText);
  for (const k of keys) out[k] = unionTexts(maps.map((m) => m[k]!));
  return out;
}

/** LE handlers: response variants, request requirements, boundedness. */
export function extractLe(ctx: ExtractContext): Fragment<Record<string, LeHandler>> {
  const sites = findHandlers(ctx)
    .map((site) => ({ name: declarationName(site.node) ?? 'default', file: ctx.rel(site.node), value: site }))
    .sort(
      (a, b) => byText(a.name, b.name) || byText(a.file, b.file) || a.value.node.getStart() - b.value.node.getStart(),
    );
  const data: Record<string, LeHandler> = {};
  const locations: Record<string, string> = {};
  // Every handler's response members, so that one widening scan serves them all.
  primeWidenings(
    ctx,
    sites.flatMap(({ value }) => responseMembers(ctx, value, new Set())),
  );
  const ids = uniqueIds(sites);
  const seen = new Map<string, number>();
  for (const { id: baseId, file, value } of ids) {
    // Two handlers with the same name in one file (e.g. two classes' methods share `Class.method` only if classes collide).
    const n = (seen.get(baseId) ?? 0) + 1;
    seen.set(baseId, n);
    const id = n === 1 ? baseId : `${baseId}#${n}`;
    const { handler, variantFiles } = analyseHandler(ctx, value, file);
    data[id] = handler;
    locations[keys.handler(id)] = file;
    for (const [key, vf] of Object.entries(variantFiles)) locations[keys.variant(id, key)] = vf;
  }
  const sorted: Record<string, LeHandler> = {};
  for (const k of Object.keys(data).sort(byText)) sorted[k] = data[k]!;
  return { data: sorted, locations };
}
