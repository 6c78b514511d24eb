/**
 * A real app on a real database for one test file: a fresh PostgreSQL database cloned from the
 * migrated template, or an in-memory PGlite when the file runs in the `pglite` project. Every
 * request made through `request()` is checked against the OpenAPI document.
 */
import type { Job } from '@tag-manager/contract';
import type { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import {
  openDatabase,
  queryRows,
  type DatabaseHandle,
  type Executor,
} from '../../src/db/client.js';
import { ContractChecker } from './contract.js';
import { createTestDatabase, databaseUrl, dropTestDatabase } from './postgres.js';

export interface TestApp {
  app: FastifyInstance;
  database: DatabaseHandle;
  db: Executor;
  driver: 'postgres' | 'pglite';
  request(options: InjectOptions | string): Promise<LightMyRequestResponse>;
  /** Another app instance on the same database (PostgreSQL only), as a second server would be. */
  peer(overrides?: Record<string, string>, options?: TestAppOptions): Promise<TestApp>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Receives the app's log lines (JSON) instead of stdout. */
  logStream?: Writable;
  /** The app's clock for its token caches (BuildOptions.now). */
  now?: () => number;
}

export async function createTestApp(
  overrides: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const driver = process.env.TEST_DATABASE === 'pglite' ? 'pglite' : 'postgres';
  const databaseName = driver === 'postgres' ? await createTestDatabase() : undefined;
  return startTestApp(driver, databaseName, overrides, true, options);
}

async function startTestApp(
  driver: 'postgres' | 'pglite',
  databaseName: string | undefined,
  overrides: Record<string, string>,
  ownsDatabase: boolean,
  options: TestAppOptions = {},
): Promise<TestApp> {
  let database: DatabaseHandle;
  if (databaseName) {
    database = await openDatabase({
      driver: 'postgres',
      url: databaseUrl(databaseName),
      poolSize: 5,
      connectionTimeoutMs: 10_000,
      idleTimeoutMs: 10_000,
      maxLifetimeSeconds: 3600,
      statementTimeoutMs: 60_000,
    });
  } else {
    database = await openDatabase({ driver: 'pglite', dataDir: 'memory://' });
    await database.migrate();
  }
  const config: Readonly<Config> = loadConfig({
    LOG_LEVEL: 'silent',
    // The suites send hundreds of requests from one address; the rate-limit tests turn it on.
    RATE_LIMIT_ENABLED: 'false',
    ...overrides,
  });
  const app = await buildApp(config, { database, logStream: options.logStream, now: options.now });
  const contract = await ContractChecker.of(app);

  return {
    app,
    database,
    db: database.db,
    driver,
    async request(options) {
      const injectOptions =
        typeof options === 'string' ? { method: 'GET' as const, url: options } : options;
      const response = isEventStream(injectOptions)
        ? await injectEventStream(app, injectOptions)
        : await app.inject(injectOptions);
      contract.check(
        injectOptions.method ?? 'GET',
        typeof injectOptions.url === 'string' ? injectOptions.url : '/',
        response.statusCode,
        response.headers['content-type'] as string | undefined,
        response.body,
      );
      return response;
    },
    async peer(peerOverrides = overrides, peerOptions = {}) {
      if (!databaseName) throw new Error('a peer instance needs a PostgreSQL test database');
      return startTestApp(driver, databaseName, peerOverrides, false, peerOptions);
    },
    async close() {
      await app.close();
      await database.close();
      if (databaseName && ownsDatabase) await dropTestDatabase(databaseName);
    },
  };
}

/** GET /api/events: a stream that never ends (its own tests read it over real HTTP). */
function isEventStream(options: InjectOptions): boolean {
  const url = typeof options.url === 'string' ? options.url : '';
  return (options.method ?? 'GET') === 'GET' && /^\/api\/events\/?(\?|$)/.test(url);
}

/**
 * The event stream through inject: the answer as soon as its headers are out, with the body
 * read up to the `ready` event (or its end, for an error), so that the suites that call every
 * operation (access control, bad input, the contract) can call this one too; then the client
 * leaves.
 */
async function injectEventStream(
  app: FastifyInstance,
  options: InjectOptions,
): Promise<LightMyRequestResponse> {
  const response = await app.inject({ ...options, payloadAsStream: true });
  const stream = response.stream();
  let body = '';
  await new Promise<void>((resolve) => {
    const done = () => {
      stream.removeAllListeners('data');
      resolve();
    };
    stream.on('data', (chunk: Buffer) => {
      body += chunk.toString();
      if (/^event: (ready|reset)$/m.test(body)) done();
    });
    stream.once('end', done);
    stream.once('error', done);
  });
  // The client leaves, as a browser closing the page would: the app ends the stream.
  (response.raw.res as unknown as { req?: { destroy(): void } }).req?.destroy();
  stream.resume();
  return Object.assign(response, {
    body,
    payload: body,
    rawPayload: Buffer.from(body),
    json: () => JSON.parse(body) as unknown,
  });
}

/** A fingerprint of everything stored, to prove that a rejected request changed nothing. */
export async function snapshot(db: Executor): Promise<Record<string, string>> {
  const tables = {
    products: sql`select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) as hash from products t`,
    categories: sql`select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) as hash from categories t`,
    product_categories: sql`select md5(coalesce(string_agg(t::text, '|' order by t.product_id, t.category_id), '')) as hash from product_categories t`,
    change_sets: sql`select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) as hash from change_sets t`,
    // last_used_at is left out: using a token is not a change to what is stored.
    api_tokens: sql`select md5(coalesce(string_agg((t.id, t.name, t.role, t.token_hash, t.token_prefix, t.created_at, t.revoked_at)::text, '|' order by t.id), '')) as hash from api_tokens t`,
    webhooks: sql`select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) as hash from webhooks t`,
    webhook_outbox: sql`select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) as hash from webhook_outbox t`,
  };
  const result: Record<string, string> = {};
  for (const [table, query] of Object.entries(tables)) {
    const [row] = await queryRows<{ hash: string }>(db, query);
    result[table] = row!.hash;
  }
  return result;
}

/**
 * Every invariant the data must keep: references, closure under "parent of" and exact counters.
 */
export async function invariantViolations(db: Executor): Promise<string[]> {
  const checks = {
    'assignment without its parent': sql`select count(*)::int as n from product_categories pc
        join categories c on c.id = pc.category_id
        where c.parent_id is not null and not exists (
          select 1 from product_categories parent where parent.product_id = pc.product_id and parent.category_id = c.parent_id)`,
    // The references the integrity triggers keep (migration 0026), as the foreign keys did.
    'assignment of a missing product': sql`select count(*)::int as n from product_categories pc
        where not exists (select 1 from products p where p.id = pc.product_id)`,
    'assignment not matching its category (missing, other level or parent)': sql`select count(*)::int as n
        from product_categories pc left join categories c on c.id = pc.category_id
        where c.id is null or c.level <> pc.category_level
           or c.parent_id is distinct from pc.parent_category_id`,
    'wrong product_state.category_count': sql`select count(*)::int as n from product_state p
        where p.category_count <> (select count(*) from product_categories pc where pc.product_id = p.id)`,
    // Every product has exactly one state row, its name, Type and vendor copied (migration 0022).
    'product state rows differ from the products': sql`select count(*)::int as n
        from products p full join product_state s on s.id = p.id
        where p.id is null or s.id is null
           or (p.product_name, p.product_type, p.vendor)
              is distinct from (s.product_name, s.product_type, s.vendor)`,
    'wrong categories.product_count': sql`select count(*)::int as n from categories c
        where c.product_count <> (select count(*) from product_categories pc where pc.category_id = c.id)`,
    'catalog counters differ from the products': sql`select count(*)::int as n from
        (select sum(products) as products, sum(categorized) as categorized, sum(active) as active,
                sum(draft) as draft, sum(archived) as archived, sum(incomplete) as incomplete
           from catalog_counters) kept,
        (select count(*) as products, count(*) filter (where category_count > 0) as categorized,
                count(*) filter (where status = 'active') as active,
                count(*) filter (where status = 'draft') as draft,
                count(*) filter (where status = 'archived') as archived,
                count(*) filter (where incomplete_branches > 0) as incomplete
           from products p join product_state s on s.id = p.id) actual
        where (kept.products, kept.categorized, kept.active, kept.draft, kept.archived, kept.incomplete)
              is distinct from (actual.products, actual.categorized, actual.active, actual.draft,
                                actual.archived, actual.incomplete)`,
    // The open branches, recounted from the assignments and the tree.
    'open branches differ from the assignments': sql`select count(*)::int as n from product_state p
        where p.incomplete_branches <> (
          select count(*) from product_categories pc
           where pc.product_id = p.id
             and exists (select 1 from categories ch where ch.parent_id = pc.category_id)
             and not exists (select 1 from product_categories below
                              where below.product_id = p.id
                                and below.parent_category_id = pc.category_id))`,
    'duplicate sibling names': sql`select count(*)::int as n from (
        select parent_id, normalized_name from categories group by 1, 2 having count(*) > 1) d`,
  };
  const violations: string[] = [];
  for (const [name, query] of Object.entries(checks)) {
    const [row] = await queryRows<{ n: number }>(db, query);
    if (row!.n > 0) violations.push(`${name}: ${row!.n}`);
  }
  return violations;
}

/** Polls GET /api/jobs/{id} until the job has ended (the app's runner runs it). */
export async function waitForJob(app: TestApp, id: number): Promise<Job> {
  for (;;) {
    const response = await app.request(`/api/jobs/${id}`);
    const job = response.json().data as Job;
    if (['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
