/**
 * Real processes for the fault tests: a throwaway PostgreSQL cluster (initdb + pg_ctl, on a free
 * port in a temp dir), a throwaway Redis (`redis-server` as a child process) and the app itself
 * (`node --import tsx server/src/main.ts`, as the benchmark starts it). Everything they start is
 * tracked and removed by `cleanupAll()`, and killed on process exit as a last resort.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../bench/lib/processes.js';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const cleanups = new Set<() => Promise<void>>();
const children = new Set<ChildProcess>();
let exitHook = false;

function track(child: ChildProcess) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const running of children) running.kill('SIGKILL');
    });
  }
}

/** Stops every process and removes every directory this module created, in reverse order. */
export async function cleanupAll(): Promise<void> {
  for (const cleanup of [...cleanups].reverse()) {
    cleanups.delete(cleanup);
    await cleanup().catch((error: unknown) => console.error('[faults] cleanup failed:', error));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/* ---------------------------------------------------------------------------------------------
 * PostgreSQL
 * ------------------------------------------------------------------------------------------- */

/** The newest /usr/lib/postgresql/<version>/bin that has initdb (PG_BIN_DIR overrides it). */
function postgresBinDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((name) => existsSync(join(base, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error('No PostgreSQL server binaries in /usr/lib/postgresql/*/bin (set PG_BIN_DIR)');
  }
  return join(base, versions[0]!, 'bin');
}

/** initdb refuses to run as root: then the cluster belongs to the `postgres` system user. */
const RUN_AS = process.getuid?.() === 0 ? 'postgres' : undefined;

/** Runs a PostgreSQL tool (as the cluster's owner) without blocking this process's event loop. */
function runPostgresTool(tool: string, args: string[]): Promise<string> {
  const binary = join(postgresBinDir(), tool);
  const [command, commandArgs] = RUN_AS
    ? ['runuser', ['-u', RUN_AS, '--', binary, ...args]]
    : [binary, args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${tool} ${args.join(' ')} failed (${code}):\n${output}`)),
    );
  });
}

export interface PostgresCluster {
  port: number;
  url(database?: string): string;
  /** `pg_ctl stop -m <mode>`: fast disconnects every session, as a restart does. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresCluster> {
  const dir = await mkdtemp(join(os.tmpdir(), 'tag-manager-faults-pg-'));
  if (RUN_AS) {
    const uid = Number(spawnSync('id', ['-u', RUN_AS], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', RUN_AS], { encoding: 'utf8' }).stdout.trim());
    await chown(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  let running = false;
  const cluster: PostgresCluster = {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async stop(mode = 'fast') {
      await runPostgresTool('pg_ctl', ['-D', data, 'stop', '-m', mode, '-w', '-t', '30']);
      running = false;
    },
    async start() {
      await runPostgresTool('pg_ctl', [
        '-D',
        data,
        '-l',
        join(dir, 'postgres.log'),
        '-w',
        '-t',
        '30',
        '-o',
        `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=100`,
        'start',
      ]);
      running = true;
    },
  };
  cleanups.add(async () => {
    if (running) {
      await cluster
        .stop('immediate')
        .catch((error: unknown) =>
          console.error('[faults] could not stop the throwaway PostgreSQL:', error),
        );
    }
    await rm(dir, { recursive: true, force: true });
  });
  await runPostgresTool('initdb', [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  await cluster.start();
  return cluster;
}

/* ---------------------------------------------------------------------------------------------
 * Redis
 * ------------------------------------------------------------------------------------------- */

export interface RedisServer {
  port: number;
  url: string;
  start(): Promise<void>;
  /** Starts it unless it is running. */
  ensure(): Promise<void>;
  /** SIGKILL: the connection drops at once, nothing is saved. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: the connection stays open but nothing answers. */
  pause(): void;
  resume(): void;
}

export async function redisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    running.kill('SIGCONT');
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) throw new Error('Redis is already running');
      const started = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      track(started);
      child = started;
      await waitFor('Redis to accept connections', () => canConnect(port), 10_000);
    },
    async ensure() {
      if (!child) await server.start();
    },
    kill,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
  };
  cleanups.add(kill);
  return server;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/* ---------------------------------------------------------------------------------------------
 * The app
 * ------------------------------------------------------------------------------------------- */

export interface AppProcess {
  name: string;
  pid: number;
  url: string;
  /** The last lines the process wrote (stdout and stderr). */
  output(): string;
  /** Distinct messages of the errors it logged (level error and above), with their counts. */
  loggedErrors(): Record<string, number>;
  /** Resolves with the exit code (null when killed by a signal) and when it happened. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  running(): boolean;
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

export async function startApp(name: string, env: Record<string, string>): Promise<AppProcess> {
  const port = await freePort();
  const lines: string[] = [];
  const errors: Record<string, number> = {};
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/src/main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.tmpdir(),
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  const keep = (chunk: Buffer) => {
    const added = chunk.toString('utf8').split('\n').filter(Boolean);
    for (const line of added) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as { level?: number; err?: { message?: string } };
        if ((entry.level ?? 0) >= 50) {
          const message = entry.err?.message?.split('\n')[0] ?? 'unknown';
          errors[message] = (errors[message] ?? 0) + 1;
        }
      } catch {
        // a partial line: not counted
      }
    }
    lines.push(...added);
    if (lines.length > 60) lines.splice(0, lines.length - 60);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  const url = `http://127.0.0.1:${port}`;
  let reported = false;
  const app: AppProcess = {
    name,
    pid: child.pid!,
    url,
    output: () => lines.join('\n'),
    loggedErrors: () => ({ ...errors }),
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
    signal: (signal) => {
      // An exit this test asked for is not worth reporting.
      reported = true;
      child.kill(signal);
    },
    async stop() {
      cleanups.delete(app.stop);
      if (!app.running()) {
        if (child.exitCode !== 0 && !reported) {
          reported = true;
          console.error(
            `[faults] ${name} had exited (${child.exitCode ?? child.signalCode}):\n${app.output()}`,
          );
        }
        return;
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
  cleanups.add(app.stop);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!app.running()) throw new Error(`${name} exited while starting:\n${app.output()}`);
    const live = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(2000) }).then(
      async (response) => (await response.arrayBuffer(), response.ok),
      () => false,
    );
    if (live) return app;
    if (Date.now() > deadline) {
      await app.stop();
      throw new Error(`${name} did not answer /health/live in time:\n${app.output()}`);
    }
    await sleep(100);
  }
}
