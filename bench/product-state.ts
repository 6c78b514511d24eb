/**
 * Before/after of migration 0022 (product_state, issues 13 and 15), in one run on two copies of
 * one catalog:
 *
 *     npx tsx bench/product-state.ts --before-db URL --before-root PATH --after-db URL [--reps 5]
 *
 * `--before-root` is a checkout of the commit before the migration (its server runs the old
 * schema on `--before-db`); this checkout's server runs `--after-db`. Both servers run at once
 * without a cache, and each measurement alternates between them (several repetitions, medians),
 * so a loaded machine weighs on both alike:
 *
 * - the `bulk` job of the benchmark (bench/lib/jobs.ts): 3 categories assigned to 10,000
 *   uncategorised products (product_ids, one transaction), then removed;
 * - list pages: by name, newest first, "Uncategorised" by name, "Subcategory missing", 20 each
 *   (p50 over all repetitions).
 *
 * With `--job-filter '{"vendor":"Buzon"}'`: also the bulk assign and remove by that filter as
 * a job (bench/lib/jobs.ts bulkFilterJob, 3 new categories), `--job-reps` times per side, for the
 * products/s of issue 13's 1,000,000-product target (extrapolated from the filter's share).
 *
 * Writes bench/results/<date>-product-state.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { bulkFilterJob, bulkJob, type BulkFilterFigures } from './lib/jobs.js';
import { freePort, startAppServer, startNodeScript, stopAll } from './lib/processes.js';
import { median } from './lib/median.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => console.log(`[bench:product-state] ${line}`);

async function sample(url: string, uncategorised: string, count: number) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const handles = await client.query<{ product_id: string }>(uncategorised, [count]);
    const leaves = await client.query<{ id: number; root: number }>(
      `select c3.id, c1.id as root
         from categories c3
         join categories c2 on c2.id = c3.parent_id
         join categories c1 on c1.id = c2.parent_id
        where c3.level = 3 order by c3.id limit 3`,
    );
    return { handles: handles.rows.map((row) => row.product_id), leaves: leaves.rows };
  } finally {
    await client.end();
  }
}

async function timedGet(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return performance.now() - started;
}

async function main() {
  const { values } = parseArgs({
    options: {
      'before-db': { type: 'string' },
      'before-root': { type: 'string' },
      'after-db': { type: 'string' },
      reps: { type: 'string', default: '5' },
      products: { type: 'string', default: '10000' },
      'job-filter': { type: 'string' },
      'job-reps': { type: 'string', default: '1' },
    },
  });
  const reps = Number(values.reps);
  const products = Number(values.products);
  if (!values['before-db'] || !values['before-root'] || !values['after-db']) {
    throw new Error('--before-db, --before-root and --after-db are required');
  }
  const env = { RATE_LIMIT_ENABLED: 'false', REDIS_URL: undefined, CACHE_ENABLED: 'false' };
  const beforePort = await freePort();
  const before = await startNodeScript({
    name: 'before',
    script: join(values['before-root'], 'server/src/main.ts'),
    port: beforePort,
    readyPath: '/health/ready',
    env: Object.fromEntries(
      Object.entries({
        ...process.env,
        DATABASE_URL: values['before-db'],
        HOST: '127.0.0.1',
        PORT: String(beforePort),
        LOG_LEVEL: 'warn',
        ...env,
      }).filter(([, value]) => value !== undefined),
    ),
  });
  const after = await startAppServer('after', values['after-db'], env);
  const sides = {
    before: {
      url: before.url,
      sample: await sample(
        values['before-db'],
        'select product_id from products where category_count = 0 order by id limit $1',
        products,
      ),
    },
    after: {
      url: after.url,
      sample: await sample(
        values['after-db'],
        `select product_id from products join product_state s using (id)
          where s.category_count = 0 order by id limit $1`,
        products,
      ),
    },
  };
  const pages = {
    'list by name': 'limit=50&offset=OFFSET',
    'newest first': 'limit=50&sort=-last_modified&offset=OFFSET',
    'uncategorised by name': 'limit=50&hide_allocated=true&offset=OFFSET',
    'subcategory missing': 'limit=50&incomplete=true&offset=OFFSET',
  };
  type Side = keyof typeof sides;
  const bulk: Record<Side, { assign: number[]; remove: number[] }> = {
    before: { assign: [], remove: [] },
    after: { assign: [], remove: [] },
  };
  const reads: Record<Side, Record<string, number[]>> = { before: {}, after: {} };
  const jobs: Record<Side, BulkFilterFigures[]> = { before: [], after: [] };
  try {
    if (values['job-filter']) {
      const filter = JSON.parse(values['job-filter']) as Record<string, unknown>;
      for (let rep = 0; rep < Number(values['job-reps']); rep += 1) {
        const order: Side[] = rep % 2 === 0 ? ['after', 'before'] : ['before', 'after'];
        for (const side of order) {
          const { url } = sides[side];
          const created: number[] = [];
          try {
            for (const name of ['A', 'B', 'C']) {
              const response = await fetch(`${url}/api/categories`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ name: `Bench state ${name} ${Date.now()}` }),
              });
              const body = (await response.json()) as { data?: { id: number } };
              if (!body.data) throw new Error(`creating a category: ${JSON.stringify(body)}`);
              created.push(body.data.id);
            }
            const figures = await bulkFilterJob(url, filter, created);
            jobs[side].push(figures);
            log(
              `job rep ${rep + 1} ${side}: assign by filter ${figures.products} products ${figures.assignSeconds.toFixed(1)} s (${Math.round(figures.assignProductsPerSecond)} products/s, ${figures.states.join('/')}), remove ${figures.removeSeconds.toFixed(1)} s`,
            );
          } finally {
            for (const id of created)
              await fetch(`${url}/api/categories/${id}`, { method: 'DELETE' });
          }
        }
      }
    }
    for (let rep = 0; rep < reps; rep += 1) {
      const order: Side[] = rep % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
      for (const side of order) {
        const { url, sample: catalog } = sides[side];
        const figures = await bulkJob(url, [catalog.handles], catalog.leaves);
        if (figures.status !== 200 || figures.removeStatus !== 200) {
          throw new Error(`${side}: bulk answered ${figures.status}/${figures.removeStatus}`);
        }
        bulk[side].assign.push(figures.seconds);
        bulk[side].remove.push(figures.removeSeconds);
        log(
          `rep ${rep + 1} ${side}: bulk ${products} x 3 assign ${figures.seconds.toFixed(2)} s, remove ${figures.removeSeconds.toFixed(2)} s`,
        );
      }
      for (const [name, query] of Object.entries(pages)) {
        for (let i = 0; i < 20; i += 1) {
          const offset = String(((rep * 20 + i) * 50) % 2000);
          for (const side of order) {
            const ms = await timedGet(
              `${sides[side].url}/api/products?${query.replace('OFFSET', offset)}`,
            );
            (reads[side][name] ??= []).push(ms);
          }
        }
      }
    }
  } finally {
    await stopAll();
  }
  const summary = {
    products,
    reps,
    bulkAssignSeconds: {
      before: median(bulk.before.assign),
      after: median(bulk.after.assign),
    },
    bulkRemoveSeconds: {
      before: median(bulk.before.remove),
      after: median(bulk.after.remove),
    },
    readP50Ms: Object.fromEntries(
      Object.keys(pages).map((name) => [
        name,
        { before: median(reads.before[name] ?? []), after: median(reads.after[name] ?? []) },
      ]),
    ),
    jobsByFilter: values['job-filter']
      ? {
          filter: values['job-filter'],
          productsPerSecond: {
            before: median(jobs.before.map((job) => job.assignProductsPerSecond)),
            after: median(jobs.after.map((job) => job.assignProductsPerSecond)),
          },
          extrapolatedSecondsFor1M: {
            before: 1_000_000 / median(jobs.before.map((job) => job.assignProductsPerSecond)),
            after: 1_000_000 / median(jobs.after.map((job) => job.assignProductsPerSecond)),
          },
        }
      : undefined,
    raw: { bulk, reads, jobs },
  };
  log(
    `bulk ${products} x 3 assign median: before ${summary.bulkAssignSeconds.before.toFixed(2)} s, after ${summary.bulkAssignSeconds.after.toFixed(2)} s; remove: before ${summary.bulkRemoveSeconds.before.toFixed(2)} s, after ${summary.bulkRemoveSeconds.after.toFixed(2)} s`,
  );
  for (const [name, { before: b, after: a }] of Object.entries(summary.readP50Ms)) {
    log(`${name} p50: before ${b.toFixed(1)} ms, after ${a.toFixed(1)} ms`);
  }
  const file = join(
    ROOT,
    'bench/results',
    `${new Date().toISOString().slice(0, 10)}-product-state.json`,
  );
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(summary, null, 2)}\n`);
  log(`wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
