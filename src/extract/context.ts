import type { Node, Project, SourceFile, TypeChecker } from 'ts-morph';
import type { ResolvedConfig } from '../config/index.js';
import type { Locations } from '../manifest/types.js';

/**
 * What every extractor gets. Extractors never print and never touch the
 * real file system: they read the ts-morph project (which may live in memory,
 * built from a git tree) and return data plus relative locations.
 */
export interface ExtractContext {
  project: Project;
  checker: TypeChecker;
  config: ResolvedConfig;
  /** Absolute project root inside the project's file system. */
  root: string;
  /** The source files in scope (tsconfig program minus config excludes and declaration files), sorted by relative path. */
  sourceFiles: SourceFile[];
  /** Source files of other workspace packages in the program (src/extract/workspace-origin.ts): declarations only, never sites. */
  workspaceFiles?: SourceFile[];
  /** Relative POSIX path of the file that holds `node`. */
  rel(node: Node | SourceFile): string;
  /** Throw a located user error (exit 2): `file:line:col: message`. */
  fail(node: Node, message: string, hint?: string): never;
  /** Declarations named by a config list (`leHandlers`, `keyGuards`, ...), resolved to nodes. */
  configured(
    list: 'leHandlers' | 'logSchemas' | 'logSinks' | 'keyGuards' | 'keyConditions' | 'keySinks' | 'entryPoints',
  ): Set<Node>;
  /**
   * Walk every file and ask the checker about every call: no pre-filter
   * (src/extract/prefilter.ts). Slower, same result; the fast path is tested
   * against it.
   */
  full?: boolean;
}

/** An extractor's result: its slice of the semantic content, and where things are. */
export interface Fragment<T> {
  data: T;
  locations: Locations;
}
