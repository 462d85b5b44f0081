/** What `policydrift init` finds in a project before it writes anything. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';
export type HookManager = 'husky' | 'lefthook' | 'pre-commit';

export interface Detection {
  /** Absolute project root. */
  root: string;
  /** The tsconfig to use, relative to the root (POSIX), or null when there is none. */
  tsconfig: string | null;
  /** Other tsconfig*.json files at the root (for the message when there is no tsconfig.json). */
  tsconfigCandidates: string[];
  /** From the nearest lockfile (root, then up to the repository top); null when there is none. */
  packageManager: PackageManager | null;
  /** The lockfile that decided it, relative to the root. */
  lockfile: string | null;
  /** Absolute top of the git work tree, or null when not in one. */
  gitTop: string | null;
  /** An openspec/ folder in the project. */
  openspec: boolean;
  /** Hook managers already configured, with the file or folder that shows it (relative to the root). */
  hooks: Array<{ manager: HookManager; file: string }>;
  /** CI that is already configured: .github/workflows, .gitlab-ci.yml. */
  ci: Array<'github' | 'gitlab'>;
  /** Test-file globs for "exclude" that match files in the project. */
  testGlobs: string[];
  /** package.json has a "build" script. */
  buildScript: boolean;
  /** compilerOptions.outDir of the tsconfig when it is plain JSON and sets one (POSIX, relative to the root). */
  outDir: string | null;
}

const LOCKFILES: Array<[string, PackageManager]> = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lockb', 'bun'],
  ['bun.lock', 'bun'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];

const exists = (p: string): boolean => fs.existsSync(p);
const rel = (root: string, p: string): string => path.relative(root, p).split(path.sep).join('/') || '.';

/** The directories from `root` up to the git top (inclusive), or just `root` outside a repository. */
function upToTop(root: string, top: string | null): string[] {
  const out = [root];
  if (!top) return out;
  let dir = root;
  while (dir !== top) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
    out.push(dir);
  }
  return out;
}

function findGitTop(root: string): string | null {
  let dir = root;
  for (;;) {
    if (exists(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'out', 'coverage', '.next', '.cache']);
const TEST_FILE = /\.(test|spec)\.(ts|tsx|mts|cts)$/;

/** Globs for test files present under the root (bounded walk; skips node_modules and build output). */
function detectTestGlobs(root: string): string[] {
  const found = new Set<string>();
  let budget = 20_000;
  const walk = (dir: string): void => {
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      if (--budget < 0) return;
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name) || e.name.startsWith('.')) continue;
        if (e.name === '__tests__') found.add('**/__tests__/**');
        walk(path.join(dir, e.name));
      } else if (e.isFile()) {
        const m = TEST_FILE.exec(e.name);
        if (m) found.add(`**/*.${m[1]}.${m[2]}`);
      }
    }
  };
  walk(root);
  return [...found].sort();
}

export function detectProject(root: string): Detection {
  const gitTop = findGitTop(root);
  const dirs = upToTop(root, gitTop);

  const tsconfigCandidates = fs
    .readdirSync(root)
    .filter((f) => /^tsconfig(\..+)?\.json$/.test(f) && fs.statSync(path.join(root, f)).isFile())
    .sort();
  const tsconfig = tsconfigCandidates.includes('tsconfig.json') ? 'tsconfig.json' : null;

  let packageManager: PackageManager | null = null;
  let lockfile: string | null = null;
  outer: for (const dir of dirs) {
    for (const [file, pm] of LOCKFILES) {
      if (exists(path.join(dir, file))) {
        packageManager = pm;
        lockfile = rel(root, path.join(dir, file));
        break outer;
      }
    }
  }

  const hooks: Detection['hooks'] = [];
  for (const dir of dirs) {
    if (exists(path.join(dir, '.husky')))
      hooks.push({ manager: 'husky', file: rel(root, path.join(dir, '.husky')) + '/' });
    for (const f of ['lefthook.yml', 'lefthook.yaml', '.lefthook.yml', '.lefthook.yaml']) {
      if (exists(path.join(dir, f))) hooks.push({ manager: 'lefthook', file: rel(root, path.join(dir, f)) });
    }
    if (exists(path.join(dir, '.pre-commit-config.yaml')))
      hooks.push({ manager: 'pre-commit', file: rel(root, path.join(dir, '.pre-commit-config.yaml')) });
  }

  const ci: Detection['ci'] = [];
  for (const dir of dirs) {
    if (exists(path.join(dir, '.github', 'workflows')) && !ci.includes('github')) ci.push('github');
    if (exists(path.join(dir, '.gitlab-ci.yml')) && !ci.includes('gitlab')) ci.push('gitlab');
  }

  return {
    root,
    tsconfig,
    tsconfigCandidates,
    packageManager,
    lockfile,
    gitTop,
    openspec: exists(path.join(root, 'openspec')),
    hooks,
    ci,
    testGlobs: detectTestGlobs(root),
    buildScript:
      typeof (readJson(path.join(root, 'package.json')) as { scripts?: { build?: unknown } } | null)?.scripts?.build ===
      'string',
    outDir: tsconfigOutDir(root, tsconfig),
  };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch {
    return null;
  }
}

/** The tsconfig's own outDir (no `extends` resolution: a starting point the user can edit). */
function tsconfigOutDir(root: string, tsconfig: string | null): string | null {
  if (!tsconfig) return null;
  const out = (readJson(path.join(root, tsconfig)) as { compilerOptions?: { outDir?: unknown } } | null)
    ?.compilerOptions?.outDir;
  if (typeof out !== 'string' || !out) return null;
  const r = rel(root, path.resolve(root, out));
  return r === '.' || r.startsWith('..') ? null : r;
}

/** The release profile `init` writes: the package's build script, else the TypeScript compiler. */
export function starterProfile(det: Detection, tsconfig: string): { build: string[]; outDir: string } {
  const outDir = det.outDir ?? 'dist';
  if (det.buildScript) return { build: [det.packageManager ?? 'npm', 'run', 'build'], outDir };
  return { build: ['npx', '--no-install', 'tsc', '-p', tsconfig, ...(det.outDir ? [] : ['--outDir', outDir])], outDir };
}

/** How to run the installed CLI with this package manager (without installing anything on the fly). */
export function runner(pm: PackageManager | null): string {
  switch (pm) {
    case 'pnpm':
      return 'pnpm exec policydrift';
    case 'yarn':
      return 'yarn policydrift';
    case 'bun':
      return 'bunx policydrift';
    default:
      return 'npx --no-install policydrift';
  }
}
