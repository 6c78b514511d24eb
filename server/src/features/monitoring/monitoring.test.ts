/**
 * The Monitoring page's server-side history (issue 11): the ring buffer grows by one point per
 * sample and stays bounded to its window, keeps only what the charts use, and is served at
 * GET /api/metrics/history to whoever may read /metrics.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { MetricSample, MetricsHistory } from '@tag-manager/contract';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.js';
import { expectErrorEnvelope } from '../../../test/helpers/envelope.js';
import { MetricsHistoryBuffer } from './history.js';

const SYSTEM = { actor: 'test', source: 'system' as const };
const opened: TestApp[] = [];
afterAll(async () => {
  for (const test of opened) await test.close();
});

async function app(overrides: Record<string, string> = {}) {
  const test = await createTestApp(overrides);
  opened.push(test);
  return test;
}

/** The value of one series in one point of a served history. */
function valueOf(
  history: MetricsHistory,
  point: number,
  name: string,
  labels: Record<string, string> = {},
) {
  const index = history.series.findIndex(
    (series) => series.name === name && JSON.stringify(series.labels) === JSON.stringify(labels),
  );
  return index === -1 ? undefined : history.points[point]!.values[index];
}

describe('the history buffer', () => {
  it('adds one point per sample and keeps at most window / interval points, oldest dropped', async () => {
    let clock = 1_000_000;
    let requests = 0;
    const buffer = new MetricsHistoryBuffer(
      async () => [
        {
          name: 'http_request_duration_seconds_count',
          labels: { route: '/api/products', method: 'GET', status_code: '200' },
          value: ++requests,
        },
      ],
      5_000,
      20_000,
      () => clock,
    );
    expect(buffer.capacity).toBe(4);
    for (let sample = 1; sample <= 4; sample += 1) {
      await buffer.sampleOnce();
      expect(buffer.size).toBe(sample);
      clock += 5_000;
    }
    for (let sample = 0; sample < 6; sample += 1) {
      await buffer.sampleOnce();
      expect(buffer.size).toBe(4);
      clock += 5_000;
    }
    const history = buffer.snapshot();
    expect(history.points.map((point) => point.time)).toEqual([
      1_030_000, 1_035_000, 1_040_000, 1_045_000,
    ]);
    expect(history.series).toEqual([
      { name: 'http_request_duration_seconds_count', labels: { status_code: '200' } },
    ]);
    expect(history.points.map((point) => point.values[0])).toEqual([7, 8, 9, 10]);
    expect(history.interval_seconds).toBe(5);
    expect(history.window_seconds).toBe(20);
  });

  it('sums over routes, leaves out /metrics and /health, and keeps no other metric', async () => {
    const buffer = new MetricsHistoryBuffer(async (): Promise<MetricSample[]> => [
      {
        name: 'http_request_duration_seconds_count',
        labels: { route: '/api/a', status_code: '200' },
        value: 3,
      },
      {
        name: 'http_request_duration_seconds_count',
        labels: { route: '/api/b', status_code: '200' },
        value: 4,
      },
      {
        name: 'http_request_duration_seconds_count',
        labels: { route: '/api/b', status_code: '404' },
        value: 1,
      },
      {
        name: 'http_request_duration_seconds_count',
        labels: { route: '/metrics', status_code: '200' },
        value: 50,
      },
      {
        name: 'http_request_duration_seconds_count',
        labels: { route: '/health/ready', status_code: '200' },
        value: 60,
      },
      {
        name: 'http_request_duration_seconds_bucket',
        labels: { route: '/api/a', le: '0.1' },
        value: 2,
      },
      {
        name: 'http_request_duration_seconds_bucket',
        labels: { route: '/api/b', le: '0.1' },
        value: 5,
      },
      {
        name: 'http_request_duration_seconds_bucket',
        labels: { route: '/metrics', le: '0.1' },
        value: 50,
      },
      { name: 'cache_hits_total', labels: { cache: 'products' }, value: 8 },
      { name: 'cache_hits_total', labels: { cache: 'stats' }, value: 2 },
      { name: 'process_start_time_seconds', labels: {}, value: 1700000000 },
      { name: 'http_errors_total', labels: { code: 'NOT_FOUND' }, value: 1 },
    ]);
    await buffer.sampleOnce();
    const history = buffer.snapshot();
    expect(history.series).toHaveLength(5);
    expect(valueOf(history, 0, 'http_request_duration_seconds_count', { status_code: '200' })).toBe(
      7,
    );
    expect(valueOf(history, 0, 'http_request_duration_seconds_count', { status_code: '404' })).toBe(
      1,
    );
    expect(valueOf(history, 0, 'http_request_duration_seconds_bucket', { le: '0.1' })).toBe(7);
    expect(valueOf(history, 0, 'cache_hits_total')).toBe(10);
    expect(valueOf(history, 0, 'process_start_time_seconds')).toBe(1700000000);
    expect(valueOf(history, 0, 'http_errors_total')).toBeUndefined();
  });

  it('gives null for a series that appeared after a point was taken', async () => {
    let second = false;
    const buffer = new MetricsHistoryBuffer(async (): Promise<MetricSample[]> => [
      { name: 'cache_hits_total', labels: {}, value: 1 },
      ...(second ? [{ name: 'cache_misses_total', labels: {}, value: 2 }] : []),
    ]);
    await buffer.sampleOnce();
    second = true;
    await buffer.sampleOnce();
    const history = buffer.snapshot();
    expect(valueOf(history, 0, 'cache_misses_total')).toBeNull();
    expect(valueOf(history, 1, 'cache_misses_total')).toBe(2);
  });
});

describe('GET /api/metrics/history', () => {
  it("serves this instance's samples of its own metrics, growing as the server works", async () => {
    const test = await app();
    // The timer took a first sample when the app became ready.
    expect(test.app.metricsHistory.running).toBe(true);
    expect(test.app.metricsHistory.size).toBeGreaterThanOrEqual(1);
    const before = test.app.metricsHistory.size;
    for (let index = 0; index < 3; index += 1) await test.request('/api/products?limit=1');
    await test.request('/api/products/999999999');
    await test.app.inject({ method: 'GET', url: '/metrics' });
    await test.app.metricsHistory.sampleOnce();
    expect(test.app.metricsHistory.size).toBeGreaterThan(before);

    const asked = Date.now();
    const response = await test.request('/api/metrics/history');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const history = response.json().data as MetricsHistory;
    const last = history.points.length - 1;
    expect(
      valueOf(history, last, 'http_request_duration_seconds_count', { status_code: '200' }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      valueOf(history, last, 'http_request_duration_seconds_count', { status_code: '404' }),
    ).toBe(1);
    expect(
      valueOf(history, last, 'http_request_duration_seconds_bucket', { le: '+Inf' }),
    ).toBeGreaterThanOrEqual(4);
    expect(valueOf(history, last, 'process_start_time_seconds')).toBeGreaterThan(0);
    expect(history.series.every((series) => series.labels.route === undefined)).toBe(true);
    expect(history.interval_seconds).toBe(5);
    expect(history.window_seconds).toBe(600);
    expect(history.instance).toMatch(/:\d+$/);
    expect(history.now).toBeGreaterThanOrEqual(asked);
    expect(history.points.at(-1)!.time).toBeLessThanOrEqual(history.now);
    for (const point of history.points) expect(point.values).toHaveLength(history.series.length);
  });

  it('stops its timer when the app closes', async () => {
    const test = await createTestApp();
    expect(test.app.metricsHistory.running).toBe(true);
    await test.close();
    expect(test.app.metricsHistory.running).toBe(false);
  });

  it('needs a viewer token in token mode, like /metrics', async () => {
    const test = await app({ AUTH_MODE: 'token' });
    const missing = await test.request('/api/metrics/history');
    expectErrorEnvelope(missing, 401, 'UNAUTHORIZED');
    const viewer = await test.app.tokens.create({ name: 'watcher', role: 'viewer' }, SYSTEM);
    const allowed = await test.request({
      method: 'GET',
      url: '/api/metrics/history',
      headers: { authorization: `Bearer ${viewer.secret}` },
    });
    expect(allowed.statusCode).toBe(200);
  });
});
