/**
 * The suggestions scenario alone (issue 12), for a quick figure without the whole suite:
 *
 *     npm run bench:suggestions -- --products 100000 [--reuse] [--seconds 10]
 *
 * Prepares the benchmark database exactly as `npm run bench` does (BENCH_DATABASE_URL, default
 * tag_manager_bench; seeded through seedCatalog), starts the real server without a cache, and
 * measures GET /api/products/{id}/suggestions over the 200 sampled handles at 1 and 16
 * connections. Writes bench/results/<date>-suggestions.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prepareDatabase, sampleCatalog } from './lib/database.js';
import { runLoad, type LoadFigures } from './lib/load.js';
import { startAppServer, stopAll } from './lib/processes.js';
import { scenarios } from './lib/scenarios.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => console.log(`[bench:suggestions] ${line}`);

async function main() {
  const { values } = parseArgs({
    options: {
      products: { type: 'string', default: '100000' },
      seconds: { type: 'string', default: '10' },
      reuse: { type: 'boolean', default: false },
    },
  });
  const products = Number(values.products);
  const seconds = Number(values.seconds);
  if (!Number.isInteger(products) || products < 1000) throw new Error('--products: 1,000 or more');
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 120)
    throw new Error('--seconds: 1–120');
  const url =
    process.env.BENCH_DATABASE_URL?.trim() ||
    'postgres://postgres@127.0.0.1:5432/tag_manager_bench';
  const prepared = await prepareDatabase(url, products, values.reuse, log);
  const sample = await sampleCatalog(url, products);
  const scenario = scenarios(sample, '')
    .filter((item) => item.key === 'suggestions')
    .at(0)!;
  const app = await startAppServer('app', url, {
    RATE_LIMIT_ENABLED: 'false',
    REDIS_URL: undefined,
    CACHE_ENABLED: 'false',
  });
  const runs: LoadFigures[] = [];
  try {
    await runLoad(app.url, scenario.spec, 4, 2);
    for (const connections of [1, 16]) {
      const run = await runLoad(app.url, scenario.spec, connections, seconds);
      log(
        `${connections} connection(s): ${run.requests} requests, ${run.requestsPerSecond.toFixed(0)}/s, p50 ${run.p50} ms, p95 ${run.p95} ms, p99 ${run.p99} ms, non-2xx ${run.non2xx}, errors ${run.errors}`,
      );
      runs.push(run);
    }
  } finally {
    await app.stop();
    await stopAll();
  }
  const file = join(
    ROOT,
    'bench/results',
    `${new Date().toISOString().slice(0, 10)}-suggestions-${products}.json`,
  );
  await mkdir(dirname(file), { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify({ products, reused: prepared.reused, server: sample.serverVersion, scenario: scenario.title, runs }, null, 2)}\n`,
  );
  log(`Wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
