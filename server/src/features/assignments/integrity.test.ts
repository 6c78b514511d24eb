/**
 * The references of an assignment row, kept by statement triggers (migration 0026) instead of
 * four foreign keys: the same rules, the same SQLSTATE (23503), the same actions on delete, and
 * the same locks, so that a writer racing a delete never leaves an orphan row. The rule tests
 * run on both drivers; the races need two sessions (PostgreSQL).
 */
import { sql, type SQL } from 'drizzle-orm';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryOne, queryRows } from '../../db/client.js';
import { arrayParam } from '../../db/sql.js';
import { createProducts, createSampleTree, productIdsOf } from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  type TestApp,
} from '../../../test/helpers/test-app.js';

let test: TestApp;
let tree: Awaited<ReturnType<typeof createSampleTree>>;
let products: number[];

beforeAll(async () => {
  test = await createTestApp({ CACHE_ENABLED: 'false' });
  tree = await createSampleTree(test);
  products = await productIdsOf(test, await createProducts(test, 12));
});
afterAll(async () => {
  await test.close();
});
beforeEach(async () => {
  await test.db.execute(sql`delete from product_categories`);
});

/** The SQLSTATE a statement fails with (drizzle wraps the driver's error), or 'ok'. */
async function outcome(statement: SQL): Promise<string> {
  try {
    await test.db.execute(statement);
    return 'ok';
  } catch (error) {
    const failure = error as { code?: string; cause?: { code?: string } };
    return failure.code ?? failure.cause?.code ?? String(error);
  }
}

const rowsOf = async (productId: number) =>
  (
    await queryRows<{ category_id: number }>(
      test.db,
      sql`select category_id from product_categories where product_id = ${productId}
           order by category_level`,
    )
  ).map((row) => row.category_id);

/** Inserts (product, category) rows as the app does: level and parent from the tree. */
const insertRows = (rows: [number, number][]) =>
  sql`insert into product_categories (product_id, category_id, category_level, parent_category_id)
      select r.product_id, c.id, c.level, c.parent_id
        from unnest(${arrayParam(rows.map((row) => row[0]))}::integer[],
                    ${arrayParam(rows.map((row) => row[1]))}::integer[])
             as r(product_id, category_id)
        join categories c on c.id = r.category_id`;

describe('assignment references on insert and update', () => {
  it('accepts a path written in one statement, or a child under a parent already there', async () => {
    const [first, second] = products as [number, number];
    const { tools, guns, manualGuns } = tree;
    expect(
      await outcome(
        insertRows([
          [first, manualGuns.id],
          [first, guns.id],
          [first, tools.id],
        ]),
      ),
    ).toBe('ok');
    expect(await outcome(insertRows([[second, tools.id]]))).toBe('ok');
    expect(await outcome(insertRows([[second, guns.id]]))).toBe('ok');
    expect(await rowsOf(first)).toEqual([tools.id, guns.id, manualGuns.id]);
    expect(await rowsOf(second)).toEqual([tools.id, guns.id]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('refuses an unknown product, an unknown category, a wrong level or parent, a missing parent row', async () => {
    const [first] = products as [number];
    const { tools, sealants, guns } = tree;
    await test.db.execute(insertRows([[first, tools.id]]));
    const before = await rowsOf(first);
    const insert = (productId: number, categoryId: number, level: number, parent: number | null) =>
      outcome(sql`insert into product_categories (product_id, category_id, category_level, parent_category_id)
                  values (${productId}, ${categoryId}, ${level}, ${parent})`);
    expect(await insert(2_000_000_000, sealants.id, 1, null)).toBe('23503');
    expect(await insert(first, 2_000_000_000, 1, null)).toBe('23503');
    expect(await insert(first, sealants.id, 2, tools.id)).toBe('23503'); // level 1 named as 2
    expect(await insert(first, tree.silicone.id, 2, tools.id)).toBe('23503'); // under Sealants
    expect(await insert(first, tree.silicone.id, 2, sealants.id)).toBe('23503'); // no Sealants row
    // One bad row among good ones fails the whole statement.
    expect(
      await outcome(
        insertRows([
          [first, guns.id],
          [2_000_000_000, tools.id],
        ]),
      ),
    ).toBe('23503');
    expect(await rowsOf(first)).toEqual(before);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('refuses re-keying a row and a parent that is not the category’s', async () => {
    const [first, second] = products as [number, number];
    const { tools, guns, sealants } = tree;
    await test.db.execute(
      insertRows([
        [first, tools.id],
        [first, guns.id],
        [second, sealants.id],
      ]),
    );
    expect(
      await outcome(sql`update product_categories set product_id = ${second}
                         where product_id = ${first} and category_id = ${tools.id}`),
    ).toBe('23503');
    expect(
      await outcome(sql`update product_categories set parent_category_id = ${sealants.id}
                         where product_id = ${first} and category_id = ${guns.id}`),
    ).toBe('23503');
    // A column that is no reference may change.
    expect(
      await outcome(sql`update product_categories set assigned_at = now()
                         where product_id = ${first}`),
    ).toBe('ok');
    expect(await rowsOf(first)).toEqual([tools.id, guns.id]);
  });
});

describe('assignment references on delete', () => {
  it('a deleted assignment takes the rows below it; a deleted product takes its rows', async () => {
    const [first, second, third] = products as [number, number, number];
    const { tools, guns, manualGuns, trowels, sealants, silicone, neutralCure } = tree;
    await test.db.execute(
      insertRows([
        [first, tools.id],
        [first, guns.id],
        [first, manualGuns.id],
        [first, trowels.id],
        [first, sealants.id],
        [second, sealants.id],
        [second, silicone.id],
        [second, neutralCure.id],
        [third, sealants.id],
      ]),
    );
    await test.db.execute(
      sql`delete from product_categories where product_id = ${first} and category_id = ${tools.id}`,
    );
    expect(await rowsOf(first)).toEqual([sealants.id]);
    await test.db.execute(
      sql`delete from product_categories where product_id = ${second} and category_id = ${silicone.id}`,
    );
    expect(await rowsOf(second)).toEqual([sealants.id]);
    expect(await invariantViolations(test.db)).toEqual([]);

    const [extra] = await createProducts(test, 13).then((handles) => handles.slice(12));
    const extraId = (await queryOne<{ id: number }>(
      test.db,
      sql`select id from products where product_id = ${extra!}`,
    ))!.id;
    await test.db.execute(insertRows([[extraId, sealants.id]]));
    await test.db.execute(insertRows([[extraId, silicone.id]]));
    await test.db.execute(sql`delete from products where id = ${extraId}`);
    expect(await rowsOf(extraId)).toEqual([]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('an assigned category cannot be deleted, moved alone or truncated away; an unassigned one can', async () => {
    const [first] = products as [number];
    const { tools, guns, manualGuns, batteryGuns, sealants } = tree;
    await test.db.execute(
      insertRows([
        [first, tools.id],
        [first, guns.id],
        [first, manualGuns.id],
      ]),
    );
    expect(await outcome(sql`delete from categories where id = ${manualGuns.id}`)).toBe('23503');
    // Its parent changes without its rows: refused; with them, in one statement: accepted.
    const spare = await queryOne<{ id: number }>(
      test.db,
      sql`insert into categories (name, level, parent_id, parent_level)
          values ('Spare Guns', 2, ${tools.id}, 1) returning id`,
    );
    const spareId = spare!.id;
    expect(
      await outcome(sql`update categories set parent_id = ${spareId} where id = ${manualGuns.id}`),
    ).toBe('23503');
    expect(await outcome(sql`update categories set product_count = product_count`)).toBe('ok');
    expect(await outcome(sql`truncate products, product_state, queue_leases cascade`)).not.toBe(
      'ok',
    );
    expect(await outcome(sql`truncate categories cascade`)).not.toBe('ok');
    expect(await rowsOf(first)).toEqual([tools.id, guns.id, manualGuns.id]);
    // Nothing assigned: the delete goes through.
    expect(await outcome(sql`delete from categories where id = ${batteryGuns.id}`)).toBe('ok');
    // A move as the app writes it: the new parent's row first, then the category and its rows
    // in one statement.
    await test.db.execute(insertRows([[first, spareId]]));
    expect(
      await outcome(sql`with moved as (
            update categories set parent_id = ${spareId} where id = ${manualGuns.id} returning id)
          update product_categories set parent_category_id = ${spareId}
           where category_id = ${manualGuns.id}`),
    ).toBe('ok');
    // The old parent's row goes; the moved category's row stays under its new parent.
    await test.db.execute(
      sql`delete from product_categories where product_id = ${first} and category_id = ${guns.id}`,
    );
    expect((await rowsOf(first)).sort()).toEqual([tools.id, spareId, manualGuns.id].sort());
    expect(sealants.id).toBeGreaterThan(0);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('isolation', () => {
  it('a product or category delete under REPEATABLE READ is refused, nothing changed', async () => {
    const [, , , , , , , , product] = products as number[];
    const { sealants } = tree;
    await test.db.execute(insertRows([[product!, sealants.id]]));
    const underRepeatableRead = async (statement: SQL) => {
      try {
        await test.db.transaction(async (transaction) => {
          await transaction.execute(sql`set transaction isolation level repeatable read`);
          await transaction.execute(statement);
        });
        return 'ok';
      } catch (error) {
        const failure = error as { code?: string; cause?: { code?: string } };
        return failure.code ?? failure.cause?.code ?? String(error);
      }
    };
    expect(await underRepeatableRead(sql`delete from products where id = ${product!}`)).toBe(
      '0A000',
    );
    expect(
      await underRepeatableRead(sql`delete from product_categories where product_id = ${product!}`),
    ).toBe('0A000');
    expect(await rowsOf(product!)).toEqual([sealants.id]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe.runIf(process.env.TEST_DATABASE !== 'pglite')('races with a delete (two sessions)', () => {
  /** Runs `body` with two sessions of their own, each in a transaction it ends itself. */
  async function twoSessions(body: (a: pg.PoolClient, b: pg.PoolClient) => Promise<void>) {
    const pool = test.database.pool!;
    const a = await pool.connect();
    const b = await pool.connect();
    try {
      await body(a, b);
    } finally {
      await a.query('rollback').catch(() => {});
      await b.query('rollback').catch(() => {});
      a.release();
      b.release();
    }
  }

  /** Waits until some session of this database waits for a lock (no time limit: it polls). */
  async function someoneWaits() {
    for (;;) {
      const row = await queryOne<{ n: number }>(
        test.db,
        sql`select count(*)::int as n from pg_stat_activity
             where datname = current_database() and wait_event_type = 'Lock'`,
      );
      if (row!.n > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Writes one assignment row in `session`, its level and parent as the tree places it. */
  const writeRow = (session: pg.PoolClient, productId: number | undefined, categoryId: number) =>
    session.query(
      `insert into product_categories (product_id, category_id, category_level, parent_category_id)
       select $1, c.id, c.level, c.parent_id from categories c where c.id = $2`,
      [productId, categoryId],
    );

  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (error: { code?: string }) => error.code ?? String(error),
    );

  /**
   * Session a writes a row and keeps its transaction open; session b runs `deletion` meanwhile.
   * Answers b's outcome once a has committed (b commits when it succeeded).
   */
  async function deleteWhileWritten(
    productId: number | undefined,
    categoryId: number,
    deletion: string,
    params: unknown[],
  ): Promise<string> {
    let outcome = '';
    await twoSessions(async (a, b) => {
      await a.query('begin');
      await writeRow(a, productId, categoryId);
      await b.query('begin');
      const deleting = failure(b.query(deletion, params));
      await someoneWaits();
      await a.query('commit');
      outcome = await deleting;
      if (outcome === 'ok') await b.query('commit');
    });
    return outcome;
  }

  it('a product deleted while its row is being written: the delete waits, then takes the row', async () => {
    const [, , , product] = products as number[];
    expect(
      await deleteWhileWritten(product, tree.tools.id, 'delete from products where id = $1', [
        product,
      ]),
    ).toBe('ok');
    expect(await rowsOf(product!)).toEqual([]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('a row written while its product is being deleted: the writer waits, then fails with 23503', async () => {
    const [, , , , product] = products as number[];
    const { tools } = tree;
    await twoSessions(async (a, b) => {
      await b.query('begin');
      await b.query('delete from products where id = $1', [product]);
      await a.query('begin');
      const writing = failure(writeRow(a, product, tools.id));
      await someoneWaits();
      await b.query('commit');
      expect(await writing).toBe('23503');
    });
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('a parent row deleted while a child is written under it: the child goes with it', async () => {
    const [, , , , , product] = products as number[];
    const { tools, guns } = tree;
    await test.db.execute(insertRows([[product!, tools.id]]));
    expect(
      await deleteWhileWritten(
        product,
        guns.id,
        'delete from product_categories where product_id = $1 and category_id = $2',
        [product, tools.id],
      ),
    ).toBe('ok');
    expect(await rowsOf(product!)).toEqual([]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('a category deleted while it is being assigned: the delete waits, then is refused', async () => {
    const [, , , , , , product] = products as number[];
    const solo = await queryOne<{ id: number }>(
      test.db,
      sql`insert into categories (name, level)
          values ('Solo', 1) returning id`,
    );
    expect(
      await deleteWhileWritten(product, solo!.id, 'delete from categories where id = $1', [
        solo!.id,
      ]),
    ).toBe('23503');
    expect(await rowsOf(product!)).toEqual([solo!.id]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});
