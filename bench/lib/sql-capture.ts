/**
 * What the database does for one HTTP request, captured from the real app so that a scenario's
 * database ceiling replays exactly the SQL the app sends, not a copy that could drift.
 *
 * The app is built in this process (the same buildApp, configuration and pool as the server,
 * with its cache switched off as for the uncached instance) and each request is injected once
 * to warm the app's in-process state, then once more under an AsyncLocalStorage tag. Every
 * `pg.Pool#query` issued in that request's async context is recorded: text, values, the
 * prepared-statement name and row mode. Statements issued while an earlier statement of the
 * same wave had not yet answered ran concurrently (Promise.all in the repository), so they form
 * one wave; a statement issued after an answer opens the next wave. The replay runs the waves
 * in order and each wave's statements at once, as the app did.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { buildApp } from '../../server/src/app.js';
import { loadConfig } from '../../server/src/config.js';
import { openDatabase } from '../../server/src/db/client.js';

export interface CapturedStatement {
  text: string;
  values: unknown[] | undefined;
  name: string | undefined;
  rowMode: string | undefined;
}

/** One request's database work: waves in order, each wave's statements concurrent. */
export interface CapturedRequest {
  path: string;
  status: number;
  waves: CapturedStatement[][];
}

interface Recording {
  waves: CapturedStatement[][];
  answeredInWave: boolean;
  transaction: boolean;
}

const recordings = new AsyncLocalStorage<Recording>();
let patched = false;

type QueryArgs = [unknown, ...unknown[]];

function statementOf(args: QueryArgs): CapturedStatement | undefined {
  const [first, second] = args;
  if (typeof first === 'string') {
    return {
      text: first,
      values: Array.isArray(second) ? second : undefined,
      name: undefined,
      rowMode: undefined,
    };
  }
  if (first && typeof first === 'object' && 'text' in first) {
    const config = first as { text: string; values?: unknown[]; name?: string; rowMode?: string };
    return {
      text: config.text,
      values: config.values ?? (Array.isArray(second) ? second : undefined),
      name: config.name,
      rowMode: config.rowMode,
    };
  }
  return undefined;
}

/**
 * Records at `pg.Pool#query`, which the app's drizzle executor calls in the request's async
 * context (the pool then hands the statement to a client from its own callbacks, where that
 * context is lost). A `BEGIN` on a checked-out client is seen at `pg.Client#query`, called from
 * the app's own code, and marks the request as transactional.
 */
function patchQueries() {
  if (patched) return;
  patched = true;
  const clientQuery = pg.Client.prototype.query as unknown as (
    this: pg.Client,
    ...args: QueryArgs
  ) => unknown;
  (pg.Client.prototype as unknown as { query: typeof clientQuery }).query = function (
    this: pg.Client,
    ...args: QueryArgs
  ) {
    const recording = recordings.getStore();
    const statement = recording && statementOf(args);
    if (recording && statement && /^\s*(begin|start transaction)\b/i.test(statement.text)) {
      recording.transaction = true;
    }
    return clientQuery.apply(this, args);
  };
  const poolQuery = pg.Pool.prototype.query as unknown as (
    this: pg.Pool,
    ...args: QueryArgs
  ) => unknown;
  (pg.Pool.prototype as unknown as { query: typeof poolQuery }).query = function (
    this: pg.Pool,
    ...args: QueryArgs
  ) {
    const recording = recordings.getStore();
    const statement = recording && statementOf(args);
    if (!recording || !statement) return poolQuery.apply(this, args);
    if (recording.waves.length === 0 || recording.answeredInWave) {
      recording.waves.push([]);
      recording.answeredInWave = false;
    }
    const wave = recording.waves[recording.waves.length - 1]!;
    wave.push(statement);
    const answered = () => {
      if (recording.waves[recording.waves.length - 1] === wave) recording.answeredInWave = true;
    };
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      const callback = last as (...values: unknown[]) => void;
      args[args.length - 1] = (...values: unknown[]) => {
        answered();
        callback(...values);
      };
      return poolQuery.apply(this, args);
    }
    const result = poolQuery.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(answered, answered);
    }
    return result;
  };
}

/**
 * Builds the app on `url` with `env` (the uncached instance's settings), injects every path
 * twice and returns the second request's statements per path. A request that is not answered
 * 2xx, or that opens a transaction (its statements could not be replayed on a pool), is an
 * error: the ceiling would measure something else than the scenario.
 */
export async function captureRequests(
  url: string,
  env: NodeJS.ProcessEnv,
  paths: string[],
  headers: Record<string, string> = {},
): Promise<CapturedRequest[]> {
  patchQueries();
  const database = await openDatabase({
    driver: 'postgres',
    url,
    poolSize: 10,
    connectionTimeoutMs: 30_000,
    idleTimeoutMs: 10_000,
    maxLifetimeSeconds: 3600,
    statementTimeoutMs: 0,
  });
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    RATE_LIMIT_ENABLED: 'false',
    CACHE_ENABLED: 'false',
    ...env,
  });
  const app = await buildApp(config, { database });
  try {
    await app.ready();
    const captured: CapturedRequest[] = [];
    for (const path of paths) {
      await app.inject({ method: 'GET', url: path, headers });
      const recording: Recording = { waves: [], answeredInWave: false, transaction: false };
      // inject() returns a lazy chain that dispatches when awaited: await it inside the run.
      const response = await recordings.run(
        recording,
        async () => await app.inject({ method: 'GET', url: path, headers }),
      );
      if (response.statusCode < 200 || response.statusCode >= 300) {
        throw new Error(`${path} answered ${response.statusCode} while its SQL was captured`);
      }
      if (recording.transaction) {
        throw new Error(`${path} opens a transaction: its statements cannot be replayed on a pool`);
      }
      captured.push({ path, status: response.statusCode, waves: recording.waves });
    }
    return captured;
  } finally {
    await app.close();
    await database.close();
  }
}
