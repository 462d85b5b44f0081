import { implementationDigest } from '../analysis/digest.js';
import { Node, ts } from 'ts-morph';
import type { ExtractContext, Fragment } from '../analysis/context.js';
import type { LogField, LogSchema } from '../../manifest/types.js';
import { DEFAULT_REDACTION, UNCLASSIFIED } from '../../config/index.js';
import { locatedError } from '../../errors.js';
import { hasTag } from '../analysis/jsdoc.js';
import { declarationName, uniqueIds } from '../analysis/names.js';
import { tagText } from './privacy.js';
import { fileMayMatch, sinkStatements } from '../analysis/prefilter.js';
import { dealias } from '../analysis/calls.js';
import {
  excessPaths,
  mutationsReaching,
  reachableObjects,
  enclosingFunction,
  scanFlows,
  wideningsInto,
  primeWidenings,
  skipParens,
  toJsonPaths,
} from '../analysis/values.js';
import { callableSite, functionInitializer, overloadSet } from './le.js';
import {
  byText,
  discriminate,
  flattenDetailed,
  flattenMembers,
  isProjectDeclared,
  literalValue,
  literalValues,
  PREFERRED_DISCRIMINANTS,
  propValues,
  unionMembers,
  type Flattened,
  type TypeIssue,
} from '../analysis/types.js';
import { keys } from '../../manifest/keys.js';

const SCHEMA_TAG = 'logSchema';
const SINK_TAG = 'logSink';

/** A schema before ids are assigned: a named project type, or the anonymous members of a sink parameter. */
interface SchemaSource {
  name: string;
  file: string;
  /** Named: the type's declarations (for @retentionDays). */
  declarations: ts.Declaration[];
  /** Named: the declared type. Anonymous: the members merged into it. */
  type?: ts.Type;
  members: ts.Type[];
  /** Why calls of a sink that logs this schema can write more than it lists (see `checkSinkCalls`). */
  callReasons: Set<string>;
  /** The sinks that log it, by name: the digest of each one's implementation (what it writes besides the value). */
  sinkDigests?: Map<string, string>;
}

/** One parameter of a sink signature: the schemas its values are logged as. */
interface SinkParam {
  rest: boolean;
  /** An array (batch) parameter: its elements are the logged values. */
  elementwise: boolean;
  /** Each schema member type (after arrays are unwrapped) and the schema it belongs to. */
  owners: Array<{ type: ts.Type; src: SchemaSource }>;
}

/** A `@logSink`: its name, the declarations a call can resolve to, and its parameters per signature. */
interface SinkInfo {
  name: string;
  decls: Set<ts.Node>;
  /** Keyed by the signature's declaration. */
  params: Map<ts.Node | undefined, SinkParam[]>;
}

function failAtPos(ctx: ExtractContext, sf: ts.SourceFile, pos: number, message: string, hint?: string): never {
  const morph = ctx.project.getSourceFileOrThrow(sf.fileName);
  const { line, character } = sf.getLineAndCharacterOfPosition(pos);
  throw locatedError({ file: ctx.rel(morph), line: line + 1, column: character + 1 }, message, hint);
}

function failAt(ctx: ExtractContext, node: ts.Node, message: string, hint?: string): never {
  const sf = node.getSourceFile();
  return failAtPos(ctx, sf, node.getStart(sf), message, hint);
}

function tagsNamed(decl: ts.Node, name: string): ts.JSDocTag[] {
  return ts.getJSDocTags(decl).filter((t) => t.tagName.text === name);
}

interface FieldTag {
  name: string;
  value: string;
  /** Position of the `@` in the file, for located errors. */
  pos: number;
}

/**
 * `@classification` / `@redact` tags of a property declaration, read from
 * every `/** ... *\/` comment in its leading trivia. TypeScript attaches no
 * JSDoc to a member written on the same line as the `{` before it
 * (`{ /** @classification secret *\/ token: string }`); dropping that tag
 * silently would under-classify the field.
 */
function fieldTags(decl: ts.Node): FieldTag[] {
  const sf = decl.getSourceFile();
  const start = decl.getStart(sf);
  const trivia = sf.text.slice(decl.pos, start);
  const out: FieldTag[] = [];
  for (const c of trivia.matchAll(/\/\*\*(?!\/)([\s\S]*?)\*\//g)) {
    const body = c[1]!;
    const bodyAt = decl.pos + c.index + 3;
    for (const t of body.matchAll(/@([A-Za-z][\w-]*)([^@]*)/g)) {
      if (t.index > 0 && /[^\s*]/.test(body[t.index - 1]!)) continue; // an `@` inside a word (an e-mail address)
      const value =
        t[2]!
          .replace(/^\s*\*?/gm, ' ')
          .replace(/\s+/g, ' ')
          .trim()
          .split(' ')[0] ?? '';
      out.push({ name: t[1]!, value, pos: bodyAt + t.index });
    }
  }
  return out;
}

function fileOfDecl(ctx: ExtractContext, d: ts.Node): string {
  return ctx.rel(ctx.project.getSourceFileOrThrow(d.getSourceFile().fileName));
}

/** The named project type behind a schema member (interface, class or alias without type arguments). */
function namedSymbol(ctx: ExtractContext, t: ts.Type): ts.Symbol | undefined {
  if (t.aliasSymbol) {
    if ((t.aliasTypeArguments?.length ?? 0) > 0) return undefined;
    const d = t.aliasSymbol.getDeclarations()?.[0];
    return d && isProjectDeclared(ctx, d) ? t.aliasSymbol : undefined;
  }
  const s = t.getSymbol();
  if (!s || !(s.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class))) return undefined;
  if (t.flags & ts.TypeFlags.Object && (t as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference) {
    if (ctx.checker.compilerObject.getTypeArguments(t as ts.TypeReference).length > 0) return undefined;
  }
  const d = s.getDeclarations()?.[0];
  return d && isProjectDeclared(ctx, d) ? s : undefined;
}

function schemaDeclarations(sym: ts.Symbol): ts.Declaration[] {
  return (sym.getDeclarations() ?? []).filter(
    (d) => ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d) || ts.isClassDeclaration(d),
  );
}

class SchemaCollector {
  readonly named = new Map<ts.Symbol, SchemaSource>();
  readonly anonymous = new Map<string, SchemaSource>();
  constructor(private readonly ctx: ExtractContext) {}

  readonly sinks: SinkInfo[] = [];

  addNamed(sym: ts.Symbol): SchemaSource {
    const had = this.named.get(sym);
    if (had) return had;
    const declarations = schemaDeclarations(sym);
    const files = declarations.map((d) => fileOfDecl(this.ctx, d)).sort(byText);
    const type = this.ctx.checker.compilerObject.getDeclaredTypeOfSymbol(sym);
    const src: SchemaSource = {
      name: sym.getName(),
      file: files[0]!,
      declarations,
      type,
      members: [],
      callReasons: new Set(),
    };
    this.named.set(sym, src);
    return src;
  }

  addAnonymous(name: string, file: string, members: ts.Type[]): SchemaSource {
    const key = `${name}\0${file}`;
    let src = this.anonymous.get(key);
    if (!src) this.anonymous.set(key, (src = { name, file, declarations: [], members: [], callReasons: new Set() }));
    for (const m of members) if (!src.members.includes(m)) src.members.push(m);
    return src;
  }

  /** Every parameter of a sink is a schema; every union member one schema. */
  addSink(node: Node): void {
    const ctx = this.ctx;
    const tc = ctx.checker.compilerObject;
    const site = callableSite(ctx, node);
    if (!site) {
      ctx.fail(
        node,
        'a @logSink must be a function, method or function-valued variable',
        'put @logSink on a function declaration, a method or a `const x = (...) => ...`',
      );
      return;
    }
    const sinkName = declarationName(site.node) ?? 'default';
    const file = ctx.rel(site.node);
    const decls = new Set<ts.Node>([
      site.node.compilerNode,
      ...overloadSet(site.node).map((d) => d.compilerNode),
      ...site.bodies,
    ]);
    const sink: SinkInfo = { name: sinkName, decls, params: new Map() };
    this.sinks.push(sink);
    // What the sink writes besides its argument (`{ ...event, at }`, or `{ ...event, env }`) is in its body:
    // its digest (bodies only, so renaming the sink keeps it) goes with every schema it logs.
    const bodies = site.bodies
      .map((b) => (b as ts.FunctionLikeDeclaration).body)
      .filter((b): b is ts.ConciseBody => b !== undefined);
    const digest = bodies.length > 0 ? implementationDigest(ctx, bodies) : undefined;
    for (const sig of site.signatures) {
      const params: SinkParam[] = [];
      sink.params.set(sig.getDeclaration(), params);
      sig.getParameters().forEach((p, i) => {
        const decl = p.valueDeclaration;
        const isParam = decl !== undefined && ts.isParameter(decl);
        const paramName = isParam && !ts.isIdentifier(decl.name) ? `#${i}` : p.getName();
        const param: SinkParam = { rest: isParam && decl.dotDotDotToken !== undefined, elementwise: false, owners: [] };
        params.push(param);
        let types = [tc.getTypeOfSymbol(p)];
        // A rest parameter logs its elements; so does an array parameter (a batch).
        types = types
          .flatMap((t) => unionMembers(ctx, t))
          .flatMap((t) => {
            if (tc.isArrayType(t)) {
              param.elementwise = true;
              return unionMembers(ctx, tc.getTypeArguments(t as ts.TypeReference)[0] ?? tc.getUnknownType());
            }
            if (tc.isTupleType(t)) {
              param.elementwise = true;
              return tc.getTypeArguments(t as ts.TypeReference).flatMap((a) => unionMembers(ctx, a));
            }
            return [t];
          });
        const own = (members: ts.Type[], src: SchemaSource) => {
          for (const m of members) param.owners.push({ type: m, src });
        };
        const objects: ts.Type[] = [];
        const others: ts.Type[] = [];
        for (const m of types) {
          const f = m.flags;
          // Literals and nullish values carry no data.
          if (
            f & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void | ts.TypeFlags.Never) ||
            literalValue(m)
          )
            continue;
          const sym = namedSymbol(ctx, m);
          if (sym) own([m], this.addNamed(sym));
          else if (f & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) objects.push(m);
          else others.push(m);
        }
        const base = `${sinkName}.${paramName}`;
        // A member with a literal `kind`/`type`/`status` is keyed by it on its own, so that naming
        // or removing a sibling member does not rename it.
        const unkeyed: ts.Type[] = [];
        for (const m of objects) {
          const name = PREFERRED_DISCRIMINANTS.find((n) => propValues(ctx, m, n) !== undefined);
          if (name === undefined) unkeyed.push(m);
          else
            for (const v of propValues(ctx, m, name)!)
              own([m], this.addAnonymous(`${base}[${name}=${v.key}]`, file, [m]));
        }
        const rest = [...others];
        if (unkeyed.length > 1) {
          const disc = discriminate(ctx, unkeyed);
          for (const g of disc.groups)
            own(g.members, this.addAnonymous(`${base}[${disc.name}=${g.value.key}]`, file, g.members));
          rest.push(...disc.rest);
        } else rest.push(...unkeyed);
        if (rest.length > 0) own(rest, this.addAnonymous(base, file, rest));
        if (digest !== undefined) for (const o of param.owners) (o.src.sinkDigests ??= new Map()).set(sinkName, digest);
      });
    }
  }
}

// ---------------------------------------------------------------------------
// Sink calls: what is really logged

const TYPE_NODE_FIRST = ts.SyntaxKind.FirstTypeNode;
const TYPE_NODE_LAST = ts.SyntaxKind.LastTypeNode;

function inTypePosition(n: ts.Node): boolean {
  for (let p: ts.Node | undefined = n.parent; p && !ts.isSourceFile(p); p = p.parent) {
    if (
      (p.kind >= TYPE_NODE_FIRST && p.kind <= TYPE_NODE_LAST) ||
      ts.isExpressionWithTypeArguments(p) ||
      ts.isTypeAliasDeclaration(p) ||
      ts.isInterfaceDeclaration(p)
    )
      return true;
    if (ts.isJSDoc(p)) return true;
    if (ts.isStatement(p) || ts.isBlock(p)) return false;
  }
  return false;
}

const fieldText = (path: string) =>
  path === '*'
    ? 'an object that can hold any field'
    : path.endsWith('.*')
      ? `an object that can hold any field at ${JSON.stringify(path.slice(0, -2))}`
      : `undeclared field ${JSON.stringify(path)}`;

/**
 * Compare the argument of every call of every sink with the sink's schemas.
 * The parameter type is the schema, but TypeScript lets a wider value in: an
 * object variable with more properties, a spread, `Object.assign`, a subclass
 * instance. Each extra field, a cast or an `any` on the argument, a spread
 * argument, a `toJSON`, a reflective change, and any use of the sink other
 * than a direct call become open reasons of the schemas the argument is
 * logged as, named by sink and aggregated over its calls (so an unrelated
 * conforming call changes nothing).
 */
function checkSinkCalls(ctx: ExtractContext, sinks: SinkInfo[], checkedValues: Set<ts.Node>): void {
  if (sinks.length === 0) return;
  const tc = ctx.checker.compilerObject;
  const byDecl = new Map<ts.Node, SinkInfo>();
  for (const s of sinks) for (const d of s.decls) byDecl.set(d, s);
  const sinkOfSymbol = (sym: ts.Symbol | undefined): SinkInfo | undefined => {
    for (const d of dealias(tc, sym)?.getDeclarations() ?? []) {
      const s = byDecl.get(d);
      if (s) return s;
    }
    return undefined;
  };
  const allSchemas = (s: SinkInfo) =>
    [...s.params.values()].flatMap((ps) => ps.flatMap((p) => p.owners.map((o) => o.src)));
  const paramSchemas = (p: SinkParam | undefined, s: SinkInfo) => (p ? p.owners.map((o) => o.src) : allSchemas(s));
  const note = (srcs: SchemaSource[], reason: string) => {
    for (const src of srcs) src.callReasons.add(reason);
  };

  /**
   * Whether a value of type `m` can be logged as schema member `target`: it has every required
   * property, with a matching literal where the member has one (its discriminant). Extra
   * properties do not matter here (a fresh object literal is not assignable with them).
   */
  const fits = (m: ts.Type, target: ts.Type): boolean =>
    tc.getPropertiesOfType(target).every((p) => {
      const own = tc.getPropertyOfType(m, p.getName());
      if (!own) return (p.flags & ts.SymbolFlags.Optional) !== 0;
      const want = tc.getTypeOfSymbol(p);
      return !literalValues(want) || tc.isTypeAssignableTo(tc.getTypeOfSymbol(own), want);
    });

  const checkArgument = (sink: SinkInfo, param: SinkParam | undefined, arg: ts.Expression, body: ts.Node) => {
    const owners = param?.owners ?? [];
    const schemas = paramSchemas(param, sink);
    const objects = new Set<ts.Type>();
    const flows = scanFlows(
      ctx,
      [{ body, exprs: [arg] }],
      (t) => {
        reachableObjects(ctx, t, objects);
        for (const p of toJsonPaths(ctx, t))
          note(
            schemas,
            `sink ${sink.name} is called with an object that defines toJSON${p === '(root)' ? '' : ` at ${JSON.stringify(p)}`}`,
          );
        if (owners.length === 0) return;
        let members = unionMembers(ctx, t);
        if (param?.elementwise && !param.rest) {
          members = members.flatMap((m) =>
            tc.isArrayType(m) || tc.isTupleType(m)
              ? tc.getTypeArguments(m as ts.TypeReference).flatMap((a) => unionMembers(ctx, a))
              : [m],
          );
        }
        for (const m of members) {
          if (
            m.flags &
              (ts.TypeFlags.Null |
                ts.TypeFlags.Undefined |
                ts.TypeFlags.Void |
                ts.TypeFlags.Never |
                ts.TypeFlags.Any) ||
            literalValue(m)
          )
            continue;
          let matched = owners.filter((o) => o.type === m || fits(m, o.type));
          if (matched.length === 0) matched = owners;
          const paths = excessPaths(
            ctx,
            m,
            matched.map((o) => o.type),
          );
          for (const path of paths)
            note(
              matched.map((o) => o.src),
              `sink ${sink.name} is called with ${fieldText(path)}`,
            );
        }
      },
      undefined,
      true,
      checkedValues,
    );
    if (flows.has('any')) note(schemas, `sink ${sink.name} is called with an any-typed argument`);
    if (flows.has('callers'))
      note(
        schemas,
        `sink ${sink.name} is called with a parameter of a function passed or stored as a value (its callers are unknown)`,
      );
    if (flows.has('cast')) note(schemas, `sink ${sink.name} is called with a type assertion on its argument`);
    if (flows.has('spread'))
      note(
        schemas,
        `sink ${sink.name} is called with a spread of a value that can have any key (an index signature) in its argument`,
      );
    if (flows.has('suppressed'))
      note(
        schemas,
        `sink ${sink.name} is called with an argument built under a type-check suppression (@ts-ignore, @ts-expect-error, @ts-nocheck)`,
      );
    if (flows.has('deep'))
      note(schemas, `sink ${sink.name} is called with an argument built deeper than the analysis follows`);
    if (flows.has('replaced'))
      note(
        schemas,
        `sink ${sink.name} is called with an argument built by a function replaced at run time by a write to its name`,
      );
    for (const how of mutationsReaching(ctx, objects))
      note(schemas, `sink ${sink.name} is called with an object that can be changed behind its type by ${how}`);
  };

  const checkCall = (sink: SinkInfo, call: ts.CallExpression) => {
    const decl = tc.getResolvedSignature(call)?.getDeclaration() as ts.Node | undefined;
    const params = (decl && sink.params.get(decl)) ?? [...sink.params.values()][0] ?? [];
    const body = enclosingFunction(call);
    call.arguments.forEach((arg, i) => {
      const param = params[i] ?? (params.at(-1)?.rest ? params.at(-1) : undefined);
      if (ts.isSpreadElement(arg)) {
        note(paramSchemas(param, sink), `sink ${sink.name} is called with a spread argument`);
        return;
      }
      checkArgument(sink, param, arg, body);
    });
  };

  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const callee = skipParens(n.expression);
      const at = ts.isPropertyAccessExpression(callee)
        ? callee.name
        : ts.isElementAccessExpression(callee)
          ? callee.argumentExpression
          : callee;
      // Identity by the callee's value (its symbol through aliases); a callee without a symbol
      // (`make()(e)`) by the resolved signature. A sink reaching a callee any other way is a reference.
      const sym = tc.getSymbolAtLocation(at);
      const resolved = sym ? undefined : (tc.getResolvedSignature(n)?.getDeclaration() as ts.Node | undefined);
      const sink = sym ? sinkOfSymbol(sym) : resolved && byDecl.get(resolved);
      if (sink) {
        checkCall(sink, n);
        // The callee is a direct call, not an escape; its object and the arguments are walked.
        if (ts.isPropertyAccessExpression(callee)) visit(callee.expression);
        else if (ts.isElementAccessExpression(callee)) visit(callee.expression);
        for (const a of n.arguments) visit(a);
        n.typeArguments?.forEach(visit);
        return;
      }
    } else if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) {
      const p = n.parent;
      const declName =
        p &&
        (p as ts.NamedDeclaration).name === n &&
        (ts.isFunctionDeclaration(p) ||
          ts.isMethodDeclaration(p) ||
          ts.isVariableDeclaration(p) ||
          ts.isPropertyDeclaration(p) ||
          ts.isPropertyAssignment(p) ||
          ts.isMethodSignature(p) ||
          ts.isPropertySignature(p));
      const specifier =
        p &&
        (ts.isImportSpecifier(p) ||
          ts.isExportSpecifier(p) ||
          ts.isImportClause(p) ||
          ts.isNamespaceImport(p) ||
          ts.isExportAssignment(p) ||
          ts.isImportEqualsDeclaration(p));
      if (!declName && !specifier && !inTypePosition(n)) {
        const sym =
          p && ts.isShorthandPropertyAssignment(p) && p.name === n
            ? tc.getShorthandAssignmentValueSymbol(p)
            : tc.getSymbolAtLocation(n);
        const sink = sinkOfSymbol(sym);
        if (sink) note(allSchemas(sink), `sink ${sink.name} is used other than by a direct call`);
      }
    }
    ts.forEachChild(n, visit);
  };
  const words = [...new Set(sinks.map((s) => s.name.split('.').at(-1)!))];
  const keep = sinkStatements(
    ctx,
    sinks.flatMap((s) => [...s.decls]),
    words,
  );
  for (const sf of ctx.sourceFiles) {
    const c = sf.compilerNode;
    for (const stmt of keep ? keep(c) : c.statements) visit(stmt);
  }
}

function openReason(issue: TypeIssue): string | undefined {
  const at = (what: string, root: string) => (issue.path === '' ? root : `field ${JSON.stringify(issue.path)} ${what}`);
  switch (issue.kind) {
    case 'any':
      return at('includes any', 'schema type is any');
    case 'unknown':
      return at('includes unknown', 'schema type is unknown');
    case 'object':
      return at('accepts any object', 'schema type accepts any object');
    case 'index':
      return at('has an index signature', 'schema has an index signature');
    case 'recursive':
      return at('is recursive', 'schema is recursive');
    case 'depth':
      return at(`is nested deeper than the depth limit`, 'schema is nested deeper than the depth limit');
    case 'primitive': {
      const d = issue.detail ?? '';
      // A literal, boolean or nullish root carries no free-form data.
      if (/^("|-?\d|true$|false$|null$|undefined$|void$|never$|boolean$)/.test(d) && !d.includes(' | '))
        return undefined;
      return at(`is ${d}`, `schema type is ${d}`);
    }
  }
}

function retentionDays(ctx: ExtractContext, decls: ts.Declaration[]): number | null {
  let value: number | null = null;
  for (const d of decls) {
    for (const tag of tagsNamed(d, 'retentionDays')) {
      const text = tagText(tag);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
        failAt(
          ctx,
          tag,
          `invalid @retentionDays "${text}"`,
          'write a non-negative whole number of days, e.g. `@retentionDays 30`',
        );
      }
      const n = Number(text);
      if (value !== null && value !== n) {
        failAt(
          ctx,
          tag,
          `conflicting @retentionDays ${n} (also ${value})`,
          'state the retention period once per schema',
        );
      }
      value = n;
    }
  }
  return value;
}

/** The single-word value of `@classification` / `@redact`, validated against the configured order. */
function tagValue(ctx: ExtractContext, decl: ts.Node, tag: FieldTag, allowed: string[]): string {
  if (!allowed.includes(tag.value)) {
    const what = tag.value === '' ? `@${tag.name} needs a value` : `unknown @${tag.name} "${tag.value}"`;
    failAtPos(ctx, decl.getSourceFile(), tag.pos, what, `use one of: ${allowed.join(', ')}`);
  }
  return tag.value;
}

function buildSchema(ctx: ExtractContext, src: SchemaSource, checked: ReadonlySet<ts.Node>): LogSchema {
  const flat: Flattened = src.type ? flattenDetailed(ctx, src.type) : flattenMembers(ctx, src.members);
  const classes = [UNCLASSIFIED, ...ctx.config.orders.classification];
  const redactions = ctx.config.orders.redaction;
  const redactRank = (r: string) => redactions.indexOf(r);
  const fields: Record<string, LogField> = {};
  for (const path of Object.keys(flat.fields).sort(byText)) {
    const f = flat.fields[path]!;
    // Several declarations (merged union members): the highest classification and the weakest redaction win.
    let classification: string | undefined;
    let redaction: string | undefined;
    for (const d of f.declarations) {
      // Repeated tags on one declaration: the same rule (highest level, weakest redaction).
      let c = UNCLASSIFIED;
      let r: string | undefined;
      for (const tag of fieldTags(d)) {
        if (tag.name === 'classification') {
          const v = tagValue(ctx, d, tag, classes);
          if (classes.indexOf(v) > classes.indexOf(c)) c = v;
        } else if (tag.name === 'redact') {
          const v = tagValue(ctx, d, tag, redactions);
          if (r === undefined || redactRank(v) < redactRank(r)) r = v;
        }
      }
      r ??= DEFAULT_REDACTION;
      if (classification === undefined || classes.indexOf(c) > classes.indexOf(classification)) classification = c;
      if (redaction === undefined || redactRank(r) < redactRank(redaction)) redaction = r;
    }
    fields[path] = {
      type: f.type,
      optional: f.optional,
      classification: classification ?? UNCLASSIFIED,
      redaction: redaction ?? DEFAULT_REDACTION,
    };
  }
  // JSON.stringify writes what a toJSON() returns, not the listed fields.
  const toJson = (src.type ? [src.type] : src.members).flatMap((t) => toJsonPaths(ctx, t));
  const toJsonReasons = toJson.map((p) =>
    p === '(root)' ? 'schema defines toJSON' : `field ${JSON.stringify(p)} defines toJSON`,
  );
  // A wider value put where the schema type is declared (a variable, a field, an array, a map) keeps its extra
  // fields wherever it is logged from later.
  const widened = wideningsInto(ctx, new Set(src.type ? [src.type] : src.members), checked).map(
    (p) => `a value with ${fieldText(p)} is put where the schema type is declared`,
  );
  const openReasons = [
    ...new Set([
      ...flat.issues.map(openReason).filter((r): r is string => r !== undefined),
      ...toJsonReasons,
      ...src.callReasons,
      ...widened,
    ]),
  ].sort(byText);
  const schema: LogSchema = {
    fields,
    open: openReasons.length > 0,
    openReasons,
    retentionDays: retentionDays(ctx, src.declarations),
  };
  if (src.sinkDigests) schema.sinks = Object.fromEntries([...src.sinkDigests].sort(([a], [b]) => byText(a, b)));
  return schema;
}

/** Logging schemas: `@logSchema` types and the parameter types of `@logSink` functions. */
export function extractLogging(ctx: ExtractContext): Fragment<Record<string, LogSchema>> {
  const collector = new SchemaCollector(ctx);
  const schemaNode = (n: Node) => {
    const sym = n.getSymbol()?.compilerSymbol;
    if (!sym) ctx.fail(n, 'cannot resolve this @logSchema declaration');
    collector.addNamed(sym);
  };
  const sinks: Node[] = [];
  for (const sf of ctx.sourceFiles) {
    if (!fileMayMatch(ctx, sf, [`@${SCHEMA_TAG}`, `@${SINK_TAG}`])) continue;
    sf.forEachDescendant((n) => {
      if (Node.isInterfaceDeclaration(n) || Node.isTypeAliasDeclaration(n)) {
        if (hasTag(n, SCHEMA_TAG)) schemaNode(n);
      } else if (Node.isFunctionDeclaration(n) || Node.isMethodDeclaration(n)) {
        if (overloadSet(n).some((d) => hasTag(d, SINK_TAG))) sinks.push(n);
      } else if (Node.isVariableDeclaration(n) || Node.isPropertyDeclaration(n)) {
        if (functionInitializer(n.getInitializer()) && hasTag(n, SINK_TAG)) sinks.push(n);
      }
    });
  }
  for (const n of ctx.configured('logSchemas')) {
    if (!(Node.isInterfaceDeclaration(n) || Node.isTypeAliasDeclaration(n) || Node.isClassDeclaration(n))) {
      ctx.fail(
        n,
        'a configured log schema must be an interface, a type alias or a class',
        'point "logSchemas" at `file#TypeName`',
      );
    }
    schemaNode(n);
  }
  for (const n of ctx.configured('logSinks')) sinks.push(n);
  const doneSinks = new Set<Node>();
  for (const n of sinks) {
    const site = callableSite(ctx, n);
    if (site && doneSinks.has(site.node)) continue;
    if (site) doneSinks.add(site.node);
    collector.addSink(n);
  }
  // Sink arguments (and what wrappers' callers pass) compared by checkSinkCalls: widenings there are its reasons.
  const checked = new Set<ts.Node>();
  checkSinkCalls(ctx, collector.sinks, checked);

  const items = [...collector.named.values(), ...collector.anonymous.values()]
    .map((s) => ({ name: s.name, file: s.file, value: s }))
    .sort((a, b) => byText(a.name, b.name) || byText(a.file, b.file));
  const data: Record<string, LogSchema> = {};
  const locations: Record<string, string> = {};
  const seen = new Map<string, number>();
  primeWidenings(
    ctx,
    items.flatMap(({ value }) => (value.type ? [value.type] : value.members)),
  );
  for (const { id: baseId, file, value } of uniqueIds(items)) {
    // Same name in the same file (a named type and an anonymous sink schema cannot both be `X`, but be safe).
    const n = (seen.get(baseId) ?? 0) + 1;
    seen.set(baseId, n);
    const id = n === 1 ? baseId : `${baseId}#${n}`;
    data[id] = buildSchema(ctx, value, checked);
    locations[keys.schema(id)] = file;
  }
  const sorted: Record<string, LogSchema> = {};
  for (const k of Object.keys(data).sort(byText)) sorted[k] = data[k]!;
  return { data: sorted, locations };
}
