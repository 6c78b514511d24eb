/**
 * Memory and start time of the production server (issue 15, item 1):
 *
 *     npm run bench:memory [-- --driver pglite|postgres|both] [--starts 3] [--idle 30]
 *                          [--compare /path/to/other/checkout] [--postgres-url URL]
 *
 * Starts the production build as `npm start` does (`node scripts/start.mjs`, after building what
 * is out of date), on each driver:
 * - pglite: the embedded default on a new data directory; its first start creates the sample
 *   catalog (timed once), then `--starts` starts on that directory are measured;
 * - postgres: a new database made for the run (on --postgres-url, default
 *   postgres://postgres@127.0.0.1:5432) and dropped after; the first start migrates it.
 * Each measured start: time from spawn to /health/ready answering 200; after `--idle` seconds
 * the process's RSS and what holds it (below); then 20 rounds of requests (a product page, the
 * category tree, a search, the web app) and the RSS once they are answered; the peak (VmHWM).
 *
 * What holds the memory: the server is started with bench/lib/memory-probe.mjs preloaded, which
 * writes each thread's V8 heap to a file; /proc/<pid>/smaps gives PGlite's WebAssembly memory
 * (the one anonymous mapping of 128 MiB or more), the node binary and shared libraries (mapped
 * files); the rest is native memory (compiled WebAssembly and JavaScript code, malloc, stacks).
 *
 * With --compare, the other checkout's build is measured the same way in the same run (before
 * and after, alternating starts), so the machine's load weighs on both alike. Prints a table
 * and writes bench/results/<date>-memory.json. Medians of the measured starts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { freePort, procStatusBytes } from './lib/processes.js';
import { median } from './lib/median.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROBE = fileURLToPath(new URL('./lib/memory-probe.mjs', import.meta.url));

const option = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
};
const starts = Number(option('starts', '3'));
const idleSeconds = Number(option('idle', '30'));
const driverOption = option('driver', 'both');
const drivers = (driverOption === 'both' ? ['pglite', 'postgres'] : [driverOption]) as Driver[];
const compare = option('compare', '');
const postgresUrl = option(
  'postgres-url',
  process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
);

type Driver = 'pglite' | 'postgres';
const MiB = 1_048_576;
const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** What holds the resident memory, in bytes. */
interface Parts {
  rss: number;
  main_js_heap: number;
  worker_js_heap: number;
  pglite_wasm_memory: number;
  binary_and_libraries: number;
  other_native: number;
}

interface Start {
  ready_ms: number;
  idle: Parts;
  after_requests_rss: number;
  peak_rss: number;
}

interface Target {
  label: string;
  root: string;
}

/** RSS by mapping: PGlite's WebAssembly memory, mapped files, the rest. */
async function smaps(pid: number) {
  const text = await readFile(`/proc/${pid}/smaps`, 'utf8');
  let wasm = 0;
  let files = 0;
  let total = 0;
  let current = { size: 0, name: '' };
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      current = {
        size: parseInt(header[2]!, 16) - parseInt(header[1]!, 16),
        name: header[3]!.trim(),
      };
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const bytes = Number(rss[1]) * 1024;
    total += bytes;
    if (current.name.startsWith('/')) files += bytes;
    else if (current.name === '' && current.size >= 128 * MiB && current.size < 4096 * MiB) {
      wasm += bytes;
    }
  }
  return { wasm, files, total };
}

async function probes(dir: string) {
  const heaps = new Map<number, number>();
  for (const file of await readdir(dir)) {
    try {
      const probe = JSON.parse(await readFile(join(dir, file), 'utf8')) as {
        threadId: number;
        heapTotal: number;
      };
      heaps.set(probe.threadId, probe.heapTotal);
    } catch {
      // being written: the next read has it
    }
  }
  const main = heaps.get(0) ?? 0;
  const workers = [...heaps].filter(([id]) => id !== 0).reduce((sum, [, heap]) => sum + heap, 0);
  return { main, workers };
}

async function parts(pid: number, probeDir: string): Promise<Parts> {
  const [maps, heaps] = await Promise.all([smaps(pid), probes(probeDir)]);
  const rss = (await procStatusBytes(pid, 'VmRSS')) ?? maps.total;
  return {
    rss,
    main_js_heap: heaps.main,
    worker_js_heap: heaps.workers,
    pglite_wasm_memory: maps.wasm,
    binary_and_libraries: maps.files,
    other_native: Math.max(0, rss - heaps.main - heaps.workers - maps.wasm - maps.files),
  };
}

async function startOnce(target: Target, env: NodeJS.ProcessEnv, measure: boolean) {
  const port = await freePort();
  const probeDir = await mkdtemp(join(tmpdir(), 'tm-memory-probe-'));
  const full: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_ENABLED: 'false',
    MEMORY_PROBE_DIR: probeDir,
    ...env,
  };
  for (const key of ['REDIS_URL', 'AUTH_MODE']) delete full[key];
  for (const [key, value] of Object.entries(full)) if (value === undefined) delete full[key];
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', pathToFileURL(PROBE).href, join(target.root, 'scripts', 'start.mjs')],
    { env: full, stdio: ['ignore', 'pipe', 'pipe'], cwd: target.root },
  );
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n'));
    if (lines.length > 60) lines.splice(0, lines.length - 60);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(probeDir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the server exited:\n${lines.join('\n')}`);
      try {
        const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.ok) break;
      } catch {
        // not listening yet
      }
      if (performance.now() - started > 300_000) throw new Error('not ready after 300 s');
      await sleep(20);
    }
    const readyMs = Math.round(performance.now() - started);
    if (!measure) return { ready_ms: readyMs };
    await sleep(idleSeconds * 1000);
    const idle = await parts(child.pid!, probeDir);
    for (let round = 0; round < 20; round++) {
      for (const path of [
        '/api/products?limit=50',
        `/api/products?limit=50&offset=${round}`,
        '/api/categories/tree',
        `/api/products?limit=50&search=${round % 2 ? 'blue' : 'shirt'}&offset=${round}`,
        '/',
      ]) {
        const response = await fetch(url + path);
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${path}: ${response.status}`);
      }
    }
    await sleep(2000);
    const start: Start = {
      ready_ms: readyMs,
      idle,
      after_requests_rss: (await procStatusBytes(child.pid!, 'VmRSS')) ?? 0,
      peak_rss: (await procStatusBytes(child.pid!, 'VmHWM')) ?? 0,
    };
    return start;
  } finally {
    await stop();
  }
}

/** A new database for the run; `drop` removes it. */
async function createDatabase() {
  const name = `tm_memory_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const admin = () => new pg.Client({ connectionString: `${postgresUrl}/postgres` });
  const client = admin();
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  return {
    url: `${postgresUrl}/${name}`,
    drop: async () => {
      const dropping = admin();
      await dropping.connect();
      await dropping.query(`drop database if exists ${name} with (force)`);
      await dropping.end();
    },
  };
}

interface Summary {
  label: string;
  driver: Driver;
  first_start_ms: number;
  starts: Start[];
}

async function run(driver: Driver, targets: Target[]): Promise<Summary[]> {
  const scratch = await mkdtemp(join(tmpdir(), 'tm-memory-'));
  const summaries = targets.map((target) => ({
    label: target.label,
    driver,
    first_start_ms: 0,
    starts: [] as Start[],
  }));
  const drops: (() => Promise<void>)[] = [];
  try {
    const envs: NodeJS.ProcessEnv[] = [];
    for (const [index] of targets.entries()) {
      if (driver === 'pglite') {
        envs.push({ DATA_DIR: join(scratch, `data-${index}`), DATABASE_URL: undefined });
      } else {
        const database = await createDatabase();
        drops.push(database.drop);
        envs.push({ DATABASE_URL: database.url });
      }
    }
    for (const [index, target] of targets.entries()) {
      const first = await startOnce(target, envs[index]!, false);
      summaries[index]!.first_start_ms = first.ready_ms;
      console.log(`${driver} ${target.label}: first start ${first.ready_ms} ms`);
    }
    for (let round = 0; round < starts; round++) {
      for (const [index, target] of targets.entries()) {
        const start = (await startOnce(target, envs[index]!, true)) as Start;
        summaries[index]!.starts.push(start);
        console.log(
          `${driver} ${target.label}: ready ${start.ready_ms} ms, idle RSS ${mib(start.idle.rss)} MiB, after requests ${mib(start.after_requests_rss)} MiB, peak ${mib(start.peak_rss)} MiB`,
        );
      }
    }
  } finally {
    await Promise.allSettled(drops.map((drop) => drop()));
    await rm(scratch, { recursive: true, force: true });
  }
  return summaries;
}

function summarise(summary: Summary) {
  const of = (pick: (start: Start) => number) => mib(median(summary.starts.map(pick)));
  return {
    label: summary.label,
    driver: summary.driver,
    first_start_ms: summary.first_start_ms,
    ready_ms: median(summary.starts.map((start) => start.ready_ms)),
    idle_rss_mib: of((start) => start.idle.rss),
    main_js_heap_mib: of((start) => start.idle.main_js_heap),
    worker_js_heap_mib: of((start) => start.idle.worker_js_heap),
    pglite_wasm_memory_mib: of((start) => start.idle.pglite_wasm_memory),
    binary_and_libraries_mib: of((start) => start.idle.binary_and_libraries),
    other_native_mib: of((start) => start.idle.other_native),
    after_requests_rss_mib: of((start) => start.after_requests_rss),
    peak_rss_mib: of((start) => start.peak_rss),
  };
}

async function main() {
  const targets: Target[] = [];
  if (compare) targets.push({ label: 'compare', root: resolve(compare) });
  targets.push({ label: compare ? 'this' : 'build', root: ROOT });
  for (const target of targets) {
    // Built first, so that no start below spends its time building.
    const built = spawnSync(process.execPath, [join(target.root, 'scripts', 'build.mjs')], {
      stdio: 'inherit',
      cwd: target.root,
    });
    if (built.status !== 0) throw new Error(`the build in ${target.root} failed`);
  }
  const summaries: Summary[] = [];
  for (const driver of drivers) summaries.push(...(await run(driver, targets)));
  const rows = summaries.map(summarise);
  console.log(
    `\nProduction server, median of ${starts} starts; idle = ${idleSeconds} s after ready (MiB, ms)`,
  );
  console.table(rows);
  const date = new Date().toISOString();
  const results = {
    date,
    node: process.version,
    starts,
    idle_seconds: idleSeconds,
    targets,
    rows,
    raw: summaries,
  };
  const file = join(
    ROOT,
    'bench',
    'results',
    `${date.slice(0, 19).replace(/:/g, '-')}-memory.json`,
  );
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`written: ${file}`);
}

await main();
