/**
 * buildApp(config): the whole HTTP application, plugins first, then feature routes, in the
 * order they apply. It never listens; main.ts does, and tests use app.inject().
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import Fastify, { type FastifyInstance } from 'fastify';
import { Cache, type CacheLog } from './cache/cache.js';
import { MemoryBackend } from './cache/memory-backend.js';
import { RedisBackend } from './cache/redis-backend.js';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/client.js';
import assignmentRoutes from './features/assignments/assignments.routes.js';
import auth from './features/auth/auth.plugin.js';
import tokenRoutes from './features/auth/tokens.routes.js';
import catalogValueRoutes from './features/catalog-values/catalog-values.routes.js';
import categoryRoutes from './features/categories/categories.routes.js';
import changeRoutes from './features/changes/changes.routes.js';
import { ChangeFeed } from './features/events/change-feed.js';
import eventRoutes from './features/events/events.routes.js';
import exportRoutes from './features/exports/exports.routes.js';
import healthRoutes from './features/health/health.routes.js';
import jobRoutes from './features/jobs/jobs.routes.js';
import transferRoutes from './features/transfer/transfer.routes.js';
import { JobRunner } from './features/jobs/job-runner.js';
import importRoutes from './features/imports/imports.routes.js';
import monitoringRoutes from './features/monitoring/monitoring.routes.js';
import productRoutes from './features/products/products.routes.js';
import queueRoutes from './features/queue/queue.routes.js';
import sampleDataRoutes from './features/sample-data/sample-data.routes.js';
import statsRoutes from './features/stats/stats.routes.js';
import suggestionRoutes from './features/suggestions/suggestions.routes.js';
import webRoutes from './features/web/web.routes.js';
import { WebhookWorker } from './features/webhooks/webhook-worker.js';
import webhookRoutes from './features/webhooks/webhooks.routes.js';
import connections, { fastifyTimeouts, serverOptions } from './plugins/connections.js';
import crossSite from './plugins/cross-site.js';
import errorHandler, { answerClientError, sendError, toAppError } from './plugins/error-handler.js';
import metricsPlugin, { createMetrics, type Metrics } from './plugins/metrics.js';
import openapi from './plugins/openapi.js';
import rateLimit from './plugins/rate-limit.js';
import requestLog, { loggerOptions } from './plugins/request-log.js';
import security, { cors } from './plugins/security.js';
import { serviceUnavailable } from './errors.js';
import { installJsonBodyParser } from './http/json-body.js';
import { LazyCompilers } from './http/lazy-compilers.js';
import { createServices, type Services } from './services.js';
import type { ChangeNotifier } from './cache/namespaces.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Readonly<Config>;
    database: DatabaseHandle;
    cache: Cache;
    services: Services;
    /** This instance's job runner; undefined with JOB_RUNNER=off. */
    jobRunner: JobRunner | undefined;
    /** This instance's webhook delivery worker; undefined with WEBHOOK_WORKER=off. */
    webhookWorker: WebhookWorker | undefined;
    /** Committed change sets, as live events (GET /api/events; docs/live-updates.md). */
    changeFeed: ChangeFeed;
    /** The route schemas' validators and serializers, compiled on first use. */
    schemaCompilers: LazyCompilers;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// ajv-formats is CommonJS: its default export is the function itself at run time.
const addFormats = formats as unknown as typeof formats.default;

function validators() {
  const options = {
    allErrors: true,
    strict: false,
    useDefaults: true,
    removeAdditional: false,
  } as const;
  // Query strings and path parameters arrive as text and are coerced; JSON bodies are not.
  const coercing = addFormats(new Ajv({ ...options, coerceTypes: 'array' }));
  // A body stops at its first error: with allErrors a 1 MiB body of unknown keys made 96,000
  // issues (Ajv's own advice, and Fastify's default). A URL is short, so queries list them all.
  const exact = addFormats(new Ajv({ ...options, coerceTypes: false, allErrors: false }));
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? exact : coercing).compile(schema);
}

/** Redis when configured (shared by every instance), else this process's memory. */
export function cacheBackend(config: Readonly<Config>, log: CacheLog) {
  const { redisUrl, keyPrefix, localEntries } = config.cache;
  if (!redisUrl) return new MemoryBackend(localEntries);
  let lastReported = 0;
  return new RedisBackend(redisUrl, keyPrefix, localEntries, (error) => {
    // Reconnection attempts repeat the same error; one line every 10 s says enough.
    if (Date.now() - lastReported < 10_000) return;
    lastReported = Date.now();
    log.warn({ err: error }, 'Redis unavailable: serving from the database until it returns');
  });
}

export interface BuildOptions {
  database: DatabaseHandle;
  /** Where the log goes instead of stdout / LOG_FILE (tests read it). */
  logStream?: Writable;
  /** The clock (epoch ms) of the token caches; tests move it instead of waiting. */
  now?: () => number;
}

export async function buildApp(
  config: Readonly<Config>,
  options: BuildOptions,
): Promise<FastifyInstance> {
  const schemaCompilers = new LazyCompilers();
  const app = Fastify({
    ...loggerOptions(config, options.logStream),
    bodyLimit: config.bodyLimitBytes,
    ...fastifyTimeouts(config.connections),
    http: serverOptions(config.connections),
    requestIdHeader: false,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { maxParamLength: 2048, ignoreTrailingSlash: true },
    // A malformed URL (400) or a too-long path parameter (414) is answered before routing;
    // without this, Fastify answers it with its own body instead of the error envelope.
    frameworkErrors: (error, request, reply) => {
      reply.header('X-Request-Id', request.id);
      return sendError(request, reply, toAppError(error));
    },
    // What Node's HTTP parser refuses (431 oversized headers, 408, 400) gets the envelope too.
    clientErrorHandler: answerClientError,
    // Closing is answered below, in the error envelope.
    return503OnClosing: false,
    // A number is a hop count: Fastify takes it (lib/request.js) though its types leave it out.
    trustProxy: config.trustProxy as boolean | string[],
    schemaController: { compilersFactory: { buildSerializer: schemaCompilers.serializers() } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(schemaCompilers.validators(validators()));
  app.decorate('schemaCompilers', schemaCompilers);
  // JSON routes take JSON only: a text/plain body is a wrong content type (415), not a string
  // to validate. The upload routes register their own text parsers.
  app.removeContentTypeParser('text/plain');
  installJsonBodyParser(app);
  app.decorate('config', config);
  app.decorate('database', options.database);
  const metrics: Metrics = createMetrics();
  app.decorate('metrics', metrics);
  const cache = new Cache(cacheBackend(config, app.log), config.cache.ttlSeconds, app.log, {
    enabled: config.cache.enabled,
    onCount: (name, outcome, times) =>
      (outcome === 'hits' ? metrics.cacheHits : metrics.cacheMisses).inc({ cache: name }, times),
  });
  app.decorate('cache', cache);
  app.addHook('onClose', () => cache.backend.close());
  // Live updates (docs/live-updates.md): committed change sets as events. It reads the
  // products' rows through the services, built next.
  const changeFeed = new ChangeFeed({
    sources: {
      db: options.database.db,
      products: { rows: (handles) => app.services.products.rows(handles) },
    },
    listenClient: options.database.listenClient,
    log: app.log,
    replayMax: config.events.replayMax,
  });
  app.decorate('changeFeed', changeFeed);
  // After each commit: the cache forgets what the write changed, and the feed publishes it.
  const notifier: ChangeNotifier = {
    changed: (namespaces) => cache.changed(namespaces),
    committed: (changeSetId) => changeFeed.committed(changeSetId),
  };
  app.decorate(
    'services',
    createServices(options.database.db, notifier, {
      tokens: {
        cacheSeconds: config.auth.cacheSeconds,
        now: options.now,
        warn: (error, message) => app.log.warn({ err: error }, message),
      },
      queueLeaseSeconds: config.queue.leaseSeconds,
      bulkMaxProducts: config.bulkMaxProducts,
      transferHeartbeatMs: Math.max(1000, (config.jobs.staleSeconds * 1000) / 3),
      webhooks: {
        allowPrivate: config.webhooks.allowPrivate,
        maxWebhooks: config.webhooks.maxWebhooks,
      },
    }),
  );
  // Jobs (docs/jobs.md): this instance's runner, stopped after its current batch on close.
  const jobRunner = config.jobs.runner
    ? new JobRunner(
        options.database.db,
        notifier,
        { services: app.services },
        {
          pollMs: config.jobs.pollMs,
          staleSeconds: config.jobs.staleSeconds,
          batchSize: config.jobs.batchSize,
          log: app.log,
        },
      )
    : undefined;
  app.decorate('jobRunner', jobRunner);
  await changeFeed.start();
  app.addHook('onClose', () => changeFeed.stop());
  if (jobRunner) {
    app.services.jobs.onCreated(() => jobRunner.wake());
    app.addHook('onClose', () => jobRunner.stop());
  }
  // Webhooks (docs/webhooks.md): this instance's delivery worker, stopped on close (deliveries
  // in flight are aborted and their events given back to the outbox).
  const webhookWorker = config.webhooks.worker
    ? new WebhookWorker(options.database.db, {
        ...config.webhooks,
        log: app.log,
        onOutcome: (outcome) => metrics.webhookDeliveries.inc({ outcome }),
        onDisabled: () => metrics.webhooksDisabled.inc(),
      })
    : undefined;
  app.decorate('webhookWorker', webhookWorker);
  if (webhookWorker) app.addHook('onClose', () => webhookWorker.stop());
  // Callback hooks here and in the plugins on every request's path: no promise per hook
  // (docs/performance-hot-path.md).
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('X-Request-Id', request.id);
    done(null, payload);
  });
  // Shutting down (SIGTERM): a request still arriving on an open keep-alive connection gets a
  // 503 in the error envelope and `Connection: close`; the requests in flight finish.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    reply.header('Connection', 'close');
    done(serviceUnavailable('server', 'The server is shutting down: retry on another instance'));
  });

  await app.register(metricsPlugin);
  await app.register(requestLog);
  await app.register(errorHandler);
  await app.register(connections);
  await app.register(security);
  await app.register(crossSite);
  await app.register(cors);
  await app.register(rateLimit);
  await app.register(auth);
  // No route: answered here, after access control (a caller without a token learns nothing
  // about the routes) and before the body is parsed (a wrong method is a 405 whatever it holds).
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return app.answerNoRoute(request, reply);
  });
  await app.register(openapi);

  await app.register(healthRoutes);
  await app.register(productRoutes);
  await app.register(catalogValueRoutes);
  await app.register(assignmentRoutes);
  await app.register(categoryRoutes);
  await app.register(statsRoutes);
  await app.register(importRoutes);
  await app.register(exportRoutes);
  await app.register(transferRoutes);
  await app.register(changeRoutes);
  await app.register(eventRoutes);
  await app.register(tokenRoutes);
  await app.register(monitoringRoutes);
  await app.register(suggestionRoutes);

  await app.register(sampleDataRoutes);
  await app.register(queueRoutes);
  await app.register(jobRoutes);
  await app.register(webhookRoutes);
  await app.register(webRoutes);

  await app.ready();
  jobRunner?.start();
  webhookWorker?.start();
  return app;
}
