/**
 * Where the app's files are, from the project root: found by walking up from this module to the
 * folder whose package.json is Tag Manager's. The same whether the server runs from its
 * TypeScript sources (development, tests) or from the bundle in server/dist (npm start), where
 * every module shares one file location and paths relative to a source file no longer hold.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let folder = from; ; folder = dirname(folder)) {
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'tag-manager') return folder;
    }
    if (dirname(folder) === folder) {
      throw new Error(`Tag Manager's package.json was not found above ${from}`);
    }
  }
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
export const PACKAGE_JSON = join(ROOT, 'package.json');
export const MIGRATIONS_DIR = join(ROOT, 'server', 'migrations');
export const WEB_DIST_DIR = join(ROOT, 'web', 'dist') + '/';
/** Plain JavaScript, loaded as it is by the embedded database's worker thread. */
export const PGLITE_WORKER = join(ROOT, 'server', 'src', 'db', 'pglite-worker.mjs');
