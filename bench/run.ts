/**
 * npm run bench [-- --quick] [--products N] [--reuse] [--seconds S] [--hostile-mb M]
 *   [--hostile-entries N] [--hostile-only]
 *
 * The issue-4 benchmark: prepares its own PostgreSQL database (BENCH_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/tag_manager_bench), seeds it, starts the real app and a
 * framework-ceiling server as child processes, drives them with autocannon over loopback,
 * measures the database ceiling and the throughput jobs, then prints a table and writes
 * bench/results/<date>.json and .md. See bench/README.md.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import {
  describe,
  prepareDatabase,
  removeImportedProducts,
  openBenchDatabase,
  vacuumCatalog,
  sampleCatalog,
} from './lib/database.js';
import { databaseCeiling } from './lib/db-ceiling.js';
import { captureRequests } from './lib/sql-capture.js';
import {
  bulkFilterJob,
  bulkJob,
  bulkRemove,
  exportJob,
  HOSTILE_PREFIX,
  hostileJob,
  importJob,
  type HostileFigures,
} from './lib/jobs.js';
import { runLoad, type LoadFigures } from './lib/load.js';
import { undoJob } from './lib/undo.js';
import { freePort, startAppServer, startNodeScript, stopAll, type Child } from './lib/processes.js';
import {
  evaluateTargets,
  renderConsole,
  renderMarkdownSummary,
  type PairedRound,
  type Results,
  type ScenarioResult,
} from './lib/report.js';
import { mixedWorkload, scenarios, variantPaths } from './lib/scenarios.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONNECTIONS = [1, 16, 64];
/** Rounds of the cached page against the Fastify ceiling (each between two ceiling runs). */
const PAIRED_ROUNDS = 3;
const IMPORT_PRODUCTS = 100_000;
const BULK_PRODUCTS = 10_000;

const log = (line: string) =>
  console.info(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Runs `work` with three new level-1 categories, deleted afterwards (whatever happens). */
async function withNewCategories<Result>(
  baseUrl: string,
  work: (ids: number[]) => Promise<Result>,
): Promise<Result> {
  const ids: number[] = [];
  try {
    for (const name of ['A', 'B', 'C']) {
      const response = await fetch(`${baseUrl}/api/categories`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Bench bulk ${name} ${Date.now()}` }),
      });
      const body = (await response.json()) as { data?: { id: number } };
      if (!body.data) throw new Error(`creating a category: ${JSON.stringify(body)}`);
      ids.push(body.data.id);
    }
    return await work(ids);
  } finally {
    for (const id of ids) await fetch(`${baseUrl}/api/categories/${id}`, { method: 'DELETE' });
  }
}

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      products: { type: 'string' },
      reuse: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      'hostile-mb': { type: 'string' },
      'hostile-entries': { type: 'string' },
      'hostile-only': { type: 'boolean', default: false },
    },
  });
  const quick = values.quick;
  const products = Number(values.products ?? (quick ? 50_000 : 1_000_000));
  if (!Number.isInteger(products) || products < 1000 || products > 50_000_000) {
    throw new Error('--products must be an integer between 1,000 and 50,000,000');
  }
  const seconds = Number(values.seconds ?? (quick ? 2 : 5));
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60) {
    throw new Error('--seconds must be an integer between 1 and 60');
  }
  const hostileMegabytes = Number(values['hostile-mb'] ?? (quick ? 20 : 100));
  if (!Number.isInteger(hostileMegabytes) || hostileMegabytes < 1 || hostileMegabytes > 1024) {
    throw new Error('--hostile-mb must be an integer between 1 and 1,024');
  }
  const hostileEntries = Number(values['hostile-entries'] ?? (quick ? 10_000 : 40_000));
  if (!Number.isInteger(hostileEntries) || hostileEntries < 1 || hostileEntries > 1_000_000) {
    throw new Error('--hostile-entries must be an integer between 1 and 1,000,000');
  }
  return {
    quick,
    products,
    hostileMegabytes,
    hostileEntries,
    hostileOnly: values['hostile-only'],
    reuse: values.reuse,
    seconds,
    warmup: quick ? 0.5 : 1,
    url:
      process.env.BENCH_DATABASE_URL?.trim() ||
      'postgres://postgres@127.0.0.1:5432/tag_manager_bench',
  };
}

/**
 * The environment of the uncached instance: BENCH_UNCACHED_ENV ("NAME=value NAME=value"),
 * by default caching off entirely (CACHE_ENABLED=false; REDIS_URL is never passed to it).
 */
function uncachedEnv(): NodeJS.ProcessEnv {
  const raw = process.env.BENCH_UNCACHED_ENV ?? 'CACHE_ENABLED=false';
  const env: NodeJS.ProcessEnv = {};
  for (const pair of raw.split(/\s+/).filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`BENCH_UNCACHED_ENV: "${pair}" is not NAME=value`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

const formatEnv = (env: NodeJS.ProcessEnv) =>
  Object.entries(env)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

async function warm(baseUrl: string, spec: Parameters<typeof runLoad>[1], seconds: number) {
  if (seconds <= 0) return;
  // autocannon takes whole seconds only for `duration`; a fraction is accepted as such.
  await runLoad(baseUrl, spec, 16, seconds);
}

/**
 * The hostile imports against `app`, then removes what they wrote (categories and products named
 * HOSTILE_PREFIX…), whether or not the server refused them as it should.
 */
async function runHostile(
  app: Child,
  url: string,
  opts: { hostileMegabytes: number; hostileEntries: number },
): Promise<HostileFigures[]> {
  log(
    `Hostile imports: ${opts.hostileMegabytes} MB files, ${opts.hostileEntries.toLocaleString('en')} category entries…`,
  );
  try {
    return await hostileJob(app.url, app.pid, opts.hostileMegabytes, opts.hostileEntries);
  } finally {
    const cleanup = await openBenchDatabase(url);
    try {
      const like = [`${HOSTILE_PREFIX}%`];
      await cleanup.pool!.query(`delete from products where product_id like $1`, like);
      for (const level of [3, 2, 1]) {
        await cleanup.pool!.query(`delete from categories where name like $1 and level = $2`, [
          ...like,
          level,
        ]);
      }
    } finally {
      await cleanup.close();
    }
  }
}

const hostileLine = (figures: HostileFigures) =>
  `  ${figures.case}: ${(figures.bytes / 1_048_576).toFixed(1)} MB, ${figures.entries.toLocaleString('en')} rows/entries → HTTP ${figures.status} in ${figures.seconds.toFixed(2)} s, response ${(figures.responseBytes / 1024).toFixed(1)} KiB, rejected ${figures.rejectedListed ?? '–'} listed / ${figures.rejectedTotal ?? '–'} total, server RSS ${figures.rssBeforeBytes === null ? 'n/a' : `${(figures.rssBeforeBytes / 1_048_576).toFixed(0)} MiB`} → peak ${figures.peakRssBytes === null ? 'n/a' : `${(figures.peakRssBytes / 1_048_576).toFixed(0)} MiB`}`;

/** --hostile-only: the hostile imports alone, against a fresh server, written to results/. */
async function hostileOnly(opts: ReturnType<typeof options>) {
  const startedAt = new Date();
  await prepareDatabase(opts.url, opts.products, opts.reuse, log);
  const app = await startAppServer('app', opts.url, { RATE_LIMIT_ENABLED: 'false' });
  try {
    log(`app started (pid ${app.pid}) at ${app.url} on ${describe(opts.url)}`);
    const hostile = await runHostile(app, opts.url, opts);
    console.info(hostile.map(hostileLine).join('\n'));
    const stamp = startedAt.toISOString().slice(0, 19).replace(/:/g, '-');
    const file = join(ROOT, 'bench/results', `${stamp}-hostile.json`);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(
      file,
      `${JSON.stringify({ startedAt: startedAt.toISOString(), hostileMegabytes: opts.hostileMegabytes, hostileEntries: opts.hostileEntries, hostile }, null, 2)}\n`,
    );
    log(`Wrote ${file}`);
  } finally {
    await app.stop();
    await stopAll();
  }
}

async function main() {
  const opts = options();
  if (opts.hostileOnly) return hostileOnly(opts);
  const startedAt = new Date();
  const problems: string[] = [];
  log(
    `${opts.quick ? 'Quick' : 'Full'} run: ${opts.products.toLocaleString('en')} products, ${opts.seconds} s per run, connections ${CONNECTIONS.join('/')}`,
  );

  const prepared = await prepareDatabase(opts.url, opts.products, opts.reuse, log);
  const sample = await sampleCatalog(opts.url, opts.products);

  const scratch = await mkdtemp(join(os.tmpdir(), 'tag-manager-bench-'));
  let app: Child | undefined;
  let uncachedApp: Child | undefined;
  let ceiling: Child | undefined;
  try {
    const startApp = async (name: string, extra: NodeJS.ProcessEnv, withRedis: boolean) => {
      const child = await startAppServer(name, opts.url, {
        // All load comes from one address: per-client limits would refuse most of it.
        RATE_LIMIT_ENABLED: 'false',
        ...(withRedis ? {} : { REDIS_URL: undefined }),
        ...extra,
      });
      const env = child.env;
      log(
        `${name} started (pid ${child.pid}) at ${child.url} on ${describe(opts.url)}; REDIS_URL ${env.REDIS_URL ? 'set' : 'not set'}${Object.keys(extra).length > 0 ? `; ${formatEnv(extra)}` : ''}`,
      );
      return child;
    };
    app = await startApp('app', {}, true);

    // The product page body, for the framework ceiling, and the deep page's cursor.
    const pageResponse = await fetch(`${app.url}/api/products?limit=50`);
    const pageBody = await pageResponse.text();
    const bodyFile = join(scratch, 'page.json');
    await writeFile(bodyFile, pageBody);
    const deepPage = Math.max(2, Math.min(2000, Math.floor(opts.products / 50 / 2)));
    const deep = await getJson<{ pagination: { next_cursor: string | null } }>(
      `${app.url}/api/products?limit=50&offset=${(deepPage - 2) * 50}`,
    );
    const deepCursor = deep.pagination.next_cursor;
    if (!deepCursor) throw new Error('No next_cursor for the deep page');

    // A constant-body server (the same page's bytes) at every connection count.
    const ceilingRuns = async (name: string, script: string): Promise<LoadFigures[]> => {
      log(`${name}…`);
      const port = await freePort();
      ceiling = await startNodeScript({
        name,
        script: join(ROOT, script),
        port,
        readyPath: '/health/ready',
        env: { ...process.env, PORT: String(port), BODY_FILE: bodyFile },
      });
      const runs: LoadFigures[] = [];
      await warm(ceiling.url, { path: '/api/products' }, opts.warmup);
      for (const connections of CONNECTIONS) {
        runs.push(await runLoad(ceiling.url, { path: '/api/products' }, connections, opts.seconds));
      }
      await ceiling.stop();
      ceiling = undefined;
      return runs;
    };
    const framework = await ceilingRuns('Framework ceiling', 'bench/ceiling-server.ts');
    const nodeHttp = await ceilingRuns('node:http ceiling', 'bench/ceiling-node.ts');

    const results: ScenarioResult[] = [];
    const all = scenarios(sample, deepCursor);
    const measure = async (target: Child, scenario: (typeof all)[number]) => {
      log(`Scenario ${scenario.key}…`);
      await warm(target.url, scenario.spec, opts.warmup);
      const runs: LoadFigures[] = [];
      for (const connections of CONNECTIONS) {
        runs.push(await runLoad(target.url, scenario.spec, connections, opts.seconds));
      }
      const result: ScenarioResult = { ...scenario, runs };
      if (scenario.uncachedRead) {
        // The same requests' SQL, captured from the app as the uncached instance runs it (a
        // fresh copy of the scenarios: the same variants, in the same order), straight on a pool.
        const fresh = scenarios(sample, deepCursor).find((s) => s.key === scenario.key)!;
        const captured = await captureRequests(
          opts.url,
          uncachedEnv(),
          variantPaths(fresh.spec, 64),
          fresh.spec.headers,
        );
        const statements = captured.reduce(
          (sum, request) => sum + request.waves.reduce((n, wave) => n + wave.length, 0),
          0,
        );
        log(
          `  database ceiling of ${scenario.key}: ${captured.length} request variants, ${(statements / captured.length).toFixed(1)} statements each`,
        );
        result.database = [];
        for (const connections of CONNECTIONS) {
          result.database.push(
            await databaseCeiling(opts.url, captured, connections, opts.seconds, opts.warmup),
          );
        }
      }
      results.push(result);
    };
    for (const scenario of all.filter((s) => !s.uncachedRead)) await measure(app, scenario);

    // The cached page against the Fastify ceiling in paired rounds at the top connection count
    // (as bench:hot-path does): the ceiling, the page, the ceiling, … each page run compared with
    // the ceiling runs just before and after it, the median of the rounds reported. One 5-second
    // ceiling sample has read 17,900 to 28,100 req/s on this machine between runs.
    const pageScenario = all.find((s) => s.key === 'page1')!;
    const top = CONNECTIONS[CONNECTIONS.length - 1]!;
    log(
      `Cached page against the Fastify ceiling: ${PAIRED_ROUNDS} paired rounds at ${top} connections…`,
    );
    const pairedPort = await freePort();
    const pairedCeiling = await startNodeScript({
      name: 'Framework ceiling (paired)',
      script: join(ROOT, 'bench/ceiling-server.ts'),
      port: pairedPort,
      readyPath: '/health/ready',
      env: { ...process.env, PORT: String(pairedPort), BODY_FILE: bodyFile },
    });
    ceiling = pairedCeiling;
    await warm(pairedCeiling.url, { path: '/api/products' }, opts.warmup);
    const ceilingRun = () =>
      runLoad(pairedCeiling.url, { path: '/api/products' }, top, opts.seconds);
    const paired: PairedRound[] = [];
    let before = await ceilingRun();
    for (let round = 0; round < PAIRED_ROUNDS; round += 1) {
      const page = await runLoad(app.url, pageScenario.spec, top, opts.seconds);
      const after = await ceilingRun();
      paired.push({ page, ceilings: [before, after] });
      before = after;
    }
    await pairedCeiling.stop();
    ceiling = undefined;

    // The uncached reads run against a second instance started with its cache switched off, so
    // that what they measure is the database path even when the app caches everything.
    await app.stop();
    uncachedApp = await startApp('uncached app', uncachedEnv(), false);
    for (const scenario of all.filter((s) => s.uncachedRead)) await measure(uncachedApp, scenario);
    await uncachedApp.stop();
    uncachedApp = undefined;
    app = await startApp('app', {}, true);

    log('Scenario mixed…');
    const mixed = mixedWorkload(sample);
    const mixedRuns: LoadFigures[] = [];
    try {
      await warm(app.url, mixed.spec, opts.warmup);
      for (const connections of CONNECTIONS) {
        mixedRuns.push(await runLoad(app.url, mixed.spec, connections, opts.seconds));
      }
    } finally {
      const { handles, roots } = mixed.restore();
      await bulkRemove(app.url, handles, roots);
    }
    results.push({
      key: 'mixed',
      title: 'mixed workload (list 10, level-1 categories 5, detail 3, search 2, 5% writes)',
      uncachedRead: false,
      runs: mixedRuns,
    });

    const jobs: Results['jobs'] = {};
    log('Bulk assign 10,000 × 3…');
    const bulkHandles = sample.uncategorised.slice(0, BULK_PRODUCTS);
    // Three rounds, each on 10,000 other uncategorised products where there are enough.
    const bulkRounds = [0, 1, 2].map((round) => {
      const next = sample.uncategorised.slice(round * BULK_PRODUCTS, (round + 1) * BULK_PRODUCTS);
      return next.length === BULK_PRODUCTS ? next : bulkHandles;
    });
    if (bulkHandles.length < BULK_PRODUCTS) {
      problems.push(
        `bulk assign used ${bulkHandles.length} products: the catalog has too few uncategorised products`,
      );
    }
    const roots = [...new Set(sample.leaves.map((leaf) => leaf.root))];
    const bulkCategories = roots
      .slice(0, 3)
      .map((root) => sample.leaves.find((leaf) => leaf.root === root)!);
    jobs.bulk = await bulkJob(app.url, bulkRounds, bulkCategories);
    log('Undo of a 10,000-product change set…');
    jobs.undo = await undoJob(app.url, bulkHandles, bulkCategories);

    log('Bulk assign by filter: 3 new categories to every product, as a job (then removed)…');
    const appUrl = app.url;
    jobs.bulkFilter = await withNewCategories(appUrl, (ids) => bulkFilterJob(appUrl, {}, ids));
    // The job wrote and removed 3,000,000 assignment rows and as many product_state versions.
    // Autovacuum would clean them within a minute on a database with it on (the default); on
    // these machines it is off. The export's category lookups are index-only scans, which need
    // the visibility map a vacuum sets: 52,284 rows/s right after the job (run of 2026-12-04
    // 17:59), 110,860 rows/s on the vacuumed catalog (a separate run of the same export).
    const maintained = await openBenchDatabase(opts.url);
    try {
      await vacuumCatalog(maintained, log);
    } finally {
      await maintained.close();
    }

    log('Export of the whole catalog…');
    jobs.export = await exportJob(app.url, app.pid);

    log(`Import of a generated ${IMPORT_PRODUCTS.toLocaleString('en')}-product Shopify CSV…`);
    jobs.import = await importJob(app.url, IMPORT_PRODUCTS);
    const cleanup = await openBenchDatabase(opts.url);
    try {
      log(
        `Removed ${(await removeImportedProducts(cleanup)).toLocaleString('en')} imported products`,
      );
    } finally {
      await cleanup.close();
    }

    jobs.hostile = await runHostile(app, opts.url, opts);
    for (const figures of jobs.hostile) {
      if (figures.status >= 500 || figures.status === 0) {
        problems.push(`hostile import ${figures.case} answered HTTP ${figures.status}`);
      }
    }

    for (const scenario of results) {
      for (const run of scenario.runs) {
        if (run.non2xx + run.errors > 0) {
          problems.push(
            `${scenario.key} at ${run.connections} connections: ${run.non2xx} non-2xx, ${run.errors} errors`,
          );
        }
      }
    }
    if (jobs.export.rows !== opts.products) {
      problems.push(`export returned ${jobs.export.rows} rows for ${opts.products} products`);
    }
    if (jobs.import.created !== IMPORT_PRODUCTS) {
      problems.push(
        `import created ${jobs.import.created ?? 'unknown'} products of ${IMPORT_PRODUCTS}`,
      );
    }

    const cpus = os.cpus();
    const partial: Omit<Results, 'targets'> = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      mode: opts.quick ? 'quick' : 'full',
      products: opts.products,
      seededSeconds: prepared.seedSeconds ?? null,
      reusedDatabase: prepared.reused,
      secondsPerRun: opts.seconds,
      warmupSeconds: opts.warmup,
      connections: CONNECTIONS,
      machine: {
        cores: cpus.length,
        cpuModel: cpus[0]?.model.trim() ?? 'unknown',
        memoryGiB: os.totalmem() / 1024 ** 3,
        node: process.version,
        postgres: sample.serverVersion,
        redis: process.env.REDIS_URL
          ? 'REDIS_URL set (passed to the app)'
          : 'REDIS_URL not set (app without Redis)',
        platform: `${os.type()} ${os.release()}`,
      },
      pageBodyBytes: Buffer.byteLength(pageBody),
      deepPage,
      uncachedEnv: formatEnv(uncachedEnv()),
      server: process.env.BENCH_SERVER === 'source' ? 'TypeScript through tsx' : 'production build',
      scenarios: results,
      ceilings: { framework, nodeHttp },
      pagePaired: paired,
      jobs,
      problems,
    };
    const full: Results = { ...partial, targets: evaluateTargets(partial) };

    const stamp = startedAt.toISOString().slice(0, 19).replace(/:/g, '-');
    const base = join(ROOT, 'bench/results', `${stamp}${opts.quick ? '-quick' : ''}`);
    await mkdir(dirname(base), { recursive: true });
    await writeFile(`${base}.json`, `${JSON.stringify(full, null, 2)}\n`);
    // Formatted as the repository formats markdown, so the committed summary passes prettier --check.
    await writeFile(
      `${base}.md`,
      await format(renderMarkdownSummary(full), {
        ...(await resolveConfig(`${base}.md`)),
        parser: 'markdown',
      }),
    );
    console.info(renderConsole(full));
    log(`Wrote ${base}.json and ${base}.md`);
  } finally {
    await ceiling?.stop();
    await app?.stop();
    await uncachedApp?.stop();
    await stopAll();
    await rm(scratch, { recursive: true, force: true });
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
