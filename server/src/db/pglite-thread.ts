/**
 * The embedded database off the main thread: PGlite runs in a worker (pglite-worker.mjs) and this
 * client stands in for it where Drizzle expects a PGlite (`query` and `transaction`), so a slow
 * statement never stalls the event loop.
 *
 * PGlite has one connection, so statements run one at a time, in arrival order; a transaction
 * holds the connection from BEGIN to COMMIT/ROLLBACK (PGlite's own mutex does the same in-thread).
 *
 * PGlite ignores `statement_timeout`, so the timeout is kept here: a statement that runs longer
 * than `statementTimeoutMs` is answered with SQLSTATE 57014 at once (the API's 503 "The database
 * took too long to answer"). With a data directory the worker is then terminated and the
 * directory reopened in a fresh one: PostgreSQL's crash recovery replays the WAL, so committed
 * data survives and the statement's uncommitted work is gone. Statements queued meanwhile keep
 * their order and run on the new worker. An in-memory database ('memory://') cannot be reopened:
 * there the statement runs on to its end in the worker and later statements wait for it.
 */
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { PGLITE_WORKER } from '../paths.js';

export interface WorkerQueryOptions {
  rowMode?: 'array' | 'object';
  parsers?: Record<number, (value: string, typeId: number) => unknown>;
}

export interface WorkerResults<Row = unknown> {
  rows: Row[];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
}

export interface WorkerTransaction {
  query<Row>(
    sql: string,
    params?: unknown[],
    options?: WorkerQueryOptions,
  ): Promise<WorkerResults<Row>>;
  exec(sql: string): Promise<WorkerResults[]>;
  closed: boolean;
}

export interface PGliteThreadOptions {
  dataDir: string;
  /** Longest a statement may run before it is answered 57014 (0 = no limit). */
  statementTimeoutMs: number;
  /** Hears each worker restart after a timeout or a crash (for logs and tests). */
  onRestart?: (reason: string) => void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

type WorkerError = Record<string, unknown> & { message: string };

const workerUrl = pathToFileURL(PGLITE_WORKER);

/** A PostgreSQL-shaped error: the error handler maps the SQLSTATE in `code`. */
export class EmbeddedDatabaseError extends Error {
  constructor(
    message: string,
    public readonly code: string,
  ) {
    super(message);
    this.name = 'EmbeddedDatabaseError';
  }
}

function revive(plain: WorkerError): Error {
  const error = new Error(plain.message);
  for (const [key, value] of Object.entries(plain)) {
    if (key !== 'message') (error as unknown as Record<string, unknown>)[key] = value;
  }
  return error;
}

/** The identity parsers Drizzle passes, as type OIDs (functions cannot cross threads). */
function identityOids(parsers: WorkerQueryOptions['parsers']): number[] {
  if (!parsers) return [];
  return Object.entries(parsers).map(([oid, parse]) => {
    if (parse('2000-01-01', Number(oid)) !== '2000-01-01') {
      throw new Error(`Only identity parsers cross to the database worker (type ${oid})`);
    }
    return Number(oid);
  });
}

/** A FIFO lock: the one connection, held by one statement or one transaction at a time. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<Result>(work: () => Promise<Result>): Promise<Result> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}

export class PGliteThread {
  private worker!: Worker;
  /** Settles when the current worker has opened the database (or failed to). */
  private ready!: Promise<void>;
  /** Bumped on every restart: a transaction begun on an older worker is gone. */
  private generation = 0;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  /** The real end of the statement in flight (it can outlive its answer in memory mode). */
  private inFlight: Promise<unknown> = Promise.resolve();
  private readonly lock = new Mutex();
  private closing = false;
  readonly restartable: boolean;
  private timeoutMs: number;

  private constructor(private readonly options: PGliteThreadOptions) {
    this.restartable = options.dataDir !== 'memory://';
    this.timeoutMs = options.statementTimeoutMs;
    this.start();
  }

  static async open(options: PGliteThreadOptions): Promise<PGliteThread> {
    const thread = new PGliteThread(options);
    try {
      await thread.ready;
    } catch (error) {
      await thread.worker.terminate();
      throw error;
    }
    return thread;
  }

  /** Runs `work` with no statement timeout (migrations: one may outlast it on a big catalog). */
  async withoutTimeout<Result>(work: () => Promise<Result>): Promise<Result> {
    const saved = this.timeoutMs;
    this.timeoutMs = 0;
    try {
      return await work();
    } finally {
      this.timeoutMs = saved;
    }
  }

  /** How many times the worker was restarted (after a timeout or a crash). */
  get restarts(): number {
    return this.generation;
  }

  /** The worker's thread id (tests and benchmarks read its resource usage). */
  get threadId(): number {
    return this.worker.threadId;
  }

  private start(): void {
    const worker = new Worker(workerUrl, { workerData: { dataDir: this.options.dataDir } });
    this.worker = worker;
    let opened = false;
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: { type?: string; error?: WorkerError }) => {
        if (message.type === 'ready') {
          opened = true;
          // Idle, the worker must not keep the process alive (a script that forgot close()).
          if (this.pending.size === 0) worker.unref();
          resolve();
        } else if (message.type === 'failed' && message.error) reject(revive(message.error));
      };
      worker.once('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) =>
        reject(new EmbeddedDatabaseError(`The embedded database exited (${code})`, '57P03')),
      );
    });
    // A failed start is reported to whoever waits for `ready`; never as an unhandled rejection.
    this.ready.catch(() => {});
    worker.on(
      'message',
      (message: { id?: number; ok?: boolean; result?: unknown; error?: WorkerError }) => {
        if (message.id === undefined) return;
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        if (this.pending.size === 0) worker.unref();
        if (message.ok) pending.resolve(message.result);
        else pending.reject(revive(message.error ?? { message: 'unknown database error' }));
      },
    );
    worker.on('error', (error) => this.failAll(worker, error));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.failAll(
        worker,
        new EmbeddedDatabaseError(`The embedded database stopped (exit code ${code})`, '57P01'),
      );
      // A crash after a good start (not a close): reopen, so the next statement finds a
      // database. A worker that could not start is retried by the next statement instead.
      if (opened && !this.closing && this.restartable) this.restart('crash');
    });
  }

  private failAll(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  private restart(reason: string): void {
    const old = this.worker;
    this.generation += 1;
    this.start();
    this.inFlight = Promise.resolve();
    // Old worker: its answers no longer matter; stop it (it may be deep in a statement).
    void old.terminate().catch(() => {});
    this.options.onRestart?.(reason);
  }

  /** Sends one statement and waits for its answer or its timeout. The caller holds the lock. */
  private async send<Result>(message: Record<string, unknown>): Promise<Result> {
    await this.inFlight;
    try {
      await this.ready;
    } catch (error) {
      // The last start failed (a worker that cannot open the directory); try once more.
      if (this.closing || !this.restartable) throw error;
      this.restart('retry');
      await this.ready;
    }
    const worker = this.worker;
    const id = this.nextId++;
    const answer = new Promise<Result>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
    worker.ref();
    worker.postMessage({ ...message, id });
    const done = answer.then(
      () => {},
      () => {},
    );
    this.inFlight = done;
    const timeoutMs = this.timeoutMs;
    if (!timeoutMs || message.op === 'close') return answer;

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new EmbeddedDatabaseError('canceling statement due to statement timeout', '57014'));
        if (this.restartable && this.worker === worker) {
          this.pending.delete(id);
          this.restart('statement timeout');
        }
      }, timeoutMs);
    });
    try {
      return await Promise.race([answer, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private statement<Row>(
    sql: string,
    params: unknown[] | undefined,
    options: WorkerQueryOptions | undefined,
  ): Promise<WorkerResults<Row>> {
    return this.send<WorkerResults<Row>>({
      op: 'query',
      sql,
      params: params ?? [],
      rowMode: options?.rowMode ?? 'object',
      identityOids: identityOids(options?.parsers),
    });
  }

  query<Row>(
    sql: string,
    params?: unknown[],
    options?: WorkerQueryOptions,
  ): Promise<WorkerResults<Row>> {
    return this.lock.run(() => this.statement<Row>(sql, params, options));
  }

  /** Runs `work` in a transaction that has the connection to itself until it ends. */
  transaction<Result>(work: (transaction: WorkerTransaction) => Promise<Result>): Promise<Result> {
    return this.lock.run(async () => {
      await this.statement('BEGIN', [], undefined);
      const generation = this.generation;
      const transaction: WorkerTransaction = {
        closed: false,
        query: <Row>(sql: string, params?: unknown[], options?: WorkerQueryOptions) => {
          if (transaction.closed) {
            return Promise.reject(new Error('The transaction is closed'));
          }
          if (this.generation !== generation) {
            return Promise.reject(
              new EmbeddedDatabaseError(
                'The transaction was ended: the embedded database restarted after a statement timeout',
                '57014',
              ),
            );
          }
          return this.statement<Row>(sql, params, options);
        },
        exec: async (sql: string) => [await transaction.query(sql)],
      };
      try {
        const result = await work(transaction);
        if (this.generation !== generation) {
          throw new EmbeddedDatabaseError(
            'The transaction was ended: the embedded database restarted after a statement timeout',
            '57014',
          );
        }
        await this.statement('COMMIT', [], undefined);
        return result;
      } catch (error) {
        // After a restart there is nothing to roll back: the new worker never saw the BEGIN.
        if (this.generation === generation) {
          await this.statement('ROLLBACK', [], undefined).catch(() => {});
        }
        throw error;
      } finally {
        transaction.closed = true;
      }
    });
  }

  /** Waits for the statements queued before it, closes the database, stops the worker. */
  async close(): Promise<void> {
    await this.lock.run(async () => {
      this.closing = true;
      try {
        await this.send({ op: 'close' });
      } catch {
        // A worker that cannot close cleanly is stopped below all the same.
      }
    });
    await this.worker.terminate();
  }
}
