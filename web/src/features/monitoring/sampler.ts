/**
 * Polls `GET /metrics` every 2 s while started, keeps the figures of the last 10 minutes in memory
 * and tells its subscribers (a `useSyncExternalStore` store). It is a same-origin fetch
 * (`connect-src 'self'` allows it) that carries the stored API token like the API client does:
 * with AUTH_MODE=token the server wants a viewer token for /metrics, and a 401 asks for one
 * through the same token dialog before the scrape is tried again.
 *
 * Each sample after the first yields one interval point (see derive.ts). Scrapes further apart
 * than `maxGapMs` (the tab was hidden, the server did not answer) are not compared: a gap point
 * breaks the chart lines instead of drawing one long average across the pause.
 *
 * On starting without recent samples, the charts are first filled from the server's own history
 * (`GET /api/metrics/history`: the instance samples itself every 5 s for 10 minutes), so they
 * show the last minutes at once; live scrapes then continue from its last point. Both are reduced
 * to the same series (`chartSamples` in the contract) before they are compared. A server without
 * the history (older version, refused) leaves the charts to fill from the live scrapes as before.
 */
import { chartSamples, type MetricsHistory } from '@tag-manager/contract';
import { authStore, type ApiAuth } from '../../api/auth';
import { ApiError } from '../../api/client';
import { deriveInterval, gapPoint, readGauges, type Gauges, type IntervalPoint } from './derive';
import type { Scrape } from './derive';
import { parsePrometheusText } from './prometheus';

export interface SamplerSnapshot {
  /** Interval points of the window, oldest first (gap points included). */
  points: IntervalPoint[];
  gauges: Gauges | null;
  /** Successful scrapes since the sampler was created. */
  samples: number;
  lastSampleAt: number | null;
  /** Why the last scrape failed; null once one succeeds again. */
  error: string | null;
  running: boolean;
  /** Points filled in from the server's history (GET /api/metrics/history). */
  historyPoints: number;
}

export interface SamplerOptions {
  fetch?: typeof fetch;
  /** Where the API token comes from (the browser's token store by default). */
  auth?: ApiAuth;
  url?: string;
  /** The server's history; null: no history, the charts fill from live scrapes only. */
  historyUrl?: string | null;
  intervalMs?: number;
  windowMs?: number;
  maxGapMs?: number;
  now?: () => number;
}

export const SAMPLE_INTERVAL_MS = 2000;
export const WINDOW_MS = 10 * 60_000;

function sleep(ms: number, signal: AbortSignal) {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

export class MetricsSampler {
  readonly intervalMs: number;
  readonly windowMs: number;
  private readonly maxGapMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly auth: ApiAuth;
  private readonly url: string;
  private readonly historyUrl: string | null;
  private readonly now: () => number;
  private readonly listeners = new Set<() => void>();
  private previous: Scrape | null = null;
  private controller: AbortController | null = null;
  private snapshot: SamplerSnapshot = {
    points: [],
    gauges: null,
    samples: 0,
    lastSampleAt: null,
    error: null,
    running: false,
    historyPoints: 0,
  };

  constructor(options: SamplerOptions = {}) {
    this.fetchImpl = options.fetch ?? ((...args) => fetch(...args));
    this.auth = options.auth ?? authStore;
    this.url = options.url ?? '/metrics';
    this.historyUrl =
      options.historyUrl === undefined ? '/api/metrics/history' : options.historyUrl;
    this.intervalMs = options.intervalMs ?? SAMPLE_INTERVAL_MS;
    this.windowMs = options.windowMs ?? WINDOW_MS;
    this.maxGapMs = options.maxGapMs ?? Math.max(3 * this.intervalMs, 10_000);
    this.now = options.now ?? (() => Date.now());
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  getSnapshot = (): SamplerSnapshot => this.snapshot;

  private update(change: Partial<SamplerSnapshot>) {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of this.listeners) listener();
  }

  /** Start polling (a sample at once, then every interval); does nothing when already running. */
  start() {
    if (this.controller) return;
    const controller = new AbortController();
    this.controller = controller;
    this.update({ running: true });
    void this.loop(controller.signal);
  }

  /** Stop polling and abandon a scrape in flight. */
  stop() {
    if (!this.controller) return;
    this.controller.abort();
    this.controller = null;
    this.update({ running: false });
  }

  private async loop(signal: AbortSignal) {
    const last = this.snapshot.lastSampleAt;
    if (this.historyUrl && (last === null || this.now() - last > this.maxGapMs)) {
      await this.seedFromHistory(signal);
    }
    while (!signal.aborted) {
      const started = this.now();
      try {
        await this.sampleOnce(signal);
      } catch (error) {
        if (signal.aborted) return;
        this.update({ error: error instanceof Error ? error.message : String(error) });
      }
      await sleep(Math.max(0, this.intervalMs - (this.now() - started)), signal);
    }
  }

  /** One scrape: fetch, parse and take it in. Throws when the server gives no exposition. */
  async sampleOnce(signal?: AbortSignal) {
    const response = await this.fetchMetrics(signal);
    if (!response.ok) {
      throw new Error(`GET ${this.url} answered ${response.status} ${response.statusText}`.trim());
    }
    // A dev server without a /metrics proxy answers with the app's index.html.
    if ((response.headers.get('content-type') ?? '').includes('text/html')) {
      throw new Error(`GET ${this.url} answered with a web page, not Prometheus metrics`);
    }
    const text = await response.text();
    if (signal?.aborted) return;
    const { samples, types } = parsePrometheusText(text);
    this.ingest({ time: this.now(), samples, declared: new Set(types.keys()) });
  }

  /** GET /metrics with the stored token; a 401 asks for a token and tries again with it. */
  private async fetchMetrics(
    signal?: AbortSignal,
    url = this.url,
    accept = 'text/plain',
  ): Promise<Response> {
    for (;;) {
      const token = this.auth.getToken();
      const headers: Record<string, string> = { Accept: accept };
      if (token) headers.Authorization = `Bearer ${token}`;
      let response: Response;
      try {
        response = await this.fetchImpl(url, { headers, cache: 'no-store', signal });
      } catch (error) {
        if ((error as { name?: string }).name === 'AbortError') throw error;
        throw new Error('The server could not be reached.');
      }
      if (response.status !== 401) return response;
      const error = await unauthorizedError(response);
      if (!(await this.auth.requestToken(error, token))) {
        throw new Error(`GET ${url} needs an API token: ${error.message}`);
      }
    }
  }

  /** Take in one scrape: derive the interval since the previous one, read the gauges. */
  ingest(scrape: Scrape) {
    const points = this.follow([{ time: scrape.time, samples: chartSamples(scrape.samples) }]);
    this.update({
      points,
      gauges: readGauges(scrape),
      samples: this.snapshot.samples + 1,
      lastSampleAt: scrape.time,
      error: null,
    });
  }

  /**
   * Take in the server's history: its points newer than what the charts hold, on this browser's
   * clock (shifted by the difference between the server's `now` and ours). Gauges and the sample
   * count stay the live scrapes' business.
   */
  ingestHistory(history: MetricsHistory) {
    const shift = this.now() - history.now;
    const after = this.previous?.time ?? -Infinity;
    const scrapes = history.points
      .map((point) => ({
        time: point.time + shift,
        samples: history.series.flatMap((series, index) => {
          const value = point.values[index];
          return value === null || value === undefined ? [] : [{ ...series, value }];
        }),
      }))
      .filter((scrape) => scrape.time > after && scrape.time <= this.now());
    if (scrapes.length === 0) return;
    const before = this.snapshot.points.length;
    const points = this.follow(scrapes);
    this.update({
      points,
      historyPoints: this.snapshot.historyPoints + Math.max(0, points.length - before),
    });
  }

  /** The window's points after taking in `scrapes` (chart series only, oldest first). */
  private follow(scrapes: Scrape[]): IntervalPoint[] {
    let points = this.snapshot.points;
    for (const scrape of scrapes) {
      const previous = this.previous;
      this.previous = scrape;
      if (!previous || scrape.time <= previous.time) continue;
      const point =
        scrape.time - previous.time > this.maxGapMs
          ? gapPoint(scrape.time)
          : deriveInterval(previous, scrape);
      const oldest = (scrape.time - this.windowMs) / 1000;
      points = [...points.filter((entry) => entry.time >= oldest), point];
    }
    return points;
  }

  /** Fill the charts from the server's history; any failure leaves them to the live scrapes. */
  private async seedFromHistory(signal: AbortSignal) {
    try {
      // In token mode a 401 asks for a token here already, and the live scrapes then use it.
      const response = await this.fetchMetrics(signal, this.historyUrl!, 'application/json');
      if (!response.ok || signal.aborted) return;
      const body = (await response.json()) as { data?: MetricsHistory };
      if (signal.aborted || !body.data || !Array.isArray(body.data.points)) return;
      this.ingestHistory(body.data);
    } catch {
      // No history (an older server, a network error): the live scrapes fill the charts.
    }
  }
}

/** The 401's error envelope as an ApiError (what the token store expects). */
async function unauthorizedError(response: Response): Promise<ApiError> {
  let payload: { error?: unknown; code?: unknown; details?: unknown } | undefined;
  try {
    payload = (await response.json()) as typeof payload;
  } catch {
    payload = undefined;
  }
  return new ApiError({
    message: typeof payload?.error === 'string' ? payload.error : 'An API token is required',
    status: 401,
    code: 'UNAUTHORIZED',
    details:
      typeof payload?.details === 'object' && payload.details !== null
        ? (payload.details as Record<string, unknown>)
        : {},
    requestId: response.headers.get('x-request-id'),
  });
}

let shared: MetricsSampler | undefined;

/** The page's sampler: one per tab, so the history survives leaving the view and coming back. */
export function sharedSampler(): MetricsSampler {
  shared ??= new MetricsSampler();
  return shared;
}
