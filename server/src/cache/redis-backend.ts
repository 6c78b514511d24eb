import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { CacheBackend } from './backend.js';

/** Bumped when writes may have been missed (Redis was away): every cached value is dropped. */
const EPOCH = 'epoch';
/** A Redis command that takes longer than this fails, and the request goes to the database. */
const COMMAND_TIMEOUT_MS = 1000;
/** After a command timed out (Redis hung, or a network that drops packets), skip Redis this long. */
const PAUSE_AFTER_TIMEOUT_MS = 2000;
/** How soon a failed INFO (Redis's run id) is asked again. */
const RUN_ID_RETRY_MS = 500;

/**
 * Shared by every app instance: values and namespace versions live in Redis. In front of it sits
 * a small in-process LRU of values. Its keys carry the namespace versions, which are read from
 * Redis on every request (one round trip), so the local copy can never be served after a write
 * on any instance: coherence comes from the versions, not from messages that might arrive late.
 * Every call fails fast while Redis is away; the cache then serves from the database. A Redis that
 * hangs (connection open, no answers) costs one command timeout, then is skipped for a moment.
 */
export class RedisBackend implements CacheBackend {
  readonly kind = 'redis' as const;
  private readonly local: LRUCache<string, string>;
  private readonly redis: Redis;
  private missedWrites = false;
  /** The epoch bump in progress after missed writes (one at a time). */
  private settling: Promise<void> | undefined;
  /** performance.now() until which Redis is not asked (it stopped answering). */
  private pausedUntil = 0;
  /** Redis's run id: a restarted Redis (which keeps nothing) starts versions at 0 again. */
  private runId: string | undefined;

  /** Version reads waiting for this turn's round trip: per namespace list, its callers. */
  private pending:
    | Map<
        readonly string[],
        { resolve: (versions: (number | string)[]) => void; reject: (error: unknown) => void }[]
      >
    | undefined;

  private readonly versionPrefix: string;
  private readonly valuePrefix: string;

  constructor(
    url: string,
    keyPrefix: string,
    localEntries: number,
    onError: (error: Error) => void,
  ) {
    this.versionPrefix = `${keyPrefix}:version:`;
    this.valuePrefix = `${keyPrefix}:value:`;
    this.local = new LRUCache({ max: Math.max(localEntries, 1) });
    this.redis = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.redis.on('error', onError);
    this.redis.on('close', () => {
      this.runId = undefined;
    });
    // Until the run id is known every version read fails (the cache is skipped): an INFO that
    // failed (it timed out on a loaded machine at start) is asked again, not given up.
    const learnRunId = () => {
      this.redis.info('server').then(
        (info) => {
          this.runId = /run_id:(\w+)/.exec(info)?.[1];
        },
        () => {
          if (this.redis.status === 'ready') setTimeout(learnRunId, RUN_ID_RETRY_MS).unref();
        },
      );
    };
    this.redis.on('ready', () => {
      learnRunId();
      this.pausedUntil = 0;
      this.settleMissedWrites().catch(() => {});
    });
  }

  /**
   * A write while Redis was away (or not answering) could not bump its versions: start a new
   * epoch before anything is read from the cache again.
   */
  private settleMissedWrites(): Promise<void> {
    if (!this.missedWrites) return Promise.resolve();
    this.settling ??= this.call(() => this.redis.incr(this.versionPrefix + EPOCH))
      .then(() => {
        this.missedWrites = false;
      })
      .finally(() => {
        this.settling = undefined;
      });
    return this.settling;
  }

  /** One Redis call, skipped while Redis is paused; a timeout pauses it. */
  private async call<T>(command: () => Promise<T>): Promise<T> {
    if (performance.now() < this.pausedUntil) {
      throw new Error('Redis stopped answering; skipped for a moment');
    }
    try {
      return await command();
    } catch (error) {
      if ((error as Error).message === 'Command timed out') {
        this.pausedUntil = performance.now() + PAUSE_AFTER_TIMEOUT_MS;
      }
      throw error;
    }
  }

  async getValue(key: string) {
    const local = this.local.get(key);
    if (local !== undefined) return local;
    const shared = await this.call(() => this.redis.get(this.valuePrefix + key));
    if (shared !== null) this.local.set(key, shared);
    return shared ?? undefined;
  }

  async getValues(keys: readonly string[]) {
    const values = keys.map((key) => this.local.get(key));
    const absent = keys.filter((_, at) => values[at] === undefined);
    if (absent.length === 0) return values;
    const shared = await this.call(() =>
      this.redis.mget(absent.map((key) => this.valuePrefix + key)),
    );
    let next = 0;
    return values.map((value, at) => {
      if (value !== undefined) return value;
      const found = shared[next++] ?? undefined;
      if (found !== undefined) this.local.set(keys[at]!, found);
      return found;
    });
  }

  async setValue(key: string, value: string, ttlSeconds: number) {
    this.local.set(key, value, { ttl: ttlSeconds * 1000 });
    await this.call(() => this.redis.set(this.valuePrefix + key, value, 'EX', ttlSeconds));
  }

  /**
   * The versions of these namespaces, after the epoch and behind Redis's run id. The reads of
   * all requests in flight are coalesced into one MGET per turn of the event loop (sent in its
   * check phase, after the poll phase that read their requests), so that every read is still
   * issued after its request arrived: exact, as one round trip per request was. Callers that
   * pass the same array (a hot path's prepared list) share its reading.
   */
  getVersions(namespaces: readonly string[]): Promise<(number | string)[]> {
    return new Promise((resolve, reject) => {
      if (!this.pending) {
        this.pending = new Map();
        setImmediate(() => void this.readVersions());
      }
      const waiting = this.pending.get(namespaces);
      if (waiting) waiting.push({ resolve, reject });
      else this.pending.set(namespaces, [{ resolve, reject }]);
    });
  }

  /** The one round trip of the version reads waiting this turn. */
  private async readVersions() {
    const batch = this.pending!;
    this.pending = undefined;
    try {
      if (!this.runId) throw new Error('Redis is not ready');
      await this.settleMissedWrites();
      const lists = [...batch.keys()];
      const index = new Map<string, number>();
      for (const list of lists) {
        for (const namespace of list) if (!index.has(namespace)) index.set(namespace, index.size);
      }
      const values = await this.call(() =>
        this.redis.mget(
          [EPOCH, ...index.keys()].map((namespace) => this.versionPrefix + namespace),
        ),
      );
      const runId = this.runId;
      const epoch = Number(values[0] ?? 0);
      for (const [list, callers] of batch) {
        const versions: (number | string)[] = [runId, epoch];
        for (const namespace of list) versions.push(Number(values[1 + index.get(namespace)!] ?? 0));
        for (const caller of callers) caller.resolve(versions);
      }
    } catch (error) {
      for (const callers of batch.values()) for (const caller of callers) caller.reject(error);
    }
  }

  async bumpVersions(namespaces: readonly string[]) {
    try {
      await this.connected();
      const pipeline = this.redis.multi();
      for (const namespace of new Set(namespaces)) pipeline.incr(this.versionPrefix + namespace);
      const results = await this.call(() => pipeline.exec());
      if (results?.some(([error]) => error)) throw new Error('Redis refused a version bump');
    } catch (error) {
      this.missedWrites = true;
      throw error;
    }
  }

  /** Whether Redis answers a PING within `timeoutMs` (for the readiness check). */
  async ping(timeoutMs: number): Promise<boolean> {
    if (!this.healthy()) return false;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.redis.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Waits briefly for a connection that is still being made (a script's first command). */
  private async connected(): Promise<void> {
    if (
      this.redis.status === 'ready' ||
      !['connecting', 'connect', 'wait'].includes(this.redis.status)
    ) {
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  healthy() {
    return (
      this.redis.status === 'ready' &&
      this.runId !== undefined &&
      performance.now() >= this.pausedUntil
    );
  }

  async close() {
    this.local.clear();
    this.redis.disconnect();
  }
}
