/**
 * `npm start` (and `npm run token|import|seed|migrate`): runs the compiled server (or tool) from
 * server/dist, with source maps on so that stack traces name the TypeScript files.
 *
 *     node scripts/start.mjs [main|token|import|seed|migrate] [arguments…]
 *
 * When the build tools are installed (`npm install`), what is out of date is built first; a
 * build that is up to date is not redone. On a production install (`npm ci --omit=dev`, after
 * `npm run build`) nothing can be built: the existing build runs, with a warning when its inputs
 * changed since, and a clear error when there is none.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENTRIES, ROOT, SERVER_DIST, canBuild, outdated } from './build.mjs';

const [name = 'main', ...rest] = process.argv.slice(2);
if (!(name in ENTRIES)) {
  console.error(`Unknown entry "${name}": one of ${Object.keys(ENTRIES).join(', ')}`);
  process.exit(2);
}
const entry = join(SERVER_DIST, `${name}.js`);
const stale = outdated();
if ((stale.server || stale.web) && canBuild()) {
  // In a child process: the server never holds the build tools (Vite, esbuild) in its memory.
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], {
    stdio: ['ignore', name === 'main' ? 'inherit' : 'ignore', 'inherit'],
  });
  if (built.status !== 0) process.exit(built.status ?? 1);
} else if (stale.server || stale.web) {
  if (!existsSync(entry)) {
    console.error(
      `There is no build at ${entry} and the build tools are not installed. Build first: npm ci && npm run build (then npm ci --omit=dev for a production install).`,
    );
    process.exit(1);
  }
  console.warn(
    `The build in server/dist or web/dist is older than the sources (${[stale.server && 'server', stale.web && 'web app'].filter(Boolean).join(', ')}); running it as it is. Run npm run build where the build tools are installed.`,
  );
}

process.setSourceMapsEnabled(true);
// The tool reads its arguments from process.argv, as when it is run directly.
process.argv = [process.argv[0], entry, ...rest];
await import(pathToFileURL(entry).href);
