/**
 * Cache-aside for reads, keyed by the versions of the namespaces a read depends on, with
 * single-flight (concurrent misses of one key cost one computation) and hit/miss counters per
 * cache. Any cache failure degrades to computing the value: the cache never fails a request.
 */
import { createHash } from 'node:crypto';
import type { CacheBackend } from './backend.js';
import type { ChangeNotifier } from './namespaces.js';

export interface CachedRead {
  /** The cache's name, for counters (e.g. "product-list"). */
  cache: string;
  /** Namespaces the value depends on. */
  dependsOn: readonly string[];
  /** What else identifies the value (query parameters, ids). */
  params: unknown;
}

/** The little of a logger the cache needs (Fastify's logger, or the console in scripts). */
export interface CacheLog {
  warn(details: object, message: string): void;
}

export interface CacheCounters {
  hits: number;
  misses: number;
}

export interface CacheOptions {
  /** false: every read computes (no keys, no ETags, no single-flight); for measuring. */
  enabled?: boolean;
  /** Hears every hit and miss (the metrics count them). */
  onCount?: (cache: string, outcome: keyof CacheCounters, times: number) => void;
}

/** While the cache is unavailable every request fails the same way: one warning per this long. */
const WARN_EVERY_MS = 10_000;

/**
 * The shape of cached values. Bump it when a release changes what a cache stores, so that
 * instances of the new release never read values an older release left in a shared Redis.
 */
const FORMAT = 2;

/** A read's parameters in its key: short ones as they are, longer ones hashed. */
function paramsKey(params: unknown): string {
  const text = JSON.stringify(params) ?? 'null';
  return text.length <= 64 ? text : createHash('sha1').update(text).digest('base64url');
}

export class Cache implements ChangeNotifier {
  private readonly inFlight = new Map<string, Promise<string>>();
  readonly counters = new Map<string, CacheCounters>();
  /** Per warning: when it was last logged, and how many were left out since. */
  private readonly warnings = new Map<string, { at: number; skipped: number }>();

  constructor(
    readonly backend: CacheBackend,
    private readonly ttlSeconds: number,
    private readonly log: CacheLog,
    private readonly options: CacheOptions = {},
  ) {}

  /** The key (and so the ETag) of a read as things stand now, or undefined if unknown. */
  async keyOf(read: CachedRead): Promise<string | undefined> {
    return (await this.keysOf([read]))?.[0];
  }

  /**
   * The keys of several reads as things stand now (one version read for all), or undefined
   * for all when the cache is off or unavailable.
   */
  async keysOf(reads: readonly CachedRead[]): Promise<string[] | undefined> {
    if (this.options.enabled === false || reads.length === 0) return undefined;
    const namespaces = [...new Set(reads.flatMap((read) => read.dependsOn))];
    try {
      const versions = await this.backend.getVersions(namespaces);
      // The backend may put its own identity (Redis run id, epoch) before the namespaces.
      const offset = versions.length - namespaces.length;
      const versionOf = new Map(namespaces.map((name, at) => [name, versions[offset + at]]));
      const prefix = versions.slice(0, offset).join('.');
      return reads.map((read) => {
        const own = read.dependsOn.map((name) => versionOf.get(name)).join('.');
        const params = paramsKey(read.params);
        return `${read.cache}@${FORMAT}:${prefix ? `${prefix}.` : ''}${own}:${params}`;
      });
    } catch (error) {
      this.warn(error, 'cache unavailable; reading from the database');
      return undefined;
    }
  }

  /**
   * Several values by key: the cached text, or undefined (a miss: the caller computes it and
   * hands it to `store` under the same key). Counted per cache.
   */
  async readMany(reads: readonly CachedRead[], keys: readonly string[]) {
    const values = await this.backend.getValues(keys).catch((error: unknown) => {
      this.warn(error, 'cache unavailable; reading from the database');
      return keys.map(() => undefined);
    });
    const tally = new Map<string, CacheCounters>();
    values.forEach((value, at) => {
      const name = reads[at]!.cache;
      const counts = tally.get(name) ?? { hits: 0, misses: 0 };
      counts[value === undefined ? 'misses' : 'hits'] += 1;
      tally.set(name, counts);
    });
    for (const [name, counts] of tally) {
      if (counts.hits > 0) this.count(name, 'hits', counts.hits);
      if (counts.misses > 0) this.count(name, 'misses', counts.misses);
    }
    return values;
  }

  /** Stores a value computed after its key was taken. */
  async store(key: string, value: string): Promise<void> {
    await this.backend.setValue(key, value, this.ttlSeconds).catch((error: unknown) => {
      this.warn(error, 'cache write failed');
    });
  }

  /** The value (text), from the cache or computed once. */
  async read(
    read: CachedRead,
    key: string | undefined,
    compute: () => Promise<string>,
  ): Promise<string> {
    if (key === undefined) {
      this.count(read.cache, 'misses');
      return compute();
    }
    const cached = await this.backend.getValue(key).catch(() => undefined);
    if (cached !== undefined) {
      this.count(read.cache, 'hits');
      return cached;
    }
    this.count(read.cache, 'misses');
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = (async () => {
        const value = await compute();
        await this.backend.setValue(key, value, this.ttlSeconds).catch((error: unknown) => {
          this.warn(error, 'cache write failed');
        });
        return value;
      })().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  async changed(namespaces: readonly string[]): Promise<void> {
    if (namespaces.length === 0) return;
    await this.backend.bumpVersions(namespaces).catch((error: unknown) => {
      this.warn(error, 'cache invalidation failed; a new epoch starts when the cache returns');
    });
  }

  /** Logs a warning, but each one at most once per WARN_EVERY_MS with the count left out. */
  private warn(error: unknown, message: string) {
    const now = Date.now();
    const last = this.warnings.get(message);
    if (last && now - last.at < WARN_EVERY_MS) {
      last.skipped += 1;
      return;
    }
    this.warnings.set(message, { at: now, skipped: 0 });
    this.log.warn({ err: error, repeated: last?.skipped ?? 0 }, message);
  }

  private count(cache: string, outcome: keyof CacheCounters, times = 1) {
    const counters = this.counters.get(cache) ?? { hits: 0, misses: 0 };
    counters[outcome] += times;
    this.counters.set(cache, counters);
    this.options.onCount?.(cache, outcome, times);
  }
}
