import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(
  fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8'),
) as { name: string; version: string };

export const VERSION: string = pkg.version;
export const GENERATOR = { name: pkg.name, version: pkg.version } as const;
