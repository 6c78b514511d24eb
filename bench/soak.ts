/**
 * npm run soak [-- --seconds S] [--connections C] [--warmup S] [--products N] [--rate-limit]
 *
 * The soak test: the real app in its own process against the benchmark database
 * (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/tag_manager_bench, which must
 * already hold a catalog: this script never drops or reseeds it) and Redis when REDIS_URL is set,
 * under the benchmark's mixed workload (reads and 5% writes) at 200 connections for 3 minutes by
 * default. It reports requests, the error rate (429s apart), p50/p95/p99 over the run and per
 * window, and the server's memory (RSS and V8 heap) at the start and the end, then writes
 * bench/results/soak-<date>.json. The writes are undone afterwards, as the benchmark's are.
 *
 * --products N uses a database of its own, <BENCH_DATABASE_URL>_<N>, created and seeded with N
 * products when it does not hold them yet (like `npm run bench -- --reuse`).
 * Rate limiting is switched off in the app (RATE_LIMIT_ENABLED=false: one load generator would
 * only measure 429s); --rate-limit keeps the app's configured limits.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { Cache } from '../server/src/cache/cache.js';
import { WriteEffects } from '../server/src/cache/namespaces.js';
import { cacheBackend } from '../server/src/app.js';
import { loadConfig } from '../server/src/config.js';
import { describe, prepareDatabase, sampleCatalog } from './lib/database.js';
import { bulkRemove } from './lib/jobs.js';
import { latencySummary, readCacheCounters, hitRate } from './lib/load.js';
import { onInterrupt, procStatusBytes, startAppServer, stopAll } from './lib/processes.js';
import { mixedWorkload } from './lib/scenarios.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const log = (line: string) =>
  console.info(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}`);

function options() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '180' },
      connections: { type: 'string', default: '200' },
      warmup: { type: 'string', default: '10' },
      products: { type: 'string' },
      'rate-limit': { type: 'boolean', default: false },
    },
  });
  const whole = (name: string, raw: string, min: number, max: number) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`--${name} must be an integer between ${min} and ${max}`);
    }
    return value;
  };
  const base =
    process.env.BENCH_DATABASE_URL?.trim() ||
    'postgres://postgres@127.0.0.1:5432/tag_manager_bench';
  const products =
    values.products === undefined
      ? undefined
      : whole('products', values.products, 1000, 50_000_000);
  let url = base;
  if (products !== undefined) {
    const parsed = new URL(base);
    parsed.pathname = `${parsed.pathname}_${products}`;
    url = parsed.toString();
  }
  return {
    seconds: whole('seconds', values.seconds, 5, 7 * 24 * 3600),
    connections: whole('connections', values.connections, 1, 10_000),
    warmup: whole('warmup', values.warmup, 0, 600),
    products,
    rateLimit: values['rate-limit'],
    url,
  };
}

/** The catalog size of an existing, migrated database, or undefined. Never changes anything. */
async function catalogSize(url: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch {
    return undefined;
  }
  try {
    const table = await client.query(`select to_regclass('public.products') is not null as ok`);
    if (!table.rows[0]?.ok) return undefined;
    const result = await client.query<{ n: number }>('select count(*)::int as n from products');
    return result.rows[0]?.n;
  } finally {
    await client.end();
  }
}

interface Memory {
  at: string;
  /** Seconds since the measured run started (negative: before it). */
  second: number;
  rssBytes: number | null;
  heapUsedBytes: number | null;
}

async function memory(url: string, pid: number, second: number): Promise<Memory> {
  let rss = (await procStatusBytes(pid, 'VmRSS')) ?? null;
  let heap: number | null = null;
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    const series = (name: string) => {
      const match = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+)`, 'm').exec(text);
      return match ? Number(match[1]) : null;
    };
    rss ??= series('process_resident_memory_bytes');
    heap = series('nodejs_heap_size_used_bytes');
  } catch {
    // the figures stay null
  }
  return { at: new Date().toISOString(), second, rssBytes: rss, heapUsedBytes: heap };
}

interface Window {
  fromSecond: number;
  toSecond: number;
  requests: number;
  errors: number;
  rateLimited: number;
  p50: number;
  p95: number;
  p99: number;
}

/** One autocannon run, every response time and status kept, in windows of `windowSeconds`. */
function drive(
  url: string,
  requests: autocannon.Request[],
  connections: number,
  seconds: number,
  windowSeconds: number,
) {
  const started = performance.now();
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const windows: { times: number[]; errors: number; rateLimited: number }[] = [];
  const lastWindow = Math.max(0, Math.ceil(seconds / windowSeconds) - 1);
  const windowAt = (now: number) => {
    // Responses that arrive after the end (autocannon lets requests in flight finish) count in
    // the last window.
    const index = Math.min(lastWindow, Math.floor((now - started) / 1000 / windowSeconds));
    while (windows.length <= index) windows.push({ times: [], errors: 0, rateLimited: 0 });
    return windows[index]!;
  };
  let connectionErrors = 0;
  let finish: (result: autocannon.Result) => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    { url, connections, duration: seconds, pipelining: 1, timeout: 10, requests },
    (error, result) => (error ? fail(error) : finish(result)),
  );
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    const window = windowAt(performance.now());
    window.times.push(responseTime);
    if (statusCode === 429) window.rateLimited += 1;
    else if (statusCode >= 400) window.errors += 1;
  });
  instance.on('reqError', () => {
    connectionErrors += 1;
    windowAt(performance.now()).errors += 1;
  });
  return {
    stop: () => instance.stop(),
    finished: done.then((result) => ({
      result,
      latencies,
      statuses,
      connectionErrors,
      windows: windows.map((window, index): Window => ({
        fromSecond: index * windowSeconds,
        toSecond: Math.min(seconds, (index + 1) * windowSeconds),
        requests: window.times.length,
        errors: window.errors,
        rateLimited: window.rateLimited,
        ...latencySummary(window.times),
      })),
    })),
  };
}

/**
 * Undoes the mixed workload's writes in the database directly, for when the app is gone (Ctrl-C
 * reaches it too): the touched products were uncategorised, so every assignment of theirs goes,
 * and the shared cache starts over for lists, counts and product details.
 */
async function restoreInDatabase(url: string, handles: string[]) {
  if (handles.length === 0) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(
      `delete from product_categories where product_id in
         (select id from products where product_id = any($1::text[]))`,
      [handles],
    );
    log(`Removed ${result.rowCount} assignments of ${handles.length} touched products directly`);
  } finally {
    await client.end();
  }
  const config = loadConfig({ ...process.env, DATABASE_URL: url });
  if (config.cache.redisUrl) {
    const quiet = { warn: () => {} };
    const cache = new Cache(cacheBackend(config, quiet), config.cache.ttlSeconds, quiet);
    await cache.changed(WriteEffects.everything());
    await cache.backend.close();
  }
}

/**
 * The slope of RSS over the second half of the run, in MiB a minute (least squares): a leak
 * keeps climbing once the caches and pools have filled, which the start → end growth blurs.
 */
function rssTrend(samples: Memory[]): number | null {
  const points = samples.filter((sample) => sample.rssBytes !== null && sample.second >= 0);
  const last = points.at(-1)?.second ?? 0;
  const half = points.filter((point) => point.second >= last / 2);
  // Over less than two minutes, garbage collection swings RSS more than any leak would.
  if (half.length < 6 || last / 2 < 120) return null;
  const xs = half.map((point) => point.second / 60);
  const ys = half.map((point) => point.rssBytes! / 1_048_576);
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const mx = mean(xs);
  const my = mean(ys);
  const numerator = xs.reduce((sum, x, i) => sum + (x - mx) * (ys[i]! - my), 0);
  const denominator = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  return denominator === 0 ? null : numerator / denominator;
}

const mib = (bytes: number | null) =>
  bytes === null ? 'n/a' : `${(bytes / 1_048_576).toFixed(1)} MiB`;
const growth = (start: number | null, end: number | null) =>
  start === null || end === null || start === 0 ? null : ((end - start) / start) * 100;
const percent = (value: number | null, digits = 1) =>
  value === null ? 'n/a' : `${value >= 0 ? '+' : ''}${value.toFixed(digits)}%`;

function table(head: string[], rows: string[][]): string {
  const widths = head.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ');
  return [line(head), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join(
    '\n',
  );
}

async function main() {
  const opts = options();
  const startedAt = new Date();
  if (opts.products !== undefined) {
    await prepareDatabase(opts.url, opts.products, true, log);
  }
  const products = await catalogSize(opts.url);
  if (!products) {
    throw new Error(
      `${describe(opts.url)} holds no catalog: run "npm run bench" first (it seeds it), or pass --products N for a database of its own`,
    );
  }
  log(
    `${describe(opts.url)}: ${products.toLocaleString('en')} products; ${opts.connections} connections for ${opts.seconds} s after a ${opts.warmup} s warm-up; REDIS_URL ${process.env.REDIS_URL ? 'set' : 'not set'}; rate limiting ${opts.rateLimit ? 'as configured' : 'off'}`,
  );
  const sample = await sampleCatalog(opts.url, products);
  const mixed = mixedWorkload(sample);

  const app = await startAppServer(
    'app',
    opts.url,
    opts.rateLimit ? {} : { RATE_LIMIT_ENABLED: 'false' },
  );
  log(`App started (pid ${app.pid}) at ${app.url}`);

  let restored = false;
  let current: ReturnType<typeof drive> | undefined;
  const removeHook = onInterrupt(async () => {
    current?.stop();
    if (restored) return;
    restored = true;
    await restoreInDatabase(opts.url, mixed.restore().handles).catch((error: unknown) =>
      console.error('Could not undo the writes:', error),
    );
  });
  const restore = async () => {
    if (restored) return;
    restored = true;
    const { handles, roots } = mixed.restore();
    log(`Undoing the writes on ${handles.length.toLocaleString('en')} products…`);
    try {
      await bulkRemove(app.url, handles, roots);
    } catch (error) {
      console.error('Undo through the API failed; removing the assignments directly:', error);
      await restoreInDatabase(opts.url, handles);
    }
  };

  try {
    const idle = await memory(app.url, app.pid, -opts.warmup);
    if (opts.warmup > 0) {
      log(`Warm-up ${opts.warmup} s…`);
      current = drive(app.url, mixed.spec.requests, opts.connections, opts.warmup, opts.warmup);
      await current.finished;
    }
    const start = await memory(app.url, app.pid, 0);
    const cacheBefore = await readCacheCounters(app.url);
    const windowSeconds = Math.max(10, Math.ceil(opts.seconds / 12 / 10) * 10);
    log(`Soak ${opts.seconds} s at ${opts.connections} connections…`);
    current = drive(app.url, mixed.spec.requests, opts.connections, opts.seconds, windowSeconds);
    const samples: Memory[] = [start];
    const sampler = setInterval(() => {
      void memory(app.url, app.pid, Math.round((Date.now() - Date.parse(start.at)) / 1000)).then(
        (sampled) => samples.push(sampled),
      );
    }, 10_000);
    const run = await current.finished.finally(() => clearInterval(sampler));
    current = undefined;
    const cacheAfter = await readCacheCounters(app.url);
    const end = await memory(app.url, app.pid, run.result.duration || opts.seconds);
    samples.push(end);
    await restore();
    removeHook();

    const requests = run.latencies.length + run.connectionErrors;
    const rateLimited = run.statuses.get(429) ?? 0;
    const failedStatuses = [...run.statuses.entries()]
      .filter(([status]) => status >= 400 && status !== 429)
      .reduce((sum, [, n]) => sum + n, 0);
    const errors = failedStatuses + run.connectionErrors;
    const counted = requests - rateLimited;
    const errorRate = counted > 0 ? errors / counted : 0;
    const latency = latencySummary(run.latencies);
    const seconds = run.result.duration || opts.seconds;
    const rssPeak = Math.max(...samples.map((sample) => sample.rssBytes ?? 0)) || null;
    const figures = {
      requests,
      requestsPerSecond: requests / seconds,
      errors,
      errorRate,
      rateLimited,
      statuses: Object.fromEntries([...run.statuses.entries()].sort(([a], [b]) => a - b)),
      connectionErrors: run.connectionErrors,
      timeouts: run.result.timeouts,
      p50: latency.p50,
      p95: latency.p95,
      p99: latency.p99,
      cacheHitRate: hitRate(cacheBefore, cacheAfter),
      memory: {
        idle,
        start,
        end,
        rssPeakBytes: rssPeak,
        rssGrowthPercent: growth(start.rssBytes, end.rssBytes),
        rssTrendMiBPerMinuteSecondHalf: rssTrend(samples),
        heapGrowthPercent: growth(start.heapUsedBytes, end.heapUsedBytes),
        samples,
      },
      windows: run.windows,
    };

    const cpus = os.cpus();
    const results = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      database: describe(opts.url),
      products,
      seconds,
      warmupSeconds: opts.warmup,
      connections: opts.connections,
      workload:
        'mixed (bench/lib/scenarios.ts): product list 19, level-1 categories 9, detail 6, search 4, assign + remove 2 per 40',
      rateLimiting: opts.rateLimit ? 'as configured' : 'off (RATE_LIMIT_ENABLED=false)',
      machine: {
        cores: cpus.length,
        cpuModel: cpus[0]?.model.trim() ?? 'unknown',
        memoryGiB: os.totalmem() / 1024 ** 3,
        node: process.version,
        postgres: sample.serverVersion,
        redis: process.env.REDIS_URL ? 'REDIS_URL set (passed to the app)' : 'not set',
      },
      ...figures,
    };

    const ms = (value: number) =>
      Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 1) : '–';
    console.info(
      `\nSoak: ${seconds} s at ${opts.connections} connections, ${products.toLocaleString('en')} products, ${results.rateLimiting}\n`,
    );
    console.info(
      table(
        ['figure', 'value'],
        [
          ['requests', requests.toLocaleString('en')],
          ['requests/s', Math.round(figures.requestsPerSecond).toLocaleString('en')],
          [
            'error rate (429 excluded)',
            `${(errorRate * 100).toFixed(3)}% (${errors.toLocaleString('en')})`,
          ],
          ['429 rate limited', rateLimited.toLocaleString('en')],
          ['no response (of which timeouts)', `${run.connectionErrors} (${run.result.timeouts})`],
          ['p50 / p95 / p99 ms', `${ms(latency.p50)} / ${ms(latency.p95)} / ${ms(latency.p99)}`],
          [
            'cache hit rate',
            figures.cacheHitRate === null ? 'n/a' : `${(figures.cacheHitRate * 100).toFixed(1)}%`,
          ],
          ['RSS idle (after start)', mib(idle.rssBytes)],
          ['RSS start (after warm-up)', mib(start.rssBytes)],
          ['RSS end', mib(end.rssBytes)],
          ['RSS peak (10 s samples)', mib(rssPeak)],
          ['RSS growth start → end', percent(figures.memory.rssGrowthPercent)],
          [
            'RSS trend, second half',
            figures.memory.rssTrendMiBPerMinuteSecondHalf === null
              ? 'n/a (runs of 4 minutes or more)'
              : `${figures.memory.rssTrendMiBPerMinuteSecondHalf.toFixed(1)} MiB/min`,
          ],
          [
            'V8 heap used start → end',
            `${mib(start.heapUsedBytes)} → ${mib(end.heapUsedBytes)} (${percent(figures.memory.heapGrowthPercent)})`,
          ],
          ['status codes', JSON.stringify(figures.statuses)],
        ],
      ),
    );
    console.info(
      `\n${table(
        ['window s', 'requests', 'req/s', 'errors', '429', 'p50 ms', 'p95 ms', 'p99 ms'],
        run.windows.map((window) => [
          `${window.fromSecond}–${window.toSecond}`,
          window.requests.toLocaleString('en'),
          Math.round(
            window.requests / Math.max(1, window.toSecond - window.fromSecond),
          ).toLocaleString('en'),
          String(window.errors),
          String(window.rateLimited),
          ms(window.p50),
          ms(window.p95),
          ms(window.p99),
        ]),
      )}\n`,
    );
    const stamp = startedAt.toISOString().slice(0, 19).replace(/:/g, '-');
    const file = join(ROOT, 'bench/results', `soak-${stamp}.json`);
    await mkdir(join(ROOT, 'bench/results'), { recursive: true });
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    log(`Wrote ${file}`);
  } finally {
    await restore().catch((error: unknown) => console.error('Could not undo the writes:', error));
    await app.stop();
  }
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    await stopAll();
    process.exit(1);
  },
);
