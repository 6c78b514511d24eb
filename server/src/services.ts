/** The application's services, built once per app over one database. */
import { noChangeNotifier, type ChangeNotifier } from './cache/namespaces.js';
import type { Executor } from './db/client.js';
import { AssignmentService } from './features/assignments/assignments.service.js';
import { TokenService, type TokenServiceOptions } from './features/auth/tokens.service.js';
import { CatalogValuesService } from './features/catalog-values/catalog-values.service.js';
import { CategoryService } from './features/categories/categories.service.js';
import { ChangeService } from './features/changes/changes.service.js';
import { UndoService } from './features/changes/undo.service.js';
import { ExportService } from './features/exports/exports.service.js';
import { JobService } from './features/jobs/jobs.service.js';
import { BulkService } from './features/assignments/bulk.service.js';
import { ImportService } from './features/imports/imports.service.js';
import { ProductService } from './features/products/products.service.js';
import { QueueService } from './features/queue/queue.service.js';
import { SampleDataService } from './features/sample-data/sample-data.service.js';
import { StatsService } from './features/stats/stats.service.js';
import { SuggestionService } from './features/suggestions/suggestions.service.js';
import { TransferJobs } from './features/transfer/transfer-jobs.js';
import {
  WebhookService,
  type WebhookServiceOptions,
} from './features/webhooks/webhooks.service.js';

export interface ServiceOptions {
  /** The token cache (AUTH_CACHE_SECONDS) and where its warnings go. */
  tokens?: TokenServiceOptions;
  /** The work queue's lease length (QUEUE_LEASE_SECONDS). */
  queueLeaseSeconds?: number;
  /** Above this many products a bulk write by filter, or an undo, becomes a job (BULK_MAX_PRODUCTS). */
  bulkMaxProducts?: number;
  /** A running import or export heartbeats this often (a third of JOB_STALE_SECONDS). */
  transferHeartbeatMs?: number;
  /** Webhook registration: WEBHOOK_ALLOW_PRIVATE and WEBHOOK_MAX. */
  webhooks?: WebhookServiceOptions;
}

/** `notifier` hears, after each write commits, what it changed (the cache invalidates by it). */
export function createServices(
  db: Executor,
  notifier: ChangeNotifier = noChangeNotifier,
  options: ServiceOptions = {},
) {
  const categories = new CategoryService(db, notifier);
  const products = new ProductService(db, categories);
  const assignments = new AssignmentService(
    db,
    categories,
    (handle, transaction) => products.get(handle, transaction),
    notifier,
  );
  const tokens = new TokenService(db, options.tokens);
  const jobs = new JobService(db);
  return {
    categories,
    products,
    assignments,
    imports: new ImportService(db, categories, notifier),
    stats: new StatsService(db, categories),
    exports: new ExportService(db, categories),
    changes: new ChangeService(db),
    undo: new UndoService(
      db,
      categories,
      tokens,
      jobs,
      notifier,
      options.bulkMaxProducts ?? 10_000,
    ),
    tokens,
    catalogValues: new CatalogValuesService(db),
    sampleData: new SampleDataService(db, notifier),
    suggestions: new SuggestionService(db, categories, assignments),
    queue: new QueueService(db, products, options.queueLeaseSeconds ?? 120),
    jobs,
    bulk: new BulkService(db, categories, assignments, jobs, options.bulkMaxProducts ?? 10_000),
    transfers: new TransferJobs(db, options.transferHeartbeatMs ?? 20_000),
    webhooks: new WebhookService(db, options.webhooks ?? { allowPrivate: false, maxWebhooks: 20 }),
  };
}

export type Services = ReturnType<typeof createServices>;
