import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256Hex } from '../util/fs.js';

export interface OutputFile {
  /** POSIX path relative to the output directory. */
  path: string;
  /** Hex sha256 of the content (of the link text for a symlink, which is never followed). */
  sha256: string;
}

export interface OutputDigest {
  /** Every file under the output directory, sorted by path (byte order). */
  files: OutputFile[];
  /** Relative paths of symlinks among `files`. */
  symlinks: string[];
  /**
   * `sha256:` + hex over the `sha256sum` listing of the files
   * (`<hex>  <path>\n` per file, sorted): reproducible with
   * `(cd outDir && find . -type f | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum) | sha256sum`.
   */
  digest: string;
}

/** Byte-order comparison, independent of locale. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Digest every file under `outDir` (recursively; symlinks recorded, never followed). */
export function digestOutputs(outDir: string): OutputDigest {
  const files: OutputFile[] = [];
  const symlinks: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) {
        symlinks.push(r);
        files.push({ path: r, sha256: sha256Hex(`symlink:${fs.readlinkSync(abs)}`) });
      } else if (e.isDirectory()) {
        walk(abs, r);
      } else if (e.isFile()) {
        files.push({ path: r, sha256: sha256Hex(fs.readFileSync(abs)) });
      }
    }
  };
  walk(outDir, '');
  files.sort((a, b) => byBytes(a.path, b.path));
  symlinks.sort(byBytes);
  return { files, symlinks, digest: listingDigest(files) };
}

export function listingDigest(files: OutputFile[]): string {
  return `sha256:${sha256Hex(files.map((f) => `${f.sha256}  ${f.path}\n`).join(''))}`;
}

export interface OutputComparison {
  identical: boolean;
  /** Present in both builds with different content. */
  differing: string[];
  onlyInFirst: string[];
  onlyInSecond: string[];
}

/** Compare two builds of the same commit, naming every file that differs. */
export function compareOutputs(first: OutputDigest, second: OutputDigest): OutputComparison {
  const a = new Map(first.files.map((f) => [f.path, f.sha256]));
  const b = new Map(second.files.map((f) => [f.path, f.sha256]));
  const differing: string[] = [];
  const onlyInFirst: string[] = [];
  const onlyInSecond: string[] = [];
  for (const [p, h] of a) {
    if (!b.has(p)) onlyInFirst.push(p);
    else if (b.get(p) !== h) differing.push(p);
  }
  for (const p of b.keys()) if (!a.has(p)) onlyInSecond.push(p);
  return {
    identical: differing.length + onlyInFirst.length + onlyInSecond.length === 0,
    differing: differing.sort(byBytes),
    onlyInFirst: onlyInFirst.sort(byBytes),
    onlyInSecond: onlyInSecond.sort(byBytes),
  };
}
