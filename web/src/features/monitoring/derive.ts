/**
 * What the Monitoring page shows, derived from scrapes of `GET /metrics`:
 *
 * - per interval between two scrapes, from counter deltas: throughput, p50/p95 latency (the
 *   histogram's bucket deltas interpolated like PromQL's `histogram_quantile`), the 5xx and 4xx
 *   shares of requests and the cache hit rate;
 * - from the latest scrape: the gauges.
 *
 * Counter resets (a restarted server) are handled as PromQL's `increase` does: a counter that went
 * down restarted from zero, so its whole current value is the increase. A histogram series whose
 * `_count` went down is reset as a whole (every bucket), and a changed `process_start_time_seconds`
 * resets everything. A series that is new in the later scrape counts from zero (prom-client creates
 * a labelled series on its first observation). Requests to `/metrics` and `/health*` are left out
 * of the request figures, so the page's own polling and the probes do not dominate them.
 */
import { isExcludedRoute } from '@tag-manager/contract';
import { parseValue, seriesKey, type Sample } from './prometheus';

export interface Scrape {
  /** When the scrape was taken, in epoch milliseconds. */
  time: number;
  samples: Sample[];
  /** Families with a `# TYPE` line (a labelled counter has no samples before its first increment). */
  declared?: ReadonlySet<string>;
}

export interface IntervalPoint {
  /** End of the interval, in epoch seconds (uPlot's time unit). */
  time: number;
  /** Length of the interval in seconds. */
  seconds: number;
  /** True for a break in the series (the scrapes were too far apart to compare). */
  gap: boolean;
  requests: number;
  /** Requests per second. */
  throughput: number | null;
  /** Latency quantiles in seconds; null without requests. */
  p50: number | null;
  p95: number | null;
  /** Shares of requests answered 5xx and 4xx, 0–1; null without requests. */
  serverErrorShare: number | null;
  clientErrorShare: number | null;
  cacheLookups: number;
  /** Cache hits / (hits + misses) over every cache, 0–1; null without lookups. */
  cacheHitRate: number | null;
}

export interface Gauges {
  inFlight: number | null;
  poolTotal: number | null;
  poolIdle: number | null;
  poolWaiting: number | null;
  poolSize: number | null;
  products: number | null;
  categorizedRatio: number | null;
  residentMemoryBytes: number | null;
  eventLoopLagP99Seconds: number | null;
  rateLimitRejections: number | null;
  dependencies: { name: string; up: boolean }[];
  /** `db_driver`: `postgres` (a pool), `pglite` (embedded: one connection), null if not sent. */
  databaseDriver: string | null;
}

const DURATION = 'http_request_duration_seconds';

/** Routes whose requests the request figures leave out (one rule, shared with the server). */
export { isExcludedRoute };

/** The increase of a counter from `previous` to `current`, a decrease meaning a reset. */
export function counterIncrease(previous: number | undefined, current: number): number {
  if (!Number.isFinite(current)) return 0;
  if (previous === undefined || !Number.isFinite(previous)) return current;
  return current >= previous ? current - previous : current;
}

export interface Bucket {
  /** Upper bound (`le`), `Infinity` for the last bucket. */
  le: number;
  /** Cumulative count of observations ≤ le. */
  count: number;
}

/**
 * The q-quantile of cumulative histogram buckets, as PromQL's `histogram_quantile`: find the
 * bucket the rank falls in and interpolate linearly inside it (the first bucket starts at 0); a
 * rank in the `+Inf` bucket answers the highest finite bound. Null without observations or
 * without an `+Inf` bucket.
 */
export function histogramQuantile(q: number, input: Bucket[]): number | null {
  if (Number.isNaN(q)) return null;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const buckets = [...input].filter((bucket) => !Number.isNaN(bucket.le));
  buckets.sort((a, b) => a.le - b.le);
  if (buckets.length < 2 || buckets.at(-1)!.le !== Infinity) return null;
  // Cumulative counts must not decrease (deltas of separately reset series could): fix as PromQL.
  let max = 0;
  const counts = buckets.map((bucket) => (max = Math.max(max, bucket.count)));
  const total = counts.at(-1)!;
  if (!(total > 0)) return null;
  const rank = q * total;
  let index = counts.findIndex((count) => count >= rank);
  if (index === -1) index = counts.length - 1;
  if (index === buckets.length - 1) return buckets[buckets.length - 2]!.le;
  const upper = buckets[index]!.le;
  if (index === 0 && upper <= 0) return upper;
  const lower = index === 0 ? 0 : buckets[index - 1]!.le;
  const below = index === 0 ? 0 : counts[index - 1]!;
  const inBucket = counts[index]! - below;
  if (inBucket <= 0) return upper;
  return lower + (upper - lower) * ((rank - below) / inBucket);
}

function startTime(scrape: Scrape): number | undefined {
  return scrape.samples.find((sample) => sample.name === 'process_start_time_seconds')?.value;
}

/** Counter increases between two scrapes, per series of one metric name. */
class Deltas {
  private readonly previous = new Map<string, number>();
  private readonly resetSeries = new Set<string>();

  constructor(
    prev: Scrape,
    private readonly curr: Scrape,
  ) {
    const before = startTime(prev);
    const after = startTime(curr);
    const restarted = before !== undefined && after !== undefined && before !== after;
    if (!restarted) {
      for (const sample of prev.samples)
        this.previous.set(seriesKey(sample.name, sample.labels), sample.value);
    }
    // A histogram series whose count went down was reset: all of its buckets were.
    for (const sample of curr.samples) {
      if (!sample.name.endsWith('_count')) continue;
      const before = this.previous.get(seriesKey(sample.name, sample.labels));
      if (before !== undefined && sample.value < before)
        this.resetSeries.add(seriesKey(sample.name.slice(0, -'_count'.length), sample.labels));
    }
  }

  /** Every series of `name` that passes `filter`, with its increase. */
  of(name: string, filter: (labels: Record<string, string>) => boolean = () => true) {
    const base = name.replace(/_(bucket|count|sum)$/, '');
    return this.curr.samples
      .filter((sample) => sample.name === name && filter(sample.labels))
      .map((sample) => {
        const reset = base !== name && this.resetSeries.has(seriesKey(base, sample.labels, 'le'));
        const previous = reset ? undefined : this.previous.get(seriesKey(name, sample.labels));
        return { labels: sample.labels, increase: counterIncrease(previous, sample.value) };
      });
  }

  total(name: string, filter?: (labels: Record<string, string>) => boolean): number {
    return this.of(name, filter).reduce((sum, entry) => sum + entry.increase, 0);
  }
}

const counted = (labels: Record<string, string>) => !isExcludedRoute(labels.route);

/** The figures of the interval between two scrapes. */
export function deriveInterval(prev: Scrape, curr: Scrape): IntervalPoint {
  const seconds = (curr.time - prev.time) / 1000;
  const deltas = new Deltas(prev, curr);

  const byStatus = deltas.of(`${DURATION}_count`, counted);
  const requests = byStatus.reduce((sum, entry) => sum + entry.increase, 0);
  const withStatus = (digit: string) =>
    byStatus
      .filter((entry) => (entry.labels.status_code ?? '').startsWith(digit))
      .reduce((sum, entry) => sum + entry.increase, 0);

  const perBound = new Map<number, number>();
  for (const entry of deltas.of(`${DURATION}_bucket`, counted)) {
    const le = parseValue(entry.labels.le ?? '');
    if (le === undefined || Number.isNaN(le)) continue;
    perBound.set(le, (perBound.get(le) ?? 0) + entry.increase);
  }
  const buckets = [...perBound].map(([le, count]) => ({ le, count }));

  const hits = deltas.total('cache_hits_total');
  const misses = deltas.total('cache_misses_total');
  const lookups = hits + misses;

  return {
    time: curr.time / 1000,
    seconds,
    gap: false,
    requests,
    throughput: seconds > 0 ? requests / seconds : null,
    p50: requests > 0 ? histogramQuantile(0.5, buckets) : null,
    p95: requests > 0 ? histogramQuantile(0.95, buckets) : null,
    serverErrorShare: requests > 0 ? withStatus('5') / requests : null,
    clientErrorShare: requests > 0 ? withStatus('4') / requests : null,
    cacheLookups: lookups,
    cacheHitRate: lookups > 0 ? hits / lookups : null,
  };
}

/** A point that breaks the lines of the charts (no figures). */
export function gapPoint(timeMs: number): IntervalPoint {
  return {
    time: timeMs / 1000,
    seconds: 0,
    gap: true,
    requests: 0,
    throughput: null,
    p50: null,
    p95: null,
    serverErrorShare: null,
    clientErrorShare: null,
    cacheLookups: 0,
    cacheHitRate: null,
  };
}

/** The gauges of one scrape; a metric the server does not send is null. */
export function readGauges(scrape: Scrape): Gauges {
  const find = (name: string, labels: Record<string, string> = {}) =>
    scrape.samples.filter(
      (sample) =>
        sample.name === name &&
        Object.entries(labels).every(([label, value]) => sample.labels[label] === value),
    );
  const value = (name: string, labels?: Record<string, string>): number | null => {
    const found = find(name, labels);
    if (found.length === 0) return null;
    const sum = found.reduce((total, sample) => total + sample.value, 0);
    return Number.isFinite(sum) ? sum : null;
  };
  return {
    inFlight: value('http_requests_in_flight'),
    poolTotal: value('db_pool_clients', { state: 'total' }),
    poolIdle: value('db_pool_clients', { state: 'idle' }),
    poolWaiting: value('db_pool_clients', { state: 'waiting' }),
    poolSize: value('db_pool_size'),
    products: value('catalog_products'),
    categorizedRatio: value('catalog_categorized_ratio'),
    residentMemoryBytes: value('process_resident_memory_bytes'),
    eventLoopLagP99Seconds: value('nodejs_eventloop_lag_p99_seconds'),
    rateLimitRejections:
      value('rate_limit_rejections_total') ??
      (scrape.declared?.has('rate_limit_rejections_total') ? 0 : null),
    dependencies: find('dependency_up')
      .map((sample) => ({ name: sample.labels.dependency ?? '?', up: sample.value >= 1 }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    databaseDriver: find('db_driver').find((sample) => sample.value >= 1)?.labels.driver ?? null,
  };
}
