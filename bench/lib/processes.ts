/**
 * Child processes of a benchmark run (the app, the framework-ceiling server): started with a
 * free port, waited for until they answer, and always stopped — on success, on error, on SIGINT.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const children = new Set<ChildProcess>();
let hooksInstalled = false;
const interruptHooks = new Set<() => Promise<void>>();

/**
 * Work to do on Ctrl-C (or SIGTERM) while the child processes still run, such as undoing the
 * writes a run made through the app; given at most 60 s. Returns the function that removes it.
 */
export function onInterrupt(hook: () => Promise<void>): () => void {
  interruptHooks.add(hook);
  return () => void interruptHooks.delete(hook);
}

async function runInterruptHooks() {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled([...interruptHooks].map((hook) => hook())),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 60_000);
    }),
  ]);
  clearTimeout(timer);
}

export interface Child {
  name: string;
  pid: number;
  url: string;
  process: ChildProcess;
  /** The last lines the process wrote (stdout and stderr), for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function installHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // The last resort: whatever happens to this process, its children do not outlive it.
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the benchmark and its child processes…`);
      void runInterruptHooks()
        .then(() => stopAll())
        .finally(() => process.exit(130));
    });
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stopProcess(child)));
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts `node --import tsx <script>` for TypeScript (what `tsx <script>` does, minus tsx's own
 * wrapper process, so that the pid is the server's own and its memory can be sampled), or
 * `node --enable-source-maps <script>` for a built `.js` (as `npm start` runs it), then polls
 * `readyPath` until it answers 200.
 */
export async function startNodeScript(options: {
  name: string;
  script: string;
  env: NodeJS.ProcessEnv;
  port: number;
  readyPath: string;
  timeoutMs?: number;
  /** Node options before the script (`--cpu-prof`, which NODE_OPTIONS does not allow). */
  nodeArgs?: string[];
}): Promise<Child> {
  installHooks();
  const lines: string[] = [];
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      ...(options.script.endsWith('.ts') ? ['--import', 'tsx'] : ['--enable-source-maps']),
      options.script,
    ],
    {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${options.port}`;
  const output = () => lines.join('\n');
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) {
      children.delete(child);
      throw new Error(`${options.name} exited with code ${child.exitCode}:\n${output()}`);
    }
    try {
      const response = await fetch(url + options.readyPath, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopProcess(child);
      throw new Error(`${options.name} did not become ready in time:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    name: options.name,
    pid: child.pid!,
    url,
    process: child,
    output,
    stop: () => stopProcess(child),
  };
}

const SERVER_SOURCE = fileURLToPath(new URL('../../server/src/main.ts', import.meta.url));
const SERVER_BUILD = fileURLToPath(new URL('../../server/dist/main.js', import.meta.url));
const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build.mjs', import.meta.url));
let built = false;

/**
 * The server the benchmarks start: the production build (`server/dist/main.js`, built first when
 * out of date, as `npm start` does), or with BENCH_SERVER=source the TypeScript through tsx (the
 * benchmarks' way before 2026-12-04; the full summaries say which).
 */
export function serverEntry(): string {
  const source = process.env.BENCH_SERVER === 'source';
  if (!source && !built) {
    const build = spawnSync(process.execPath, [BUILD_SCRIPT], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status})`);
    built = true;
  }
  return source ? SERVER_SOURCE : SERVER_BUILD;
}

/**
 * The real app in its own process on a free port, against `databaseUrl`, logging warnings
 * only; `env` adds to (or, with undefined, removes from) the environment it inherits. Ready
 * once /health/ready answers.
 */
export async function startAppServer(
  name: string,
  databaseUrl: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Child & { env: NodeJS.ProcessEnv }> {
  const port = await freePort();
  const full: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    ...env,
  };
  for (const [key, value] of Object.entries(full)) if (value === undefined) delete full[key];
  const child = await startNodeScript({
    name,
    script: serverEntry(),
    port,
    readyPath: '/health/ready',
    env: full,
    // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=tmp/prof": a profile of the server.
    nodeArgs: process.env.BENCH_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean),
  });
  return { ...child, env: full };
}

/** A line of /proc/<pid>/status in bytes (VmRSS, VmHWM), or undefined off Linux. */
export async function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM') {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
