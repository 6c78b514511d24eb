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

/**
 * A fixed list of reads, prepared once: the namespaces they depend on (each once) and where
 * each read's versions are in them. A hot path keeps its plan and reuses it on every request.
 */
export class KeyPlan {
  readonly namespaces: readonly string[];
  private readonly positions: number[][];
  private readonly params: string[];

  /** Where the versions `signature` covers are in `namespaces`. */
  private readonly signed: number[];

  /**
   * `signedReads`: the reads (by index) whose versions the signature covers (default all).
   */
  constructor(
    readonly reads: readonly CachedRead[],
    signedReads?: readonly number[],
  ) {
    const index = new Map<string, number>();
    for (const read of reads) {
      for (const name of read.dependsOn) if (!index.has(name)) index.set(name, index.size);
    }
    this.namespaces = [...index.keys()];
    this.positions = reads.map((read) => read.dependsOn.map((name) => index.get(name)!));
    this.params = reads.map((read) => paramsKey(read.params));
    const signed = new Set<number>();
    for (const at of signedReads ?? reads.keys()) {
      for (const position of this.positions[at] ?? []) signed.add(position);
    }
    this.signed = [...signed].sort((a, b) => a - b);
  }

  /** The keys of the reads under these versions (as Cache.versionsOf returned them). */
  keys(versions: readonly (number | string)[]): string[] {
    // The backend may put its own identity (Redis run id, epoch) before the namespaces.
    const offset = versions.length - this.namespaces.length;
    const prefix = versions.slice(0, offset).join('.');
    return this.reads.map((read, at) => {
      const own = this.positions[at]!.map((position) => versions[offset + position]).join('.');
      return `${read.cache}@${FORMAT}:${prefix ? `${prefix}.` : ''}${own}:${this.params[at]}`;
    });
  }

  /**
   * One string per set of versions of the signed reads (and of the backend's identity): equal
   * signatures, equal keys for those reads.
   */
  signature(versions: readonly (number | string)[]): string {
    const offset = versions.length - this.namespaces.length;
    let text = '';
    for (let at = 0; at < offset; at++) text += `${versions[at]}.`;
    for (const position of this.signed) text += `${versions[offset + position]}.`;
    return text;
  }
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
    if (reads.length === 0) return undefined;
    const plan = new KeyPlan(reads);
    const versions = await this.versionsOf(plan);
    return versions && plan.keys(versions);
  }

  /**
   * The versions a plan's reads depend on as things stand now (one version read), or
   * undefined when the cache is off or unavailable. Equal versions mean equal keys: a caller
   * that kept what it built from the values under `plan.keys(versions)` may serve it again
   * while `plan.signature(versions)` is unchanged.
   */
  async versionsOf(plan: KeyPlan): Promise<readonly (number | string)[] | undefined> {
    if (this.options.enabled === false || plan.namespaces.length === 0) return undefined;
    try {
      return await this.backend.getVersions(plan.namespaces);
    } catch (error) {
      this.warn(error, 'cache unavailable; reading from the database');
      return undefined;
    }
  }

  /** Counts hits served from a copy the caller kept (see versionsOf). */
  countHits(cache: string, times: number) {
    if (times > 0) this.count(cache, 'hits', times);
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
