/** Test fixtures: exposition text shaped like prom-client's, built from observations. */

export const BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2.5, 5, 10,
];

export interface SeriesObservations {
  method?: string;
  route: string;
  status?: string;
  /** Request durations in seconds. */
  durations: number[];
}

export interface ExpositionInput {
  requests?: SeriesObservations[];
  cache?: Record<string, { hits: number; misses: number }>;
  inFlight?: number;
  pool?: { total: number; idle: number; waiting: number; size: number };
  products?: number;
  categorizedRatio?: number;
  rss?: number;
  lagSeconds?: number;
  rateLimited?: Record<string, number>;
  dependencies?: Record<string, boolean>;
  startTime?: number;
  /** `db_driver{driver}`: postgres or pglite. */
  driver?: string;
}

const labels = (entries: Record<string, string>) =>
  `{${Object.entries(entries)
    .map(([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
    .join(',')}}`;

export function exposition(input: ExpositionInput): string {
  const lines: string[] = [];
  if (input.startTime !== undefined) {
    lines.push('# HELP process_start_time_seconds Start time of the process since unix epoch.');
    lines.push('# TYPE process_start_time_seconds gauge');
    lines.push(`process_start_time_seconds ${input.startTime}`);
  }
  if (input.rss !== undefined) {
    lines.push('# HELP process_resident_memory_bytes Resident memory size in bytes.');
    lines.push('# TYPE process_resident_memory_bytes gauge');
    lines.push(`process_resident_memory_bytes ${input.rss}`);
  }
  if (input.lagSeconds !== undefined) {
    lines.push('# TYPE nodejs_eventloop_lag_p99_seconds gauge');
    lines.push(`nodejs_eventloop_lag_p99_seconds ${input.lagSeconds}`);
  }
  lines.push('# HELP http_request_duration_seconds Duration of HTTP requests in seconds');
  lines.push('# TYPE http_request_duration_seconds histogram');
  for (const series of input.requests ?? []) {
    const base = {
      method: series.method ?? 'GET',
      route: series.route,
      status_code: series.status ?? '200',
    };
    for (const bound of BUCKETS) {
      const count = series.durations.filter((duration) => duration <= bound).length;
      lines.push(
        `http_request_duration_seconds_bucket${labels({ le: String(bound), ...base })} ${count}`,
      );
    }
    lines.push(
      `http_request_duration_seconds_bucket${labels({ le: '+Inf', ...base })} ${series.durations.length}`,
    );
    const sum = series.durations.reduce((total, duration) => total + duration, 0);
    lines.push(`http_request_duration_seconds_sum${labels(base)} ${sum}`);
    lines.push(`http_request_duration_seconds_count${labels(base)} ${series.durations.length}`);
  }
  if (input.inFlight !== undefined) {
    lines.push('# TYPE http_requests_in_flight gauge');
    lines.push(`http_requests_in_flight ${input.inFlight}`);
  }
  lines.push('# TYPE cache_hits_total counter', '# TYPE cache_misses_total counter');
  for (const [cache, counts] of Object.entries(input.cache ?? {})) {
    lines.push(`cache_hits_total${labels({ cache })} ${counts.hits}`);
    lines.push(`cache_misses_total${labels({ cache })} ${counts.misses}`);
  }
  if (input.pool) {
    lines.push('# TYPE db_pool_clients gauge');
    for (const state of ['total', 'idle', 'waiting'] as const)
      lines.push(`db_pool_clients${labels({ state })} ${input.pool[state]}`);
    lines.push('# TYPE db_pool_size gauge', `db_pool_size ${input.pool.size}`);
  }
  if (input.products !== undefined) lines.push(`catalog_products ${input.products}`);
  if (input.categorizedRatio !== undefined)
    lines.push(`catalog_categorized_ratio ${input.categorizedRatio}`);
  for (const [group, count] of Object.entries(input.rateLimited ?? {}))
    lines.push(`rate_limit_rejections_total${labels({ group })} ${count}`);
  for (const [dependency, up] of Object.entries(input.dependencies ?? {}))
    lines.push(`dependency_up${labels({ dependency })} ${up ? 1 : 0}`);
  if (input.driver !== undefined) {
    lines.push('# TYPE db_driver gauge', `db_driver${labels({ driver: input.driver })} 1`);
  }
  return `${lines.join('\n')}\n`;
}

/** `n` copies of a duration. */
export const times = (n: number, duration: number) => Array<number>(n).fill(duration);
