/**
 * The benchmark's own PostgreSQL database: created (or reused when it already holds a catalog
 * of the requested size), migrated and seeded through seedCatalog, then sampled for the
 * handles and categories the scenarios use.
 */
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../server/src/db/client.js';
import { seedCatalog } from '../../server/src/features/seed/seeder.js';

/** Products the import job creates carry this handle prefix; they are removed afterwards. */
export const IMPORT_PREFIX = 'bench-import-';

export async function openBenchDatabase(url: string): Promise<DatabaseHandle> {
  return openDatabase({
    driver: 'postgres',
    url,
    poolSize: 4,
    connectionTimeoutMs: 30_000,
    idleTimeoutMs: 10_000,
    maxLifetimeSeconds: 3600,
    statementTimeoutMs: 0,
  });
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Product count of an existing, migrated database (leftover imports excluded), or undefined. */
async function existingCatalogSize(url: string): Promise<number | undefined> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const exists = await withAdmin(url, async (client) => {
    const result = await client.query('select 1 from pg_database where datname = $1', [name]);
    return result.rowCount === 1;
  });
  if (!exists) return undefined;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const table = await client.query(`select to_regclass('public.products') is not null as ok`);
    if (!table.rows[0]?.ok) return undefined;
    const result = await client.query<{ n: number }>(
      `select count(*)::int as n from products where product_id not like $1`,
      [`${IMPORT_PREFIX}%`],
    );
    return result.rows[0]?.n;
  } finally {
    await client.end();
  }
}

export interface PreparedDatabase {
  products: number;
  reused: boolean;
  seedSeconds: number | undefined;
}

export async function prepareDatabase(
  url: string,
  products: number,
  reuse: boolean,
  log: (line: string) => void,
): Promise<PreparedDatabase> {
  if (reuse) {
    const size = await existingCatalogSize(url);
    if (size === products) {
      log(`Reusing ${describe(url)}: it holds ${products.toLocaleString('en')} products`);
      const database = await openBenchDatabase(url);
      try {
        await database.migrate();
        await removeImportedProducts(database);
        await vacuumCatalog(database, log);
      } finally {
        await database.close();
      }
      return { products, reused: true, seedSeconds: undefined };
    }
    log(
      `--reuse: ${describe(url)} holds ${size === undefined ? 'no catalog' : `${size.toLocaleString('en')} products`}, not ${products.toLocaleString('en')}: recreating it`,
    );
  }
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name || name === 'postgres')
    throw new Error('The benchmark database must not be "postgres"');
  await withAdmin(url, async (client) => {
    await client.query(`drop database if exists ${quoteIdent(name)} with (force)`);
    await client.query(`create database ${quoteIdent(name)}`);
  });
  log(`Created ${describe(url)}; seeding ${products.toLocaleString('en')} products…`);
  const database = await openBenchDatabase(url);
  try {
    await database.migrate();
    let reported = 0;
    const result = await seedCatalog(database, {
      products,
      onProgress: (done, total) => {
        const tenth = Math.floor((done / total) * 10);
        if (tenth > reported) {
          reported = tenth;
          log(`  seeded ${done.toLocaleString('en')} / ${total.toLocaleString('en')}`);
        }
      },
    });
    log(
      `Seeded ${result.products.toLocaleString('en')} products, ${result.categories} categories, ${result.assignments.toLocaleString('en')} assignments in ${result.seconds.toFixed(1)} s`,
    );
    await vacuumCatalog(database, log);
    return { products, reused: false, seedSeconds: result.seconds };
  } finally {
    await database.close();
  }
}

/**
 * VACUUM ANALYZE of the tables the scenarios read, then a checkpoint, so that a reused database
 * is measured as a freshly seeded one is. Autovacuum is off on these machines (`show
 * autovacuum`), so nothing else removes what the previous run left: its bulk job's 3,000,000
 * dead assignment rows and product_state versions, its 100,000 imported and deleted products.
 * Unvacuumed, those dead entries took suggestions from p50 14.0 / p95 19.6 ms to 25.9 / 35.3 ms
 * at 1,000,000 products (GIN has no index-entry hints: every scan rechecks dead rows' TIDs),
 * and the checkpoint keeps the vacuum's writes out of the first scenarios' latencies.
 */
export async function vacuumCatalog(
  database: DatabaseHandle,
  log: (line: string) => void,
): Promise<void> {
  const started = performance.now();
  for (const table of ['products', 'product_state', 'product_categories', 'categories']) {
    await database.pool!.query(`vacuum analyze ${table}`);
  }
  await database.pool!.query('checkpoint');
  log(
    `Vacuumed and analyzed the catalog in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

export function describe(url: string): string {
  const parsed = new URL(url);
  return `PostgreSQL ${parsed.host}${parsed.pathname}`;
}

export async function removeImportedProducts(database: DatabaseHandle): Promise<number> {
  const result = await database.pool!.query(`delete from products where product_id like $1`, [
    `${IMPORT_PREFIX}%`,
  ]);
  return result.rowCount ?? 0;
}

export interface CatalogSample {
  /** Handles spread over the catalog, for product detail. */
  handles: string[];
  /** Up to 30,000 handles of uncategorised products (product_state.category_count = 0), in id order, for writes that are undone. */
  uncategorised: string[];
  /** Level-3 categories with their level-1 root. */
  leaves: { id: number; root: number }[];
  serverVersion: string;
}

export async function sampleCatalog(url: string, products: number): Promise<CatalogSample> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // A fixed pseudo-random spread of ids: the same sample for the same catalog.
    const ids = Array.from({ length: 200 }, (_, i) => 1 + ((i * 7_919 + 104_729) % products));
    const handles = await client.query<{ product_id: string }>(
      'select product_id from products where id = any($1::int[]) order by id',
      [ids],
    );
    const uncategorised = await client.query<{ product_id: string }>(
      `select product_id from products join product_state s using (id)
        where s.category_count = 0 and product_id not like $1
        order by id limit 30000`,
      [`${IMPORT_PREFIX}%`],
    );
    const leaves = await client.query<{ id: number; root: number }>(
      `select c3.id, c1.id as root
         from categories c3
         join categories c2 on c2.id = c3.parent_id
         join categories c1 on c1.id = c2.parent_id
        where c3.level = 3
        order by c3.id`,
    );
    const version = await client.query<{ server_version: string }>('show server_version');
    return {
      handles: handles.rows.map((row) => row.product_id),
      uncategorised: uncategorised.rows.map((row) => row.product_id),
      leaves: leaves.rows,
      serverVersion: version.rows[0]?.server_version ?? 'unknown',
    };
  } finally {
    await client.end();
  }
}
