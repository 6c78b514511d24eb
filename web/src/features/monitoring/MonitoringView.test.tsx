import { act, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { exposition, times, type ExpositionInput } from './fixtures';
import { COLLECTING, MonitoringView } from './MonitoringView';
import { MetricsSampler } from './sampler';
import type { MetricsHistory } from '@tag-manager/contract';

type LegendValue = (
  chart: unknown,
  value: number | null,
  series: number,
  index: number | null,
) => string;
interface ChartOptions {
  width: number;
  height: number;
  series: { label?: string; value?: LegendValue }[];
  scales: { x: { range: (chart: unknown, min: number, max: number) => [number, number] } };
  axes: { values: (chart: unknown, ticks: number[]) => string[] }[];
}

// uPlot draws on a canvas, which happy-dom does not have: a stand-in records what the view asks.
const charts = vi.hoisted(() => {
  const instances: {
    options: ChartOptions;
    data: unknown[];
    target: HTMLElement;
    setData: ReturnType<typeof vi.fn>;
    setSize: ReturnType<typeof vi.fn>;
    destroy: ReturnType<typeof vi.fn>;
  }[] = [];
  return { instances };
});

vi.mock('uplot', () => ({
  default: class FakeUPlot {
    width: number;
    setData = vi.fn();
    setSize = vi.fn((size: { width: number }) => {
      this.width = size.width;
    });
    destroy = vi.fn();
    constructor(options: ChartOptions, data: unknown[], target: HTMLElement) {
      this.width = options.width;
      const canvas = document.createElement('div');
      canvas.className = 'uplot';
      target.append(canvas);
      charts.instances.push({
        options,
        data,
        target,
        setData: this.setData,
        setSize: this.setSize,
        destroy: this.destroy,
      });
    }
  },
}));

const base: ExpositionInput = {
  inFlight: 1,
  pool: { total: 4, idle: 3, waiting: 0, size: 10 },
  products: 3000,
  categorizedRatio: 0.6123,
  rss: 157_286_400, // 150 MiB
  lagSeconds: 0.0123,
  rateLimited: { api: 2 },
  dependencies: { database: true, redis: false },
};

const FIRST = exposition({
  ...base,
  requests: [
    { route: '/api/products', durations: times(10, 0.003) },
    { route: '/metrics', durations: times(3, 0.2) },
  ],
  cache: { products: { hits: 10, misses: 10 } },
});
const SECOND = exposition({
  ...base,
  requests: [
    { route: '/api/products', durations: [...times(56, 0.003), ...times(49, 0.03)] },
    { route: '/api/products/:product_id', status: '404', durations: times(4, 0.003) },
    { route: '/api/bulk/assign', method: 'POST', status: '500', durations: times(1, 0.03) },
    { route: '/metrics', durations: times(4, 0.2) },
  ],
  cache: { products: { hits: 46, misses: 14 } },
});
const THIRD = exposition({
  ...base,
  requests: [
    { route: '/api/products', durations: [...times(76, 0.003), ...times(49, 0.03)] },
    { route: '/api/products/:product_id', status: '404', durations: times(4, 0.003) },
    { route: '/api/bulk/assign', method: 'POST', status: '500', durations: times(1, 0.03) },
    { route: '/metrics', durations: times(5, 0.2) },
  ],
  cache: { products: { hits: 46, misses: 14 } },
});

/**
 * A sampler over a fetch that answers /metrics with `bodies` in turn (a number: that status) and
 * the history with `history` (404 when not given: a server without one). `urls` lists the
 * /metrics requests.
 */
function setup(bodies: (string | number)[], history?: MetricsHistory) {
  const urls: string[] = [];
  const historyUrls: string[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL) => {
    if (String(input) === '/api/metrics/history') {
      historyUrls.push(String(input));
      return history
        ? new Response(JSON.stringify({ success: true, data: history }), {
            headers: { 'content-type': 'application/json' },
          })
        : new Response('{"success":false}', { status: 404 });
    }
    urls.push(String(input));
    const body = bodies[Math.min(urls.length - 1, bodies.length - 1)]!;
    return typeof body === 'number'
      ? new Response('not here', { status: body, statusText: 'Not Found' })
      : new Response(body, { headers: { 'content-type': 'text/plain; version=0.0.4' } });
  });
  const sampler = new MetricsSampler({ fetch: fetchMock as unknown as typeof fetch });
  return { sampler, urls, historyUrls };
}

const tick = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms));

let visibility: DocumentVisibilityState = 'visible';

beforeEach(() => {
  vi.useFakeTimers();
  charts.instances.length = 0;
  visibility = 'visible';
  vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('MonitoringView', () => {
  it('shows the gauges after the first sample and says the charts are collecting', async () => {
    const { sampler, urls } = setup([FIRST]);
    render(<MonitoringView sampler={sampler} />);
    await tick(0);
    expect(urls).toEqual(['/metrics']);

    expect(screen.getByRole('heading', { level: 1, name: 'Monitoring' })).toBeInTheDocument();
    expect(screen.getByTestId('tile-in-flight')).toHaveTextContent('1Requests in flight');
    expect(screen.getByTestId('tile-pool-total')).toHaveTextContent(
      '4DB connections openof 10 in the pool',
    );
    expect(screen.getByTestId('tile-pool-idle')).toHaveTextContent('3');
    expect(screen.getByTestId('tile-pool-waiting')).toHaveTextContent('0');
    expect(screen.getByTestId('tile-products')).toHaveTextContent('3,000');
    expect(screen.getByTestId('tile-categorised')).toHaveTextContent('61.2%');
    expect(screen.getByTestId('tile-memory')).toHaveTextContent('150 MiB');
    expect(screen.getByTestId('tile-event-loop')).toHaveTextContent('12.3 ms');
    expect(screen.getByTestId('tile-rate-limited')).toHaveTextContent('2');
    const dependencies = screen.getByTestId('tile-dependencies');
    expect(dependencies).toHaveTextContent('1 down');
    expect(dependencies).toHaveClass('figure-bad');
    expect(
      within(dependencies)
        .getAllByRole('listitem')
        .map((item) => item.textContent),
    ).toEqual(['database: up', 'redis: down']);

    for (const title of ['Latency', 'Throughput', 'Error rate', 'Cache hit rate']) {
      const section = screen.getByRole('region', { name: title });
      expect(within(section).getByRole('heading', { name: title })).toBeInTheDocument();
      expect(within(section).getAllByText(COLLECTING)).toHaveLength(2); // summary + empty state
    }
    expect(screen.queryAllByTestId('uplot-container')).toHaveLength(0);
    expect(charts.instances).toHaveLength(0);
  });

  it('draws four charts from the second sample on, with summaries of the latest values', async () => {
    const { sampler, urls } = setup([FIRST, SECOND, THIRD]);
    render(<MonitoringView sampler={sampler} />);
    await tick(0);
    await tick(2000);
    expect(urls).toHaveLength(2);

    // 100 requests in 2 s without /metrics: 46 + 4 (404) at 3 ms, 49 + 1 (500) at 30 ms
    expect(screen.getByTestId('latency-summary')).toHaveTextContent(
      'Latest: p50 5 ms, p95 47.5 ms over 100 requests.',
    );
    expect(screen.getByTestId('throughput-summary')).toHaveTextContent(
      'Latest: 50 requests per second.',
    );
    expect(screen.getByTestId('errors-summary')).toHaveTextContent(
      'Latest: 1% server errors (5xx), 4% client errors (4xx).',
    );
    expect(screen.getByTestId('cache-summary')).toHaveTextContent(
      'Latest: 90% hits over 40 lookups.',
    );

    expect(screen.getAllByTestId('uplot-container')).toHaveLength(4);
    const latency = screen.getByRole('img', { name: /^Latency chart, last 10 minutes\./ });
    expect(latency).toHaveAccessibleName(
      'Latency chart, last 10 minutes. Latest: p50 5 ms, p95 47.5 ms over 100 requests.',
    );
    expect(within(latency).getByTestId('uplot-container')).toBeInTheDocument();

    expect(charts.instances).toHaveLength(4);
    const [latencyChart, throughputChart, errorChart, cacheChart] = charts.instances;
    expect(latencyChart!.options.series.map((series) => series.label)).toEqual([
      'Time',
      'p50',
      'p95',
    ]);
    expect(errorChart!.options.series.map((series) => series.label)).toEqual([
      'Time',
      '5xx',
      '4xx',
    ]);
    expect(latencyChart!.options.height).toBe(200);
    expect(latencyChart!.options.width).toBeGreaterThan(0);
    // x in epoch seconds, latency in milliseconds, shares in percent
    const [xs, p50, p95] = latencyChart!.data as number[][];
    expect(xs).toHaveLength(1);
    expect(p50![0]).toBeCloseTo(5, 6);
    expect(p95![0]).toBeCloseTo(47.5, 6);
    expect((throughputChart!.data as number[][])[1]).toEqual([50]);
    expect((errorChart!.data as number[][])[1]![0]).toBeCloseTo(1, 6);
    expect((errorChart!.data as number[][])[2]![0]).toBeCloseTo(4, 6);
    expect((cacheChart!.data as number[][])[1]![0]).toBeCloseTo(90, 6);

    // The legend shows the latest values unless a point is hovered (uPlot passes no index then).
    const fakeChart = {
      data: [
        [1, 2, 3],
        [4, 5, null],
        [null, null, null],
      ],
    };
    const [timeLegend, p50Legend, p95Legend] = latencyChart!.options.series.map(
      (series) => series.value!,
    );
    expect(p50Legend!(fakeChart, null, 1, null)).toBe('5 ms');
    expect(p50Legend!(fakeChart, 4, 1, 0)).toBe('4 ms');
    expect(p50Legend!(fakeChart, null, 1, 2)).toBe('–');
    expect(p95Legend!(fakeChart, null, 2, null)).toBe('–');
    expect(timeLegend!(fakeChart, null, 0, null)).toMatch(/^\d\d:\d\d:\d\d$/);
    // The time axis spans at least a minute, so a single point does not stretch it over years.
    expect(latencyChart!.options.scales.x.range(fakeChart, 1000, 1000)).toEqual([940, 1000]);
    expect(latencyChart!.options.scales.x.range(fakeChart, 100, 1000)).toEqual([100, 1000]);
    // Time ticks as 24-hour clock times, like the legend and the status line.
    expect(latencyChart!.options.axes[0]!.values(fakeChart, [1000, 1060])).toEqual([
      expect.stringMatching(/^\d\d:\d\d:40$/),
      expect.stringMatching(/^\d\d:\d\d:40$/),
    ]);
    expect(latencyChart!.options.axes[1]!.values(fakeChart, [0, 25])).toEqual(['0 ms', '25 ms']);
    expect(screen.getByTestId('monitoring-view')).toHaveAttribute('data-points', '1');

    // The next sample updates the same charts.
    await tick(2000);
    expect(charts.instances).toHaveLength(4);
    expect(latencyChart!.setData).toHaveBeenCalledTimes(1);
    const [nextXs] = latencyChart!.setData.mock.calls[0]![0] as number[][];
    expect(nextXs).toHaveLength(2);
    expect(screen.getByTestId('throughput-summary')).toHaveTextContent(
      'Latest: 10 requests per second.',
    );
    expect(screen.getByTestId('cache-summary')).toHaveTextContent(
      'No cache lookups in the latest interval.',
    );
  });

  it('destroys the charts and stops polling when it goes away', async () => {
    const { sampler, urls } = setup([FIRST, SECOND]);
    const { unmount } = render(<MonitoringView sampler={sampler} />);
    await tick(0);
    await tick(2000);
    expect(charts.instances).toHaveLength(4);
    unmount();
    expect(charts.instances.every((chart) => chart.destroy.mock.calls.length === 1)).toBe(true);
    await tick(10_000);
    expect(urls).toHaveLength(2);
    expect(sampler.getSnapshot().running).toBe(false);
  });

  it('pauses polling while the tab is hidden', async () => {
    const { sampler, urls } = setup([FIRST, SECOND]);
    render(<MonitoringView sampler={sampler} />);
    await tick(0);
    expect(urls).toHaveLength(1);

    visibility = 'hidden';
    await act(async () => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await tick(10_000);
    expect(urls).toHaveLength(1);
    expect(screen.getByTestId('monitoring-status')).toHaveTextContent(
      'Paused while the tab is hidden',
    );

    visibility = 'visible';
    await act(async () => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await tick(0);
    expect(urls).toHaveLength(2);
    expect(screen.getByTestId('monitoring-status')).toHaveTextContent(
      'Sampling /metrics every 2 s',
    );
  });

  it('says when the server reports no connection pool (embedded database)', async () => {
    const { sampler } = setup([exposition({ products: 5 })]);
    render(<MonitoringView sampler={sampler} />);
    await tick(0);
    expect(screen.getByTestId('tile-pool-total')).toHaveTextContent(
      '–DB connections openno connection pool reported',
    );
    expect(screen.getByTestId('tile-dependencies')).toHaveTextContent('–Dependencies');
    expect(screen.getByTestId('tile-event-loop')).toHaveTextContent('–');
  });

  it('says so when /metrics cannot be read, and keeps trying', async () => {
    const { sampler, urls } = setup([404, FIRST]);
    render(<MonitoringView sampler={sampler} />);
    await tick(0);
    expect(screen.getByRole('alert')).toHaveTextContent(
      'The metrics could not be read: GET /metrics answered 404 Not Found. Trying again every 2 s.',
    );
    expect(screen.getByTestId('tile-products')).toHaveTextContent('–');
    await tick(2000);
    expect(urls).toHaveLength(2);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.getByTestId('tile-products')).toHaveTextContent('3,000');
  });
  it('opens with the charts filled from the server history, then goes on with live samples', async () => {
    const now = Date.now();
    // 8 points, 5 s apart, of a server that answered 20 requests (200) per interval, 2 of them 404.
    const history: MetricsHistory = {
      instance: 'host:1',
      now,
      interval_seconds: 5,
      window_seconds: 600,
      series: [
        { name: 'http_request_duration_seconds_bucket', labels: { le: '+Inf' } },
        { name: 'http_request_duration_seconds_bucket', labels: { le: '0.005' } },
        { name: 'http_request_duration_seconds_count', labels: { status_code: '200' } },
        { name: 'http_request_duration_seconds_count', labels: { status_code: '404' } },
      ],
      points: Array.from({ length: 8 }, (_, index) => ({
        time: now - 1000 - (7 - index) * 5000,
        values: [22 * index, 22 * index, 20 * index, 2 * index],
      })),
    };
    const { sampler, urls, historyUrls } = setup([FIRST, SECOND], history);
    render(<MonitoringView sampler={sampler} />);
    await tick(0);
    expect(historyUrls).toHaveLength(1);
    expect(urls).toEqual(['/metrics']);
    // Charts at once: drawn from the 7 history intervals before the first live sample came in,
    // which then adds its point.
    expect(screen.queryByText(COLLECTING)).not.toBeInTheDocument();
    expect(charts.instances).toHaveLength(4);
    const [latencyChart, throughputChart, errorChart] = charts.instances;
    expect((latencyChart!.data as number[][])[0]).toHaveLength(7);
    expect((throughputChart!.data as number[][])[1]!.slice(0, 7)).toEqual(times(7, 4.4));
    expect((errorChart!.data as number[][])[2]![0]).toBeCloseTo((2 / 22) * 100, 6);
    expect(screen.getByTestId('monitoring-view')).toHaveAttribute('data-points', '8');
    expect(screen.getByTestId('monitoring-status')).toHaveTextContent(
      "7 earlier points from the server's own history",
    );
    await tick(2000);
    expect(screen.getByTestId('monitoring-view')).toHaveAttribute('data-points', '9');
    expect(screen.getByTestId('throughput-summary')).toHaveTextContent(
      'Latest: 50 requests per second.',
    );
  });

  it('explains the pool tiles for the embedded database instead of showing dashes', async () => {
    const { sampler } = setup([exposition({ products: 5, driver: 'pglite' })]);
    render(<MonitoringView sampler={sampler} />);
    await tick(0);
    const tile = screen.getByTestId('tile-pool-embedded');
    expect(tile).toHaveTextContent('EmbeddedDatabase (PGlite)');
    expect(tile).toHaveTextContent('one connection, no pool: statements run one at a time');
    expect(screen.queryByTestId('tile-pool-total')).not.toBeInTheDocument();
    expect(screen.queryByTestId('tile-pool-idle')).not.toBeInTheDocument();
    expect(screen.queryByTestId('tile-pool-waiting')).not.toBeInTheDocument();
  });

  it('shows the pool tiles for PostgreSQL', async () => {
    const { sampler } = setup([exposition({ ...base, driver: 'postgres' })]);
    render(<MonitoringView sampler={sampler} />);
    await tick(0);
    expect(screen.queryByTestId('tile-pool-embedded')).not.toBeInTheDocument();
    expect(screen.getByTestId('tile-pool-total')).toHaveTextContent(
      '4DB connections openof 10 in the pool',
    );
  });
});
