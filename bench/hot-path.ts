/**
 * The cached product page's hot path (issue 15, docs/performance-hot-path.md): GET
 * /api/products?limit=50 with the Redis cache on, against the framework ceiling
 * (bench/ceiling-server.ts: the same Fastify answering the same bytes as a constant), at 64
 * connections, in one run, several rounds, medians of the ratios.
 *
 *     npm run bench:hot-path -- [--app NAME=path/to/main.js]… [--rounds 3] [--seconds 10]
 *                               [--connections 64] [--profile] [--profile-seconds 10]
 *                               [--path /api/...] [--uncached]
 *
 * Each `--app` is a production build (server/dist/main.js by default; a copy of an older build
 * measures "before" beside "after" in the same run). Every app runs as `npm start` runs it
 * (node, source maps on), with REDIS_URL (default redis://127.0.0.1:6379), its own
 * CACHE_KEY_PREFIX, RATE_LIMIT_ENABLED=false and LOG_LEVEL=warn as bench/run.ts sets them,
 * against BENCH_DATABASE_URL (default the copy tm_1m_i15hot of the 1M catalog). The targets
 * are driven in turn, the order rotated every round, so that the machine's other load falls on
 * all of them alike.
 *
 * --profile: afterwards each app is started again under `node --cpu-prof`, loaded the same way,
 * and the samples taken during the load are attributed to components (routing, validation,
 * hooks, logging, metrics, helmet, cache keys, Redis, JSON assembly, write…): µs per request.
 * Figures are printed and written to bench/results/<time>-hot-path.json.
 *
 * --path profiles another request (an uncached read's, say) against a ceiling answering its
 * bytes; --uncached starts the app as bench/run.ts starts its uncached instance (no Redis,
 * CACHE_LOCAL_ENTRIES=0), so the profile shows the app's work beside its database's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad, type LoadFigures } from './lib/load.js';
import { freePort } from './lib/processes.js';
import { median } from './lib/median.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** What is loaded and profiled: the cached product page unless `--path` says otherwise. */
const DEFAULT_PATH = '/api/products?limit=50';

function options() {
  const args = process.argv.slice(2);
  const apps: { name: string; main: string }[] = [];
  const numbers: Record<string, number> = {
    rounds: 3,
    seconds: 10,
    connections: 64,
    'profile-seconds': 10,
    warmup: 3,
  };
  let profile = false;
  let uncached = false;
  let path = DEFAULT_PATH;
  for (let at = 0; at < args.length; at++) {
    const arg = args[at]!;
    if (arg === '--profile') profile = true;
    else if (arg === '--uncached') uncached = true;
    else if (arg === '--path') {
      path = args[++at] ?? '';
      if (!path.startsWith('/')) throw new Error('--path /api/...');
    } else if (arg === '--app') {
      const [name, main] = (args[++at] ?? '').split('=');
      if (!name || !main) throw new Error('--app NAME=path/to/main.js');
      apps.push({ name, main: resolve(main) });
    } else if (arg.startsWith('--') && arg.slice(2) in numbers) {
      numbers[arg.slice(2)] = Number(args[++at]);
    } else throw new Error(`Unknown argument ${arg}`);
  }
  if (apps.length === 0) apps.push({ name: 'app', main: join(ROOT, 'server/dist/main.js') });
  return {
    apps,
    profile,
    path,
    uncached,
    rounds: numbers.rounds!,
    seconds: numbers.seconds!,
    connections: numbers.connections!,
    profileSeconds: numbers['profile-seconds']!,
    warmup: numbers.warmup!,
    databaseUrl:
      process.env.BENCH_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/tm_1m_i15hot',
    redisUrl: process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379',
  };
}

const log = (message: string) => console.error(`[hot-path] ${message}`);

interface Server {
  name: string;
  url: string;
  process: ChildProcess;
  output: string[];
}

async function startServer(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  readyPath: string,
): Promise<Server> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 40) output.splice(0, output.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited with ${child.exitCode}:\n${output.join('\n')}`);
    }
    const ok = await fetch(url + readyPath, { signal: AbortSignal.timeout(2000) }).then(
      async (response) => (await response.arrayBuffer(), response.ok),
      () => false,
    );
    if (ok) return { name, url, process: child, output };
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready in time:\n${output.join('\n')}`);
    }
    await new Promise((done) => setTimeout(done, 200));
  }
}

async function stop(server: Server) {
  if (server.process.exitCode !== null) return;
  const exited = new Promise((done) => server.process.once('exit', done));
  server.process.kill('SIGTERM');
  const timer = setTimeout(() => server.process.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function startApp(
  app: { name: string; main: string },
  opts: ReturnType<typeof options>,
  nodeArgs: string[] = [],
) {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: opts.databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_ENABLED: 'false',
    REDIS_URL: opts.redisUrl,
    CACHE_KEY_PREFIX: `tm-hot-path-${app.name}`,
  };
  // --uncached: as bench/run.ts starts its uncached instance (CACHE_ENABLED=false, no Redis).
  if (opts.uncached) {
    delete env.REDIS_URL;
    env.CACHE_ENABLED = 'false';
  }
  return startServer(
    app.name,
    ['--enable-source-maps', ...nodeArgs, app.main],
    env,
    port,
    '/health/ready',
  );
}

/** One connection first (the caches fill without 64 misses at once), then the real load. */
async function warm(url: string, path: string, seconds: number, connections: number) {
  await runLoad(url, { path }, 1, 1);
  await runLoad(url, { path }, connections, seconds);
}

/* ------------------------------------------------------------------------------------------
 * Profile reading: samples attributed to components.
 * ---------------------------------------------------------------------------------------- */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Components that own everything they call (a hook's whole cost is the hook's), innermost
 * first; then components by the innermost frame that names one.
 */
const OWNERS: [string, (source: string, fn: string) => boolean][] = [
  ['helmet (security headers)', (s) => /@fastify\/helmet|\/helmet\/|plugins\/security\.ts/.test(s)],
  ['metrics (prom-client, hooks)', (s) => /prom-client|plugins\/metrics\.ts/.test(s)],
  [
    'request log (pino, hook)',
    (s) => /\/pino\/|\/pino-std|fast-redact|sonic-boom|plugins\/request-log\.ts/.test(s),
  ],
  ['cross-site check', (s) => /plugins\/cross-site\.ts/.test(s)],
  ['rate limit', (s) => /@fastify\/rate-limit|plugins\/rate-limit\.ts/.test(s)],
  ['auth', (s) => /features\/auth\//.test(s)],
  ['validation (ajv)', (s, fn) => /\/ajv\//.test(s) || /^validate\d*$/.test(fn)],
  ['request id (genReqId)', (_s, fn) => fn === 'genReqId'],
];
const LEAVES: [string, (source: string, fn: string) => boolean][] = [
  ['Redis client (ioredis)', (s) => /ioredis|redis-parser|denque|cluster-key-slot/.test(s)],
  ['hashing (ETag, keys)', (s) => s.startsWith('node:internal/crypto')],
  ['lru-cache (local values)', (s) => /lru-cache/.test(s)],
  [
    'cache keys and versions (cache/*)',
    (s) => /^(?:\.\.\/)*src\/cache\/|features\/products\/filters\.ts|cache\/namespaces/.test(s),
  ],
  ['product page (cached-page.ts)', (s) => /features\/products\/cached-page\.ts/.test(s)],
  ['JSON assembly (http/cached, envelope)', (s) => /^(?:\.\.\/)*src\/http\//.test(s)],
  ['routing (find-my-way)', (s) => /find-my-way/.test(s)],
  ['query string (fast-querystring)', (s) => /fast-querystring/.test(s)],
  ['serialisation (fast-json-stringify)', (s) => /fast-json-stringify/.test(s)],
  ['app hooks (app.ts: request id, closing)', (s) => /^(?:\.\.\/)*src\/app\.ts/.test(s)],
  ['products route', (s) => /features\/products\//.test(s)],
  ['other app code', (s) => /^(?:\.\.\/)*src\/|^(?:\.\.\/)*contract\/src\//.test(s)],
  ['fastify core (hooks, reply)', (s) => /\/fastify\/|\/avvio\/|fastify-plugin/.test(s)],
  [
    'HTTP parse and write (node http, net)',
    (s) =>
      /^node:(_http|net|internal\/(http|stream|streams|net|js_stream))/.test(s) ||
      s === 'node:http',
  ],
  ['promises, timers, microtasks (node)', (s) => /^node:internal\/(process|timers)/.test(s)],
  ['other node internals', (s) => s.startsWith('node:')],
  ['other packages', (s) => s.includes('node_modules')],
];
const SPECIAL: Record<string, string> = {
  '(garbage collector)': 'garbage collection',
  '(program)': 'native (V8, libuv, syscalls)',
  '(idle)': 'idle',
  '(root)': 'native (V8, libuv, syscalls)',
};

/** The source file of a frame: node_modules and node: paths as they are, the bundle mapped. */
function sourceResolver() {
  const maps = new Map<string, Promise<SourceMap | null>>();
  const loadMap = (url: string) => {
    let map = maps.get(url);
    if (!map) {
      map = readFile(`${fileURLToPath(url)}.map`, 'utf8').then(
        (text) => new SourceMap(JSON.parse(text) as never),
        () => null,
      );
      maps.set(url, map);
    }
    return map;
  };
  return async (frame: ProfileNode['callFrame']) => {
    const { url } = frame;
    if (!url.startsWith('file://') || url.includes('/node_modules/')) return url;
    const map = await loadMap(url);
    if (!map) return url;
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as {
      originalSource?: string;
    };
    return entry.originalSource ?? url;
  };
}

async function readProfile(file: string, window: { from: number; to: number }) {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const resolveSource = sourceResolver();
  const sources = new Map<number, string>();
  for (const node of profile.nodes) sources.set(node.id, await resolveSource(node.callFrame));
  const componentOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = componentOf.get(id);
    if (known) return known;
    const stack: number[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(at);
    const special = SPECIAL[byId.get(id)!.callFrame.functionName];
    let component = special;
    if (!component) {
      for (const frame of stack) {
        const fn = byId.get(frame)!.callFrame.functionName;
        const owner = OWNERS.find(([, test]) => test(sources.get(frame)!, fn));
        if (owner) {
          component = owner[0];
          break;
        }
      }
    }
    if (!component) {
      for (const frame of stack) {
        const fn = byId.get(frame)!.callFrame.functionName;
        const leaf = LEAVES.find(([, test]) => test(sources.get(frame)!, fn));
        if (leaf) {
          component = leaf[0];
          break;
        }
      }
    }
    component ??= 'native (V8, libuv, syscalls)';
    componentOf.set(id, component);
    return component;
  };
  const totals = new Map<string, number>();
  const functions = new Map<string, number>();
  let time = profile.startTime;
  let inWindow = 0;
  for (let at = 0; at < profile.samples.length; at++) {
    const delta = profile.timeDeltas[at] ?? 0;
    time += delta;
    if (time < window.from || time > window.to) continue;
    inWindow += 1;
    const id = profile.samples[at]!;
    const component = classify(id);
    totals.set(component, (totals.get(component) ?? 0) + delta);
    const frame = byId.get(id)!.callFrame;
    const where = `${frame.functionName || '(anonymous)'} ${relative(ROOT, sources.get(id)!.replace(/^file:\/\//, '')) || '(native)'}`;
    functions.set(where, (functions.get(where) ?? 0) + delta);
  }
  return { totals, functions, samples: inWindow };
}

async function profileApp(
  app: { name: string; main: string },
  opts: ReturnType<typeof options>,
  scratch: string,
  bodyFile: string,
) {
  const dir = await mkdtemp(join(scratch, `${app.name}-`));
  const profiling = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  const server =
    app.name === 'ceiling'
      ? await startCeiling(bodyFile, profiling)
      : await startApp(app, opts, profiling);
  let load: LoadFigures;
  let window: { from: number; to: number };
  try {
    await warm(server.url, opts.path, opts.warmup, opts.connections);
    const from = Number(process.hrtime.bigint() / 1000n);
    load = await runLoad(server.url, { path: opts.path }, opts.connections, opts.profileSeconds);
    window = { from, to: Number(process.hrtime.bigint() / 1000n) };
  } finally {
    await stop(server);
  }
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`${app.name}: no .cpuprofile written`);
  // Kept (not committed: tmp/ is ignored) for reading again with --read.
  const kept = join(ROOT, 'tmp/profiles', `${app.name}.cpuprofile`);
  await mkdir(dirname(kept), { recursive: true });
  await copyFile(join(dir, file), kept);
  await writeFile(`${kept}.json`, JSON.stringify({ window, requests: load.requests }));
  return reading(app.name, kept, window, load.requests, load.requestsPerSecond);
}

interface Reading {
  app: string;
  requests: number;
  requestsPerSecond: number;
  samples: number;
  busyUsPerRequest: number;
  components: Record<string, number>;
  topFunctions: { where: string; usPerRequest: number }[];
}

/** A profile's samples in the load window, by component and by function, per request. */
async function reading(
  name: string,
  file: string,
  window: { from: number; to: number },
  requests: number,
  requestsPerSecond: number,
): Promise<Reading> {
  const { totals, functions, samples } = await readProfile(file, window);
  const perRequest = (micros: number) => Math.round((micros / requests) * 10) / 10;
  const components = Object.fromEntries(
    [...totals].sort((a, b) => b[1] - a[1]).map(([name, micros]) => [name, perRequest(micros)]),
  );
  const busy = [...totals].filter(([name]) => name !== 'idle').reduce((sum, [, v]) => sum + v, 0);
  const topFunctions = [...functions]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 40)
    .map(([where, micros]) => ({ where, usPerRequest: perRequest(micros) }));
  return {
    app: name,
    requests,
    requestsPerSecond: Math.round(requestsPerSecond),
    samples,
    busyUsPerRequest: perRequest(busy),
    components,
    topFunctions,
  };
}

/* ------------------------------------------------------------------------------------------ */

function printReading(reading: Reading) {
  console.info(
    `\n${reading.app} under --cpu-prof: ${reading.requestsPerSecond} req/s, ${reading.busyUsPerRequest} µs of CPU per request (${reading.samples} samples)`,
  );
  for (const [name, micros] of Object.entries(reading.components)) {
    const share =
      name === 'idle' ? '' : `${((micros / reading.busyUsPerRequest) * 100).toFixed(1)} %`;
    console.info(`  ${String(micros).padStart(7)} µs ${share.padStart(7)}  ${name}`);
  }
}

/** --read NAME…: the profiles kept in tmp/profiles read again (after changing the rules). */
async function readAgain(names: string[]) {
  for (const name of names) {
    const file = join(ROOT, 'tmp/profiles', `${name}.cpuprofile`);
    const { window, requests } = JSON.parse(await readFile(`${file}.json`, 'utf8')) as {
      window: { from: number; to: number };
      requests: number;
    };
    const seconds = (window.to - window.from) / 1e6;
    const result = await reading(name, file, window, requests, requests / seconds);
    printReading(result);
    if (process.env.TOP) {
      for (const line of result.topFunctions) {
        console.info(`  ${String(line.usPerRequest).padStart(7)} µs  ${line.where}`);
      }
    }
  }
}

/** bench/ceiling-server.ts as bench/run.ts starts it (node --import tsx), on a free port. */
async function startCeiling(bodyFile: string, nodeArgs: string[] = []) {
  const port = await freePort();
  return startServer(
    'ceiling',
    [...nodeArgs, '--import', 'tsx', join(ROOT, 'bench/ceiling-server.ts')],
    { ...process.env, PORT: String(port), BODY_FILE: bodyFile },
    port,
    '/health/ready',
  );
}

async function main() {
  if (process.argv[2] === '--read') return readAgain(process.argv.slice(3));
  const opts = options();
  const startedAt = new Date();
  const scratch = await mkdtemp(join(os.tmpdir(), 'tm-hot-path-'));
  const servers: Server[] = [];
  try {
    log(`database ${opts.databaseUrl.replace(/\/\/[^@]*@/, '//')}, Redis ${opts.redisUrl}`);
    for (const app of opts.apps) {
      servers.push(await startApp(app, opts));
      log(`${app.name} started (${relative(ROOT, app.main)})`);
    }
    // The ceiling answers the bytes of a real page (the first app's).
    const body = await (await fetch(servers[0]!.url + opts.path)).text();
    const bodyFile = join(scratch, 'page.json');
    await writeFile(bodyFile, body);
    const ceiling = await startCeiling(bodyFile);
    servers.push(ceiling);
    log(`ceiling started; page body ${body.length} bytes`);
    for (const server of servers) await warm(server.url, opts.path, opts.warmup, opts.connections);

    // Each app's run sits between two ceiling runs, and its ratio is to their mean: the load
    // of the machine's other work drifts within seconds, and this pairs what is compared.
    const apps = servers.filter((server) => server !== ceiling);
    const load = async (target: Server, round: number) => {
      const f = await runLoad(target.url, { path: opts.path }, opts.connections, opts.seconds);
      log(
        `round ${round + 1} ${target.name}: ${Math.round(f.requestsPerSecond)} req/s, p95 ${f.p95.toFixed(1)} ms, non-2xx ${f.non2xx}, errors ${f.errors}`,
      );
      return f;
    };
    const rounds: {
      apps: Record<string, LoadFigures & { ratio: number }>;
      ceilings: LoadFigures[];
    }[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      const order = apps.map((_, at) => apps[(at + round) % apps.length]!);
      const ceilings = [await load(ceiling, round)];
      const figures: Record<string, LoadFigures & { ratio: number }> = {};
      for (const target of order) {
        const f = await load(target, round);
        const after = await load(ceiling, round);
        const before = ceilings.at(-1)!;
        ceilings.push(after);
        const ratio =
          f.requestsPerSecond / ((before.requestsPerSecond + after.requestsPerSecond) / 2);
        figures[target.name] = { ...f, ratio };
      }
      rounds.push({ apps: figures, ceilings });
    }
    const allCeilings = rounds.flatMap((r) => r.ceilings);
    const summary = opts.apps.map(({ name }) => {
      const ratios = rounds.map((r) => r.apps[name]!.ratio);
      return {
        app: name,
        requestsPerSecond: Math.round(median(rounds.map((r) => r.apps[name]!.requestsPerSecond))),
        ceilingRequestsPerSecond: Math.round(median(allCeilings.map((c) => c.requestsPerSecond))),
        ratioToCeiling: Math.round(median(ratios) * 1000) / 1000,
        ratios: ratios.map((ratio) => Math.round(ratio * 1000) / 1000),
        p95: median(rounds.map((r) => r.apps[name]!.p95)),
        p50: median(rounds.map((r) => r.apps[name]!.p50)),
        non2xx: rounds.reduce((sum, r) => sum + r.apps[name]!.non2xx, 0),
        errors: rounds.reduce((sum, r) => sum + r.apps[name]!.errors, 0),
      };
    });
    const ceilingP95 = median(allCeilings.map((c) => c.p95));
    for (const server of servers) await stop(server);
    servers.length = 0;

    console.info(
      `\n${opts.uncached ? 'Uncached' : 'Cached'} ${opts.path}, ${opts.connections} connections, ${opts.rounds} rounds of ${opts.seconds} s, medians; ratio to the mean of the ceiling runs just before and after; ceiling p95 ${ceilingP95.toFixed(1)} ms`,
    );
    for (const line of summary) {
      console.info(
        `  ${line.app.padEnd(14)} ${String(line.requestsPerSecond).padStart(6)} req/s  ${(line.ratioToCeiling * 100).toFixed(1).padStart(5)} % of ceiling (${line.ceilingRequestsPerSecond} req/s; rounds ${line.ratios.map((r) => (r * 100).toFixed(1)).join(' / ')})  p50 ${line.p50.toFixed(1)} ms  p95 ${line.p95.toFixed(1)} ms  non-2xx ${line.non2xx} errors ${line.errors}`,
      );
    }

    const profiles = [];
    if (opts.profile) {
      for (const app of [...opts.apps, { name: 'ceiling', main: '' }]) {
        log(`profiling ${app.name}…`);
        const result = await profileApp(app, opts, scratch, bodyFile);
        profiles.push(result);
        printReading(result);
      }
    }

    const file = join(
      ROOT,
      'bench/results',
      `${startedAt.toISOString().slice(0, 19).replace(/:/g, '-')}-hot-path.json`,
    );
    await mkdir(dirname(file), { recursive: true });
    await writeFile(
      file,
      `${JSON.stringify(
        {
          startedAt: startedAt.toISOString(),
          page: opts.path,
          uncached: opts.uncached,
          connections: opts.connections,
          seconds: opts.seconds,
          rounds: opts.rounds,
          database: opts.databaseUrl.replace(/\/\/[^@]*@/, '//'),
          apps: opts.apps.map((app) => ({ name: app.name, main: relative(ROOT, app.main) })),
          pageBytes: body.length,
          ceilingP95,
          summary,
          perRound: rounds,
          profiles,
        },
        null,
        2,
      )}\n`,
    );
    log(`Wrote ${relative(ROOT, file)}`);
  } finally {
    for (const server of servers) await stop(server).catch(() => {});
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
