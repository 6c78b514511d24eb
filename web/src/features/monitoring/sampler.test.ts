import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthStore } from '../../api/auth';
import { exposition, times } from './fixtures';
import { parsePrometheusText } from './prometheus';
import type { MetricsHistory } from '@tag-manager/contract';
import { MetricsSampler } from './sampler';

const text = (requests: number, extra: Parameters<typeof exposition>[0] = {}) =>
  exposition({
    requests: [{ route: '/api/products', durations: times(requests, 0.004) }],
    ...extra,
  });

/** A fetch that answers each call with the next body (the last one repeats). */
function sequenceFetch(bodies: (string | { status: number })[]) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init });
    const body = bodies[Math.min(calls.length - 1, bodies.length - 1)]!;
    if (typeof body === 'string')
      return new Response(body, {
        status: 200,
        headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      });
    return new Response('{"success":false}', { status: body.status, statusText: 'Not Found' });
  });
  return { fetchMock: fetchMock as unknown as typeof fetch, calls };
}

/** A token store over an in-memory Storage, optionally holding a token already. */
function memoryAuth(token?: string) {
  const items = new Map<string, string>();
  const storage = {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  } as unknown as Storage;
  const store = createAuthStore(storage);
  if (token) store.submit(token);
  return store;
}

/** Answers 401 in the error envelope unless the request carries `Bearer <accepted>`. */
function guardedFetch(accepted: string) {
  const calls: (string | null)[] = [];
  const fetchMock = vi.fn(async (_input: RequestInfo | URL, init?: RequestInit) => {
    const authorization = (init?.headers as Record<string, string>).Authorization ?? null;
    calls.push(authorization);
    if (authorization === `Bearer ${accepted}`) {
      return new Response(text(1), { headers: { 'content-type': 'text/plain; version=0.0.4' } });
    }
    return new Response(
      JSON.stringify({
        success: false,
        error: 'An API token is required: send the header "Authorization: Bearer <token>"',
        code: 'UNAUTHORIZED',
        details: { reason: authorization ? 'invalid_token' : 'missing_token' },
        timestamp: new Date(0).toISOString(),
        request_id: 'r1',
      }),
      { status: 401, headers: { 'content-type': 'application/json' } },
    );
  });
  return { fetchMock: fetchMock as unknown as typeof fetch, calls };
}

const scrapeOf = (time: number, body: string) => ({
  time,
  samples: parsePrometheusText(body).samples,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('MetricsSampler', () => {
  it('fetches /metrics as text/plain', async () => {
    const { fetchMock, calls } = sequenceFetch([text(1)]);
    const sampler = new MetricsSampler({ fetch: fetchMock });
    await sampler.sampleOnce();
    expect(calls[0]!.url).toBe('/metrics');
    expect(calls[0]!.init?.headers).toEqual({ Accept: 'text/plain' });
  });

  it('sends the stored API token (AUTH_MODE=token wants a viewer token for /metrics)', async () => {
    const { fetchMock, calls } = guardedFetch('tm_viewer');
    const sampler = new MetricsSampler({ fetch: fetchMock, auth: memoryAuth('tm_viewer') });
    await sampler.sampleOnce();
    expect(calls).toEqual(['Bearer tm_viewer']);
    expect(sampler.getSnapshot().samples).toBe(1);
  });

  it('without a token dialog, a 401 is the error it reports', async () => {
    const { fetchMock, calls } = guardedFetch('tm_viewer');
    const auth = memoryAuth();
    const sampler = new MetricsSampler({ fetch: fetchMock, auth, historyUrl: null });
    await expect(sampler.sampleOnce()).rejects.toThrow(
      'GET /metrics needs an API token: An API token is required',
    );
    // One request without a header: no retry, no question nobody could answer.
    expect(calls).toEqual([null]);
    expect(auth.getState()).toEqual({ token: null, prompt: null });
    expect(sampler.getSnapshot()).toMatchObject({ samples: 0, gauges: null, points: [] });

    // Polling shows that error on the page, and keeps asking without a token.
    vi.useFakeTimers();
    sampler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(sampler.getSnapshot()).toMatchObject({
      running: true,
      samples: 0,
      error:
        'GET /metrics needs an API token: An API token is required: send the header "Authorization: Bearer <token>"',
    });
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toEqual([null, null, null]);
    sampler.stop();
  });

  it('asks for a token through the token dialog and scrapes again with it', async () => {
    const { fetchMock, calls } = guardedFetch('tm_viewer');
    const auth = memoryAuth('tm_revoked');
    auth.attachPrompt();
    const sampler = new MetricsSampler({ fetch: fetchMock, auth });
    const scrape = sampler.sampleOnce();
    await vi.waitFor(() => expect(auth.getState().prompt?.reason).toBe('rejected'));
    auth.submit('tm_viewer');
    await scrape;
    expect(calls).toEqual(['Bearer tm_revoked', 'Bearer tm_viewer']);
    expect(sampler.getSnapshot().samples).toBe(1);
  });

  it('has gauges after one sample and the first point after two', async () => {
    let now = 1_000_000;
    const { fetchMock } = sequenceFetch([
      text(10, { products: 3000 }),
      text(30, { products: 3001 }),
    ]);
    const sampler = new MetricsSampler({ fetch: fetchMock, now: () => now });
    const listener = vi.fn();
    sampler.subscribe(listener);

    await sampler.sampleOnce();
    expect(sampler.getSnapshot()).toMatchObject({ samples: 1, points: [], error: null });
    expect(sampler.getSnapshot().gauges?.products).toBe(3000);

    now += 2000;
    await sampler.sampleOnce();
    const { points, gauges, lastSampleAt } = sampler.getSnapshot();
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({ time: 1002, requests: 20, throughput: 10 });
    expect(gauges?.products).toBe(3001);
    expect(lastSampleAt).toBe(now);
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('keeps only the last 10 minutes', () => {
    const sampler = new MetricsSampler({ fetch: sequenceFetch([]).fetchMock });
    for (let index = 0; index <= 400; index += 1) {
      sampler.ingest(scrapeOf(index * 2000, text(index)));
    }
    const { points } = sampler.getSnapshot();
    // 400 intervals were derived; those ending in the last 600 s remain (600 / 2 + 1 points)
    expect(points).toHaveLength(301);
    expect(points[0]!.time).toBe(200);
    expect(points.at(-1)!.time).toBe(800);
    expect(points.every((point) => point.throughput === 0.5)).toBe(true);
  });

  it('breaks the series instead of comparing scrapes far apart', () => {
    const sampler = new MetricsSampler({ fetch: sequenceFetch([]).fetchMock });
    sampler.ingest(scrapeOf(0, text(1)));
    sampler.ingest(scrapeOf(2_000, text(3)));
    sampler.ingest(scrapeOf(60_000, text(500)));
    sampler.ingest(scrapeOf(62_000, text(504)));
    const points = sampler.getSnapshot().points;
    expect(points.map((point) => point.gap)).toEqual([false, true, false]);
    expect(points[1]!.throughput).toBeNull();
    expect(points[2]!.throughput).toBe(2);
  });

  it('reports a failed scrape and clears the error once one succeeds', async () => {
    const { fetchMock } = sequenceFetch([{ status: 404 }, text(1)]);
    const sampler = new MetricsSampler({ fetch: fetchMock });
    await expect(sampler.sampleOnce()).rejects.toThrow('GET /metrics answered 404 Not Found');
    await sampler.sampleOnce();
    expect(sampler.getSnapshot().error).toBeNull();
  });

  it('refuses a web page (a dev server that does not proxy /metrics)', async () => {
    const sampler = new MetricsSampler({
      fetch: (async () =>
        new Response('<!doctype html><html></html>', {
          headers: { 'content-type': 'text/html; charset=utf-8' },
        })) as typeof fetch,
    });
    await expect(sampler.sampleOnce()).rejects.toThrow(
      'GET /metrics answered with a web page, not Prometheus metrics',
    );
    expect(sampler.getSnapshot().samples).toBe(0);
  });

  it('names an unreachable server', async () => {
    const sampler = new MetricsSampler({
      fetch: (async () => {
        throw new TypeError('Failed to fetch');
      }) as typeof fetch,
    });
    await expect(sampler.sampleOnce()).rejects.toThrow('The server could not be reached.');
  });

  it('polls every interval once started, keeps going after an error, and stops', async () => {
    vi.useFakeTimers();
    const { fetchMock, calls } = sequenceFetch([text(1), { status: 404 }, text(5), text(9)]);
    const sampler = new MetricsSampler({ fetch: fetchMock, historyUrl: null });
    sampler.start();
    sampler.start(); // already running: no second loop
    expect(sampler.getSnapshot().running).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toHaveLength(2);
    expect(sampler.getSnapshot().error).toMatch(/404/);
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toHaveLength(3);
    expect(sampler.getSnapshot()).toMatchObject({ error: null, samples: 2 });
    expect(sampler.getSnapshot().points).toHaveLength(1);

    sampler.stop();
    expect(sampler.getSnapshot().running).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(3);

    sampler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(4);
    sampler.stop();
  });

  it('abandons a scrape in flight when stopped', async () => {
    let release: (response: Response) => void = () => {};
    const fetchMock = vi.fn(
      (_input: RequestInfo | URL, init?: RequestInit) =>
        new Promise<Response>((resolve, reject) => {
          release = resolve;
          init?.signal?.addEventListener('abort', () =>
            reject(new DOMException('Aborted', 'AbortError')),
          );
        }),
    );
    const sampler = new MetricsSampler({
      fetch: fetchMock as unknown as typeof fetch,
      historyUrl: null,
    });
    sampler.start();
    sampler.stop();
    release(new Response(text(1)));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sampler.getSnapshot()).toMatchObject({ samples: 0, error: null, running: false });
  });
});

describe('the server-side history', () => {
  const NOW = 1_700_000_000_000;
  /**
   * A history as GET /api/metrics/history serves it: `counts` 200s, one point every 5 s, the last
   * one taken 1 s before the server answered at `serverNow`.
   */
  function history(counts: number[], serverNow: number): MetricsHistory {
    const start = serverNow - 1000 - (counts.length - 1) * 5000;
    return {
      instance: 'host:1',
      now: serverNow,
      interval_seconds: 5,
      window_seconds: 600,
      series: [
        { name: 'cache_hits_total', labels: {} },
        { name: 'http_request_duration_seconds_bucket', labels: { le: '+Inf' } },
        { name: 'http_request_duration_seconds_bucket', labels: { le: '0.005' } },
        { name: 'http_request_duration_seconds_count', labels: { status_code: '200' } },
      ],
      points: counts.map((count, index) => ({
        time: start + index * 5000,
        values: [index === 0 ? null : 2 * index, count, count, count],
      })),
    };
  }

  /** /api/metrics/history answers `body` (or a status), /metrics the exposition bodies in turn. */
  function routedFetch(historyBody: MetricsHistory | number, metrics: string[]) {
    const calls: string[] = [];
    const fetchMock = vi.fn(async (input: RequestInfo | URL) => {
      const url = String(input);
      calls.push(url);
      if (url === '/api/metrics/history') {
        return typeof historyBody === 'number'
          ? new Response('{"success":false}', { status: historyBody })
          : new Response(JSON.stringify({ success: true, data: historyBody }), {
              headers: { 'content-type': 'application/json' },
            });
      }
      const scrapes = calls.filter((call) => call === '/metrics').length;
      return new Response(metrics[Math.min(scrapes - 1, metrics.length - 1)], {
        headers: { 'content-type': 'text/plain; version=0.0.4' },
      });
    });
    return { fetchMock: fetchMock as unknown as typeof fetch, calls };
  }

  it('fills the window from the history on starting, then continues from its last point', async () => {
    vi.useFakeTimers();
    let now = NOW;
    // The server's clock is 3 s behind the browser's: its points are shifted onto ours.
    const { fetchMock, calls } = routedFetch(history([10, 20, 35, 45], NOW - 3000), [
      text(55),
      text(60),
    ]);
    const sampler = new MetricsSampler({ fetch: fetchMock, now: () => now });
    sampler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual(['/api/metrics/history', '/metrics']);
    const snapshot = sampler.getSnapshot();
    expect(snapshot.historyPoints).toBe(3);
    expect(snapshot.samples).toBe(1);
    // Three history intervals of 5 s, then the first live one: 45 -> 55 requests, no jump from
    // comparing the server's summed series with the live scrape's per-route ones.
    expect(snapshot.points.map((point) => point.requests)).toEqual([10, 15, 10, 10]);
    expect(snapshot.points.map((point) => point.time * 1000)).toEqual([
      NOW - 11_000,
      NOW - 6000,
      NOW - 1000,
      NOW,
    ]);
    expect(snapshot.points[0]!.throughput).toBe(2);
    expect(snapshot.points[1]!.cacheLookups).toBe(2);
    expect(snapshot.points[0]!.cacheLookups).toBe(2);
    now += 2000;
    await vi.advanceTimersByTimeAsync(2000);
    expect(sampler.getSnapshot().points.map((point) => point.requests)).toEqual([
      10, 15, 10, 10, 5,
    ]);
    // Stopped and started again within the window: the live points are recent, no new history.
    sampler.stop();
    sampler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.filter((call) => call === '/api/metrics/history')).toHaveLength(1);
    sampler.stop();
  });

  it('starts from the live scrapes alone when the server has no history to give', async () => {
    vi.useFakeTimers();
    const { fetchMock, calls } = routedFetch(404, [text(5), text(9)]);
    const sampler = new MetricsSampler({ fetch: fetchMock });
    sampler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual(['/api/metrics/history', '/metrics']);
    expect(sampler.getSnapshot()).toMatchObject({ points: [], historyPoints: 0, error: null });
    await vi.advanceTimersByTimeAsync(2000);
    expect(sampler.getSnapshot().points.map((point) => point.requests)).toEqual([4]);
    sampler.stop();
  });

  it('sends the stored token with the history request', async () => {
    vi.useFakeTimers();
    const { fetchMock } = routedFetch(history([1, 2], NOW), [text(3)]);
    const sampler = new MetricsSampler({
      fetch: fetchMock,
      auth: memoryAuth('tm_viewer'),
      now: () => NOW,
    });
    sampler.start();
    await vi.advanceTimersByTimeAsync(0);
    const [historyCall] = (fetchMock as unknown as ReturnType<typeof vi.fn>).mock.calls;
    expect(historyCall![1].headers.Authorization).toBe('Bearer tm_viewer');
    sampler.stop();
  });

  it('in token mode, asks for a token on the history request and scrapes with it', async () => {
    vi.useFakeTimers();
    const { fetchMock, calls } = guardedFetch('tm_viewer');
    const auth = memoryAuth();
    auth.attachPrompt();
    const sampler = new MetricsSampler({ fetch: fetchMock, auth });
    sampler.start();
    await vi.waitFor(() => expect(auth.getState().prompt?.reason).toBeDefined());
    auth.submit('tm_viewer');
    await vi.advanceTimersByTimeAsync(0);
    // history without a token (401), history with it, then /metrics with it: one question.
    expect(calls).toEqual([null, 'Bearer tm_viewer', 'Bearer tm_viewer']);
    expect(sampler.getSnapshot()).toMatchObject({ samples: 1, error: null });
    sampler.stop();
  });
});
