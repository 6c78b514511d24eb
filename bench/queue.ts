/**
 * The work queue's first call (issue 12): POST /api/queue/next without `after`, as a new
 * operator opening the queue does, for each kind of queue:
 *
 *     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a copy> \
 *       npx tsx bench/queue.ts [--repeat 5] [--before tmp/dist-before]
 *
 * Runs the production build (server/dist/main.js; `npm run build` first) against the database
 * as it is: nothing is seeded, and the only writes are the queue's own leases, each given up
 * at once. `--before DIR` also runs an older build (a copy of server/dist) in the same run, one
 * after the other per round, so the two are compared under the same load; give it its own copy
 * of the catalog in BENCH_BEFORE_DATABASE_URL when the newer build migrates the database (a
 * new index would serve the old build too). Every call is from
 * a new operator; the figure is the median. Writes bench/results/<date>-queue.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, startNodeScript, stopAll, type Child } from './lib/processes.js';
import { median } from './lib/median.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => console.log(`[bench:queue] ${line}`);

/** The queues measured: uncategorised (the default), one vendor, one type, a search, incomplete. */
const QUEUES: { name: string; query: Record<string, string> }[] = [
  { name: 'uncategorised', query: {} },
  { name: 'vendor', query: { vendor: 'Bayset' } },
  { name: 'type', query: { product_type: 'Liquid Membranes' } },
  { name: 'search', query: { search: 'sealant' } },
  { name: 'incomplete', query: { incomplete: 'true', hide_allocated: 'false' } },
];

interface Call {
  ms: number;
  remaining: number;
  estimated: boolean | undefined;
}

async function start(name: string, script: string, url: string): Promise<Child> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_ENABLED: 'false',
    CACHE_ENABLED: 'false',
    NODE_ENV: 'production',
  };
  delete env.REDIS_URL;
  return startNodeScript({ name, script, env, port, readyPath: '/health/ready' });
}

async function next(base: string, query: Record<string, string>): Promise<Call> {
  const operator = randomBytes(8).toString('hex');
  const search = new URLSearchParams({ ...query, operator });
  const started = performance.now();
  const response = await fetch(`${base}/api/queue/next?${search}`, { method: 'POST' });
  const body = (await response.json()) as {
    data?: { remaining: number; remaining_estimated?: boolean };
  };
  const ms = performance.now() - started;
  if (!response.ok || !body.data) throw new Error(`${response.status}: ${JSON.stringify(body)}`);
  await fetch(`${base}/api/queue/lease?operator=${operator}`, { method: 'DELETE' }).then((r) =>
    r.arrayBuffer(),
  );
  return { ms, remaining: body.data.remaining, estimated: body.data.remaining_estimated };
}

interface Figures {
  median_ms: number;
  ms: number[];
  remaining: number;
  estimated: boolean | null;
}

async function main() {
  const { values } = parseArgs({
    options: {
      repeat: { type: 'string', default: '5' },
      before: { type: 'string' },
    },
  });
  const repeat = Number(values.repeat);
  const url = process.env.BENCH_DATABASE_URL?.trim();
  if (!url) throw new Error('BENCH_DATABASE_URL: a copy of the catalog to measure');
  const builds = [
    ...(values.before
      ? [
          {
            name: 'before',
            script: resolve(values.before, 'main.js'),
            url: process.env.BENCH_BEFORE_DATABASE_URL?.trim() || url,
          },
        ]
      : []),
    { name: 'after', script: join(ROOT, 'server/dist/main.js'), url },
  ];
  const servers = new Map<string, Child>();
  const results: Record<string, Record<string, Call[]>> = {};
  try {
    for (const build of builds) {
      servers.set(build.name, await start(build.name, build.script, build.url));
      results[build.name] = {};
    }
    // One warm-up call of each queue on each server (first plans, pool connections).
    for (const build of builds)
      for (const queue of QUEUES) await next(servers.get(build.name)!.url, queue.query);
    for (let round = 0; round < repeat; round += 1) {
      for (const queue of QUEUES) {
        for (const build of builds) {
          const calls = (results[build.name]![queue.name] ??= []);
          calls.push(await next(servers.get(build.name)!.url, queue.query));
        }
      }
    }
  } finally {
    for (const server of servers.values()) await server.stop();
    await stopAll();
  }
  const summary = QUEUES.map((queue) => ({
    queue: queue.name,
    query: queue.query,
    builds: Object.fromEntries(
      builds.map((build) => {
        const calls = results[build.name]![queue.name]!;
        const figures: Figures = {
          median_ms: Math.round(median(calls.map((call) => call.ms)) * 10) / 10,
          ms: calls.map((call) => Math.round(call.ms * 10) / 10),
          remaining: calls.at(-1)!.remaining,
          estimated: calls.at(-1)!.estimated ?? null,
        };
        return [build.name, figures];
      }),
    ),
  }));
  for (const row of summary) {
    const parts = Object.entries(row.builds).map(
      ([name, figures]) =>
        `${name} ${figures.median_ms} ms (remaining ${figures.remaining}${figures.estimated ? ', estimated' : ''})`,
    );
    log(`${row.queue.padEnd(14)} ${parts.join(' · ')}`);
  }
  const file = join(ROOT, 'bench/results', `${new Date().toISOString().slice(0, 10)}-queue.json`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ repeat, queues: summary }, null, 2)}\n`);
  log(`Wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
