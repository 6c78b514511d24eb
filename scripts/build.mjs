/**
 * The production build (plain JavaScript, so that it runs without tsx):
 *
 *     npm run build            # what is out of date: the server bundle, the web app
 *     npm run build -- --force # both, whatever their state
 *
 * - The server: esbuild bundles server/src/main.ts and the command-line tools (token, import,
 *   seed, migrate) with the contract package into server/dist/*.js, ES modules for Node 20,
 *   with source maps (stack traces name the TypeScript files: `npm start` turns them on). The
 *   packages in `dependencies` stay outside the bundle: a production install
 *   (`npm ci --omit=dev`) provides them, and nothing from `devDependencies` is needed to run.
 * - The web app: Vite writes web/dist, served by the server at `/`.
 *
 * Each output records a fingerprint of its inputs (a SHA-1 of their paths and contents): a
 * build whose inputs have not changed is not redone, which `npm start` relies on to start at
 * once. Why esbuild rather than tsc: one file per entry (the server loads no module graph of
 * 200 files at start), the contract workspace's TypeScript is compiled into it, and it is
 * already installed as the bundler that tsx and Vite use.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SERVER_DIST = join(ROOT, 'server', 'dist');
const WEB_DIST = join(ROOT, 'web', 'dist');
const STAMP = '.fingerprint';

/** The bundles: name → TypeScript entry. `npm start -- <name>` runs one. */
export const ENTRIES = {
  main: 'server/src/main.ts',
  token: 'scripts/token.ts',
  import: 'scripts/import.ts',
  seed: 'scripts/seed.ts',
  migrate: 'scripts/migrate.ts',
};

const SERVER_INPUTS = [
  'server/src',
  'contract/src',
  'scripts',
  'package.json',
  'package-lock.json',
];
const WEB_INPUTS = [
  'web/src',
  'web/public',
  'web/index.html',
  'web/vite.config.ts',
  'contract/src',
  'package-lock.json',
];

function files(path) {
  const full = join(ROOT, path);
  if (!existsSync(full)) return [];
  if (!readdirSyncSafe(full)) return [path];
  return readdirSync(full, { withFileTypes: true })
    .flatMap((entry) => files(join(path, entry.name)))
    .filter((file) => !/\.test\.tsx?$/.test(file));
}

function readdirSyncSafe(path) {
  try {
    readdirSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A SHA-1 over the sorted input files' paths and contents. */
export function fingerprint(inputs) {
  const hash = createHash('sha1');
  for (const file of inputs.flatMap(files).sort()) {
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(ROOT, file)))
      .update('\0');
  }
  return hash.digest('hex');
}

const stampOf = (dist) => {
  try {
    return readFileSync(join(dist, STAMP), 'utf8').trim();
  } catch {
    return null;
  }
};

/** What is out of date: `server`, `web`, both or neither. */
export function outdated() {
  return {
    server:
      stampOf(SERVER_DIST) !== fingerprint(SERVER_INPUTS) ||
      Object.keys(ENTRIES).some((name) => !existsSync(join(SERVER_DIST, `${name}.js`))),
    web: stampOf(WEB_DIST) !== fingerprint(WEB_INPUTS) || !existsSync(join(WEB_DIST, 'index.html')),
  };
}

/** Whether the build tools are installed (a production install has none); nothing is loaded. */
export function canBuild() {
  try {
    import.meta.resolve('esbuild');
    import.meta.resolve('vite');
    return true;
  } catch {
    return false;
  }
}

/** Bundles the entries into `outdir` (server/dist; a test builds elsewhere in the project). */
export async function buildServer(outdir = SERVER_DIST) {
  const { build } = await import('esbuild');
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const stamp = fingerprint(SERVER_INPUTS);
  await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(
      Object.entries(ENTRIES).map(([name, entry]) => [name, join(ROOT, entry)]),
    ),
    outdir,
    bundle: true,
    splitting: true, // the entries share the server's modules: one copy, in chunks
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    sourcesContent: false,
    // Runtime packages are installed, not bundled; the contract workspace is bundled.
    external: Object.keys(manifest.dependencies ?? {}),
    // Some dependencies are CommonJS: give the ES module bundle a require() for them.
    banner: {
      js: "import { createRequire as __tmCreateRequire } from 'node:module'; const require = __tmCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  writeFileSync(join(outdir, STAMP), `${stamp}\n`);
}

export async function buildWeb() {
  const { build } = await import('vite');
  const stamp = fingerprint(WEB_INPUTS);
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(join(WEB_DIST, STAMP), `${stamp}\n`);
}

/** Builds what is out of date (or everything); answers what was built. */
export async function buildOutdated({ force = false, log = console.info } = {}) {
  const stale = force ? { server: true, web: true } : outdated();
  const built = [];
  if (stale.server) {
    const started = performance.now();
    await buildServer();
    built.push('server');
    log(
      `Built the server (${relative(ROOT, SERVER_DIST)}) in ${Math.round(performance.now() - started)} ms`,
    );
  }
  if (stale.web) {
    const started = performance.now();
    await buildWeb();
    built.push('web');
    log(
      `Built the web app (${relative(ROOT, WEB_DIST)}) in ${Math.round(performance.now() - started)} ms`,
    );
  }
  return built;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildOutdated({ force: process.argv.includes('--force') });
  if (built.length === 0) console.info('The build is up to date.');
}
