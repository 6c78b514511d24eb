/**
 * Monitoring: the server's own metrics (`GET /metrics`), sampled every 2 s while the view is
 * shown and the tab visible, after the charts were filled from the server's own history
 * (`GET /api/metrics/history`). Four charts of the last 10 minutes (latency, throughput, error rate,
 * cache hit rate) and tiles with the current gauges. The charts are canvases, so each has a
 * heading and a text summary of its latest values (also its accessible name).
 */
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type uPlot from 'uplot';
import type { Gauges, IntervalPoint } from './derive';
import { sharedSampler, type MetricsSampler } from './sampler';
import { UPlotChart } from './UPlotChart';
import './monitoring.css';

const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const significant = new Intl.NumberFormat('en', { maximumSignificantDigits: 3 });
const percent = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 });
const clock = new Intl.DateTimeFormat('en-GB', {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export const COLLECTING = 'Collecting — the first point appears after two samples.';

const formatMs = (seconds: number | null) =>
  seconds === null ? '–' : `${significant.format(seconds * 1000)} ms`;
const formatShare = (share: number | null) => (share === null ? '–' : percent.format(share));
const formatBytes = (bytes: number) => `${decimal.format(bytes / 1024 / 1024)} MiB`;

/** Keep polling while mounted and the tab is visible; the sampler's state as a store. */
function useSampling(sampler: MetricsSampler) {
  useEffect(() => {
    const sync = () => {
      if (document.visibilityState === 'hidden') sampler.stop();
      else sampler.start();
    };
    sync();
    document.addEventListener('visibilitychange', sync);
    return () => {
      document.removeEventListener('visibilitychange', sync);
      sampler.stop();
    };
  }, [sampler]);
  return useSyncExternalStore(sampler.subscribe, sampler.getSnapshot, sampler.getSnapshot);
}

// ---- chart options (created once per chart) --------------------------------------------------

const AXIS = { stroke: '#4a5565', grid: { stroke: '#e7ebf0', width: 1 }, ticks: { show: false } };

/** A y range from 0 to a little above the largest value (at least `minTop`, at most `maxTop`). */
const fromZero =
  (minTop: number, maxTop = Infinity): uPlot.Range.Function =>
  (_chart, _min, max) => {
    const top = Number.isFinite(max) && max > 0 ? max * 1.15 : 0;
    return [0, Math.min(maxTop, Math.max(minTop, top))];
  };

function chartOptions(
  series: { label: string; stroke: string; format: (value: number) => string }[],
  axisUnit: string,
  range: uPlot.Range.Function | [number, number],
): Omit<uPlot.Options, 'width' | 'height'> {
  return {
    scales: {
      // At least the last minute (uPlot would stretch a single point over years), at most the data.
      x: { time: true, range: (_chart, min, max) => [Math.min(min, max - 60), max] },
      y: { range: Array.isArray(range) ? () => range : range },
    },
    axes: [
      {
        ...AXIS,
        space: 70,
        values: (_chart, ticks) => ticks.map((tick) => clockOf(tick)),
      },
      {
        ...AXIS,
        size: 64,
        values: (_chart, ticks) => ticks.map((tick) => `${significant.format(tick)}${axisUnit}`),
      },
    ],
    series: [
      { label: 'Time', value: legendValue(clockOf) },
      ...series.map((entry) => ({
        label: entry.label,
        stroke: entry.stroke,
        width: 2,
        spanGaps: false,
        points: { size: 5 },
        value: legendValue(entry.format),
      })),
    ],
    cursor: { drag: { x: false, y: false } },
    legend: { show: true },
  };
}

const clockOf = (seconds: number) => clock.format(new Date(seconds * 1000));

/**
 * A legend value: the hovered point's, or the latest value while the pointer is elsewhere (uPlot
 * asks with no index then).
 */
const legendValue =
  (format: (value: number) => string) =>
  (chart: uPlot, value: number | null, seriesIndex: number, index: number | null): string => {
    let shown = value;
    if (index == null) {
      const column = chart.data[seriesIndex] ?? [];
      for (let at = column.length - 1; at >= 0 && shown == null; at -= 1)
        shown = column[at] ?? null;
    }
    return shown == null ? '–' : format(shown);
  };
const ms = (value: number) => `${significant.format(value)} ms`;
const pct = (value: number) => `${decimal.format(value)} %`;

const LATENCY_OPTIONS = chartOptions(
  [
    { label: 'p50', stroke: '#1d4ed8', format: ms },
    { label: 'p95', stroke: '#6b21a8', format: ms },
  ],
  ' ms',
  fromZero(1),
);
const THROUGHPUT_OPTIONS = chartOptions(
  [{ label: 'Requests/s', stroke: '#166534', format: (value) => `${decimal.format(value)} req/s` }],
  '',
  fromZero(1),
);
const ERROR_OPTIONS = chartOptions(
  [
    { label: '5xx', stroke: '#b91c1c', format: pct },
    { label: '4xx', stroke: '#92400e', format: pct },
  ],
  ' %',
  fromZero(1, 100),
);
const CACHE_OPTIONS = chartOptions(
  [{ label: 'Hit rate', stroke: '#1e40af', format: pct }],
  ' %',
  [0, 100],
);

// ---- summaries -------------------------------------------------------------------------------

function latencySummary(point: IntervalPoint): string {
  if (point.requests === 0) return 'No requests in the latest interval.';
  return `Latest: p50 ${formatMs(point.p50)}, p95 ${formatMs(point.p95)} over ${whole.format(point.requests)} requests.`;
}

function throughputSummary(point: IntervalPoint): string {
  return `Latest: ${decimal.format(point.throughput ?? 0)} requests per second.`;
}

function errorSummary(point: IntervalPoint): string {
  if (point.requests === 0) return 'No requests in the latest interval.';
  return `Latest: ${formatShare(point.serverErrorShare)} server errors (5xx), ${formatShare(point.clientErrorShare)} client errors (4xx).`;
}

function cacheSummary(point: IntervalPoint): string {
  if (point.cacheLookups === 0) return 'No cache lookups in the latest interval.';
  return `Latest: ${formatShare(point.cacheHitRate)} hits over ${whole.format(point.cacheLookups)} lookups.`;
}

const times100 = (value: number | null) => (value === null ? null : value * 100);
const times1000 = (value: number | null) => (value === null ? null : value * 1000);

// ---- the view --------------------------------------------------------------------------------

export function MonitoringView({ sampler: given }: { sampler?: MetricsSampler } = {}) {
  const [sampler] = useState(() => given ?? sharedSampler());
  const snapshot = useSampling(sampler);
  const { points, gauges } = snapshot;

  const data = useMemo(() => {
    const xs = points.map((point) => point.time);
    const column = (pick: (point: IntervalPoint) => number | null) => points.map(pick);
    return {
      latency: [
        xs,
        column((point) => times1000(point.p50)),
        column((point) => times1000(point.p95)),
      ] as uPlot.AlignedData,
      throughput: [xs, column((point) => point.throughput)] as uPlot.AlignedData,
      errors: [
        xs,
        column((point) => times100(point.serverErrorShare)),
        column((point) => times100(point.clientErrorShare)),
      ] as uPlot.AlignedData,
      cache: [xs, column((point) => times100(point.cacheHitRate))] as uPlot.AlignedData,
    };
  }, [points]);

  const hasPoints = points.some((point) => !point.gap);
  const latest = points.at(-1);
  const summaryOf = (summarise: (point: IntervalPoint) => string) => {
    if (!hasPoints || !latest) return COLLECTING;
    if (latest.gap) return 'Resuming after a pause — the next point appears after two samples.';
    return summarise(latest);
  };
  const windowMinutes = Math.round(sampler.windowMs / 60_000);
  const charts = [
    {
      id: 'latency',
      title: 'Latency',
      unit: 'p50 and p95, milliseconds',
      options: LATENCY_OPTIONS,
      data: data.latency,
      summary: summaryOf(latencySummary),
    },
    {
      id: 'throughput',
      title: 'Throughput',
      unit: 'requests per second',
      options: THROUGHPUT_OPTIONS,
      data: data.throughput,
      summary: summaryOf(throughputSummary),
    },
    {
      id: 'errors',
      title: 'Error rate',
      unit: 'share of requests answered 5xx and 4xx, percent',
      options: ERROR_OPTIONS,
      data: data.errors,
      summary: summaryOf(errorSummary),
    },
    {
      id: 'cache',
      title: 'Cache hit rate',
      unit: 'hits of all cache lookups, percent',
      options: CACHE_OPTIONS,
      data: data.cache,
      summary: summaryOf(cacheSummary),
    },
  ];

  return (
    <div
      className="page monitoring"
      data-testid="monitoring-view"
      data-points={points.filter((point) => !point.gap).length}
    >
      <div className="monitoring-head">
        <h1>Monitoring</h1>
        <p className="muted" data-testid="monitoring-status">
          {snapshot.running
            ? `Sampling /metrics every ${sampler.intervalMs / 1000} s`
            : 'Paused while the tab is hidden'}
          {snapshot.historyPoints > 0 &&
            ` · ${snapshot.historyPoints} earlier points from the server's own history`}
          {snapshot.lastSampleAt !== null &&
            ` · last sample ${clock.format(new Date(snapshot.lastSampleAt))}`}
          {` · request figures leave out /metrics and /health`}
        </p>
      </div>

      {snapshot.error && (
        <div className="callout callout-warning" role="alert">
          <p>
            The metrics could not be read: {snapshot.error}. Trying again every{' '}
            {sampler.intervalMs / 1000} s.
          </p>
        </div>
      )}

      <section aria-labelledby="gauges-title">
        <h2 id="gauges-title" className="visually-hidden">
          Current values
        </h2>
        <GaugeTiles gauges={gauges} />
      </section>

      <div className="monitoring-charts">
        {charts.map((chart) => (
          <section
            key={chart.id}
            className="card monitoring-chart"
            aria-labelledby={`${chart.id}-title`}
            data-testid={`chart-${chart.id}`}
          >
            <div className="chart-head">
              <h2 id={`${chart.id}-title`}>{chart.title}</h2>
              <span className="chart-unit">
                {chart.unit}, last {windowMinutes} minutes
              </span>
            </div>
            <p className="chart-summary" data-testid={`${chart.id}-summary`}>
              {chart.summary}
            </p>
            {hasPoints ? (
              <div
                role="img"
                aria-label={`${chart.title} chart, last ${windowMinutes} minutes. ${chart.summary}`}
              >
                <UPlotChart options={chart.options} data={chart.data} height={200} />
              </div>
            ) : (
              <p className="empty-state chart-empty">{COLLECTING}</p>
            )}
          </section>
        ))}
      </div>
    </div>
  );
}

type Tone = 'good' | 'warn' | 'bad' | undefined;

function Tile({
  id,
  label,
  value,
  hint,
  tone,
}: {
  id: string;
  label: string;
  value: string;
  hint?: string;
  tone?: Tone;
}) {
  return (
    <div className={`figure${tone ? ` figure-${tone}` : ''}`} data-testid={`tile-${id}`}>
      <span className="figure-value">{value}</span>
      <span className="figure-label">{label}</span>
      {hint && <span className="figure-hint">{hint}</span>}
    </div>
  );
}

function GaugeTiles({ gauges }: { gauges: Gauges | null }) {
  const show = (value: number | null | undefined, format: (value: number) => string) =>
    value === null || value === undefined ? '–' : format(value);
  const g = gauges;
  const waiting = g?.poolWaiting ?? null;
  const lagSeconds = g?.eventLoopLagP99Seconds ?? null;
  const down = g?.dependencies.filter((dependency) => !dependency.up) ?? [];
  return (
    <div className="summary-grid monitoring-tiles">
      <Tile
        id="in-flight"
        label="Requests in flight"
        value={show(g?.inFlight, whole.format)}
        hint="this page's scrape included"
      />
      {g?.databaseDriver === 'pglite' && g.poolTotal === null ? (
        // The embedded database has no pool: one connection, statements one at a time.
        <div className="figure figure-wide" data-testid="tile-pool-embedded">
          <span className="figure-value">Embedded</span>
          <span className="figure-label">Database (PGlite)</span>
          <span className="figure-hint">
            one connection, no pool: statements run one at a time, so there are no open, idle or
            waiting connections to show. Set DATABASE_URL (PostgreSQL) for a pool.
          </span>
        </div>
      ) : (
        <>
          <Tile
            id="pool-total"
            label="DB connections open"
            value={show(g?.poolTotal, whole.format)}
            hint={
              g?.poolTotal == null
                ? 'no connection pool reported'
                : g.poolSize
                  ? `of ${whole.format(g.poolSize)} in the pool`
                  : undefined
            }
          />
          <Tile
            id="pool-idle"
            label="DB connections idle"
            value={show(g?.poolIdle, whole.format)}
          />
          <Tile
            id="pool-waiting"
            label="Waiting for a connection"
            value={show(waiting, whole.format)}
            tone={waiting !== null && waiting > 0 ? 'warn' : undefined}
          />
        </>
      )}
      <Tile id="products" label="Products" value={show(g?.products, whole.format)} />
      <Tile
        id="categorised"
        label="Categorised"
        value={show(g?.categorizedRatio, percent.format)}
      />
      <Tile id="memory" label="Memory (RSS)" value={show(g?.residentMemoryBytes, formatBytes)} />
      <Tile
        id="event-loop"
        label="Event-loop lag p99"
        value={show(lagSeconds, (seconds) => formatMs(seconds))}
        tone={lagSeconds !== null && lagSeconds > 0.1 ? 'warn' : undefined}
      />
      <Tile
        id="rate-limited"
        label="Rate-limited requests"
        value={show(g?.rateLimitRejections, whole.format)}
        hint="since the server started"
      />
      <div
        className={`figure${g && g.dependencies.length > 0 ? (down.length > 0 ? ' figure-bad' : ' figure-good') : ''}`}
        data-testid="tile-dependencies"
      >
        <span className="figure-value">
          {!g || g.dependencies.length === 0
            ? '–'
            : down.length > 0
              ? `${down.length} down`
              : 'All up'}
        </span>
        <span className="figure-label">Dependencies</span>
        {g && g.dependencies.length > 0 && (
          <ul className="dependency-list">
            {g.dependencies.map((dependency) => (
              <li key={dependency.name}>
                <span
                  className={`dependency-dot ${dependency.up ? 'up' : 'down'}`}
                  aria-hidden="true"
                />
                {dependency.name}: {dependency.up ? 'up' : 'down'}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
