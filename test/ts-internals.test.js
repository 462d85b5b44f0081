// Every TypeScript / ts-morph internal policydrift relies on goes through src/extract/analysis/ts-internals.ts.
// This test calls each accessor against a tiny real ts-morph project, so an upgrade that removes or renames one
// fails here, naming the internal, instead of silently switching the analysis to its fallback.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Project, ts } from 'ts-morph';
import * as internals from '../dist/extract/analysis/ts-internals.js';

const FILES = {
  '/p/tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext' }, include: ['*.ts'] }),
  '/p/a.ts': [
    "import { b } from './b.js';",
    "export * from './b.js';",
    "declare module './b.js' { interface Extra { x: number } }",
    '/** @keyGuard checks */',
    'export function guard(): void { b(); }',
    'export const C = class { m(): void {} };',
    '',
  ].join('\n'),
  '/p/b.ts': 'export function b(): void {}\n',
};

/** @param {{ hook?: boolean }} [opts] */
function project({ hook = false } = {}) {
  const p = new Project({ useInMemoryFileSystem: true, skipAddingFilesFromTsConfig: true });
  const fs = p.getFileSystem();
  for (const [f, text] of Object.entries(FILES)) fs.writeFileSync(f, text);
  const parsed = [];
  const p2 = new Project({ fileSystem: fs, tsConfigFilePath: '/p/tsconfig.json', skipAddingFilesFromTsConfig: true });
  if (hook) {
    const installed = internals.setSourceFileFactory(p2, (filePath, text, scriptKind) => {
      parsed.push(filePath);
      return ts.createSourceFile(filePath, text, ts.ScriptTarget.Latest, true, scriptKind);
    });
    assert.ok(installed, 'ts-morph internal project._context.compilerFactory.createCompilerSourceFileFromText is gone');
  }
  p2.addSourceFilesFromTsConfig('/p/tsconfig.json');
  p2.resolveSourceFileDependencies();
  return { project: p2, parsed };
}

test('the accessors are exactly the ones this test covers', () => {
  assert.equal(Object.keys(internals).sort(), [
    'boundSymbolOf',
    'canWrapCompilerNode',
    'jsDocsOf',
    'moduleAugmentationsOf',
    'moduleSpecifiersOf',
    'resolvedModuleLookup',
    'setSourceFileFactory',
    'wrapCompilerNode',
  ]);
});

test('ts-morph project._context.compilerFactory.createCompilerSourceFileFromText (setSourceFileFactory)', () => {
  const { project: p, parsed } = project({ hook: true });
  assert.ok(parsed.includes('/p/a.ts') && parsed.includes('/p/b.ts'), `the hook was not used: ${parsed.join(', ')}`);
  assert.ok(p.getSourceFileOrThrow('/p/a.ts').getFunction('guard'));
});

test('ts-morph SourceFile._getNodeFromCompilerNode (canWrapCompilerNode, wrapCompilerNode)', () => {
  const { project: p } = project();
  const sf = p.getSourceFileOrThrow('/p/a.ts');
  assert.ok(internals.canWrapCompilerNode(sf), 'ts-morph internal SourceFile._getNodeFromCompilerNode is gone');
  assert.not.ok(internals.canWrapCompilerNode(undefined));
  const fn = sf.compilerNode.statements.find(ts.isFunctionDeclaration);
  const wrapped = internals.wrapCompilerNode(sf, fn);
  assert.is(wrapped, sf.getFunctionOrThrow('guard'));
});

test('TypeScript node.jsDoc (jsDocsOf)', () => {
  const { project: p } = project();
  const fn = p.getSourceFileOrThrow('/p/a.ts').compilerNode.statements.find(ts.isFunctionDeclaration);
  const docs = internals.jsDocsOf(fn);
  assert.ok(docs, 'TypeScript internal node.jsDoc is gone');
  assert.equal(
    docs.flatMap((d) => (d.tags ?? []).map((t) => t.tagName.text)),
    ['keyGuard'],
  );
});

test('TypeScript sourceFile.imports and sourceFile.moduleAugmentations', () => {
  const { project: p } = project();
  p.getProgram().compilerObject; // creating the program collects every file's imports
  const sf = p.getSourceFileOrThrow('/p/a.ts').compilerNode;
  const imports = internals.moduleSpecifiersOf(sf);
  assert.ok(imports, 'TypeScript internal sourceFile.imports is gone');
  assert.equal(
    imports.map((s) => s.text),
    ['./b.js', './b.js'],
  );
  const augments = internals.moduleAugmentationsOf(sf);
  assert.ok(augments, 'TypeScript internal sourceFile.moduleAugmentations is gone');
  assert.equal(
    augments.map((a) => a.text),
    ['./b.js'],
  );
});

test('TypeScript program.getResolvedModuleFromModuleSpecifier (resolvedModuleLookup)', () => {
  const { project: p } = project();
  const program = p.getProgram().compilerObject;
  const lookup = internals.resolvedModuleLookup(program);
  assert.ok(lookup, 'TypeScript internal program.getResolvedModuleFromModuleSpecifier is gone');
  const sf = program.getSourceFile('/p/a.ts');
  const spec = internals.moduleSpecifiersOf(sf)[0];
  assert.is(lookup(spec, sf)?.resolvedModule?.resolvedFileName, '/p/b.ts');
});

test('TypeScript declaration.symbol (boundSymbolOf)', () => {
  const { project: p } = project();
  p.getProgram().compilerObject.getTypeChecker(); // creating the checker binds every file
  const cls = p.getSourceFileOrThrow('/p/a.ts').getVariableDeclarationOrThrow('C').getInitializerOrThrow().compilerNode;
  const sym = internals.boundSymbolOf(cls);
  assert.ok(sym, 'TypeScript internal node.symbol is gone');
  assert.ok(sym.members?.has(ts.escapeLeadingUnderscores('m')));
});

test.run();
