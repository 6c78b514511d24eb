import { describe, expect, it } from 'vitest';
import {
  counterIncrease,
  deriveInterval,
  histogramQuantile,
  isExcludedRoute,
  readGauges,
  type Scrape,
} from './derive';
import { exposition, times, type ExpositionInput } from './fixtures';
import { parsePrometheusText } from './prometheus';

const scrape = (time: number, input: ExpositionInput): Scrape => ({
  time,
  samples: parsePrometheusText(exposition(input)).samples,
});

describe('counterIncrease', () => {
  it('is the difference while the counter grows', () => {
    expect(counterIncrease(10, 25)).toBe(15);
    expect(counterIncrease(10, 10)).toBe(0);
  });
  it('takes a decrease for a reset: the whole current value is the increase', () => {
    expect(counterIncrease(100, 7)).toBe(7);
  });
  it('counts a series new in the later scrape from zero', () => {
    expect(counterIncrease(undefined, 4)).toBe(4);
  });
  it('ignores values that are not numbers', () => {
    expect(counterIncrease(1, NaN)).toBe(0);
    expect(counterIncrease(NaN, 3)).toBe(3);
  });
});

describe('histogramQuantile (as PromQL)', () => {
  const buckets = [
    { le: 0.1, count: 10 },
    { le: 0.2, count: 30 },
    { le: 0.5, count: 40 },
    { le: Infinity, count: 40 },
  ];

  it('interpolates linearly inside the bucket the rank falls in', () => {
    // rank 20 of 40: bucket (0.1, 0.2] holds 10..30 → 0.1 + 0.1 × (10/20)
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.15, 10);
    // rank 36: bucket (0.2, 0.5] holds 30..40 → 0.2 + 0.3 × (6/10)
    expect(histogramQuantile(0.9, buckets)).toBeCloseTo(0.38, 10);
  });

  it('starts the first bucket at zero', () => {
    // rank 4 of 40 in (0, 0.1] holding 10 → 0.04
    expect(histogramQuantile(0.1, buckets)).toBeCloseTo(0.04, 10);
  });

  it('answers the highest finite bound when the rank is in the +Inf bucket', () => {
    const slow = [
      { le: 0.1, count: 1 },
      { le: 1, count: 2 },
      { le: Infinity, count: 10 },
    ];
    expect(histogramQuantile(0.95, slow)).toBe(1);
  });

  it('sorts the buckets and fixes counts that go down', () => {
    const shuffled = [
      { le: Infinity, count: 40 },
      { le: 0.2, count: 30 },
      { le: 0.1, count: 10 },
      { le: 0.5, count: 25 }, // below its predecessor: treated as 30
    ];
    expect(histogramQuantile(0.5, shuffled)).toBeCloseTo(0.15, 10);
    // rank 38 lies between 30 and 40, all in the +Inf bucket → highest finite bound
    expect(histogramQuantile(0.95, shuffled)).toBe(0.5);
  });

  it('is null without observations or without an +Inf bucket; out-of-range q as PromQL', () => {
    expect(histogramQuantile(0.5, [{ le: Infinity, count: 0 }])).toBeNull();
    expect(
      histogramQuantile(0.5, [
        { le: 0.1, count: 0 },
        { le: Infinity, count: 0 },
      ]),
    ).toBeNull();
    expect(histogramQuantile(0.5, [{ le: 0.1, count: 3 }])).toBeNull();
    expect(histogramQuantile(-1, buckets)).toBe(-Infinity);
    expect(histogramQuantile(2, buckets)).toBe(Infinity);
    expect(histogramQuantile(NaN, buckets)).toBeNull();
  });
});

describe('isExcludedRoute', () => {
  it('leaves out /metrics and /health*', () => {
    expect(isExcludedRoute('/metrics')).toBe(true);
    expect(isExcludedRoute('/health')).toBe(true);
    expect(isExcludedRoute('/health/ready')).toBe(true);
    expect(isExcludedRoute('/api/products')).toBe(false);
    expect(isExcludedRoute('unmatched')).toBe(false);
    expect(isExcludedRoute(undefined)).toBe(false);
  });
});

describe('deriveInterval', () => {
  const before = scrape(10_000, {
    requests: [
      { route: '/api/products', durations: times(10, 0.003) },
      { route: '/metrics', durations: times(5, 0.2) },
    ],
    cache: { products: { hits: 5, misses: 5 }, tree: { hits: 1, misses: 0 } },
  });
  const after = scrape(12_000, {
    requests: [
      // +50 at 3 ms and +50 at 30 ms
      { route: '/api/products', durations: [...times(60, 0.003), ...times(50, 0.03)] },
      // the page's own polling and the probes: many, slow — must not count
      { route: '/metrics', durations: times(1005, 0.2) },
      { route: '/health/ready', durations: times(50, 0.3) },
      { route: '/health', durations: times(50, 0.3) },
    ],
    cache: { products: { hits: 35, misses: 15 }, tree: { hits: 11, misses: 0 } },
  });

  it('derives throughput and p50/p95 from bucket deltas, without /metrics and /health*', () => {
    const point = deriveInterval(before, after);
    expect(point.time).toBe(12);
    expect(point.seconds).toBe(2);
    expect(point.gap).toBe(false);
    expect(point.requests).toBe(100);
    expect(point.throughput).toBe(50);
    // Deltas: 50 in (2.5 ms, 5 ms], 50 in (25 ms, 50 ms].
    // p50: rank 50 → (0.0025, 0.005] holds 0..50 → 0.005.
    expect(point.p50).toBeCloseTo(0.005, 10);
    // p95: rank 95 → (0.025, 0.05] holds 50..100 → 0.025 + 0.025 × 45/50 = 0.0475.
    expect(point.p95).toBeCloseTo(0.0475, 10);
  });

  it('sums the cache hit rate over every cache', () => {
    const point = deriveInterval(before, after);
    // hits +30 +10, misses +10 +0
    expect(point.cacheLookups).toBe(50);
    expect(point.cacheHitRate).toBeCloseTo(0.8, 10);
  });

  it('gives the 5xx and 4xx shares of requests separately', () => {
    const base: ExpositionInput = {
      requests: [
        { route: '/api/products', durations: times(10, 0.01) },
        { route: '/api/products/:product_id', status: '404', durations: times(2, 0.01) },
      ],
    };
    const later: ExpositionInput = {
      requests: [
        { route: '/api/products', durations: times(80, 0.01) },
        { route: '/api/products/:product_id', status: '404', durations: times(17, 0.01) },
        { route: '/api/bulk/assign', method: 'POST', status: '500', durations: times(5, 0.01) },
        { route: 'unmatched', status: '404', durations: times(5, 0.01) },
        { route: '/health/ready', status: '503', durations: times(40, 0.01) },
      ],
    };
    const point = deriveInterval(scrape(0, base), scrape(4_000, later));
    // 70 ok + 15 + 5 not found + 5 server errors = 95 requests; the 503 probes do not count
    expect(point.requests).toBe(95);
    expect(point.throughput).toBeCloseTo(95 / 4, 10);
    expect(point.serverErrorShare).toBeCloseTo(5 / 95, 10);
    expect(point.clientErrorShare).toBeCloseTo(20 / 95, 10);
  });

  it('handles a counter reset: a series whose count went down counts from zero', () => {
    const busy = scrape(0, {
      requests: [{ route: '/api/products', durations: [...times(3, 0.001), ...times(7, 1)] }],
      cache: { products: { hits: 100, misses: 50 } },
    });
    // The server restarted: 5 fast requests since. Naively, the le="0.001" bucket grew 3 → 5
    // (+2) while the others fell; reset as a whole, all 5 count.
    const restarted = scrape(2_000, {
      requests: [{ route: '/api/products', durations: times(5, 0.001) }],
      cache: { products: { hits: 4, misses: 1 } },
    });
    const point = deriveInterval(busy, restarted);
    expect(point.requests).toBe(5);
    expect(point.throughput).toBe(2.5);
    expect(point.p50).toBeCloseTo(0.0005, 10);
    expect(point.p95).toBeCloseTo(0.00095, 10);
    expect(point.cacheLookups).toBe(5);
    expect(point.cacheHitRate).toBeCloseTo(0.8, 10);
  });

  it('takes a changed process start time for a restart of every counter', () => {
    const first = scrape(0, {
      startTime: 1000,
      requests: [{ route: '/api/products', durations: times(10, 0.003) }],
    });
    // More requests than before, so no counter went down — only the start time tells.
    const second = scrape(2_000, {
      startTime: 1500,
      requests: [{ route: '/api/products', durations: times(12, 0.003) }],
    });
    expect(deriveInterval(first, second).requests).toBe(12);
  });

  it('counts a series that first appears in the later scrape from zero', () => {
    const first = scrape(0, { requests: [{ route: '/api/products', durations: times(4, 0.01) }] });
    const second = scrape(2_000, {
      requests: [
        { route: '/api/products', durations: times(4, 0.01) },
        { route: '/api/stats', durations: times(6, 0.01) },
      ],
    });
    expect(deriveInterval(first, second).requests).toBe(6);
  });

  it('has no figures but zero throughput when nothing happened', () => {
    const idle = scrape(0, { requests: [{ route: '/api/products', durations: times(4, 0.01) }] });
    const point = deriveInterval(idle, { ...idle, time: 2_000 });
    expect(point).toMatchObject({
      requests: 0,
      throughput: 0,
      p50: null,
      p95: null,
      serverErrorShare: null,
      clientErrorShare: null,
      cacheLookups: 0,
      cacheHitRate: null,
    });
  });
});

describe('readGauges', () => {
  it('reads every gauge of the latest scrape', () => {
    const gauges = readGauges(
      scrape(0, {
        inFlight: 2,
        pool: { total: 4, idle: 3, waiting: 1, size: 10 },
        products: 3000,
        categorizedRatio: 0.6,
        rss: 150 * 1024 * 1024,
        lagSeconds: 0.012,
        rateLimited: { api: 3, import: 2 },
        dependencies: { redis: false, database: true },
        driver: 'postgres',
      }),
    );
    expect(gauges).toEqual({
      inFlight: 2,
      poolTotal: 4,
      poolIdle: 3,
      poolWaiting: 1,
      poolSize: 10,
      products: 3000,
      categorizedRatio: 0.6,
      residentMemoryBytes: 150 * 1024 * 1024,
      eventLoopLagP99Seconds: 0.012,
      rateLimitRejections: 5,
      dependencies: [
        { name: 'database', up: true },
        { name: 'redis', up: false },
      ],
      databaseDriver: 'postgres',
    });
  });

  it('counts a declared labelled counter without series yet as 0', () => {
    const { samples, types } = parsePrometheusText(
      '# HELP rate_limit_rejections_total Requests refused\n# TYPE rate_limit_rejections_total counter\n',
    );
    expect(readGauges({ time: 0, samples }).rateLimitRejections).toBeNull();
    expect(
      readGauges({ time: 0, samples, declared: new Set(types.keys()) }).rateLimitRejections,
    ).toBe(0);
  });

  it('gives null for what the server does not send, and for NaN', () => {
    const gauges = readGauges({
      time: 0,
      samples: parsePrometheusText('nodejs_eventloop_lag_p99_seconds NaN').samples,
    });
    expect(gauges.eventLoopLagP99Seconds).toBeNull();
    expect(gauges.poolTotal).toBeNull();
    expect(gauges.dependencies).toEqual([]);
    expect(gauges.databaseDriver).toBeNull();
  });
});
