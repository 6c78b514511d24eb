/**
 * What running the embedded database in a worker thread costs (issue 9, H1):
 *
 *     npx tsx bench/embedded.ts [--products 20000] [--reps 40]
 *
 * Seeds one PGlite data directory, then measures each mode in its own fresh process (so RSS and
 * start-up are the mode's own): PGlite on the main thread (as before) and in the worker.
 * - start-up: opening the existing data directory until the first `select 1` answers;
 * - idle RSS of the process after start-up and the app built (the worker's heap included);
 * - round trip (median of --reps): a tiny read like the ones behind a cached page
 *   (`select * from catalog_counters`), and product page 1 and a search page through the app
 *   (app.inject, cache off);
 * - stall probe: /health/live over loopback while a ~2 s scan runs.
 * Prints a table and writes bench/results/embedded-<date>.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { buildApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/config.js';
import { openDatabase, queryRows } from '../server/src/db/client.js';
import { seedCatalog } from '../server/src/features/seed/seeder.js';
import { median } from './lib/median.js';

type Mode = 'main-thread' | 'worker';

const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};

const round = (value: number) => Math.round(value * 100) / 100;
const rssMiB = () => round(process.memoryUsage().rss / 1_048_576);

async function child(mode: Mode, dataDir: string, reps: number) {
  const rssBefore = rssMiB();
  const started = performance.now();
  const database = await openDatabase(
    { driver: 'pglite', dataDir, statementTimeoutMs: 0 },
    { embeddedInThread: mode === 'main-thread' },
  );
  await database.ping();
  const startupMs = performance.now() - started;
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    RATE_LIMIT_ENABLED: 'false',
    CACHE_ENABLED: 'false',
  });
  const app = await buildApp(config, { database });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const idleRssMiB = rssMiB();

  const time = async (work: () => Promise<unknown>) => {
    await work(); // warm
    const samples: number[] = [];
    for (let i = 0; i < reps; i += 1) {
      const start = performance.now();
      await work();
      samples.push(performance.now() - start);
    }
    return round(median(samples));
  };
  const tinyQueryMs = await time(() => queryRows(database.db, sql`select * from catalog_counters`));
  const productPageMs = await time(async () => {
    const response = await app.inject('/api/products?limit=50');
    if (response.statusCode !== 200) throw new Error(`product page: ${response.statusCode}`);
  });
  const searchPageMs = await time(async () => {
    const response = await app.inject('/api/products?limit=50&search=shirt');
    if (response.statusCode !== 200) throw new Error(`search page: ${response.statusCode}`);
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // The probe is due 100 ms after the scan starts; how long after that it is answered (on the
  // main thread the timer itself waits for the scan).
  await fetch(`http://127.0.0.1:${port}/health/live`); // fetch loads its HTTP client on first use
  const scanStart = performance.now();
  const scan = queryRows(
    database.db,
    sql`select count(*) from generate_series(1, 1500000) g where md5(g::text) like '%abcd%'`,
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  await fetch(`http://127.0.0.1:${port}/health/live`);
  const liveProbeDuringScanMs = round(performance.now() - scanStart - 100);
  await scan;

  await app.close();
  await database.close();
  process.stdout.write(
    JSON.stringify({
      mode,
      startupMs: round(startupMs),
      rssBeforeOpenMiB: rssBefore,
      idleRssMiB,
      tinyQueryMs,
      productPageMs,
      searchPageMs,
      liveProbeDuringScanMs,
    }),
  );
}

async function main() {
  const products = argument('products', 20_000);
  const reps = argument('reps', 40);
  const root = await mkdtemp(join(tmpdir(), 'tm-bench-embedded-'));
  const dataDir = join(root, 'data');
  try {
    console.info(`Seeding ${products} products into ${dataDir}…`);
    const database = await openDatabase({ driver: 'pglite', dataDir, statementTimeoutMs: 0 });
    await database.migrate();
    await seedCatalog(database, { products });
    await database.close();

    const runs: Record<string, unknown>[] = [];
    // Each mode twice, interleaved, in a fresh process; the second run of each is reported.
    for (const round of [1, 2]) {
      for (const mode of ['main-thread', 'worker'] as const) {
        const output = execFileSync(
          process.execPath,
          [
            '--import',
            'tsx',
            new URL(import.meta.url).pathname,
            '--child',
            mode,
            dataDir,
            String(reps),
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const result = JSON.parse(output) as Record<string, unknown>;
        if (round === 2) runs.push(result);
      }
    }
    console.table(runs);
    const report = {
      date: new Date().toISOString(),
      node: process.version,
      products,
      reps,
      note: 'medians in ms; RSS of the whole process in MiB; each mode measured in its own process',
      runs,
    };
    const dir = new URL('./results/', import.meta.url).pathname;
    await mkdir(dir, { recursive: true });
    const file = join(dir, `embedded-${report.date.slice(0, 10)}.json`);
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    console.info(`Written to ${file}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) {
  const [mode, dataDir, reps] = process.argv.slice(childIndex + 1);
  await child(mode as Mode, dataDir!, Number(reps));
} else {
  await main();
}
