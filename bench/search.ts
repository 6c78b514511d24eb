/**
 * Search alone (issue 15, docs/performance-limits.md "Uncached latency"): the benchmark's search
 * terms (bench/lib/scenarios.ts SEARCH_TERMS) against a catalog, in two parts.
 *
 *     npm run bench:search -- [--app NAME=path/to/main.js]… [--connections 16] [--seconds 8]
 *                             [--rounds 3] [--explain] [--skip-load] [TERM…]
 *
 * 1. Statements: each term's request is captured from the real app (sql-capture.ts, cache off,
 *    as the uncached instance runs) and each of its statements run 5 times on one connection:
 *    the median in ms, with `--explain` an `EXPLAIN (ANALYZE, BUFFERS)` of those over 3 ms.
 * 2. Load: every `--app` (a production build, server/dist/main.js by default; a copy of an older
 *    build measures "before" beside "after") started as bench/run.ts starts its uncached
 *    instance (CACHE_ENABLED=false, no rate limit) and loaded with the terms in rotation at
 *    `--connections`, the apps in turn, the order reversed every other round: req/s, p50, p95.
 *
 * BENCH_DATABASE_URL names the database (default the 1M catalog tm_1m); it is only read.
 * Prints the figures and writes bench/results/<time>-search.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { runLoad, type LoadFigures } from './lib/load.js';
import { median } from './lib/median.js';
import { freePort, startNodeScript, stopAll } from './lib/processes.js';
import { SEARCH_TERMS } from './lib/scenarios.js';
import { captureRequests } from './lib/sql-capture.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => console.log(`[bench:search] ${line}`);
const searchPath = (term: string) => `/api/products?limit=50&search=${encodeURIComponent(term)}`;

async function statements(url: string, terms: string[], explain: boolean) {
  const captured = await captureRequests(url, { CACHE_ENABLED: 'false' }, terms.map(searchPath));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const figures: { term: string; statements: { ms: number; sql: string }[] }[] = [];
  try {
    for (const [index, request] of captured.entries()) {
      const term = terms[index]!;
      log(`"${term}"`);
      const timed: { ms: number; sql: string }[] = [];
      for (const statement of request.waves.flat()) {
        const query = { text: statement.text, values: statement.values };
        const runs: number[] = [];
        for (let run = 0; run < 5; run++) {
          const started = performance.now();
          await client.query(query);
          runs.push(performance.now() - started);
        }
        const sql = statement.text.replace(/\s+/g, ' ').trim();
        timed.push({ ms: median(runs), sql });
        log(`  ${median(runs).toFixed(2).padStart(7)} ms  ${sql.slice(0, 110)}`);
        if (explain && median(runs) > 3) {
          const plan = await client.query({
            ...query,
            text: `explain (analyze, buffers) ${query.text}`,
          });
          for (const row of plan.rows as { 'QUERY PLAN': string }[]) {
            console.log(`               ${row['QUERY PLAN']}`);
          }
        }
      }
      const total = timed.reduce((sum, statement) => sum + statement.ms, 0);
      log(`  ${total.toFixed(2).padStart(7)} ms  in all`);
      figures.push({ term, statements: timed });
    }
  } finally {
    await client.end();
  }
  return figures;
}

async function load(
  url: string,
  apps: { name: string; main: string }[],
  terms: string[],
  options: { connections: number; seconds: number; rounds: number },
) {
  const started = [];
  for (const app of apps) {
    const port = await freePort();
    const child = await startNodeScript({
      name: app.name,
      script: app.main,
      port,
      readyPath: '/health/ready',
      env: {
        ...process.env,
        DATABASE_URL: url,
        HOST: '127.0.0.1',
        PORT: String(port),
        CACHE_ENABLED: 'false',
        RATE_LIMIT_ENABLED: 'false',
        LOG_LEVEL: 'warn',
        SEED_PRODUCTS_ON_EMPTY: '0',
      },
    });
    started.push({ ...app, url: child.url });
  }
  const requests = terms.map((term) => ({ method: 'GET' as const, path: searchPath(term) }));
  // Warm-up: every route compiled, the terms' pages cached by PostgreSQL.
  for (const app of started) await runLoad(app.url, { requests }, options.connections, 3);
  const rounds: Record<string, LoadFigures[]> = {};
  for (let round = 0; round < options.rounds; round++) {
    for (const app of round % 2 ? [...started].reverse() : started) {
      const figures = await runLoad(app.url, { requests }, options.connections, options.seconds);
      (rounds[app.name] ??= []).push(figures);
      log(
        `round ${round + 1} ${app.name}: ${figures.requestsPerSecond.toFixed(0)} req/s, p50 ${figures.p50.toFixed(1)} ms, p95 ${figures.p95.toFixed(1)} ms, non-2xx ${figures.non2xx}, errors ${figures.errors}`,
      );
    }
  }
  const summary = Object.fromEntries(
    Object.entries(rounds).map(([name, runs]) => [
      name,
      {
        requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
        p50: median(runs.map((run) => run.p50)),
        p95: median(runs.map((run) => run.p95)),
      },
    ]),
  );
  for (const [name, figures] of Object.entries(summary)) {
    log(
      `${name}, medians of ${options.rounds} rounds at ${options.connections} connections: ${figures.requestsPerSecond.toFixed(0)} req/s, p50 ${figures.p50.toFixed(1)} ms, p95 ${figures.p95.toFixed(1)} ms`,
    );
  }
  return { rounds, summary };
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      app: { type: 'string', multiple: true },
      connections: { type: 'string', default: '16' },
      seconds: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '3' },
      explain: { type: 'boolean', default: false },
      'skip-load': { type: 'boolean', default: false },
    },
  });
  const url = process.env.BENCH_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/tm_1m';
  const terms = positionals.length > 0 ? positionals : SEARCH_TERMS;
  const apps = (values.app ?? [`after=${join(ROOT, 'server/dist/main.js')}`]).map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--app ${pair}: expected NAME=path/to/main.js`);
    return { name: pair.slice(0, at), main: pair.slice(at + 1) };
  });
  const options = {
    connections: Number(values.connections),
    seconds: Number(values.seconds),
    rounds: Number(values.rounds),
  };
  const statementFigures = await statements(url, terms, values.explain);
  const loadFigures = values['skip-load'] ? null : await load(url, apps, terms, options);
  const file = join(
    ROOT,
    'bench/results',
    `${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}-search.json`,
  );
  await mkdir(dirname(file), { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify({ terms, options, apps, statements: statementFigures, load: loadFigures }, null, 2)}\n`,
  );
  log(`Wrote ${file}`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => stopAll())
  .finally(() => process.exit());
