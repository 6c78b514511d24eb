/**
 * A short history of this instance's own metrics for the Monitoring page (issue 11): every
 * `intervalMs` (5 s) the figures the charts need (`chartSamples`, the same rule the page applies
 * to its live scrapes) are read from the registries and kept in a ring buffer of `windowMs`
 * (10 minutes, 120 samples). Memory is bounded: about 25 numbers per sample. The timer is unref'd
 * (it never keeps the process alive) and stops when the app closes. Each instance keeps its own
 * history; nothing is shared through the database or Redis.
 */
import { chartSamples, type MetricSample, type MetricsHistory } from '@tag-manager/contract';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';

export const HISTORY_INTERVAL_MS = 5_000;
export const HISTORY_WINDOW_MS = 10 * 60_000;

interface Entry {
  time: number;
  values: Map<string, number>;
}

/** The samples of registries, as the text exposition would list them. */
export async function readSamples(registries: Registry[]): Promise<MetricSample[]> {
  const samples: MetricSample[] = [];
  for (const registry of registries) {
    for (const metric of await registry.getMetricsAsJSON()) {
      for (const value of metric.values) {
        const labels: Record<string, string> = {};
        for (const [name, label] of Object.entries(value.labels ?? {})) {
          if (label !== undefined) labels[name] = String(label);
        }
        const name = (value as { metricName?: string }).metricName ?? metric.name;
        samples.push({ name, labels, value: value.value });
      }
    }
  }
  return samples;
}

export class MetricsHistoryBuffer {
  private readonly entries: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  readonly capacity: number;
  readonly instance = `${hostname()}:${process.pid}`;

  constructor(
    private readonly read: () => Promise<MetricSample[]>,
    readonly intervalMs = HISTORY_INTERVAL_MS,
    readonly windowMs = HISTORY_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.capacity = Math.max(1, Math.ceil(windowMs / intervalMs));
  }

  /**
   * Sample now, then every interval, until stop(). A failed read skips that sample. Resolves
   * once the first sample is taken (a read may query the database: the webhook backlog gauge).
   */
  start(onError: (error: unknown) => void): Promise<void> {
    if (this.timer) return Promise.resolve();
    const tick = () => this.sampleOnce().catch(onError);
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
    return tick();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get running() {
    return this.timer !== undefined;
  }

  /** Take one sample into the buffer, dropping the oldest beyond the capacity. */
  async sampleOnce(): Promise<void> {
    const samples = chartSamples(await this.read());
    const values = new Map<string, number>();
    for (const sample of samples) values.set(seriesId(sample), sample.value);
    this.entries.push({ time: this.now(), values });
    if (this.entries.length > this.capacity)
      this.entries.splice(0, this.entries.length - this.capacity);
  }

  get size() {
    return this.entries.length;
  }

  /** The history as served: each series once, each point with one value per series. */
  snapshot(): MetricsHistory {
    const ids = [...new Set(this.entries.flatMap((entry) => [...entry.values.keys()]))].sort();
    return {
      instance: this.instance,
      now: this.now(),
      interval_seconds: this.intervalMs / 1000,
      window_seconds: this.windowMs / 1000,
      series: ids.map((id) => JSON.parse(id) as { name: string; labels: Record<string, string> }),
      points: this.entries.map((entry) => ({
        time: entry.time,
        values: ids.map((id) => entry.values.get(id) ?? null),
      })),
    };
  }
}

function seriesId(sample: MetricSample) {
  const labels = Object.fromEntries(
    Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return JSON.stringify({ name: sample.name, labels });
}
