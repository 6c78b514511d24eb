/**
 * Where the CPU of an uncached read goes: the app's process against PostgreSQL's backends
 * (issue 15, docs/performance-limits.md). For each path, the production build (server/dist,
 * as `npm start` runs it, CACHE_ENABLED=false as bench/run.ts's uncached instance) is loaded at
 * `--connections` for `--seconds`, and the user and system CPU time of the server process and
 * of every `postgres` process (from /proc) is divided by the requests answered.
 *
 *     npm run bench:cpu-split -- [--connections 16] [--seconds 8] [PATH…]
 *
 * Without paths: the uncached scenarios of `npm run bench` (a detail page takes the first
 * product by id). BENCH_DATABASE_URL names the database (default the 1M catalog tm_1m).
 * Linux only. Writes bench/results/<time>-cpu-split.json.
 */
import { execSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { runLoad } from './lib/load.js';
import { startAppServer, stopAll } from './lib/processes.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TICK_US = 1_000_000 / Number(execSync('getconf CLK_TCK').toString().trim());

async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

async function postgresTicks(): Promise<number> {
  const pids = execSync('ps -C postgres -o pid=').toString().trim().split(/\s+/).map(Number);
  let total = 0;
  for (const pid of pids) total += await cpuTicks(pid).catch(() => 0);
  return total;
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      connections: { type: 'string', default: '16' },
      seconds: { type: 'string', default: '8' },
    },
  });
  const connections = Number(values.connections);
  const seconds = Number(values.seconds);
  const databaseUrl =
    process.env.BENCH_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/tm_1m';
  let paths = positionals;
  if (paths.length === 0) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const handle = (
      await client.query<{ h: string }>('select product_id as h from products order by id limit 1')
    ).rows[0]!.h;
    await client.end();
    paths = [
      '/api/products?limit=50',
      '/api/products?limit=50&hide_allocated=true',
      `/api/products/${encodeURIComponent(handle)}`,
      '/api/categories/tree',
      '/api/stats',
    ];
  }
  // As npm start runs it (the production build), the cache off as bench/run.ts's uncached
  // instance, no Redis.
  const server = await startAppServer('app', databaseUrl, {
    NODE_ENV: 'production',
    RATE_LIMIT_ENABLED: 'false',
    CACHE_ENABLED: 'false',
    REDIS_URL: undefined,
  });
  const url = server.url;
  const results: Record<string, unknown>[] = [];
  try {
    for (const path of paths) {
      await runLoad(url, { path }, connections, 2);
      const app0 = await cpuTicks(server.pid);
      const pg0 = await postgresTicks();
      const load = await runLoad(url, { path }, connections, seconds);
      const appUs = ((await cpuTicks(server.pid)) - app0) * TICK_US;
      const pgUs = ((await postgresTicks()) - pg0) * TICK_US;
      const row = {
        path,
        connections,
        requestsPerSecond: Math.round(load.requestsPerSecond),
        p95: load.p95,
        appCpuUsPerRequest: Math.round(appUs / load.requests),
        postgresCpuUsPerRequest: Math.round(pgUs / load.requests),
        non2xx: load.non2xx,
      };
      console.log(
        `${path}: ${row.requestsPerSecond} req/s, p95 ${load.p95.toFixed(1)} ms; CPU per request: app ${row.appCpuUsPerRequest} µs, PostgreSQL ${row.postgresCpuUsPerRequest} µs`,
      );
      results.push(row);
    }
  } finally {
    await server.stop();
    await stopAll();
  }
  const file = join(
    ROOT,
    'bench/results',
    `${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}-cpu-split.json`,
  );
  await mkdir(dirname(file), { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify({ databaseUrl: databaseUrl.replace(/\/\/[^@]*@/, '//'), results }, null, 2)}\n`,
  );
  console.log(`Wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
