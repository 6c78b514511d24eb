/**
 * Bulk by filter as a job (issue 13), alone:
 *
 *     npm run bench:bulk-filter -- --products 1000000 --reuse [--batch-size N]
 *
 * Prepares the benchmark database as `npm run bench` does (BENCH_DATABASE_URL), starts the real
 * server, creates three new categories, assigns them to every product by filter (`filter: {}`,
 * a job), then removes them by the same filter (a job) and deletes the categories, so the
 * catalog ends as it began. Writes bench/results/<date>-bulk-filter-<products>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prepareDatabase } from './lib/database.js';
import { bulkFilterJob } from './lib/jobs.js';
import { startAppServer, stopAll } from './lib/processes.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => console.log(`[bench:bulk-filter] ${line}`);

async function main() {
  const { values } = parseArgs({
    options: {
      products: { type: 'string', default: '1000000' },
      reuse: { type: 'boolean', default: false },
      'batch-size': { type: 'string' },
    },
  });
  const products = Number(values.products);
  if (!Number.isInteger(products) || products < 1000) throw new Error('--products: 1,000 or more');
  const url =
    process.env.BENCH_DATABASE_URL?.trim() ||
    'postgres://postgres@127.0.0.1:5432/tag_manager_bench';
  const prepared = await prepareDatabase(url, products, values.reuse, log);
  const batchSize = values['batch-size'] ? Number(values['batch-size']) : undefined;
  const app = await startAppServer('app', url, {
    RATE_LIMIT_ENABLED: 'false',
    REDIS_URL: undefined,
    ...(batchSize ? { JOB_BATCH_SIZE: String(batchSize) } : {}),
  });
  let figures;
  const created: number[] = [];
  try {
    for (const name of ['A', 'B', 'C']) {
      const response = await fetch(`${app.url}/api/categories`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Bench bulk ${name} ${Date.now()}` }),
      });
      const body = (await response.json()) as { data?: { id: number } };
      if (!body.data) throw new Error(`creating a category: ${JSON.stringify(body)}`);
      created.push(body.data.id);
    }
    figures = await bulkFilterJob(app.url, {}, created, batchSize);
    log(
      `assign ${created.length} categories to ${figures.products.toLocaleString('en')} products by filter: ${figures.assignSeconds.toFixed(1)} s (${Math.round(figures.assignProductsPerSecond).toLocaleString('en')} products/s, ${figures.changeSets} change sets); remove: ${figures.removeSeconds.toFixed(1)} s; preview ${figures.previewSeconds.toFixed(1)} s`,
    );
  } finally {
    for (const id of created) await fetch(`${app.url}/api/categories/${id}`, { method: 'DELETE' });
    await app.stop();
    await stopAll();
  }
  const file = join(
    ROOT,
    'bench/results',
    `${new Date().toISOString().slice(0, 10)}-bulk-filter-${products}.json`,
  );
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ reused: prepared.reused, ...figures }, null, 2)}\n`);
  log(`Wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
