/**
 * Import and export throughput alone (issue 15, item 4), against an existing catalog:
 *
 *     BENCH_DATABASE_URL=postgres://…/tm_1m_copy npm run bench:io -- [--repetitions 3]
 *       [--import-products 100000] [--server path/to/server/src/main.ts] [--label after]
 *       [--skip-import] [--skip-export] [--cpu-prof DIR]
 *
 * Starts the real server (no Redis, no rate limit) on the database as it is (its migrations
 * run at start; nothing is seeded), then per repetition: the whole-catalog CSV export
 * (exportJob: rows/s and the server's peak RSS) and the import of a generated Shopify CSV of
 * `--import-products` new products (importJob: rows/s), after which the imported products are
 * removed again (removeImportedProducts) and the tables vacuumed, so that every repetition
 * starts from the same catalog. `--server` runs another checkout's server (a before/after
 * comparison in one session). Prints the medians and writes bench/results/<date>-io-<label>.json.
 * The database is written to: never point it at a catalog you want to keep as it is.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describe, openBenchDatabase, removeImportedProducts } from './lib/database.js';
import { exportJob, importJob, type ExportFigures, type ImportFigures } from './lib/jobs.js';
import { freePort, startNodeScript, stopAll } from './lib/processes.js';
import { median } from './lib/median.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => console.log(`[bench:io] ${line}`);
const MiB = (bytes: number | null) =>
  bytes === null ? 'n/a' : `${(bytes / 1_048_576).toFixed(0)} MiB`;
/** The process's CPU time (user + system) in seconds, from /proc (Linux), or null. */
async function cpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** Runs `job`, adding the server's CPU seconds it took (load-independent, unlike the clock). */
async function withCpu<T>(pid: number, job: () => Promise<T>) {
  const before = await cpuSeconds(pid);
  const figures = await job();
  const after = await cpuSeconds(pid);
  return {
    ...figures,
    serverCpuSeconds: before === null || after === null ? null : after - before,
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      repetitions: { type: 'string', default: '3' },
      'import-products': { type: 'string', default: '100000' },
      server: { type: 'string' },
      label: { type: 'string', default: 'io' },
      'cpu-prof': { type: 'string' },
      'skip-import': { type: 'boolean', default: false },
      'skip-export': { type: 'boolean', default: false },
    },
  });
  const repetitions = Number(values.repetitions);
  const importProducts = Number(values['import-products']);
  if (!Number.isInteger(repetitions) || repetitions < 1)
    throw new Error('--repetitions: 1 or more');
  if (!Number.isInteger(importProducts) || importProducts < 1)
    throw new Error('--import-products: 1 or more');
  const url = process.env.BENCH_DATABASE_URL?.trim() || process.env.DATABASE_URL?.trim();
  if (!url) throw new Error('Set BENCH_DATABASE_URL (or DATABASE_URL) to a catalog to measure');
  const script = resolve(values.server ?? join(ROOT, 'server/src/main.ts'));

  const cleanup = async () => {
    const database = await openBenchDatabase(url);
    try {
      const removed = await removeImportedProducts(database);
      await database.pool!.query('vacuum analyze products');
      await database.pool!.query('vacuum analyze product_categories');
      return removed;
    } finally {
      await database.close();
    }
  };
  const leftover = await cleanup();
  if (leftover > 0) log(`Removed ${leftover.toLocaleString('en')} products of an earlier import`);

  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_ENABLED: 'false',
  };
  delete env.REDIS_URL;
  const app = await startNodeScript({
    name: 'app',
    script,
    env,
    port,
    readyPath: '/health/ready',
    timeoutMs: 300_000,
    nodeArgs: values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [],
  });
  log(`${script} started (pid ${app.pid}) on ${describe(url)}`);
  const exports: (ExportFigures & { serverCpuSeconds: number | null })[] = [];
  const imports: (ImportFigures & { serverCpuSeconds: number | null })[] = [];
  try {
    for (let repetition = 1; repetition <= repetitions; repetition += 1) {
      if (!values['skip-export']) {
        const figures = await withCpu(app.pid, () => exportJob(app.url, app.pid));
        exports.push(figures);
        log(
          `#${repetition} export: ${figures.rows.toLocaleString('en')} rows in ${figures.seconds.toFixed(2)} s = ${Math.round(figures.rowsPerSecond).toLocaleString('en')} rows/s (HTTP ${figures.status}); server RSS ${MiB(figures.rssBeforeBytes)} → peak ${MiB(figures.peakRssBytes)}; server CPU ${figures.serverCpuSeconds?.toFixed(1) ?? 'n/a'} s`,
        );
      }
      if (!values['skip-import']) {
        const figures = await withCpu(app.pid, () => importJob(app.url, importProducts));
        imports.push(figures);
        log(
          `#${repetition} import: ${figures.products.toLocaleString('en')} products (${figures.csvRows.toLocaleString('en')} rows) in ${figures.seconds.toFixed(2)} s = ${Math.round(figures.rowsPerSecond).toLocaleString('en')} rows/s (HTTP ${figures.status}, created ${figures.created ?? '?'}); server CPU ${figures.serverCpuSeconds?.toFixed(1) ?? 'n/a'} s`,
        );
        log(`  removed ${(await cleanup()).toLocaleString('en')} imported products`);
      }
    }
  } finally {
    await app.stop();
    await stopAll();
  }
  const summary = {
    exportRowsPerSecond: exports.length ? median(exports.map((f) => f.rowsPerSecond)) : null,
    exportPeakRssBytes: exports.length ? median(exports.map((f) => f.peakRssBytes ?? 0)) : null,
    importRowsPerSecond: imports.length ? median(imports.map((f) => f.rowsPerSecond)) : null,
    exportServerCpuSeconds: exports.length
      ? median(exports.map((f) => f.serverCpuSeconds ?? 0))
      : null,
    importServerCpuSeconds: imports.length
      ? median(imports.map((f) => f.serverCpuSeconds ?? 0))
      : null,
  };
  log(
    `medians: export ${summary.exportRowsPerSecond === null ? '–' : Math.round(summary.exportRowsPerSecond).toLocaleString('en')} rows/s, peak RSS ${MiB(summary.exportPeakRssBytes)}; import ${summary.importRowsPerSecond === null ? '–' : Math.round(summary.importRowsPerSecond).toLocaleString('en')} rows/s; server CPU export ${summary.exportServerCpuSeconds?.toFixed(1) ?? '–'} s, import ${summary.importServerCpuSeconds?.toFixed(1) ?? '–'} s`,
  );
  const file = join(
    ROOT,
    'bench/results',
    `${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}-io-${values.label}.json`,
  );
  await mkdir(dirname(file), { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify({ label: values.label, server: script, database: describe(url), repetitions, importProducts, summary, exports, imports }, null, 2)}\n`,
  );
  log(`Wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
