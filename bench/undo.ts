/**
 * The undo figure alone (issue 13), for a quick measurement without the whole suite:
 *
 *     npm run bench:undo -- --products 100000 [--reuse] [--size 10000]
 *
 * Prepares the benchmark database as `npm run bench` does (BENCH_DATABASE_URL, default
 * tag_manager_bench), starts the real server, bulk-assigns 3 level-3 categories to `size`
 * uncategorised products and times POST /api/changes/{id}/undo of that change set, its redo and
 * the undo of the redo (the catalog ends as it started). Writes bench/results/<date>-undo.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prepareDatabase, sampleCatalog } from './lib/database.js';
import { startAppServer, stopAll } from './lib/processes.js';
import { undoJob } from './lib/undo.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => console.log(`[bench:undo] ${line}`);

async function main() {
  const { values } = parseArgs({
    options: {
      products: { type: 'string', default: '100000' },
      size: { type: 'string', default: '10000' },
      reuse: { type: 'boolean', default: false },
    },
  });
  const products = Number(values.products);
  const size = Number(values.size);
  if (!Number.isInteger(products) || products < 1000) throw new Error('--products: 1,000 or more');
  if (!Number.isInteger(size) || size < 1 || size > 10_000) throw new Error('--size: 1–10,000');
  const url =
    process.env.BENCH_DATABASE_URL?.trim() ||
    'postgres://postgres@127.0.0.1:5432/tag_manager_bench';
  const prepared = await prepareDatabase(url, products, values.reuse, log);
  const sample = await sampleCatalog(url, products);
  const handles = sample.uncategorised.slice(0, size);
  const roots = [...new Set(sample.leaves.map((leaf) => leaf.root))];
  const categories = roots
    .slice(0, 3)
    .map((root) => sample.leaves.find((leaf) => leaf.root === root)!);
  const app = await startAppServer('app', url, {
    RATE_LIMIT_ENABLED: 'false',
    REDIS_URL: undefined,
  });
  let figures;
  try {
    figures = await undoJob(app.url, handles, categories);
  } finally {
    await app.stop();
    await stopAll();
  }
  log(
    `undo of a ${figures.products.toLocaleString('en')}-product change set (${figures.rows ?? '?'} rows): ${figures.undoSeconds.toFixed(2)} s (HTTP ${figures.undoStatus}); redo ${figures.redoSeconds.toFixed(2)} s (HTTP ${figures.redoStatus}); the bulk assign itself ${figures.assignSeconds.toFixed(2)} s`,
  );
  const file = join(
    ROOT,
    'bench/results',
    `${new Date().toISOString().slice(0, 10)}-undo-${products}.json`,
  );
  await mkdir(dirname(file), { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify({ products, reused: prepared.reused, server: sample.serverVersion, figures }, null, 2)}\n`,
  );
  log(`Wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
