/**
 * The digest an approval signs. It covers what a reviewer approves: the
 * proposal, every delta spec and the `policydrift:` declarations. Any edit to
 * them changes the digest and so voids earlier approvals.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { UserError } from '../errors.js';
import { canonicalJson } from '../manifest/index.js';
import { METADATA_FILE, POLICYDRIFT_KEY, deltaSpecFiles, parseMetadataText } from '../openspec/changes.js';

const DOMAIN = 'policydrift-change-set-digest/v1';

function readEntry(setDir: string, rel: string): Buffer | null {
  const abs = path.join(setDir, ...rel.split('/'));
  const st = fs.lstatSync(abs, { throwIfNoEntry: false });
  if (!st) return null;
  if (!st.isFile()) {
    throw new UserError(`${abs}: must be a regular file (not a link or folder)`, {
      hint: 'a change set is digested for approval; links could point outside it',
    });
  }
  return fs.readFileSync(abs);
}

/** Line endings do not change meaning; normalise so a CRLF checkout digests the same. */
function normalise(content: Buffer): Buffer {
  return Buffer.from(content.toString('utf8').replace(/\r\n/g, '\n'), 'utf8');
}

/**
 * `sha256:<hex>` over, in order: `proposal.md`, every `specs/**\/spec.md`
 * (sorted by relative POSIX path), and the canonical JSON of the
 * `policydrift:` block of `.openspec.yaml` (null when absent). Each entry is
 * `path NUL byteLength NUL content` (length framing keeps it unambiguous); a
 * missing proposal is `proposal.md NUL absent NUL`. The change id comes first.
 */
export function changeSetDigest(setDir: string): string {
  const hash = crypto.createHash('sha256');
  hash.update(`${DOMAIN}\0`);
  // Bind the digest to the change id (archive keeps it after the date prefix),
  // so an approval copied into another change set with the same content does not count there.
  hash.update(`change-id\0${changeIdOf(setDir)}\0`);
  const entry = (name: string, content: Buffer | null): void => {
    if (content === null) {
      hash.update(`${name}\0absent\0`);
      return;
    }
    hash.update(`${name}\0${content.length}\0`);
    hash.update(content);
  };
  const proposal = readEntry(setDir, 'proposal.md');
  entry('proposal.md', proposal === null ? null : normalise(proposal));
  for (const rel of deltaSpecFiles(setDir)) {
    entry(rel, normalise(readEntry(setDir, rel)!));
  }
  const meta = readEntry(setDir, METADATA_FILE);
  let block: unknown = null;
  if (meta !== null) {
    // Shape problems are reported by discovery; the digest covers the raw value.
    const { metadata } = parseMetadataText(meta.toString('utf8'), path.join(setDir, METADATA_FILE), {
      checkBlock: false,
    });
    block = metadata[POLICYDRIFT_KEY] ?? null;
  }
  entry(`${METADATA_FILE}#${POLICYDRIFT_KEY}`, Buffer.from(canonicalJson(block), 'utf8'));
  return `sha256:${hash.digest('hex')}`;
}

/** The change id of a set folder: its name, without the `YYYY-MM-DD-` prefix inside `archive/`. */
export function changeIdOf(setDir: string): string {
  const name = path.basename(path.resolve(setDir));
  const inArchive = path.basename(path.dirname(path.resolve(setDir))) === 'archive';
  return inArchive ? name.replace(/^\d{4}-\d{2}-\d{2}-/, '') : name;
}
