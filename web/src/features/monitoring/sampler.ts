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
 */
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
}

export interface SamplerOptions {
  fetch?: typeof fetch;
  /** Where the API token comes from (the browser's token store by default). */
  auth?: ApiAuth;
  url?: string;
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
  };

  constructor(options: SamplerOptions = {}) {
    this.fetchImpl = options.fetch ?? ((...args) => fetch(...args));
    this.auth = options.auth ?? authStore;
    this.url = options.url ?? '/metrics';
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
  private async fetchMetrics(signal?: AbortSignal): Promise<Response> {
    for (;;) {
      const token = this.auth.getToken();
      const headers: Record<string, string> = { Accept: 'text/plain' };
      if (token) headers.Authorization = `Bearer ${token}`;
      let response: Response;
      try {
        response = await this.fetchImpl(this.url, { headers, cache: 'no-store', signal });
      } catch (error) {
        if ((error as { name?: string }).name === 'AbortError') throw error;
        throw new Error('The server could not be reached.');
      }
      if (response.status !== 401) return response;
      const error = await unauthorizedError(response);
      if (!(await this.auth.requestToken(error, token))) {
        throw new Error(`GET ${this.url} needs an API token: ${error.message}`);
      }
    }
  }

  /** Take in one scrape: derive the interval since the previous one, read the gauges. */
  ingest(scrape: Scrape) {
    const previous = this.previous;
    this.previous = scrape;
    let points = this.snapshot.points;
    if (previous && scrape.time > previous.time) {
      const point =
        scrape.time - previous.time > this.maxGapMs
          ? gapPoint(scrape.time)
          : deriveInterval(previous, scrape);
      const oldest = (scrape.time - this.windowMs) / 1000;
      points = [...points.filter((entry) => entry.time >= oldest), point];
    }
    this.update({
      points,
      gauges: readGauges(scrape),
      samples: this.snapshot.samples + 1,
      lastSampleAt: scrape.time,
      error: null,
    });
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
