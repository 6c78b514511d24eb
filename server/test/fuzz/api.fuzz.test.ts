/**
 * Fuzzing every operation of the app's own OpenAPI document with fast-check: thousands of valid
 * and invalid requests (real and generated ids and handles, schema-shaped and mutated query
 * strings and bodies, broken JSON, wrong content types and methods, Shopify CSV and category
 * uploads as text and multipart, ETags and cursors from earlier answers) against a real app on a
 * fresh PostgreSQL database seeded with the fixtures. For every answer:
 *
 * - the status is below 500;
 * - it matches the OpenAPI document (`request()` of the test app checks that);
 * - anything but a 2xx or 304 is the error envelope with the code of its status and the request
 *   id of its header (checks.ts); asking again at once with the ETag just received gives 304;
 * - a refused write changed nothing stored, and a write that changed the catalog recorded a
 *   change set;
 * - a read of a product or category that exists finds it, and says what is stored (the read
 *   cache is invalidated by every write);
 *
 * and every 250 requests and at the end, the stored data keeps its invariants (closure under
 * "parent of", counters, unique sibling names).
 *
 * Reproducible: the seed is fixed unless FUZZ_SEED is set; FUZZ_RUNS sets the number of generated
 * requests and FUZZ_SHRINK=1 shrinks a failing case. fast-check's report names the seed and the
 * case. FUZZ_VERBOSE=1 prints the statuses per operation and kind of request, FUZZ_TRACE=<text>
 * every request of the operations whose id contains the text.
 */
import { readFile } from 'node:fs/promises';
import { sql, type SQL } from 'drizzle-orm';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { createProducts, fixturePath, importProductsCsv } from '../helpers/fixtures.js';
import { createTestApp, invariantViolations, type TestApp } from '../helpers/test-app.js';
import { fuzzApi, summary, type FuzzStats, type FuzzTarget } from './harness.js';
import { listOperations, type OpenApiDocument, type Operation } from './openapi.js';
import type { FuzzLimits, RequestPlan } from './requests.js';
import { pick, poolEntries, PoolRef, type World } from './values.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611);
const RUNS = Number(process.env.FUZZ_RUNS ?? 5000);
const SHRINK = process.env.FUZZ_SHRINK === '1';
const VERBOSE = process.env.FUZZ_VERBOSE === '1';
const TRACE = process.env.FUZZ_TRACE;
/** Small limits, so that bodies over them are cheap to send. */
const LIMITS: FuzzLimits = { bodyLimitBytes: 64 * 1024, importMaxBytes: 256 * 1024 };
const INVARIANT_EVERY = 250;
/** The tables whose changes are catalog writes, which PRODUCT.md says are all recorded. */
const CATALOG_TABLES = ['products', 'categories', 'product_categories'];

let test: TestApp;
let operations: Operation[];

beforeAll(async () => {
  test = await createTestApp({
    BODY_LIMIT_BYTES: String(LIMITS.bodyLimitBytes),
    IMPORT_MAX_BYTES: String(LIMITS.importMaxBytes),
    BULK_MAX_PRODUCTS: '500',
    // Jobs stay queued: a job running in the background would change the stored state while
    // the fuzzer checks that a rejected request changed nothing.
    JOB_RUNNER: 'false',
    // Likewise webhook deliveries (they empty the outbox); registrations name no real host.
    WEBHOOK_WORKER: 'false',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_MAX: '1000',
  });
  // The document as the contract check reads it (not an API operation, so no check on it).
  const document = (await test.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  operations = listOperations(document as OpenApiDocument);

  // The fixture catalog, then plain products with some assignments, so that valid requests
  // reach real rows from the start.
  const categories = JSON.parse(await readFile(fixturePath('categories-sample.json'), 'utf8'));
  const categoryImport = await test.request({
    method: 'POST',
    url: '/api/import/categories',
    payload: categories,
  });
  expect(categoryImport.statusCode, categoryImport.body).toBe(200);
  const productImport = await importProductsCsv(
    test,
    await readFile(fixturePath('shopify-sample.csv')),
  );
  expect(productImport.statusCode, productImport.body).toBe(200);
  const handles = await createProducts(test, 40);
  const leaves = await queryRows<{ id: number }>(
    test.db,
    sql`select id from categories c
        where not exists (select 1 from categories k where k.parent_id = c.id) order by id`,
  );
  for (let index = 0; index < 6; index += 1) {
    const bulk = await test.request({
      method: 'POST',
      url: '/api/bulk/assign',
      payload: {
        product_ids: handles.slice(index * 5, index * 5 + 8),
        category_ids: [...new Set([leaves[index % leaves.length]!.id, leaves[0]!.id])],
      },
    });
    expect(bulk.statusCode, bulk.body).toBe(200);
  }
  // Queued jobs (the runner is off) for the job routes to read and cancel: as a bulk write by
  // filter over BULK_MAX_PRODUCTS would queue them.
  await test.db.execute(sql`
    insert into jobs (kind, params, actor, source, unit)
    select 'bulk.assign', jsonb_build_object('filter', '{}'::jsonb, 'category_ids', jsonb_build_array(${leaves[0]!.id}::int)),
           'fuzz', 'api', 'products'
      from generate_series(1, 20)`);
  // Ended jobs, each owning one of the bulk writes' change sets, for POST /api/jobs/{id}/undo
  // (a job that has not ended cannot be undone).
  await test.db.execute(sql`
    with ended as (
      insert into jobs (kind, state, params, actor, source, unit, finished_at)
      select 'bulk.assign', 'succeeded', '{}'::jsonb, 'fuzz', 'api', 'products', now()
        from generate_series(1, 5)
      returning id),
    numbered as (select id as job_id, row_number() over (order by id) as n from ended),
    owned as (select id as change_id, row_number() over (order by id desc) as n
                from change_sets where kind = 'bulk.assign')
    update change_sets cs set job_id = numbered.job_id
      from numbered join owned using (n)
     where cs.id = owned.change_id`);
  // Webhooks for the webhook routes to read and delete.
  for (let index = 0; index < 5; index += 1) {
    const webhook = await test.request({
      method: 'POST',
      url: '/api/webhooks',
      payload: { url: `https://hooks.example.com/fuzz/${index}`, kinds: ['*'] },
    });
    expect(webhook.statusCode, webhook.body).toBe(201);
  }
  expect(await invariantViolations(test.db)).toEqual([]);
});

afterAll(async () => {
  await test?.close();
});

/** The pools requests pick from, read from the database. */
async function readWorld(): Promise<Omit<World, 'etags' | 'cursors' | 'replays'>> {
  const products = await queryRows<{ handle: string; name: string; vendor: string | null }>(
    test.db,
    sql`select product_id as handle, product_name as name, vendor from products order by id`,
  );
  const categories = await queryRows<{ id: number; name: string; level: number; unused: boolean }>(
    test.db,
    sql`select c.id, c.name, c.level,
          c.product_count = 0 and not exists (select 1 from categories k where k.parent_id = c.id) as unused
        from categories c order by c.id`,
  );
  const assignments = await queryRows<{ handle: string; categoryId: number }>(
    test.db,
    sql`select p.product_id as handle, pc.category_id as "categoryId"
        from product_categories pc join products p on p.id = pc.product_id
        order by pc.product_id, pc.category_id`,
  );
  const changeSets = await queryRows<{ id: number }>(
    test.db,
    sql`select id::int as id from change_sets order by id desc limit 50`,
  );
  const jobs = await queryRows<{ id: number }>(test.db, sql`select id::int from jobs order by id`);
  const webhooks = await queryRows<{ id: number }>(
    test.db,
    sql`select id from webhooks order by id`,
  );
  const names = (level: number) =>
    categories.filter((category) => category.level === level).map((category) => category.name);
  return {
    handles: products.map((product) => product.handle),
    productNames: products.map((product) => product.name),
    vendors: [...new Set(products.flatMap((product) => product.vendor ?? []))],
    categoryIds: categories.map((category) => category.id),
    unusedCategoryIds: categories.filter((category) => category.unused).map((c) => c.id),
    categoryNames: categories.map((category) => category.name),
    level1Names: names(1),
    level2Names: names(2),
    assignments,
    changeSetIds: changeSets.map((row) => row.id),
    jobIds: jobs.map((job) => job.id),
    webhookIds: webhooks.map((webhook) => webhook.id),
  };
}

let stateQuery: SQL | undefined;

/**
 * A fingerprint of everything stored, in one query: per table, its row count and the sum of its
 * rows' hashes (so no sorting). Like snapshot() in the helpers, but it covers every table the
 * schema has (new ones included) and is cheap enough to take around every write. The change-set
 * log only grows, so its count and last id say whether it did.
 */
async function storedState(): Promise<Record<string, string>> {
  if (!stateQuery) {
    const tables = await queryRows<{ name: string }>(
      test.db,
      sql`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE'
            and table_name not like '%drizzle%' order by 1`,
    );
    const columns = tables.map(({ name }) =>
      name === 'change_sets'
        ? `(select count(*) || ':' || coalesce(max(id), 0) from change_sets) as change_sets`
        : `(select count(*) || ':' || coalesce(sum(hashtextextended(t::text, 0)), 0) from "${name}" t) as "${name}"`,
    );
    stateQuery = sql.raw(`select ${columns.join(', ')}`);
  }
  const [row] = await queryRows<Record<string, string>>(test.db, stateQuery);
  return row!;
}

/** A refused write must leave everything as it was; a catalog write must be recorded. */
function checkStoredData(
  before: Record<string, string>,
  after: Record<string, string>,
  status: number,
): boolean {
  const succeeded = status >= 200 && status < 300;
  const changedTables = Object.keys(after).filter((table) => after[table] !== before[table]);
  if (!succeeded && changedTables.length > 0) {
    throw new Error(`a refused request (${status}) changed stored data: ${changedTables}`);
  }
  const catalogChanged = changedTables.some((table) => CATALOG_TABLES.includes(table));
  if (catalogChanged && !changedTables.includes('change_sets')) {
    throw new Error(`a write changed ${changedTables} without recording a change set`);
  }
  return catalogChanged;
}

/** Path parameters that, drawn from these pools, name a row that exists. */
function namesExistingRow(path: string, parameter: string, ref: PoolRef): boolean {
  if (parameter === 'product_id') return ref.pool === 'handle' || ref.pool === 'assignedHandle';
  const categoryPools = ['categoryId', 'unusedCategoryId', 'assignedCategoryId'];
  if (parameter === 'category_id') return categoryPools.includes(ref.pool);
  return (
    parameter === 'id' && path.startsWith('/api/categories/') && categoryPools.includes(ref.pool)
  );
}

/** A handle a URL can carry (not a dot segment, within the path parameter's limit). */
const addressable = (handle: string) =>
  handle.length <= 255 && !/^\.{1,2}$/.test(handle) && !handle.includes('\u0000');

/** A GET whose path names only rows that exist must find them. */
function checkExistingRowsFound(plan: RequestPlan, world: World, status: number) {
  if (status !== 404 || plan.method !== 'GET' || plan.replay || plan.shape !== 'plain') return;
  const params = Object.entries(plan.params);
  if (params.length === 0) return;
  const allExist = params.every(([name, param]) => {
    if (!('value' in param) || !(param.value instanceof PoolRef)) return false;
    if (!namesExistingRow(plan.path, name, param.value)) return false;
    const value = pick(world, param.value);
    return (
      poolEntries(world, param.value.pool).length > 0 &&
      (typeof value !== 'string' || addressable(value))
    );
  });
  if (allExist) throw new Error('404 for a path that names rows that exist');
}

/** Reads served (from the cache, often) must say what is stored now. */
async function checkFreshness(plan: RequestPlan, response: LightMyRequestResponse) {
  const checked = ['GET /api/products/{product_id}', 'GET /api/categories/{id}', 'GET /api/stats'];
  if (!checked.includes(plan.operation) || plan.method !== 'GET' || response.statusCode !== 200) {
    return;
  }
  const path = String(plan.path);
  const data = (response.json() as { data: Record<string, unknown> }).data;
  // An empty path parameter lands on the list (`/api/products/` is `/api/products`).
  if (Array.isArray(data)) return;
  if (plan.operation === 'GET /api/products/{product_id}') {
    const [stored] = await queryRows<{ name: string; ids: number[] }>(
      test.db,
      sql`select p.product_name as name,
            array(select category_id from product_categories pc where pc.product_id = p.id order by 1) as ids
          from products p where p.product_id = ${data.product_id as string}`,
    );
    const ids = (data.categories as { id: number }[])
      .map((category) => category.id)
      .sort((a, b) => a - b);
    expect({ name: data.product_name, ids }, `stale ${path}`).toEqual(stored);
  }
  if (plan.operation === 'GET /api/categories/{id}') {
    const [stored] = await queryRows<Record<string, unknown>>(
      test.db,
      sql`select c.name, c.product_count,
            (select count(*)::int from categories k where k.parent_id = c.id) as child_count
          from categories c where c.id = ${data.id as number}`,
    );
    const { name, product_count, child_count } = data;
    expect({ name, product_count, child_count }, `stale ${path}`).toEqual(stored);
  }
  if (plan.operation === 'GET /api/stats') {
    const [stored] = await queryRows<Record<string, unknown>>(
      test.db,
      sql`select (select count(*)::int from products) as total_products,
            (select count(*)::int from categories) as total_categories,
            (select count(*)::int from product_categories) as total_assignments`,
    );
    const { total_products, total_categories, total_assignments } = data;
    expect({ total_products, total_categories, total_assignments }, 'stale stats').toEqual(stored);
  }
}

function report(stats: FuzzStats, seconds: string) {
  console.log(`${summary(stats, SEED)} in ${seconds} s`);
  console.log(
    `fuzz per operation (requests/successes): ${Object.entries(stats.operations)
      .map(([id, counts]) => `${id} ${counts.requests}/${counts.successes}`)
      .join('; ')}`,
  );
  if (VERBOSE) {
    for (const [key, statuses] of Object.entries(stats.outcomes).sort()) {
      console.log(`${key}: ${JSON.stringify(statuses)}`);
    }
  }
}

describe('fuzzing every operation of the OpenAPI document', () => {
  it('lists the operations to fuzz', () => {
    const ids = operations.map((operation) => operation.id);
    // A sample of what must be there; anything the document adds is fuzzed as well.
    expect(ids).toEqual(
      expect.arrayContaining([
        'GET /api/products',
        'POST /api/products/{product_id}/categories',
        'DELETE /api/products/{product_id}/categories/{category_id}',
        'POST /api/bulk/assign',
        'PATCH /api/categories/{id}',
        'POST /api/import/products',
        'POST /api/import/categories',
        'GET /api/export/csv',
        'POST /api/changes/{id}/undo',
      ]),
    );
    expect(ids.length).toBeGreaterThanOrEqual(21);
  });

  it(
    'answers every request without a server error, in the contract and the error envelope',
    async () => {
      let world = { ...(await readWorld()), etags: [], cursors: [], replays: [] } as World;
      let stale = false;
      let sent = 0;

      const target: FuzzTarget = {
        async world() {
          if (stale) world = { ...world, ...(await readWorld()) };
          stale = false;
          return world;
        },
        async send(plan, request: InjectOptions) {
          const before = plan.method === 'GET' ? undefined : await storedState();
          // request() throws when the answer does not match the OpenAPI document. HEAD goes
          // around it: the document has no HEAD operations (Fastify answers HEAD for every GET),
          // so there is nothing to check it against, and its answers have no body.
          const response =
            request.method === 'HEAD'
              ? await test.app.inject(request)
              : await test.request(request);
          sent += 1;
          if (TRACE && plan.operation.includes(TRACE)) {
            console.log(
              `${plan.variant} ${request.method} ${String(request.url).slice(0, 200)} ${String(
                request.payload ?? '',
              ).slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 200)}`,
            );
          }
          if (before && checkStoredData(before, await storedState(), response.statusCode)) {
            stale = true;
          }
          checkExistingRowsFound(plan, world, response.statusCode);
          await checkFreshness(plan, response);
          if (sent % INVARIANT_EVERY === 0) {
            const violations = await invariantViolations(test.db);
            if (violations.length > 0) {
              throw new Error(`invariants broken by now: ${violations.join(', ')}`);
            }
          }
          return response;
        },
      };

      const started = Date.now();
      let stats: FuzzStats;
      try {
        stats = await fuzzApi(target, {
          operations,
          limits: LIMITS,
          seed: SEED,
          numRuns: RUNS,
          shrink: SHRINK,
        });
      } catch (error) {
        throw new Error(
          `Fuzzing failed (reproduce with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}; FUZZ_SHRINK=1 to shrink)\n${
            error instanceof Error ? error.message : String(error)
          }`,
          { cause: error },
        );
      }
      report(stats, ((Date.now() - started) / 1000).toFixed(1));

      expect(await invariantViolations(test.db)).toEqual([]);
      // Every operation was exercised, and valid requests got through to each of them.
      for (const operation of operations) {
        const counts = stats.operations[operation.id];
        expect(counts?.requests ?? 0, `${operation.id} was never requested`).toBeGreaterThan(0);
        if (RUNS >= 1000) {
          expect(counts?.successes ?? 0, `${operation.id} never succeeded`).toBeGreaterThan(0);
        }
      }
    },
    15 * 60_000,
  );

  it('notices a read that the cache serves stale (the freshness check can fail)', async () => {
    const plan = {
      operation: 'GET /api/products/{product_id}',
      method: 'GET',
      path: '/api/products/{product_id}',
    } as RequestPlan;
    const url = '/api/products/p-001';
    await checkFreshness(plan, await test.request(url));
    // A change behind the app's back: no cache version moves, so the cached answer is stale.
    await queryRows(
      test.db,
      sql`update products set product_name = product_name || ' (changed)' where product_id = 'p-001' returning id`,
    );
    try {
      await expect(checkFreshness(plan, await test.request(url))).rejects.toThrow(/stale/);
    } finally {
      await queryRows(
        test.db,
        sql`update products set product_name = replace(product_name, ' (changed)', '') where product_id = 'p-001' returning id`,
      );
    }
  });
});
