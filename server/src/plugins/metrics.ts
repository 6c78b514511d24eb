/**
 * Prometheus metrics at GET /metrics (prom-client): requests by route, method and status;
 * requests in flight; errors by envelope code; the connection pool; cache hits and misses per
 * cache; rate-limit rejections; import and export rows; webhook deliveries and the outbox backlog;
 * catalog gauges; dependency health; and
 * the process itself (event-loop lag, heap, GC). The names are the contract with the alert
 * rules in ops/prometheus and the web app's Monitoring page.
 *
 * Each app has its own registry (tests build many apps in one process); the process metrics
 * live in one registry per process and are appended at scrape time.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import client from 'prom-client';

let processRegistryOnce: client.Registry | undefined;
/** The process metrics (heap, GC, event-loop lag, start time): one registry per process. */
export function processRegistry() {
  if (!processRegistryOnce) {
    processRegistryOnce = new client.Registry();
    client.collectDefaultMetrics({ register: processRegistryOnce });
  }
  return processRegistryOnce;
}

const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** What the app measures; built before the plugins that feed it (cache, rate limiter). */
export function createMetrics() {
  const registry = new client.Registry();
  const counter = <Label extends string>(name: string, help: string, labelNames: Label[]) =>
    new client.Counter({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    requestDuration: new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route pattern, method and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    inFlight: new client.Gauge({
      name: 'http_requests_in_flight',
      help: 'Requests received and not yet answered',
      registers: [registry],
    }),
    errors: counter('http_errors_total', 'Error responses by envelope code', [
      'code',
      'status_code',
    ]),
    cacheHits: counter('cache_hits_total', 'Cache hits per cache', ['cache']),
    cacheMisses: counter('cache_misses_total', 'Cache misses per cache', ['cache']),
    rateLimited: counter('rate_limit_rejections_total', 'Requests refused with 429, per group', [
      'group',
    ]),
    importRows: counter('import_rows_total', 'Rows imported, per kind of file', ['kind']),
    exportRows: counter('export_rows_total', 'Product rows exported as CSV', []),
    webhookDeliveries: counter(
      'webhook_deliveries_total',
      'Webhook delivery attempts by outcome: delivered, failed (retried), refused (private address), abandoned (no attempt left)',
      ['outcome'],
    ),
    webhooksDisabled: counter(
      'webhooks_disabled_total',
      'Webhooks disabled after too many consecutive failed deliveries',
      [],
    ),
    liveStreams: new client.Gauge({
      name: 'live_event_streams',
      help: 'Open live-update streams (GET /api/events) on this instance',
      registers: [registry],
    }),
    liveEventsSent: counter(
      'live_events_sent_total',
      'Live-update events written to streams, per event type (change, reset)',
      ['type'],
    ),
    poolAcquire: new client.Histogram({
      name: 'db_pool_acquire_seconds',
      help: 'Time waited for a database client from the pool',
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
  interface FastifyContextConfig {
    /** A stream that stays open (GET /api/events): no duration histogram, no slow-request log. */
    longLived?: boolean;
  }
}

/** How long the scrape waits for the database and Redis before calling them down. */
const PROBE_TIMEOUT_MS = 1000;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function metricsPlugin(app: FastifyInstance) {
  const metrics = app.metrics;
  const { registry } = metrics;

  // Gauges read at scrape time.
  new client.Gauge({
    name: 'db_pool_clients',
    help: 'Database pool clients by state (total, idle, waiting for a client)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const pool = app.database.poolStats();
      if (!pool) return;
      this.set({ state: 'total' }, pool.total);
      this.set({ state: 'idle' }, pool.idle);
      this.set({ state: 'waiting' }, pool.waiting);
    },
  });
  new client.Gauge({
    name: 'db_pool_size',
    help: 'Largest number of database clients the pool opens',
    registers: [registry],
    collect() {
      const pool = app.database.poolStats();
      if (pool) this.set(pool.size);
    },
  });
  // Which database the instance uses: the embedded one (pglite) has one connection and no pool,
  // so the db_pool_* series are absent there; the Monitoring page says so instead of "–".
  new client.Gauge({
    name: 'db_driver',
    help: 'The database driver in use (1): postgres (a connection pool) or pglite (embedded)',
    labelNames: ['driver'],
    registers: [registry],
    collect() {
      this.set({ driver: app.database.driver }, 1);
    },
  });
  // The webhook outbox (docs/webhooks.md): events committed and not yet delivered, all instances.
  new client.Gauge({
    name: 'webhook_outbox_backlog',
    help: 'Webhook events waiting in the outbox (committed, not yet delivered)',
    registers: [registry],
    async collect() {
      const backlog = await within(app.services.webhooks.backlog(), PROBE_TIMEOUT_MS).catch(
        () => undefined,
      );
      if (backlog !== undefined) this.set(backlog);
    },
  });
  const dependencyUp = new client.Gauge({
    name: 'dependency_up',
    help: 'Whether a dependency answers (1) or not (0): database, and redis when configured',
    labelNames: ['dependency'],
    registers: [registry],
  });
  const catalogProducts = new client.Gauge({
    name: 'catalog_products',
    help: 'Products in the catalog',
    registers: [registry],
  });
  const categorizedRatio = new client.Gauge({
    name: 'catalog_categorized_ratio',
    help: 'Share of products with at least one category (0 to 1)',
    registers: [registry],
  });

  /** Dependency and catalog gauges, refreshed once per scrape. */
  async function probe() {
    const database = await within(app.services.stats.totals(), PROBE_TIMEOUT_MS).then(
      (totals) => {
        catalogProducts.set(totals.products);
        categorizedRatio.set(totals.products === 0 ? 0 : totals.categorized / totals.products);
        return 1;
      },
      () => 0,
    );
    dependencyUp.set({ dependency: 'database' }, database);
    if (app.cache.backend.kind === 'redis') {
      dependencyUp.set({ dependency: 'redis' }, app.cache.backend.healthy() ? 1 : 0);
    }
  }

  const unsubscribe = app.database.observeAcquire((ms) => metrics.poolAcquire.observe(ms / 1000));
  app.addHook('onClose', async () => unsubscribe());

  const counted = new WeakSet<FastifyRequest>();
  const finish = (request: FastifyRequest) => {
    if (!counted.has(request)) return;
    counted.delete(request);
    metrics.inFlight.dec();
  };
  // A live-update stream (route config `longLived`) lasts as long as its client stays: it is
  // counted by live_event_streams, not as a request in flight or by its duration.
  const longLived = (request: FastifyRequest) => request.routeOptions.config?.longLived === true;
  // Callback hooks, not async ones: no promise per hook per request (the hot path's budget,
  // docs/performance-hot-path.md).
  app.addHook('onRequest', (request, _reply, done) => {
    if (!longLived(request)) {
      counted.add(request);
      metrics.inFlight.inc();
    }
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    finish(request);
    done();
  });
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    finish(request);
    if (longLived(request) && reply.statusCode === 200) return done();
    metrics.requestDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.get(
    '/metrics',
    {
      schema: { hide: true },
      // This route exists before the app's error handler is set (the hooks above must come
      // first); a refusal (401 in token mode, 503 while closing) still gets the error envelope.
      errorHandler: (error, request, reply) => request.server.errorHandler(error, request, reply),
    },
    async (_request, reply) => {
      await probe();
      const text = (await registry.metrics()) + (await processRegistry().metrics());
      return reply.type(registry.contentType).send(text);
    },
  );
}

export default fp(metricsPlugin, { name: 'metrics' });
