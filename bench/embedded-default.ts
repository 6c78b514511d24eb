/**
 * The embedded default as a new user meets it (issue 15, item 6):
 *
 *     npm run bench:embedded-default [-- --reps 200]
 *
 * Starts the production server exactly as `npm start` does (`node scripts/start.mjs`: the
 * compiled build, PGlite, no DATABASE_URL, no Redis) on a new, empty data directory, so it
 * creates the sample catalog on its first start; stops it and starts it again on the same
 * directory (the start every later day). Measures, over loopback HTTP at one connection:
 * - start: from spawn to /health/ready, first start (sample catalog created) and second start;
 * - idle RSS of the server process (VmRSS) after the second start, and after the run (VmHWM);
 * - request latency (p50/p95 of --reps requests, each sent after the previous answered):
 *   the first product page as the web app asks it (served from the cache after the first),
 *   the first page uncached (`offset` 0, 1, 2, …: a new cache key each time, a page's work), the
 *   category tree, search (1-, 2- and 3-word terms of the sample catalog; offsets as above, so
 *   never a cache hit), and an assign of one category
 *   to one product followed by its removal (the removal is timed separately).
 * Prints a table and writes bench/results/<date>-embedded-default.json.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, procStatusBytes } from './lib/processes.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const reps = argument('reps', 200);

const percentile = (values: number[], share: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))]!;
};
const round = (value: number) => Math.round(value * 100) / 100;
const mib = (bytes: number | undefined) => (bytes === undefined ? null : round(bytes / 1_048_576));

interface Server {
  url: string;
  pid: number;
  readyMs: number;
  stop: () => Promise<void>;
}

async function startServer(dataDir: string): Promise<Server> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    // One client sends a few thousand requests: the bench measures latency, not the limiter.
    RATE_LIMIT_ENABLED: 'false',
  };
  for (const key of ['DATABASE_URL', 'REDIS_URL', 'AUTH_MODE']) delete env[key];
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n'));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`the server exited (${child.exitCode}):\n${lines.slice(-30).join('\n')}`);
    }
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 300_000) {
      child.kill('SIGKILL');
      throw new Error(`the server was not ready after 300 s:\n${lines.slice(-30).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const readyMs = Math.round(performance.now() - started);
  return {
    url,
    pid: child.pid!,
    readyMs,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function timed(url: string, init?: RequestInit): Promise<{ ms: number; body: unknown }> {
  const started = performance.now();
  const response = await fetch(url, init);
  const text = await response.text();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${text}`);
  return { ms, body: text ? JSON.parse(text) : null };
}

interface Row {
  scenario: string;
  requests: number;
  p50_ms: number;
  p95_ms: number;
}

async function measure(
  scenario: string,
  request: (index: number) => Promise<number>,
): Promise<Row> {
  for (let index = 0; index < 5; index++) await request(index); // warm-up
  const times: number[] = [];
  for (let index = 0; index < reps; index++) times.push(await request(index));
  return {
    scenario,
    requests: reps,
    p50_ms: round(percentile(times, 0.5)),
    p95_ms: round(percentile(times, 0.95)),
  };
}

async function main() {
  const scratch = await mkdtemp(join(tmpdir(), 'tm-embedded-default-'));
  const dataDir = join(scratch, 'data');
  await mkdir(dataDir);
  try {
    const first = await startServer(dataDir);
    await first.stop();
    const server = await startServer(dataDir);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idleRss = await procStatusBytes(server.pid, 'VmRSS');
    const api = `${server.url}/api`;

    const page = (await timed(`${api}/products?limit=50`)).body as {
      data: { product_id: string; product_name: string }[];
      metadata: { total_products: number };
    };
    const tree = (await timed(`${api}/categories/tree`)).body as {
      data: { id: number; children?: { id: number; children?: { id: number }[] }[] }[];
    };
    const leaf = tree.data
      .flatMap((one) => one.children ?? [])
      .flatMap((two) => two.children ?? [])[0];
    if (!leaf) throw new Error('the sample tree has no level-3 category');
    // Search terms from the sample catalog's own names: one, two and three words.
    const words = page.data.flatMap((product) => product.product_name.split(/\s+/u));
    const long = words.filter((word) => /[\p{L}\p{Nd}]{3}/u.test(word));
    const terms = [
      long[0]!,
      `${long[1]} ${long[0]}`.toLowerCase(),
      page.data[1]!.product_name.split(/\s+/u).slice(0, 3).reverse().join(' '),
    ];

    const rows: Row[] = [];
    rows.push(
      await measure(
        'first page (cached)',
        async () => (await timed(`${api}/products?limit=50`)).ms,
      ),
    );
    rows.push(
      await measure(
        'first page (uncached)',
        async (index) =>
          (
            await timed(`${api}/products?limit=50&offset=${index}`, {
              headers: { 'cache-control': 'no-cache' },
            })
          ).ms,
      ),
    );
    rows.push(
      await measure('category tree', async () => (await timed(`${api}/categories/tree`)).ms),
    );
    for (const [index, term] of terms.entries()) {
      rows.push(
        await measure(
          `search, ${index + 1} word${index ? 's' : ''} ("${term}")`,
          async (rep) =>
            (
              await timed(
                `${api}/products?limit=50&offset=${rep}&search=${encodeURIComponent(term)}`,
              )
            ).ms,
        ),
      );
    }
    const removals: number[] = [];
    const products = page.data.map((product) => encodeURIComponent(product.product_id));
    rows.push(
      await measure('assign one category', async (index) => {
        const handle = products[index % products.length]!;
        const assigned = await timed(`${api}/products/${handle}/categories`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ category_ids: [leaf.id] }),
        });
        removals.push(
          (await timed(`${api}/products/${handle}/categories/${leaf.id}`, { method: 'DELETE' })).ms,
        );
        return assigned.ms;
      }),
    );
    rows.push({
      scenario: 'remove it again',
      requests: reps,
      p50_ms: round(percentile(removals.slice(-reps), 0.5)),
      p95_ms: round(percentile(removals.slice(-reps), 0.95)),
    });
    const peakRss = await procStatusBytes(server.pid, 'VmHWM');
    await server.stop();

    const results = {
      date: new Date().toISOString(),
      node: process.version,
      catalog_products: page.metadata.total_products,
      first_start_ms: first.readyMs,
      second_start_ms: server.readyMs,
      idle_rss_mib: mib(idleRss),
      peak_rss_mib: mib(peakRss),
      connections: 1,
      rows,
    };
    console.log(
      `Embedded default (PGlite, production build, ${results.catalog_products} sample products), 1 connection`,
    );
    console.log(
      `start to ready: first ${results.first_start_ms} ms (sample catalog created), then ${results.second_start_ms} ms; idle RSS ${results.idle_rss_mib} MiB, peak ${results.peak_rss_mib} MiB`,
    );
    console.table(rows);
    const file = join(
      ROOT,
      'bench',
      'results',
      `${results.date.slice(0, 19).replace(/:/g, '-')}-embedded-default.json`,
    );
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`written: ${file}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
