/**
 * The Monitoring page's short history (issue 11): each server instance samples its own metrics
 * every few seconds and keeps the last minutes, so the page's charts are filled on opening instead
 * of starting empty. One rule decides which figures the charts need (`chartSamples`): the server
 * applies it to what it keeps, the page to each live scrape of `GET /metrics`, so history and live
 * points are computed from the same series.
 */
import { Type, type Static } from 'typebox';
import { Envelope } from './common.js';

/** A Prometheus sample: metric name, labels, value. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Routes whose requests the request figures leave out (the page's own polling, the probes). */
export function isExcludedRoute(route: string | undefined): boolean {
  return route === '/metrics' || (route !== undefined && route.startsWith('/health'));
}

const DURATION = 'http_request_duration_seconds';
const CACHE_COUNTERS = new Set(['cache_hits_total', 'cache_misses_total']);

/**
 * The samples the charts are computed from, summed over what they do not show: request counts
 * per status code, latency buckets per bound (both without /metrics and /health), cache hits and
 * misses over every cache, and the process start time (a change means a restart).
 */
export function chartSamples(samples: readonly MetricSample[]): MetricSample[] {
  const sums = new Map<string, MetricSample>();
  const add = (name: string, labels: Record<string, string>, value: number) => {
    const key = `${name}${JSON.stringify(labels)}`;
    const entry = sums.get(key);
    if (entry) entry.value += value;
    else sums.set(key, { name, labels, value });
  };
  for (const sample of samples) {
    if (!Number.isFinite(sample.value)) continue;
    if (sample.name === 'process_start_time_seconds') add(sample.name, {}, sample.value);
    else if (CACHE_COUNTERS.has(sample.name)) add(sample.name, {}, sample.value);
    else if (isExcludedRoute(sample.labels.route)) continue;
    else if (sample.name === `${DURATION}_count`)
      add(sample.name, { status_code: sample.labels.status_code ?? '' }, sample.value);
    else if (sample.name === `${DURATION}_bucket`)
      add(sample.name, { le: sample.labels.le ?? '' }, sample.value);
  }
  return [...sums.values()];
}

export const MetricsHistorySeries = Type.Object(
  {
    name: Type.String({ description: 'Prometheus metric name' }),
    labels: Type.Record(Type.String(), Type.String(), {
      description: 'The labels the charts keep (status_code, le); others are summed over',
    }),
  },
  { additionalProperties: false },
);

export const MetricsHistoryPoint = Type.Object(
  {
    time: Type.Integer({ description: 'When the sample was taken, epoch milliseconds' }),
    values: Type.Array(Type.Union([Type.Number(), Type.Null()]), {
      description: 'One value per entry of `series`, null when the series did not exist yet',
    }),
  },
  { additionalProperties: false },
);

export const MetricsHistory = Type.Object(
  {
    instance: Type.String({
      description: 'The instance that answered (host:pid); each instance keeps its own history',
    }),
    now: Type.Integer({
      description: "The server's clock when it answered, epoch milliseconds (to align clocks)",
    }),
    interval_seconds: Type.Number({ minimum: 0, description: 'Time between two samples' }),
    window_seconds: Type.Number({ minimum: 0, description: 'How far back the history reaches' }),
    series: Type.Array(MetricsHistorySeries),
    points: Type.Array(MetricsHistoryPoint, { description: 'Samples, oldest first' }),
  },
  { additionalProperties: false },
);
export type MetricsHistory = Static<typeof MetricsHistory>;

export const MetricsHistoryResponse = Envelope(MetricsHistory);
