/**
 * One bounded load run with autocannon against a real server over loopback, and the figures
 * the report needs: requests/s, p50/p95/p99 latency, non-2xx and errors, cache hit rate.
 */
import autocannon from 'autocannon';

export interface LoadFigures {
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** 0..1 per response (first-level lookups), or null without cache counters. */
  cacheHitRate: number | null;
  /** 0..1 over the product page's rows (second layer), or null when no row was looked up. */
  rowHitRate: number | null;
}

export interface LoadSpec {
  /** A fixed path, or a sequence of requests (autocannon cycles through it per connection). */
  path?: string;
  requests?: autocannon.Request[];
  headers?: Record<string, string>;
}

/** Latency percentile (ms) of an ascending-sorted list. */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index]!;
}

export function latencySummary(samples: number[]) {
  const sorted = Float64Array.from(samples).sort();
  return {
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
  };
}

export async function runLoad(
  baseUrl: string,
  spec: LoadSpec,
  connections: number,
  seconds: number,
): Promise<LoadFigures> {
  const before = await readCacheCounters(baseUrl);
  const samples: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: baseUrl + (spec.path ?? ''),
        connections,
        duration: seconds,
        pipelining: 1,
        timeout: 10,
        headers: spec.headers,
        ...(spec.requests ? { requests: spec.requests } : {}),
      },
      (error, output) => (error ? reject(error) : resolve(output)),
    );
    // autocannon's own histogram has no p95; every response time is kept (bounded by the run).
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      samples.push(responseTime);
    });
  });
  const after = await readCacheCounters(baseUrl);
  const seconds_ = result.duration || seconds;
  return {
    connections,
    seconds: seconds_,
    requests: samples.length,
    requestsPerSecond: samples.length / seconds_,
    ...latencySummary(samples),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cacheHitRate: hitRate(before, after),
    rowHitRate: rowHitRate(before, after),
  };
}

/* ------------------------------------------------------------------------------------------
 * Cache hit rate, from the server's own counters at GET /metrics (`cache_hits_total`,
 * `cache_misses_total`), before and after each scenario. Counted per response: every cached
 * read has one first-level lookup (the page, the product, the tree, the statistics). The
 * product page's second layer — one lookup per row on the page (`cache="product-row"`) — is
 * counted apart, so fifty row hits cannot hide a page miss.
 * ---------------------------------------------------------------------------------------- */
const ROW_CACHE = 'product-row';

export interface CacheCounters {
  hits: number;
  misses: number;
  rowHits: number;
  rowMisses: number;
}

export async function readCacheCounters(baseUrl: string): Promise<CacheCounters | undefined> {
  try {
    const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(2000) });
    const text = await response.text();
    if (!response.ok) return undefined;
    const hits = sumSeries(text, 'cache_hits_total');
    const misses = sumSeries(text, 'cache_misses_total');
    if (hits === undefined || misses === undefined) return undefined;
    const rowHits = sumSeries(text, 'cache_hits_total', ROW_CACHE) ?? 0;
    const rowMisses = sumSeries(text, 'cache_misses_total', ROW_CACHE) ?? 0;
    return { hits: hits - rowHits, misses: misses - rowMisses, rowHits, rowMisses };
  } catch {
    return undefined;
  }
}

/** The sum of a counter's series; with `cache`, only that cache's series. */
function sumSeries(text: string, name: string, cache?: string): number | undefined {
  let found = false;
  let total = 0;
  const labels = cache ? `\\{cache="${cache}"\\}` : '(?:\\{[^}]*\\})?';
  const series = new RegExp(`^${name}${labels}\\s+([-+0-9.eE]+|NaN)`, 'gm');
  for (const match of text.matchAll(series)) {
    found = true;
    const value = Number(match[1]);
    if (Number.isFinite(value)) total += value;
  }
  return found ? total : undefined;
}

export function hitRate(
  before: CacheCounters | undefined,
  after: CacheCounters | undefined,
): number | null {
  if (!before || !after) return null;
  const hits = after.hits - before.hits;
  const misses = after.misses - before.misses;
  return hits + misses > 0 ? hits / (hits + misses) : null;
}

/** The hit rate of the product page's rows (second layer) over a scenario. */
export function rowHitRate(
  before: CacheCounters | undefined,
  after: CacheCounters | undefined,
): number | null {
  if (!before || !after) return null;
  return hitRate(
    { hits: before.rowHits, misses: before.rowMisses, rowHits: 0, rowMisses: 0 },
    { hits: after.rowHits, misses: after.rowMisses, rowHits: 0, rowMisses: 0 },
  );
}
