/**
 * The database schema. drizzle-kit generates the SQL migrations in server/migrations from this
 * file; the counter triggers live in a hand-written migration next to them.
 *
 * Rules held by the database itself:
 *  - a category's parent is exactly one level up (composite FK on (parent_id, parent_level));
 *  - sibling names are unique after trimming, collapsing spaces and lower-casing;
 *  - a product's categories are closed under "parent of": an assignment row points at the
 *    assignment of its parent category for the same product, so a child cannot be assigned
 *    without its parent, and removing a parent cascades to its descendants;
 *  - product and category counters are kept by statement-level triggers;
 *  - product fields stay within PRODUCT_LIMITS (lengths, tag count, https: image URLs), the
 *    limits the import checks row by row (migration 0009 also creates the tag-length function);
 *  - sample data (the seeder's synthetic catalog) is marked `is_sample`; only a sample product
 *    may carry an app-relative image (`/sample-images/N.svg`, served by the app itself).
 */
import { PRODUCT_LIMITS } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import {
  bigint,
  type AnyPgColumn,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

/** A limit written into a constraint as a literal (a template value would become a parameter). */
const limit = (value: number) => sql.raw(String(value));

export const products = pgTable(
  'products',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    productId: text('product_id').notNull().unique('products_product_id_key'),
    productName: text('product_name').notNull(),
    vendor: text('vendor'),
    productType: text('product_type'),
    status: text('status').notNull().default('active'),
    sku: text('sku'),
    imageUrl: text('image_url'),
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    // category_count, incomplete_branches and last_modified are in product_state (migration 0022).
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' })
      .notNull()
      .defaultNow(),
    /** Written by the seeder; a real import of the same handle makes the product real. */
    isSample: boolean('is_sample').notNull().default(false),
    /** Plain text of Shopify's Body (HTML), cut to PRODUCT_LIMITS.description; null when none. */
    description: text('description'),
  },
  (table) => [
    check(
      'products_product_id_length',
      sql`char_length(${table.productId}) between 1 and ${limit(PRODUCT_LIMITS.handle)}`,
    ),
    check(
      'products_product_name_length',
      sql`char_length(${table.productName}) between 1 and ${limit(PRODUCT_LIMITS.title)}`,
    ),
    check(
      'products_vendor_length',
      sql`char_length(${table.vendor}) <= ${limit(PRODUCT_LIMITS.vendor)}`,
    ),
    check(
      'products_product_type_length',
      sql`char_length(${table.productType}) <= ${limit(PRODUCT_LIMITS.type)}`,
    ),
    check(
      'products_description_length',
      sql`char_length(${table.description}) <= ${limit(PRODUCT_LIMITS.description)}`,
    ),
    check('products_sku_length', sql`char_length(${table.sku}) <= ${limit(PRODUCT_LIMITS.sku)}`),
    // Images are shown from https: only (the web app's Content-Security-Policy), except the
    // sample catalog's own generated pictures, served by the app (never an external host).
    check(
      'products_image_url_valid',
      sql`char_length(${table.imageUrl}) <= ${limit(PRODUCT_LIMITS.imageUrl)} and (${table.imageUrl} ~* '^https://' or (${table.isSample} and ${table.imageUrl} ~ '^/sample-images/[0-9]{1,3}[.]svg$'))`,
    ),
    check(
      'products_tags_count',
      sql`cardinality(${table.tags}) <= ${limit(PRODUCT_LIMITS.tagCount)}`,
    ),
    // A CHECK cannot hold a subquery; the function (migration 0009) looks at every tag.
    check(
      'products_tags_length',
      sql`products_tags_within_length(${table.tags}, ${limit(PRODUCT_LIMITS.tagLength)})`,
    ),
    check('products_status_valid', sql`${table.status} in ('active', 'draft', 'archived')`),
    // "." and ".." cannot be a URL path segment: /api/products/../categories/1 is
    // /api/categories/1 to every HTTP client, so such a product could never be addressed.
    check('products_product_id_not_dot_segment', sql`${table.productId} not in ('.', '..')`),
    // INCLUDE (product_id) since migration 0024 and (product_id, search_document) since 0029
    // (drizzle-kit cannot write it): the export's batches walk this index and read the table
    // only for what the file needs; a search's walk tests the document here.
    index('products_name_order_idx').on(table.productName, table.id),
    index('products_vendor_idx').on(table.vendor, table.productName, table.id),
    index('products_status_idx').on(table.status, table.productName, table.id),
    index('products_product_type_idx').on(table.productType, table.productName, table.id),
    index('products_tags_idx').using('gin', table.tags),
    // Sample products only: counting or removing them never scans a real catalog.
    index('products_sample_idx')
      .on(table.id)
      .where(sql`${table.isSample}`),
    // Suggestions (issue 12, migration 0015): categorised products sharing a name's words, and
    // categorised products of a Type or a vendor.
    index('products_name_words_idx').using('gin', sql`to_tsvector('simple', ${table.productName})`),
  ],
);

/**
 * What assignments change about a product, kept apart from its heavily indexed `products` row
 * (migration 0022, issues 13 and 15): one row per product, created and deleted with it. The
 * assignment counter triggers update only this narrow table, so a bulk write of 10,000 products
 * writes 7 small b-tree indexes instead of the 17 indexes of `products` (docs/jobs.md).
 *
 * `product_name`, `product_type` and `vendor` are copies of the product's, kept by the products
 * triggers (an import changes them, an assignment never does), so that the lists and queues
 * filtered by these counts read a partial index here in their order (the filter table,
 * products/filters.ts, names the relation that drives a filter's order).
 */
export const productState = pgTable(
  'product_state',
  {
    id: integer('id')
      .primaryKey()
      .references(() => products.id, { onDelete: 'cascade' }),
    categoryCount: integer('category_count').notNull().default(0),
    /**
     * Assigned categories that have subcategories of which none is assigned (the "Subcategory
     * missing" filter): kept by the assignment and category triggers (migrations 0018, 0022).
     */
    incompleteBranches: smallint('incomplete_branches').notNull().default(0),
    /** Set by every change of the product's fields or of its assignments. */
    lastModified: timestamp('last_modified', { withTimezone: true, mode: 'string' })
      .notNull()
      .defaultNow(),
    productName: text('product_name').notNull(),
    productType: text('product_type'),
    vendor: text('vendor'),
  },
  (table) => [
    check('product_state_category_count_non_negative', sql`${table.categoryCount} >= 0`),
    check('product_state_incomplete_branches_non_negative', sql`${table.incompleteBranches} >= 0`),
    index('product_state_last_modified_order_idx').on(table.lastModified, table.id),
    // "Uncategorised" and its queue, in the list's order.
    index('product_state_unallocated_name_idx')
      .on(table.productName, table.id)
      .where(sql`${table.categoryCount} = 0`),
    // The work queue of a vendor or a Type (issue 12, migration 0023): its keyset walk in name
    // order and its exact `remaining` count, read from the index alone (no heap page per match).
    // The vendor and Type filters read product_state's copies when it is joined (filters.ts).
    index('product_state_unallocated_vendor_idx')
      .on(table.vendor, table.productName, table.id)
      .where(sql`${table.categoryCount} = 0`),
    index('product_state_unallocated_type_idx')
      .on(table.productType, table.productName, table.id)
      .where(sql`${table.categoryCount} = 0`),
    // The "Subcategory missing" filter and its queue, in the list's order (migration 0018).
    index('product_state_incomplete_name_idx')
      .on(table.productName, table.id)
      .where(sql`${table.incompleteBranches} > 0`),
    // Suggestions (issue 12): categorised products of a Type or a vendor.
    index('product_state_categorised_type_idx')
      .on(table.productType, table.id)
      .where(sql`${table.categoryCount} > 0`),
    index('product_state_categorised_vendor_idx')
      .on(table.vendor, table.id)
      .where(sql`${table.categoryCount} > 0`),
  ],
);

export const categories = pgTable(
  'categories',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    name: text('name').notNull(),
    normalizedName: text('normalized_name')
      .notNull()
      .generatedAlwaysAs(sql`lower(regexp_replace(btrim(name), '\\s+', ' ', 'g'))`),
    level: smallint('level').notNull(),
    parentId: integer('parent_id'),
    parentLevel: smallint('parent_level'),
    productCount: integer('product_count').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' })
      .notNull()
      .defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' })
      .notNull()
      .defaultNow(),
    /** Written by the seeder; a real category import of the same name makes it real. */
    isSample: boolean('is_sample').notNull().default(false),
  },
  (table) => [
    check(
      'categories_name_valid',
      sql`char_length(${table.name}) between 1 and 100 and ${table.name} = btrim(${table.name}) and ${table.name} !~ '[[:cntrl:]]'`,
    ),
    check('categories_level_range', sql`${table.level} between 1 and 3`),
    check(
      'categories_parent_one_level_up',
      sql`(${table.level} = 1 and ${table.parentId} is null and ${table.parentLevel} is null) or (${table.level} > 1 and ${table.parentId} is not null and ${table.parentLevel} = ${table.level} - 1)`,
    ),
    check('categories_product_count_non_negative', sql`${table.productCount} >= 0`),
    unique('categories_id_level_key').on(table.id, table.level),
    unique('categories_id_parent_key').on(table.id, table.parentId),
    unique('categories_sibling_name_key')
      .on(table.parentId, table.normalizedName)
      .nullsNotDistinct(),
    index('categories_level_idx').on(table.level, table.normalizedName),
    foreignKey({
      name: 'categories_parent_fk',
      columns: [table.parentId, table.parentLevel],
      foreignColumns: [table.id, table.level],
    }).onDelete('restrict'),
  ],
);

export const productCategories = pgTable(
  'product_categories',
  {
    // Its references (product, category at its level and parent, parent assignment) are kept by
    // statement triggers, not foreign keys (migration 0026, docs/jobs.md "Integrity triggers").
    productId: integer('product_id').notNull(),
    categoryId: integer('category_id').notNull(),
    categoryLevel: smallint('category_level').notNull(),
    parentCategoryId: integer('parent_category_id'),
    assignedAt: timestamp('assigned_at', { withTimezone: true, mode: 'string' })
      .notNull()
      .defaultNow(),
  },
  (table) => [
    primaryKey({ name: 'product_categories_pkey', columns: [table.productId, table.categoryId] }),
    check(
      'product_categories_parent_present',
      sql`(${table.categoryLevel} = 1) = (${table.parentCategoryId} is null)`,
    ),
    index('product_categories_category_idx').on(table.categoryId, table.productId),
  ],
);

/**
 * Jobs (issue 13, server/src/features/jobs): long writes run in batches by the job runner of
 * one app instance. A runner claims a `queued` job, or a `running` one whose owner stopped
 * heartbeating, with `FOR UPDATE SKIP LOCKED` (jobs_claim_idx), so each job has one owner at a
 * time. Each batch commits its data, its change set (change_sets.job_id) and the job's progress
 * and `cursor` in one transaction, so the job row always says exactly which batches are done.
 */
export const jobs = pgTable(
  'jobs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    kind: text('kind').notNull(),
    state: text('state').notNull().default('queued'),
    /** The request, normalised (filter, category ids, options). */
    params: jsonb('params')
      .notNull()
      .default(sql`'{}'::jsonb`),
    /** Units in committed batches only. */
    done: integer('done').notNull().default(0),
    /** Units in all; null until the job's start has counted them. */
    total: integer('total'),
    unit: text('unit').notNull().default('products'),
    /** Kind-specific counters (e.g. rows read, products written). */
    counters: jsonb('counters')
      .notNull()
      .default(sql`'{}'::jsonb`),
    actor: text('actor').notNull(),
    source: text('source').notNull(),
    requestId: text('request_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' })
      .notNull()
      .defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'string' }),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'string' }),
    /** Set by the owner between batches; a running job whose heartbeat is stale is re-claimed. */
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true, mode: 'string' }),
    /** The instance id of the runner that owns it (null while queued). */
    owner: text('owner'),
    /** How many times a runner has claimed it (1 = never resumed). */
    attempts: integer('attempts').notNull().default(0),
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    result: jsonb('result'),
    error: jsonb('error'),
    /** Where the next batch starts (kind-specific; null before the first batch). */
    cursor: jsonb('cursor'),
  },
  (table) => [
    check(
      'jobs_state_valid',
      sql`${table.state} in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`,
    ),
    check('jobs_source_valid', sql`${table.source} in ('api', 'import', 'cli', 'seed', 'system')`),
    check(
      'jobs_progress_valid',
      sql`${table.done} >= 0 and (${table.total} is null or ${table.total} >= 0)`,
    ),
    // The runner's claim reads only unfinished jobs, oldest first.
    index('jobs_claim_idx')
      .on(table.id)
      .where(sql`${table.state} in ('queued', 'running')`),
    index('jobs_state_idx').on(table.state, table.id),
    index('jobs_kind_idx').on(table.kind, table.id),
  ],
);

/**
 * The products a job works on, fixed when it starts (its filter's match at that moment), walked
 * in product id order by keyset (`cursor` holds the last id done). No FK to products: a product
 * deleted meanwhile is simply not found by its batch. Deleted with the job's success.
 */
export const jobItems = pgTable(
  'job_items',
  {
    jobId: bigint('job_id', { mode: 'number' })
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    productId: integer('product_id').notNull(),
  },
  (table) => [primaryKey({ name: 'job_items_pkey', columns: [table.jobId, table.productId] })],
);

export const changeSets = pgTable(
  'change_sets',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' })
      .notNull()
      .defaultNow(),
    actor: text('actor').notNull(),
    source: text('source').notNull(),
    kind: text('kind').notNull(),
    requestId: text('request_id'),
    productIds: integer('product_ids')
      .array()
      .notNull()
      .default(sql`'{}'::integer[]`),
    categoryIds: integer('category_ids')
      .array()
      .notNull()
      .default(sql`'{}'::integer[]`),
    before: jsonb('before'),
    after: jsonb('after'),
    /** The job whose batch recorded it (issue 13); null for a write answered at once. */
    jobId: bigint('job_id', { mode: 'number' }).references(() => jobs.id, {
      onDelete: 'set null',
    }),
    /** The change set this one undid (POST /api/changes/{id}/undo); null for any other write. */
    reverts: bigint('reverts', { mode: 'number' }).references((): AnyPgColumn => changeSets.id, {
      onDelete: 'restrict',
    }),
  },
  (table) => [
    index('change_sets_job_idx')
      .on(table.jobId)
      .where(sql`${table.jobId} is not null`),
    // The log's filters (GET /api/changes): a product's or category's history, kind, actor.
    index('change_sets_product_ids_idx').using('gin', table.productIds),
    index('change_sets_category_ids_idx').using('gin', table.categoryIds),
    index('change_sets_kind_idx').on(table.kind, table.id),
    index('change_sets_actor_idx').on(table.actor, table.id),
    index('change_sets_reverts_idx')
      .on(table.reverts)
      .where(sql`${table.reverts} is not null`),
    check(
      'change_sets_source_valid',
      sql`${table.source} in ('api', 'import', 'cli', 'seed', 'system')`,
    ),
    index('change_sets_created_at_idx').on(table.createdAt),
  ],
);

/**
 * Catalog-wide counts kept by triggers on products, so that totals, the categorised share and
 * the status breakdown never count a million rows. Spread over 16 shards that writers pick at
 * random, so concurrent writes do not queue on one row; readers add the shards up.
 */
export const catalogCounters = pgTable(
  'catalog_counters',
  {
    shard: smallint('shard').primaryKey(),
    products: bigint('products', { mode: 'number' }).notNull().default(0),
    categorized: bigint('categorized', { mode: 'number' }).notNull().default(0),
    active: bigint('active', { mode: 'number' }).notNull().default(0),
    draft: bigint('draft', { mode: 'number' }).notNull().default(0),
    archived: bigint('archived', { mode: 'number' }).notNull().default(0),
    /** Products with a subcategory missing (incomplete_branches > 0). */
    incomplete: bigint('incomplete', { mode: 'number' }).notNull().default(0),
  },
  (table) => [check('catalog_counters_shard_range', sql`${table.shard} between 0 and 15`)],
);

/**
 * API tokens (AUTH_MODE=token). Only the SHA-256 of the secret is stored (hex); the secret is a
 * 256-bit random value, so a lookup by hash is as safe as a constant-time comparison. The prefix
 * (the secret's first 8 characters) lets people recognise a token without it being usable.
 */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    role: text('role').notNull(),
    tokenHash: text('token_hash').notNull().unique('api_tokens_token_hash_key'),
    tokenPrefix: text('token_prefix').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' })
      .notNull()
      .defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'string' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'string' }),
  },
  (table) => [
    check('api_tokens_role_valid', sql`${table.role} in ('viewer', 'editor', 'admin')`),
    check('api_tokens_name_length', sql`char_length(${table.name}) between 1 and 100`),
    check('api_tokens_hash_format', sql`${table.tokenHash} ~ '^[0-9a-f]{64}$'`),
    check('api_tokens_prefix_length', sql`char_length(${table.tokenPrefix}) = 8`),
  ],
);

/**
 * Work-queue leases (issue 12): the product an operator is looking at in a queue, held for a
 * short time (QUEUE_LEASE_SECONDS) so that a second operator on the same queue is shown a
 * different one. One row per product (the primary key makes a claim an upsert that only wins
 * when the row is free or expired); an operator holds at most one lease (claiming the next
 * product releases the previous one). `queue_key` identifies the queue (its filters), so
 * "who else is working on this queue" is one indexed read. Expired rows are ignored by every
 * read and deleted by the next claim.
 */
export const queueLeases = pgTable(
  'queue_leases',
  {
    productId: integer('product_id')
      .primaryKey()
      .references(() => products.id, { onDelete: 'cascade' }),
    operator: text('operator').notNull(),
    operatorName: text('operator_name').notNull(),
    queueKey: text('queue_key').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'string' }).notNull(),
  },
  (table) => [
    index('queue_leases_operator_idx').on(table.operator),
    index('queue_leases_queue_idx').on(table.queueKey, table.expiresAt),
    check('queue_leases_operator_length', sql`char_length(${table.operator}) between 1 and 200`),
    check(
      'queue_leases_operator_name_length',
      sql`char_length(${table.operatorName}) between 1 and 200`,
    ),
  ],
);

/**
 * Webhooks (issue 14; docs/webhooks.md): integrations' URLs and the change kinds they take.
 * The signing secret is stored as it is: an HMAC needs the secret itself to sign (unlike an API
 * token, which is only compared, so only its hash is kept). `secret_prefix` recognises it in
 * lists. A webhook is disabled (`disabled_at`, `disabled_reason`) after
 * WEBHOOK_DISABLE_AFTER_FAILURES consecutive failed deliveries.
 */
export const webhooks = pgTable(
  'webhooks',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    url: text('url').notNull(),
    /** Change kinds (change-kinds.ts), or `{*}` for every kind. */
    kinds: text('kinds').array().notNull(),
    secret: text('secret').notNull(),
    secretPrefix: text('secret_prefix').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' })
      .notNull()
      .defaultNow(),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    lastSuccessAt: timestamp('last_success_at', { withTimezone: true, mode: 'string' }),
    lastFailureAt: timestamp('last_failure_at', { withTimezone: true, mode: 'string' }),
    disabledAt: timestamp('disabled_at', { withTimezone: true, mode: 'string' }),
    disabledReason: text('disabled_reason'),
  },
  (table) => [
    check('webhooks_url_length', sql`char_length(${table.url}) between 1 and 2048`),
    check('webhooks_kinds_count', sql`cardinality(${table.kinds}) between 1 and 64`),
    check('webhooks_secret_length', sql`char_length(${table.secret}) between 32 and 200`),
  ],
);

/**
 * The outbox: one row per event still to deliver to one webhook, written in the transaction of
 * the change set it reports (changes.repository.ts recordChange), so both commit or neither.
 * The delivery worker claims due rows with FOR UPDATE SKIP LOCKED and leases them by pushing
 * `next_attempt_at` past the delivery's timeout (a worker killed mid-delivery leaves the row
 * due again when its lease ends). A delivered row is deleted; `event_id` is the idempotency key,
 * the same on every attempt. No foreign key to change_sets: the seeder truncates the log.
 */
export const webhookOutbox = pgTable(
  'webhook_outbox',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    webhookId: integer('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventId: uuid('event_id')
      .notNull()
      .default(sql`gen_random_uuid()`),
    changeSetId: bigint('change_set_id', { mode: 'number' }).notNull(),
    kind: text('kind').notNull(),
    /** The body's fields but `id` (docs/webhooks.md). */
    payload: jsonb('payload').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' })
      .notNull()
      .defaultNow(),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'string' })
      .notNull()
      .defaultNow(),
    /** Attempts started (a claim counts one). */
    attempts: integer('attempts').notNull().default(0),
    /** The worker that holds the lease (null before the first claim). */
    claimedBy: text('claimed_by'),
  },
  (table) => [
    index('webhook_outbox_due_idx').on(table.nextAttemptAt, table.id),
    index('webhook_outbox_webhook_idx').on(table.webhookId),
  ],
);

/** The delivery log (GET /api/webhooks/{id}/deliveries): one row per attempt. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    webhookId: integer('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventId: uuid('event_id').notNull(),
    changeSetId: bigint('change_set_id', { mode: 'number' }).notNull(),
    kind: text('kind').notNull(),
    attempt: integer('attempt').notNull(),
    attemptedAt: timestamp('attempted_at', { withTimezone: true, mode: 'string' })
      .notNull()
      .defaultNow(),
    outcome: text('outcome').notNull(),
    statusCode: integer('status_code'),
    durationMs: integer('duration_ms').notNull(),
    error: text('error'),
    /** When the next attempt is due (null: none, the event was delivered or given up). */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'string' }),
  },
  (table) => [
    index('webhook_deliveries_webhook_idx').on(table.webhookId, table.id),
    check(
      'webhook_deliveries_outcome_valid',
      sql`${table.outcome} in ('delivered', 'failed', 'refused')`,
    ),
  ],
);
