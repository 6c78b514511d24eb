/**
 * Undo of move and merge (issue 13's undo rules, issue 14 item 5): POST /api/changes/{id}/undo
 * of a `category.move` or `category.merge` brings the tree, every product's assignments and the
 * counters back exactly (a snapshot of the stored content before the restructure equals the one
 * after its undo, timestamps aside, and the re-created category keeps its id and creation time),
 * undoing the undo redoes it exactly, a later change answers 409 or is skipped with
 * `skip_conflicts`, and a tree that changed since (target gone, sibling name taken) refuses the
 * undo with a clear 409, changing nothing.
 */
import { sql } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne, queryRows, type Executor } from '../../db/client.js';
import { createCategory, createProducts } from '../../../test/helpers/fixtures.js';
import { expectErrorEnvelope } from '../../../test/helpers/envelope.js';
import {
  createTestApp,
  invariantViolations,
  snapshot,
  type TestApp,
} from '../../../test/helpers/test-app.js';

let test: TestApp;
let handles: string[];
let serial = 0;

beforeAll(async () => {
  test = await createTestApp();
  handles = await createProducts(test, 64);
});
afterAll(async () => {
  await test?.close();
});

/**
 * Everything stored that a restructure and its undo touch, timestamps aside except the
 * categories' creation time (an undo re-creates a category as it was): the tree, every
 * assignment, every product's counters, the catalog counters.
 */
async function content(db: Executor): Promise<Record<string, string>> {
  const queries = {
    categories: sql`select md5(coalesce(string_agg((id, name, level, parent_id, parent_level, product_count, is_sample, created_at)::text, '|' order by id), '')) as hash from categories`,
    product_categories: sql`select md5(coalesce(string_agg((product_id, category_id, category_level, parent_category_id)::text, '|' order by product_id, category_id), '')) as hash from product_categories`,
    products: sql`select md5(coalesce(string_agg((id, product_id, category_count, incomplete_branches, last_modified)::text, '|' order by id), '')) as hash from products join product_state using (id)`,
    // Kept in slots (spread to avoid one hot row): their sums are the counters.
    catalog_counters: sql`select md5((sum(products), sum(categorized), sum(active), sum(draft), sum(archived), sum(incomplete))::text) as hash from catalog_counters`,
  };
  const result: Record<string, string> = {};
  for (const [table, query] of Object.entries(queries)) {
    result[table] = (await queryOne<{ hash: string }>(db, query))!.hash;
  }
  return result;
}

/** Each product's category ids (the test's products), to say which one differs when one does. */
async function assignments(db: Executor): Promise<Record<number, number[]>> {
  const rows = await queryRows<{ product_id: number; ids: number[] }>(
    db,
    sql`select product_id, array_agg(category_id order by category_id) as ids
          from product_categories group by product_id order by product_id`,
  );
  return Object.fromEntries(rows.map((row) => [row.product_id, row.ids]));
}

async function state(db: Executor) {
  return { content: await content(db), assignments: await assignments(db) };
}

const post = (url: string, payload: unknown): InjectOptions => ({
  method: 'POST',
  url,
  payload: payload as object,
});

async function assign(handle: string, ids: number[]) {
  const response = await test.request(
    post(`/api/products/${handle}/categories`, { category_ids: ids }),
  );
  expect(response.statusCode, response.body).toBe(201);
}

async function restructure(url: string, payload: object): Promise<number> {
  const response = await test.request(post(url, payload));
  expect(response.statusCode, response.body).toBe(200);
  return response.json().data.change_set_id as number;
}

const undo = (id: number, payload: object = {}) =>
  test.request(post(`/api/changes/${id}/undo`, payload));

async function undone(id: number, payload: object = {}) {
  const response = await undo(id, payload);
  expect(response.statusCode, response.body).toBe(200);
  return response.json().data as {
    change_set_id: number;
    undone_products: number;
    undone_categories: number;
    skipped: { product_id: string | null; category_id: number | null; reason: string }[];
  };
}

async function kindOf(id: number) {
  return (await queryOne<{ kind: string; reverts: number | null }>(
    test.db,
    sql`select kind, reverts::int as reverts from change_sets where id = ${id}`,
  ))!;
}

/**
 * A tree where a merge moves children, merges a same-named child and leaves ancestors in place
 * or removes them, and products in every situation (names unique per test).
 */
async function freshTree() {
  serial += 1;
  const make = (name: string, parentId?: number) =>
    createCategory(test, { name: `${name} ${serial}`, parent_id: parentId ?? null });
  const tools = await make('Tools');
  const sealants = await make('Sealants');
  const guns = await make('Guns', tools.id);
  const trowels = await make('Trowels', tools.id);
  const manual = await make('Manual', guns.id);
  const battery = await make('Battery', guns.id);
  const caulk = await make('Caulk', sealants.id);
  const caulkManual = await make('Manual', caulk.id);
  const silicone = await make('Silicone', sealants.id);
  const neutral = await make('Neutral', silicone.id);
  return {
    tools,
    sealants,
    guns,
    trowels,
    manual,
    battery,
    caulk,
    caulkManual,
    silicone,
    neutral,
  };
}

/** Products 8 at a time per test: `at(0)` … `at(7)`. */
let nextProduct = 0;
function productsForTest() {
  const first = nextProduct;
  nextProduct += 8;
  return (at: number) => handles[first + at]!;
}

describe('undo of a merge', () => {
  it('restores the categories (ids, paths, creation time), each product’s assignments and the counters exactly; its undo redoes the merge exactly', async () => {
    const tree = await freshTree();
    const at = productsForTest();
    await assign(at(0), [tree.manual.id]); // merged into Caulk > Manual; Tools removed
    await assign(at(1), [tree.battery.id, tree.trowels.id]); // Battery moves; Tools stays
    await assign(at(2), [tree.guns.id]); // the source alone (an open branch)
    await assign(at(3), [tree.battery.id, tree.caulkManual.id]); // had the target's branch
    await assign(at(4), [tree.neutral.id]); // untouched
    await assign(at(5), [tree.caulk.id]); // the target alone (gains children: branch changes)
    await assign(at(6), [tree.sealants.id, tree.manual.id]); // a chosen level 1 the merge adds
    const paths = await test.request(`/api/categories/${tree.battery.id}`);
    const before = await state(test.db);
    const guns = await queryOne<{ created_at: string }>(
      test.db,
      sql`select created_at::text from categories where id = ${tree.guns.id}`,
    );

    const merge = await restructure(`/api/categories/${tree.guns.id}/merge`, {
      into_id: tree.caulk.id,
    });
    const merged = await state(test.db);
    expect(merged.content).not.toEqual(before.content);
    expect(await invariantViolations(test.db)).toEqual([]);

    // A dry run says what it would do and writes nothing.
    const beforeDry = await snapshot(test.db);
    const dry = await undone(merge, { dry_run: true });
    expect(dry).toMatchObject({ change_set_id: null, undone_products: 5, skipped: [] });
    expect(dry.undone_categories).toBe(3); // Guns and Manual re-created, Battery moved back
    expect(await snapshot(test.db)).toEqual(beforeDry);

    const first = await undone(merge);
    expect(first.undone_products).toBe(5);
    expect(await kindOf(first.change_set_id)).toEqual({
      kind: 'category.unmerge',
      reverts: merge,
    });
    const after = await state(test.db);
    expect(after.assignments).toEqual(before.assignments);
    expect(after.content).toEqual(before.content);
    expect(await invariantViolations(test.db)).toEqual([]);
    expect(
      await queryOne<{ created_at: string }>(
        test.db,
        sql`select created_at::text from categories where id = ${tree.guns.id}`,
      ),
    ).toEqual(guns);
    const back = await test.request(`/api/categories/${tree.battery.id}`);
    expect(back.json().data.path).toBe(paths.json().data.path);

    // Undoing the undo merges again, exactly as the merge did.
    const redo = await undone(first.change_set_id);
    expect(await kindOf(redo.change_set_id)).toEqual({
      kind: 'category.merge',
      reverts: first.change_set_id,
    });
    const again = await state(test.db);
    expect(again.assignments).toEqual(merged.assignments);
    expect(again.content).toEqual(merged.content);
    expect(await invariantViolations(test.db)).toEqual([]);

    // Each change set is undone once; the redo's undo goes back again.
    const twice = await undo(merge);
    expect(expectErrorEnvelope(twice, 409, 'CONFLICT').details).toMatchObject({
      reason: 'already_undone',
      undone_by: first.change_set_id,
    });
    await undone(redo.change_set_id);
    expect((await state(test.db)).content).toEqual(before.content);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('undoes a level 1 merge whose same-named children merged recursively: grandchildren move back under the re-created children', async () => {
    const tree = await freshTree();
    const at = productsForTest();
    // Sealants gets a "Guns" with a "Manual" too: Tools > Guns merges into it, Tools > Guns >
    // Manual into its Manual, Battery (below a merged child) and Trowels move.
    const twinGuns = await createCategory(test, {
      name: `guns ${serial}`,
      parent_id: tree.sealants.id,
    });
    const twinManual = await createCategory(test, {
      name: `MANUAL ${serial}`,
      parent_id: twinGuns.id,
    });
    await assign(at(0), [tree.manual.id, tree.trowels.id]);
    await assign(at(1), [tree.battery.id]);
    await assign(at(2), [tree.tools.id]);
    await assign(at(3), [twinManual.id, tree.battery.id]);
    await assign(at(4), [twinGuns.id]);
    const before = await state(test.db);
    const merge = await restructure(`/api/categories/${tree.tools.id}/merge`, {
      into_id: tree.sealants.id,
    });
    const merged = await state(test.db);
    const battery = await test.request(`/api/categories/${tree.battery.id}`);
    expect(battery.json().data.parent_id).toBe(twinGuns.id);

    const first = await undone(merge);
    // Tools, Guns and Manual re-created; Battery and Trowels moved back.
    expect(first.undone_categories).toBe(5);
    expect(await state(test.db)).toEqual(before);
    expect(await invariantViolations(test.db)).toEqual([]);
    const back = await test.request(`/api/categories/${tree.battery.id}`);
    expect(back.json().data.path).toBe(`Tools ${serial} > Guns ${serial} > Battery ${serial}`);

    const redo = await undone(first.change_set_id);
    expect(await state(test.db)).toEqual(merged);
    expect(await invariantViolations(test.db)).toEqual([]);
    await undone(redo.change_set_id);
    expect(await state(test.db)).toEqual(before);
  });

  it('answers 409 with the conflicts when a later change touched a merged product; skip_conflicts undoes the others', async () => {
    const tree = await freshTree();
    const at = productsForTest();
    await assign(at(0), [tree.manual.id]);
    await assign(at(1), [tree.manual.id, tree.trowels.id]);
    await assign(at(2), [tree.guns.id]);
    const merge = await restructure(`/api/categories/${tree.guns.id}/merge`, {
      into_id: tree.caulk.id,
    });
    // A later change to one of the merged products, in a related category.
    await assign(at(0), [tree.neutral.id]);
    const later = await state(test.db);
    const stored = await snapshot(test.db);

    const refused = await undo(merge);
    const body = expectErrorEnvelope(refused, 409, 'CONFLICT');
    expect(body.details).toMatchObject({ reason: 'undo_conflicts', conflict_count: 1 });
    expect((body.details as { conflicts: { product_id: string }[] }).conflicts).toEqual([
      expect.objectContaining({ product_id: at(0) }),
    ]);
    expect(await snapshot(test.db)).toEqual(stored);

    const skipped = await undone(merge, { mode: 'skip_conflicts' });
    expect(skipped.undone_products).toBe(2);
    expect(skipped.skipped).toEqual([expect.objectContaining({ product_id: at(0) })]);
    expect(await invariantViolations(test.db)).toEqual([]);
    const now = await state(test.db);
    const id = async (handle: string) =>
      (await queryOne<{ id: number }>(
        test.db,
        sql`select id from products where product_id = ${handle}`,
      ))!.id;
    // The skipped product keeps what it has; the others are back where they were.
    expect(now.assignments[await id(at(0))]).toEqual(later.assignments[await id(at(0))]);
    expect(now.assignments[await id(at(1))]).toEqual(
      [tree.tools.id, tree.guns.id, tree.trowels.id, tree.manual.id].sort((a, b) => a - b),
    );
    expect(now.assignments[await id(at(2))]).toEqual(
      [tree.tools.id, tree.guns.id].sort((a, b) => a - b),
    );
    const path = await test.request(`/api/categories/${tree.battery.id}`);
    expect(path.json().data.path).toBe(`Tools ${serial} > Guns ${serial} > Battery ${serial}`);
  });

  it('refuses with a clear 409 when the target was deleted since, or a sibling now has the name, changing nothing', async () => {
    const tree = await freshTree();
    // An empty source into an empty target, then the target deleted.
    const lonely = await createCategory(test, {
      name: `Lonely ${serial}`,
      parent_id: tree.guns.id,
    });
    const merge = await restructure(`/api/categories/${lonely.id}/merge`, {
      into_id: tree.manual.id,
    });
    const removed = await test.request({
      method: 'DELETE',
      url: `/api/categories/${tree.manual.id}`,
    });
    expect(removed.statusCode, removed.body).toBe(204);
    let stored = await snapshot(test.db);
    for (const mode of ['strict', 'skip_conflicts']) {
      const refused = expectErrorEnvelope(await undo(merge, { mode }), 409, 'CONFLICT');
      expect(refused.error).toContain('the merge target');
      expect(refused.error).toContain('no longer exists');
      expect(refused.details).toMatchObject({ reason: 'undo_conflicts', scope: 'categories' });
      expect(await snapshot(test.db)).toEqual(stored);
    }

    // A source whose name a new sibling took since.
    const source = await createCategory(test, {
      name: `Taken ${serial}`,
      parent_id: tree.tools.id,
    });
    const at = productsForTest();
    await assign(at(0), [source.id]);
    const second = await restructure(`/api/categories/${source.id}/merge`, {
      into_id: tree.trowels.id,
    });
    await createCategory(test, { name: `TAKEN ${serial}`, parent_id: tree.tools.id });
    stored = await snapshot(test.db);
    const clash = expectErrorEnvelope(await undo(second), 409, 'CONFLICT');
    expect(clash.error).toContain(`named "TAKEN ${serial}" now`);
    expect(clash.details).toMatchObject({ reason: 'undo_conflicts', scope: 'categories' });
    expect(await snapshot(test.db)).toEqual(stored);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('undo of a move', () => {
  it('moves it back and restores exactly the ancestors each product had (one it had chosen stays); its undo moves it again', async () => {
    const tree = await freshTree();
    const at = productsForTest();
    await assign(at(0), [tree.manual.id]); // loses Tools, gains Sealants
    await assign(at(1), [tree.battery.id, tree.trowels.id]); // keeps Tools
    await assign(at(2), [tree.sealants.id, tree.manual.id]); // had Sealants, chosen, no child
    await assign(at(3), [tree.guns.id]);
    const before = await state(test.db);
    const move = await restructure(`/api/categories/${tree.guns.id}/move`, {
      parent_id: tree.sealants.id,
    });
    const moved = await state(test.db);
    expect(moved.content).not.toEqual(before.content);

    const first = await undone(move);
    expect(first).toMatchObject({ undone_products: 4, undone_categories: 1, skipped: [] });
    expect(await kindOf(first.change_set_id)).toEqual({ kind: 'category.move', reverts: move });
    const after = await state(test.db);
    // Moving back by hand would take Sealants from at(2); the undo gives back exactly what was.
    expect(after.assignments).toEqual(before.assignments);
    expect(after.content).toEqual(before.content);
    expect(await invariantViolations(test.db)).toEqual([]);

    const redo = await undone(first.change_set_id);
    expect(await kindOf(redo.change_set_id)).toEqual({
      kind: 'category.move',
      reverts: first.change_set_id,
    });
    expect(await state(test.db)).toEqual(moved);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('refuses when a sibling took the name under the old parent, or the category moved again, changing nothing', async () => {
    const tree = await freshTree();
    const at = productsForTest();
    await assign(at(0), [tree.battery.id]);
    const move = await restructure(`/api/categories/${tree.battery.id}/move`, {
      parent_id: tree.caulk.id,
    });
    const twin = await createCategory(test, { name: `battery ${serial}`, parent_id: tree.guns.id });
    let stored = await snapshot(test.db);
    const clash = expectErrorEnvelope(await undo(move), 409, 'CONFLICT');
    expect(clash.error).toContain(`named "battery ${serial}" now`);
    expect(await snapshot(test.db)).toEqual(stored);
    const removed = await test.request({ method: 'DELETE', url: `/api/categories/${twin.id}` });
    expect(removed.statusCode).toBe(204);

    // Moved again since: the later move is a change of the tree to the same category.
    await restructure(`/api/categories/${tree.battery.id}/move`, { parent_id: tree.silicone.id });
    stored = await snapshot(test.db);
    const moved = expectErrorEnvelope(
      await undo(move, { mode: 'skip_conflicts' }),
      409,
      'CONFLICT',
    );
    expect(moved.details).toMatchObject({ reason: 'undo_conflicts', scope: 'categories' });
    expect(await snapshot(test.db)).toEqual(stored);
  });

  it('refuses a product assigned the moved category since (it would lack the old parent), in both modes', async () => {
    const tree = await freshTree();
    const at = productsForTest();
    await assign(at(0), [tree.battery.id]);
    const move = await restructure(`/api/categories/${tree.battery.id}/move`, {
      parent_id: tree.caulk.id,
    });
    await assign(at(1), [tree.battery.id]); // gets Caulk and Sealants, not Guns
    const stored = await snapshot(test.db);
    for (const mode of ['strict', 'skip_conflicts']) {
      const refused = expectErrorEnvelope(await undo(move, { mode }), 409, 'CONFLICT');
      expect(refused.error).toMatch(/1 product assigned it would lack that parent/);
      expect(await snapshot(test.db)).toEqual(stored);
    }
  });

  it('keeps bad input 4xx, and a change set recorded before undo existed 409 not_reversible', async () => {
    const tree = await freshTree();
    const move = await restructure(`/api/categories/${tree.trowels.id}/move`, {
      parent_id: tree.sealants.id,
    });
    for (const payload of [{ mode: 'sometimes' }, { dry_run: 'yes' }, { extra: 1 }]) {
      const stored = await snapshot(test.db);
      const response = await undo(move, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(422);
      expect(await snapshot(test.db)).toEqual(stored);
    }
    await test.db.execute(
      sql`update change_sets set after = after - 'product_changes' where id = ${move}`,
    );
    const stored = await snapshot(test.db);
    const old = expectErrorEnvelope(await undo(move), 409, 'CONFLICT');
    expect(old.details).toMatchObject({ reason: 'not_reversible', kind: 'category.move' });
    expect(old.error).toContain('recorded before');
    expect(await snapshot(test.db)).toEqual(stored);
  });
});
