/**
 * Cheap, sound pre-filters: what the extractors may skip without asking the
 * type checker, because skipping it can never change the manifest.
 *
 * Two kinds:
 *
 * - File text filters (`fileMayMatch`): an extractor that only reacts to a
 *   JSDoc tag or a fixed name walks only the files whose text contains it.
 *   A file without the text `@keySink` cannot hold a `@keySink` tag.
 *
 * - The key-sink statement filter (`sinkStatements`): which top-level
 *   statements may hold a call that resolves to a `@keySink`, or a reference
 *   to one. Everything in any other statement is skipped; the statements that
 *   are kept get exactly the full analysis. See `sinkStatements` for why a
 *   skipped statement can hold neither.
 *
 * `ctx.full` (ExtractOptions.full, POLICYDRIFT_NO_PREFILTER=1) turns every
 * filter off; test/fastpath.test.js compares both modes byte for byte.
 */
import { ts, type SourceFile } from 'ts-morph';
import { isLinkedWorkspaceFile } from './workspace-origin.js';
import type { ExtractContext } from './context.js';
import { libraryFiles } from './library.js';
import { moduleAugmentationsOf, moduleSpecifiersOf } from './ts-internals.js';

/** Identifier-like words, Unicode-aware (a non-ASCII letter never splits a word). */
const WORD = /[$_\p{ID_Start}][$\u200c\u200d\p{ID_Continue}]*/gu;
const IDENTIFIER = /^[$_\p{ID_Start}][$\u200c\u200d\p{ID_Continue}]*$/u;
const IMPORT_CALL = /\bimport\s*\(/;

/** True when `sf`'s text contains one of `needles`, or when the prefilter is off. */
export function fileMayMatch(ctx: ExtractContext, sf: SourceFile | ts.SourceFile, needles: readonly string[]): boolean {
  if (ctx.full) return true;
  const text = 'compilerNode' in sf ? sf.compilerNode.text : sf.text;
  return needles.some((n) => text.includes(n));
}

/** Thrown inside the analysis when it cannot bound what a statement sees: walk everything. */
class Unbounded extends Error {}

const SEED = 1;
const CONTENT = 2;
type Strength = typeof SEED | typeof CONTENT;

interface FileRec {
  sf: ts.SourceFile;
  stmts: readonly ts.Statement[];
  /** Statements walked by the extractor (they contain a kept word). */
  kept: Uint8Array;
  /** Statement units, once analysed. */
  units: Array<Unit | undefined>;
  /** 0, SEED or CONTENT: whether (and how strongly) a statement's declared names are kept. */
  qualified: Uint8Array;
  anyQualified: boolean;
  contentQualified: boolean;
  /** Statements elsewhere that see this module, or its default export, as a whole (default and namespace imports, `export *`, `import()`, `import x = require()`). */
  moduleEdges: Edge[];
}

interface Edge {
  file: FileRec;
  idx: number;
  /** The local name the edge binds, when it binds one. */
  name?: string;
}

/**
 * A statement, or a member (class, interface, type literal, object literal,
 * enum member, parameter property) inside one. (Import and export
 * specifiers are aliases: see `link`.)
 * A unit "qualifies" when its own text can give a value a type that carries
 * a sink's signature; its name is then kept.
 */
interface Unit {
  file: FileRec;
  idx: number;
  /** Member units: the member's name (undefined: a computed name). Statement units: unused. */
  member: boolean;
  name: string | undefined;
  /** A member's computed name (`[E.X]`, `[KEY]`), when `name` is undefined. */
  computed?: ts.ComputedPropertyName;
  done: boolean;
}

interface Occurrence {
  unit: Unit;
  /** In direct callee position (`w(…)`, `x.w(…)`, `w!(…)`, a tag): contributes only what calling it gives. */
  callee: boolean;
}

/**
 * The top-level statements of each project file that may contain a call
 * resolving to one of the sink declarations `seedNodes`, or a reference to
 * one; `null` means every statement (no bound could be established, or the
 * prefilter is off).
 *
 * Soundness. The key-gating walk reacts to (1) calls whose resolved signature
 * is a sink's, (2) callees, identifiers and property keys whose symbol is a
 * sink's (or an alias of one), (3) unresolved calls by a sink's name, (4)
 * member calls and member names by a sink member's name through a
 * structurally compatible type (structural.ts). (2), (3) and (4) need one of
 * the sink's names or aliases in the text; nameless element-access calls
 * (`(svc as any)[k](id)`) are collected by structural.ts over every file,
 * without this filter. (1) needs the
 * callee's type to carry the sink's signature; types are born at declarations
 * and reach an expression only through names written in its statement
 * (identifiers, property names, type names), contextual typing inside that
 * statement, whole-module objects (namespace and default imports, `import()`,
 * `export *`), or module-level control flow (narrowing, evolving `let`s and
 * arrays), which crosses top-level statements. So two sets of words are
 * closed over:
 *  - K, names whose value may carry a sink's signature, and RK, names whose
 *    call result (or parameters) may: a sink's names and aliases are in K;
 *  - a unit qualifies when it mentions a K word other than as a direct
 *    callee, or an RK word as a direct callee; its names go to K and RK
 *    (a statement: its top-level declarations, variables, `default`; a
 *    member: its own name). Calling a sink (`return unwrapKey(b)`)
 *    therefore does not spread: its result is the sink's return type;
 *  - an import or export specifier `a as b` keeps b as a (K, RK) is kept;
 *  - a module with a qualified statement qualifies every statement that
 *    imports it as a whole, through barrels; a qualifying executable
 *    top-level statement qualifies its whole file (module-level flow).
 * A statement is walked when it contains any K word. Global declarations
 * (script files, `declare global`, `declare module`), JavaScript, computed
 * member names and library files that import project files give up: every
 * statement is walked. Implicit invocations (`new`, accessors, tagged
 * templates) need no rule here: their targets seed the filter like any
 * derived sink (implicit.ts).
 */
export function sinkStatements(
  ctx: ExtractContext,
  seedNodes: readonly ts.Node[],
  seedWords: readonly string[],
): ((sf: ts.SourceFile) => readonly ts.Statement[]) | null {
  if (ctx.full) return null;
  try {
    return new SinkTaint(ctx).run(seedNodes, seedWords);
  } catch (e) {
    if (e instanceof Unbounded) return null;
    throw e;
  }
}

/** What SinkTaint builds before its closure, per program: files (with whole-module edges by file index), word index. */
const programIndexes = new WeakMap<
  ts.Program,
  | 'unbounded'
  | {
      files: Array<{ sf: ts.SourceFile; edges: Array<{ from: number; idx: number; name: string | undefined }> }>;
      index: Map<string, number[]>;
    }
>();

class SinkTaint {
  private readonly program: ts.Program;
  private readonly checker: ts.TypeChecker;
  private readonly files: FileRec[] = [];
  private readonly byFile = new Map<ts.SourceFile, FileRec>();
  /** word -> packed statement ids (file index * 2^20 + statement index) whose text contains it. */
  private index = new Map<string, number[]>();
  /** word -> occurrences in analysed (walked) statements. */
  private readonly occurrences = new Map<string, Occurrence[]>();
  private readonly K = new Set<string>();
  private readonly RK = new Set<string>();
  /** Import and export specifiers: word -> the names that alias it (`import { a as b }`: a -> b). */
  private readonly aliases = new Map<string, string[]>();
  private readonly oddWords: string[] = [];
  private readonly queue: Array<[string, boolean]> = [];
  private readonly work: Array<() => void> = [];

  constructor(ctx: ExtractContext) {
    this.program = ctx.project.getProgram().compilerObject;
    this.checker = ctx.checker.compilerObject;
  }

  run(seedNodes: readonly ts.Node[], seedWords: readonly string[]): (sf: ts.SourceFile) => readonly ts.Statement[] {
    this.prepare();
    for (const n of seedNodes) {
      const rec = this.byFile.get(n.getSourceFile());
      if (!rec) throw new Unbounded();
      const idx = topStatementIndex(rec, n);
      this.work.push(() => this.qualifyStatement(rec, idx, SEED));
    }
    for (const w of seedWords) this.addWord(w, false);
    this.drain();

    return (sf) => {
      const rec = this.byFile.get(sf);
      if (!rec) return sf.statements;
      return rec.stmts.filter((_, i) => rec.kept[i] === 1);
    };
  }

  /**
   * The files, their whole-module edges and the word index: built once per program (they do not depend on the
   * seeds; the key-gating rounds and the widening scans each run a closure over them).
   */
  private prepare(): void {
    const cached = programIndexes.get(this.program);
    if (cached === 'unbounded') throw new Unbounded();
    if (cached) {
      for (const f of cached.files) this.addFile(f.sf);
      cached.files.forEach((f, fi) => {
        for (const e of f.edges)
          this.files[fi]!.moduleEdges.push({ file: this.files[e.from]!, idx: e.idx, name: e.name });
      });
      this.index = cached.index;
      return;
    }
    try {
      this.build();
    } catch (e) {
      if (e instanceof Unbounded) programIndexes.set(this.program, 'unbounded');
      throw e;
    }
    const fiOf = new Map(this.files.map((rec, fi) => [rec, fi]));
    programIndexes.set(this.program, {
      files: this.files.map((rec) => ({
        sf: rec.sf,
        edges: rec.moduleEdges.map((e) => ({ from: fiOf.get(e.file)!, idx: e.idx, name: e.name })),
      })),
      index: this.index,
    });
  }

  private addFile(sf: ts.SourceFile): FileRec {
    const n = sf.statements.length;
    const rec: FileRec = {
      sf,
      stmts: sf.statements,
      kept: new Uint8Array(n),
      units: new Array<Unit | undefined>(n),
      qualified: new Uint8Array(n),
      anyQualified: false,
      contentQualified: false,
      moduleEdges: [],
    };
    this.files.push(rec);
    this.byFile.set(sf, rec);
    return rec;
  }

  private build(): void {
    const external: ts.SourceFile[] = [];
    for (const sf of this.program.getSourceFiles()) {
      // Default libraries never mention project code; JSON modules hold no functions.
      if (this.program.isSourceFileDefaultLibrary(sf) || /\.json$/i.test(sf.fileName)) continue;
      if (isExternal(this.program, sf)) {
        external.push(sf);
        continue;
      }
      // JavaScript has require() aliases and JSDoc types: no syntactic bound.
      if (!sf.isDeclarationFile && isJavaScript(sf)) throw new Unbounded();
      this.addFile(sf);
    }
    // A library file that imports a project file could carry its types anywhere.
    for (const sf of external) {
      const imports = moduleSpecifiersOf(sf);
      const augments = moduleAugmentationsOf(sf);
      if (!imports) throw new Unbounded();
      for (const spec of imports) if (this.targetOf(spec)) throw new Unbounded();
      for (const a of augments ?? []) if (ts.isStringLiteral(a) && this.targetOf(a)) throw new Unbounded();
    }
    this.files.forEach((rec, fi) => this.indexFile(rec, fi));
  }

  // -------------------------------------------------------------------------
  // Index

  private indexFile(rec: FileRec, fi: number): void {
    const { sf, stmts } = rec;
    const text = sf.text;
    const hasBackslash = text.includes('\\');
    for (let si = 0; si < stmts.length; si++) {
      const s = stmts[si]!;
      const unit = fi * 1048576 + si;
      const add = (w: string) => {
        const list = this.index.get(w);
        if (!list) this.index.set(w, [unit]);
        else if (list[list.length - 1] !== unit) list.push(unit);
      };
      WORD.lastIndex = s.pos;
      for (let m = WORD.exec(text); m !== null && m.index < s.end; m = WORD.exec(text)) add(m[0]);
      // Escapes (`\u0061`, `'\x61'`): the cooked text of identifiers and literals too.
      if (hasBackslash && text.slice(s.pos, s.end).includes('\\')) forEachWordNode(s, (n) => add(n.text));
      this.collectEdges(rec, si, s);
    }
  }

  /** Whole-module references made by statement `s` (at any depth). */
  private collectEdges(rec: FileRec, si: number, s: ts.Statement): void {
    const edge = (spec: ts.Expression | undefined, name?: string) => {
      if (!spec || !ts.isStringLiteralLike(spec)) return;
      this.targetOf(spec)?.moduleEdges.push({ file: rec, idx: si, name });
    };
    const visitDecl = (d: ts.Statement) => {
      if (ts.isImportDeclaration(d)) {
        const clause = d.importClause;
        // A default import binds the default export, or (`export =`) the whole module object.
        if (clause?.name) edge(d.moduleSpecifier, clause.name.text);
        if (clause?.namedBindings && ts.isNamespaceImport(clause.namedBindings))
          edge(d.moduleSpecifier, clause.namedBindings.name.text);
      } else if (ts.isExportDeclaration(d)) {
        if (!d.exportClause) edge(d.moduleSpecifier);
        else if (ts.isNamespaceExport(d.exportClause)) edge(d.moduleSpecifier, d.exportClause.name.text);
      } else if (ts.isImportEqualsDeclaration(d)) {
        if (ts.isExternalModuleReference(d.moduleReference)) edge(d.moduleReference.expression, d.name.text);
      } else if (ts.isModuleDeclaration(d)) {
        let body = d.body;
        while (body && ts.isModuleDeclaration(body)) body = body.body;
        if (body && ts.isModuleBlock(body)) for (const x of body.statements) visitDecl(x);
      }
    };
    visitDecl(s);
    // `import("./m")` calls and `typeof import("./m")` types, anywhere in the statement.
    if (IMPORT_CALL.test(rec.sf.text.slice(s.pos, s.end))) {
      const visit = (n: ts.Node): void => {
        if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) edge(n.arguments[0]);
        else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) edge(n.argument.literal);
        ts.forEachChild(n, visit);
      };
      visit(s);
    }
  }

  /** The project file a module specifier resolves to (undefined: a library, an ambient module, or unresolved). */
  private targetOf(spec: ts.StringLiteralLike): FileRec | undefined {
    const sym = this.checker.getSymbolAtLocation(spec);
    for (const d of sym?.declarations ?? []) {
      if (ts.isSourceFile(d)) {
        const rec = this.byFile.get(d);
        if (rec) return rec;
      }
    }
    return undefined;
  }

  // -------------------------------------------------------------------------
  // Closure

  /** Keep a word (K); with `call`, also its call results (RK). */
  private addWord(w: string, call: boolean): void {
    const newK = !this.K.has(w);
    const newRK = call && !this.RK.has(w);
    if (!newK && !newRK) return;
    if (newK) {
      this.K.add(w);
      this.queue.push([w, false]);
      if (!IDENTIFIER.test(w)) {
        // Not a word the tokenizer produces (a quoted member name, a number): walk statements whose text has it.
        this.oddWords.push(w);
        for (const rec of this.files) {
          for (let i = 0; i < rec.stmts.length; i++) {
            if (rec.kept[i] === 0 && rec.sf.text.slice(rec.stmts[i]!.pos, rec.stmts[i]!.end).includes(w))
              this.keep(rec, i);
          }
        }
      }
    }
    if (newRK) {
      this.RK.add(w);
      this.queue.push([w, true]);
    }
    for (const a of this.aliases.get(w) ?? []) this.addWord(a, call);
    if (w.startsWith('#')) this.addWord(w.slice(1), call);
  }

  /** `alias` names what `word` names (an import or export specifier): it is kept exactly as strongly. */
  private link(word: string, alias: string): void {
    const list = this.aliases.get(word);
    if (list) list.push(alias);
    else this.aliases.set(word, [alias]);
    if (this.K.has(word)) this.addWord(alias, this.RK.has(word));
  }

  private drain(): void {
    for (;;) {
      const job = this.work.pop();
      if (job) {
        job();
        continue;
      }
      const item = this.queue.pop();
      if (!item) return;
      const [w, call] = item;
      if (!call)
        for (const unit of this.index.get(w) ?? []) this.keep(this.files[Math.floor(unit / 1048576)]!, unit % 1048576);
      for (const o of this.occurrences.get(w) ?? []) if (o.callee === call) this.qualify(o.unit);
    }
  }

  /** Walk statement `idx` of `rec`, and analyse its occurrences. */
  private keep(rec: FileRec, idx: number): void {
    if (rec.kept[idx] === 1) return;
    rec.kept[idx] = 1;
    this.analyse(rec, idx);
  }

  private analyse(rec: FileRec, idx: number): void {
    const s = rec.stmts[idx]!;
    const stmtUnit: Unit = { file: rec, idx, member: false, name: undefined, done: false };
    rec.units[idx] = stmtUnit;
    const seen = new Map<Unit, Set<string>>();
    const stack: Unit[] = [stmtUnit];
    const record = (word: string, callee: boolean) => {
      for (const unit of stack) {
        let set = seen.get(unit);
        if (!set) seen.set(unit, (set = new Set()));
        const key = callee ? `c\0${word}` : `v\0${word}`;
        if (set.has(key)) continue;
        set.add(key);
        const o: Occurrence = { unit, callee };
        const list = this.occurrences.get(word);
        if (list) list.push(o);
        else this.occurrences.set(word, [o]);
        if (callee ? this.RK.has(word) : this.K.has(word)) this.work.push(() => this.qualify(unit));
      }
    };
    const visit = (n: ts.Node): void => {
      if (ts.isImportSpecifier(n) || ts.isExportSpecifier(n))
        this.work.push(() => this.link((n.propertyName ?? n.name).text, n.name.text));
      const name = unitName(n);
      if (name !== null) {
        const computed =
          name === undefined &&
          (n as ts.NamedDeclaration).name &&
          ts.isComputedPropertyName((n as ts.NamedDeclaration).name!)
            ? ((n as ts.NamedDeclaration).name as ts.ComputedPropertyName)
            : undefined;
        stack.push({ file: rec, idx, member: true, name, computed, done: false });
      }
      if (isWordNode(n) && !isDeclarationName(n)) {
        const callee = isDirectCallee(n);
        record(n.text, callee);
        if (ts.isPrivateIdentifier(n)) record(n.text.slice(1), callee);
      }
      ts.forEachChild(n, visit);
      if (name !== null) stack.pop();
    };
    visit(s);
    // Statements with an odd kept word in their text qualify on it as a value (conservative).
    const slice = rec.sf.text.slice(s.pos, s.end);
    if (this.oddWords.some((w) => slice.includes(w))) this.work.push(() => this.qualify(stmtUnit));
  }

  private qualify(unit: Unit): void {
    if (!unit.member) {
      this.qualifyStatement(unit.file, unit.idx, CONTENT);
      return;
    }
    if (unit.done) return;
    unit.done = true;
    if (unit.name === undefined) {
      for (const w of this.computedNameWords(unit.computed)) this.addWord(w, true);
      return;
    }
    this.addWord(unit.name, true);
  }

  /**
   * The words a member with a computed name can be reached by: the words of
   * its key expression (`obj[E.X]`, `obj[KEY]`, and whatever aliases them),
   * and the property name the checker binds it to when that is a string or a
   * number (`obj.x`, `obj["x"]`, literal-typed keys, which mention the literal
   * where their type is written). A key the checker cannot name (`[s]` with
   * `s: string`, which adds to an index signature) gives up.
   */
  private computedNameWords(name: ts.ComputedPropertyName | undefined): string[] {
    if (!name) throw new Unbounded();
    const sym = this.checker.getSymbolAtLocation(name);
    const bound = sym ? (sym.escapedName as string) : '__computed';
    if (bound === '__computed' || bound === '__index') throw new Unbounded();
    const words: string[] = [];
    forEachWordNode(name.expression, (n) => words.push(n.text));
    // `__@…`: a unique symbol, reachable only through the words of its key expression.
    if (!bound.startsWith('__@')) words.push(sym!.name);
    return words;
  }

  /** The statement's declared names are kept (CONTENT: their call results too). */
  private qualifyStatement(rec: FileRec, idx: number, strength: Strength): void {
    if (rec.qualified[idx]! >= strength) return;
    rec.qualified[idx] = strength;
    this.keep(rec, idx);
    const s = rec.stmts[idx]!;
    // Global declarations and module augmentations are seen without any name or import.
    if (!ts.isExternalModule(rec.sf)) throw new Unbounded();
    if (ts.isModuleDeclaration(s) && (s.flags & ts.NodeFlags.GlobalAugmentation) !== 0) throw new Unbounded();
    if (containsGlobalAugmentation(s)) throw new Unbounded();
    // An augmentation of a project module (`declare module "./m"`) merges into that module's exports: they are
    // reached by their names (kept below) or through the module as a whole (its edges, as if it qualified).
    // An augmentation of anything else (a library, an ambient module) gives up.
    const augmented = ts.isModuleDeclaration(s) && ts.isStringLiteral(s.name) ? this.targetOf(s.name) : undefined;
    if (ts.isModuleDeclaration(s) && ts.isStringLiteral(s.name) && !augmented) throw new Unbounded();
    const call = strength === CONTENT;
    for (const name of declaredNames(s)) this.addWord(name, call);
    const fire = (e: Edge) => {
      this.work.push(() => this.qualifyStatement(e.file, e.idx, strength));
      if (e.name !== undefined) this.addWord(e.name, call);
    };
    for (const r of augmented ? [rec, augmented] : [rec]) {
      if (!r.anyQualified) {
        r.anyQualified = true;
        r.moduleEdges.forEach(fire);
      }
      if (call && !r.contentQualified) {
        r.contentQualified = true;
        r.moduleEdges.forEach(fire);
      }
    }
    // Module-level control flow (narrowing, evolving `let`s and arrays) crosses top-level statements.
    if (call && affectsModuleFlow(s)) {
      for (let i = 0; i < rec.stmts.length; i++)
        if (i !== idx) this.work.push(() => this.qualifyStatement(rec, i, CONTENT));
    }
  }
}

/** Names a statement makes visible to other statements (members and specifiers are units of their own). */
function declaredNames(s: ts.Statement): string[] {
  const out: string[] = [];
  const isDefault = (n: ts.Node) =>
    ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
  const bindingNames = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) out.push(name.text);
    else for (const el of name.elements) if (!ts.isOmittedExpression(el)) bindingNames(el.name);
  };
  const namespaceNames = (m: ts.ModuleDeclaration): void => {
    if (ts.isIdentifier(m.name)) out.push(m.name.text);
    const body = m.body;
    if (!body) return;
    if (ts.isModuleDeclaration(body)) {
      namespaceNames(body);
      return;
    }
    if (!ts.isModuleBlock(body)) return;
    for (const x of body.statements) {
      if (ts.isVariableStatement(x)) for (const d of x.declarationList.declarations) bindingNames(d.name);
      else if (ts.isModuleDeclaration(x)) namespaceNames(x);
      else if (
        (ts.isFunctionDeclaration(x) ||
          ts.isClassDeclaration(x) ||
          ts.isInterfaceDeclaration(x) ||
          ts.isTypeAliasDeclaration(x) ||
          ts.isEnumDeclaration(x)) &&
        x.name
      )
        out.push(x.name.text);
      else if (ts.isImportEqualsDeclaration(x)) out.push(x.name.text);
      else if (ts.isExportDeclaration(x) && x.exportClause && ts.isNamedExports(x.exportClause))
        for (const e of x.exportClause.elements) out.push(e.name.text);
    }
  };
  if (
    ts.isFunctionDeclaration(s) ||
    ts.isClassDeclaration(s) ||
    ts.isInterfaceDeclaration(s) ||
    ts.isTypeAliasDeclaration(s) ||
    ts.isEnumDeclaration(s)
  ) {
    if (s.name) out.push(s.name.text);
    if (isDefault(s)) out.push('default');
  } else if (ts.isVariableStatement(s)) {
    for (const d of s.declarationList.declarations) bindingNames(d.name);
  } else if (ts.isExportAssignment(s)) {
    out.push('default');
  } else if (ts.isImportEqualsDeclaration(s)) {
    out.push(s.name.text);
  } else if (ts.isModuleDeclaration(s)) {
    namespaceNames(s);
  }
  return out;
}

/** For a member or specifier node: its name (undefined when computed); null for any other node. */
function unitName(n: ts.Node): string | undefined | null {
  if (
    ts.isPropertyDeclaration(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isGetAccessorDeclaration(n) ||
    ts.isSetAccessorDeclaration(n) ||
    ts.isPropertySignature(n) ||
    ts.isMethodSignature(n) ||
    ts.isPropertyAssignment(n) ||
    ts.isShorthandPropertyAssignment(n) ||
    ts.isEnumMember(n)
  ) {
    return memberName(n.name);
  }
  if (
    ts.isParameter(n) &&
    ts.isIdentifier(n.name) &&
    ts.getModifiers(n)?.length &&
    ts.isConstructorDeclaration(n.parent)
  )
    return n.name.text;
  return null;
}

function isWordNode(n: ts.Node): n is ts.Identifier | ts.PrivateIdentifier | ts.StringLiteralLike | ts.NumericLiteral {
  return ts.isIdentifier(n) || ts.isPrivateIdentifier(n) || ts.isStringLiteralLike(n) || ts.isNumericLiteral(n);
}

/** The name a declaration binds (not a reference to anything). */
function isDeclarationName(n: ts.Node): boolean {
  const p = n.parent;
  if (!p) return false;
  if (ts.isImportSpecifier(p) || ts.isExportSpecifier(p)) return p.propertyName !== undefined && p.name === n;
  if (ts.isBindingElement(p) || ts.isShorthandPropertyAssignment(p)) return false;
  if (
    ts.isFunctionDeclaration(p) ||
    ts.isFunctionExpression(p) ||
    ts.isClassDeclaration(p) ||
    ts.isClassExpression(p) ||
    ts.isInterfaceDeclaration(p) ||
    ts.isTypeAliasDeclaration(p) ||
    ts.isEnumDeclaration(p) ||
    ts.isModuleDeclaration(p) ||
    ts.isVariableDeclaration(p) ||
    ts.isMethodDeclaration(p) ||
    ts.isPropertyDeclaration(p) ||
    ts.isPropertySignature(p) ||
    ts.isMethodSignature(p) ||
    ts.isGetAccessorDeclaration(p) ||
    ts.isSetAccessorDeclaration(p) ||
    ts.isEnumMember(p) ||
    ts.isParameter(p) ||
    ts.isTypeParameterDeclaration(p) ||
    ts.isPropertyAssignment(p) ||
    ts.isImportClause(p) ||
    ts.isNamespaceImport(p) ||
    ts.isImportEqualsDeclaration(p) ||
    ts.isNamespaceExport(p)
  ) {
    return (p as ts.NamedDeclaration).name === n;
  }
  return false;
}

/** `w(…)`, `x.w(…)`, `x['w'](…)`, `w!(…)`, `` w`…` ``: what is used is the result of the call. */
function isDirectCallee(n: ts.Node): boolean {
  let e: ts.Node = n;
  const p = e.parent;
  if (
    p &&
    ((ts.isPropertyAccessExpression(p) && p.name === e) ||
      (ts.isElementAccessExpression(p) && p.argumentExpression === e))
  )
    e = p;
  while (e.parent && ts.isNonNullExpression(e.parent)) e = e.parent;
  const q = e.parent;
  return !!q && ((ts.isCallExpression(q) && q.expression === e) || (ts.isTaggedTemplateExpression(q) && q.tag === e));
}

/** The identifiers and literals under `node` (their cooked text). */
function forEachWordNode(
  node: ts.Node,
  f: (n: ts.Identifier | ts.PrivateIdentifier | ts.StringLiteralLike | ts.NumericLiteral) => void,
): void {
  const visit = (n: ts.Node): void => {
    if (isWordNode(n)) f(n);
    ts.forEachChild(n, visit);
  };
  visit(node);
}

function memberName(name: ts.PropertyName): string | undefined {
  if (
    ts.isIdentifier(name) ||
    ts.isPrivateIdentifier(name) ||
    ts.isStringLiteralLike(name) ||
    ts.isNumericLiteral(name)
  )
    return name.text;
  if (ts.isComputedPropertyName(name)) {
    const e = name.expression;
    if (ts.isStringLiteralLike(e) || ts.isNumericLiteral(e)) return e.text;
  }
  return undefined;
}

function topStatementIndex(rec: FileRec, n: ts.Node): number {
  let s: ts.Node = n;
  while (s.parent && !ts.isSourceFile(s.parent)) s = s.parent;
  const i = rec.stmts.indexOf(s as ts.Statement);
  if (i < 0) throw new Unbounded();
  return i;
}

/** A library file (src/extract/analysis/library.ts): project code committed under a `node_modules` folder is not one. */
function isExternal(program: ts.Program, sf: ts.SourceFile): boolean {
  return libraryFiles(program).has(sf) && !isLinkedWorkspaceFile(program, sf);
}

function isJavaScript(sf: ts.SourceFile): boolean {
  return /\.(js|jsx|mjs|cjs)$/i.test(sf.fileName);
}

/**
 * Whether a top-level statement can change the type another top-level
 * statement sees for a variable (assignments, evolving arrays, assertion and
 * type-guard narrowing): any executable statement except declarations whose
 * initializers only name, create functions or classes, or are literals.
 */
function affectsModuleFlow(s: ts.Statement): boolean {
  if (
    ts.isFunctionDeclaration(s) ||
    ts.isClassDeclaration(s) ||
    ts.isInterfaceDeclaration(s) ||
    ts.isTypeAliasDeclaration(s) ||
    ts.isEnumDeclaration(s) ||
    ts.isModuleDeclaration(s) ||
    ts.isImportDeclaration(s) ||
    ts.isImportEqualsDeclaration(s) ||
    ts.isExportDeclaration(s) ||
    ts.isEmptyStatement(s)
  ) {
    return false;
  }
  if (ts.isExportAssignment(s)) return !isInert(s.expression);
  if (ts.isVariableStatement(s))
    return s.declarationList.declarations.some((d) => d.initializer !== undefined && !isInert(d.initializer));
  return true;
}

function isInert(e: ts.Expression): boolean {
  while (
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isNonNullExpression(e)
  )
    e = e.expression;
  if (
    ts.isIdentifier(e) ||
    ts.isArrowFunction(e) ||
    ts.isFunctionExpression(e) ||
    ts.isClassExpression(e) ||
    ts.isLiteralExpression(e)
  )
    return true;
  if (
    e.kind === ts.SyntaxKind.TrueKeyword ||
    e.kind === ts.SyntaxKind.FalseKeyword ||
    e.kind === ts.SyntaxKind.NullKeyword
  )
    return true;
  return ts.isPropertyAccessExpression(e) && isInert(e.expression);
}

function containsGlobalAugmentation(s: ts.Statement): boolean {
  if (!ts.isModuleDeclaration(s)) return false;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isModuleDeclaration(n) && (n.flags & ts.NodeFlags.GlobalAugmentation) !== 0) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(s);
  return found;
}

/**
 * Whether a call can be one the key-gating walk reacts to: a call whose
 * resolved signature or callee symbol is one of `targets` (declarations of
 * sinks or guards), or an unresolved call by one of `names`. False only when
 * neither is possible; then the call's signature is never resolved, which is
 * most of what resolving costs (overload resolution checks every argument).
 *
 * Sound because the resolved signature of a call is always one of the call
 * signatures of the callee's (apparent) type, or an instantiation of one,
 * which keeps its declaration; for a union or intersection, of one of its
 * constituents. So when no call signature of the callee's type or of its
 * constituents is declared by a target, and the callee's symbol is not a
 * target, no target can be reached; an unresolved call needs a callee symbol
 * without declarations. `super(…)` and `import(…)` are always resolved.
 */
export function callMayReachTarget(
  checker: ts.TypeChecker,
  call: ts.CallExpression,
  targets: ReadonlyMap<ts.Node, unknown>,
  names: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  memo?: Map<ts.CallExpression, CalleeFacts>,
): boolean {
  let facts = memo?.get(call);
  if (!facts) {
    facts = calleeFacts(checker, call);
    memo?.set(call, facts);
  }
  if (facts.always) return true;
  if (facts.decls.some((d) => targets.has(d))) return true;
  if (facts.decls.length === 0 && facts.name !== undefined && names.has(facts.name)) return true;
  facts.signatureDecls ??= signatureDeclarations(checker, call.expression);
  return facts.signatureDecls.some((d) => targets.has(d));
}

/**
 * What callMayReachTarget asks the checker about a call, kept between the
 * rounds of the call graph (which test the same calls against growing target
 * sets): typing the callee's receiver (`this.a.b.c(…)`, flow narrowing
 * included) is most of the cost, and the checker caches neither the type of
 * an expression nor an unresolved property access.
 */
export interface CalleeFacts {
  /** `super(…)`, `import(…)`: always resolved. */
  always: boolean;
  /** Declarations of the callee's symbol (aliases followed). */
  decls: readonly ts.Node[];
  /** The callee's name, for an unresolved call. */
  name: string | undefined;
  /** Declarations of the call signatures of the callee's type and of its union/intersection constituents (computed on first need). */
  signatureDecls?: ts.Node[];
}

function calleeFacts(checker: ts.TypeChecker, call: ts.CallExpression): CalleeFacts {
  let callee: ts.Expression = call.expression;
  while (
    ts.isParenthesizedExpression(callee) ||
    ts.isNonNullExpression(callee) ||
    ts.isAsExpression(callee) ||
    ts.isSatisfiesExpression(callee) ||
    ts.isTypeAssertionExpression(callee)
  )
    callee = callee.expression;
  if (callee.kind === ts.SyntaxKind.SuperKeyword || callee.kind === ts.SyntaxKind.ImportKeyword)
    return { always: true, decls: [], name: undefined };
  const at = ts.isPropertyAccessExpression(callee)
    ? callee.name
    : ts.isElementAccessExpression(callee)
      ? callee.argumentExpression
      : callee;
  let sym = checker.getSymbolAtLocation(at);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  const decls = sym?.declarations ?? [];
  const name =
    decls.length > 0
      ? undefined
      : ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression)
            ? callee.argumentExpression.text
            : undefined;
  return { always: false, decls, name };
}

function signatureDeclarations(checker: ts.TypeChecker, expr: ts.Expression): ts.Node[] {
  const out: ts.Node[] = [];
  const seen = new Set<ts.Type>();
  const collect = (t: ts.Type): void => {
    if (seen.has(t)) return;
    seen.add(t);
    for (const sig of checker.getSignaturesOfType(t, ts.SignatureKind.Call)) {
      const d = sig.getDeclaration() as ts.Node | undefined;
      if (d) out.push(d);
    }
    if (t.isUnionOrIntersection()) for (const c of t.types) collect(c);
  };
  collect(checker.getTypeAtLocation(expr));
  return out;
}

/**
 * The texts an identifier or string literal must have for its symbol (after
 * following aliases) to be one of the sinks named `sinkWords`: those names,
 * and every name an alias can bind anywhere in the program (import and export
 * specifiers, default and namespace imports, `import x =`, `export * as`,
 * `export as namespace`, `default`). A reference resolves by its own text to
 * a declaration of that name, to an alias of that name, or to a property of
 * that name (unions and homomorphic mapped types keep member names; renaming
 * mapped types drop the declarations). `null` (every reference is resolved)
 * when the prefilter is off or the program has JavaScript, where
 * `const x = require(…).y` is an alias too.
 */
export function referenceWords(ctx: ExtractContext, sinkWords: readonly string[]): ReadonlySet<string> | null {
  if (ctx.full) return null;
  const program = ctx.project.getProgram().compilerObject;
  const out = new Set<string>([...sinkWords, 'default']);
  const name = (n: ts.Identifier | ts.StringLiteral | ts.ModuleExportName | undefined) => {
    if (n) out.add(n.text);
  };
  const visit = (statements: readonly ts.Statement[]): void => {
    for (const s of statements) {
      if (ts.isImportDeclaration(s)) {
        const clause = s.importClause;
        name(clause?.name);
        const b = clause?.namedBindings;
        if (b && ts.isNamespaceImport(b)) name(b.name);
        else if (b) for (const e of b.elements) name(e.name);
      } else if (ts.isExportDeclaration(s)) {
        const c = s.exportClause;
        if (c && ts.isNamespaceExport(c)) name(c.name);
        else if (c) for (const e of c.elements) name(e.name);
      } else if (ts.isImportEqualsDeclaration(s) || ts.isNamespaceExportDeclaration(s)) {
        name(s.name);
      } else if (ts.isModuleDeclaration(s)) {
        let body = s.body;
        while (body && ts.isModuleDeclaration(body)) body = body.body;
        if (body && ts.isModuleBlock(body)) visit(body.statements);
      }
    }
  };
  for (const sf of program.getSourceFiles()) {
    if (program.isSourceFileDefaultLibrary(sf)) continue;
    if (!sf.isDeclarationFile && isJavaScript(sf)) return null;
    visit(sf.statements);
  }
  return out;
}
