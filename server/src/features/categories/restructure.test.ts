/**
 * Move and merge (issue 14): the dry run equals the result, the invariants (closure, counters,
 * open branches, sibling uniqueness) hold afterwards, and every refusal (fourth level, name
 * clash, stale If-Match, bad ids) changes nothing.
 */
import type { RestructureResult } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
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
  handles = await createProducts(test, 30);
});
afterAll(async () => {
  await test?.close();
});

/** A fresh two-rooted tree for one test (names made unique by a serial number). */
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
  const silicone = await make('Silicone', sealants.id);
  const neutral = await make('Neutral', silicone.id);
  return { tools, sealants, guns, trowels, manual, battery, silicone, neutral };
}

async function assign(handle: string, ids: number[]) {
  const response = await test.request({
    method: 'POST',
    url: `/api/products/${handle}/categories`,
    payload: { category_ids: ids },
  });
  expect(response.statusCode, response.body).toBe(201);
}

async function categoriesOf(handle: string): Promise<number[]> {
  const response = await test.request(`/api/products/${handle}`);
  return (response.json().data.categories as { id: number }[]).map((item) => item.id).sort();
}

const sorted = (ids: number[]) => [...ids].sort();

function post(url: string, payload: unknown, headers: Record<string, string> = {}): InjectOptions {
  return { method: 'POST', url, payload: payload as object, headers };
}

/** Sends the dry run, checks it wrote nothing, then the write, and answers both. */
async function previewThenWrite(url: string, payload: Record<string, unknown>) {
  const before = await snapshot(test.db);
  const preview = await test.request(post(url, { ...payload, dry_run: true }));
  expect(preview.statusCode, preview.body).toBe(200);
  expect(await snapshot(test.db)).toEqual(before);
  const written = await test.request(post(url, payload));
  expect(written.statusCode, written.body).toBe(200);
  const dry = preview.json().data as RestructureResult;
  const done = written.json().data as RestructureResult;
  expect(dry.dry_run).toBe(true);
  expect(dry.change_set_id).toBeNull();
  expect(done.dry_run).toBe(false);
  expect({ ...dry, dry_run: false, change_set_id: done.change_set_id }).toEqual(done);
  expect(await invariantViolations(test.db)).toEqual([]);
  return done;
}

describe('POST /api/categories/{id}/move', () => {
  it('moves a level 3 under another level 2: new ancestors added, unneeded old ones removed; the dry run equals the result', async () => {
    const tree = await freshTree();
    const [only, withSibling, withTrowels, alreadyThere, untouched] = handles.slice(0, 5) as [
      string,
      string,
      string,
      string,
      string,
    ];
    await assign(only, [tree.battery.id]);
    await assign(withSibling, [tree.battery.id, tree.manual.id]);
    await assign(withTrowels, [tree.battery.id, tree.trowels.id]);
    await assign(alreadyThere, [tree.battery.id, tree.silicone.id]);
    await assign(untouched, [tree.manual.id]);

    const result = await previewThenWrite(`/api/categories/${tree.battery.id}/move`, {
      parent_id: tree.silicone.id,
    });
    expect(result.products_affected).toBe(4);
    expect(result.from_path).toBe(`Tools ${serial} > Guns ${serial} > Battery ${serial}`);
    expect(result.to_path).toBe(`Sealants ${serial} > Silicone ${serial} > Battery ${serial}`);
    const counts = (list: RestructureResult['ancestors_added']) =>
      Object.fromEntries(list.map((item) => [item.id, item.products]));
    expect(counts(result.ancestors_added)).toEqual({
      [tree.sealants.id]: 3,
      [tree.silicone.id]: 3,
    });
    expect(counts(result.ancestors_removed)).toEqual({ [tree.guns.id]: 3, [tree.tools.id]: 2 });
    expect(result.sample_products.map((item) => item.product_id)).toEqual([
      only,
      withSibling,
      withTrowels,
      alreadyThere,
    ]);
    expect(result.change_set_id).toEqual(expect.any(Number));

    expect(await categoriesOf(only)).toEqual(
      sorted([tree.sealants.id, tree.silicone.id, tree.battery.id]),
    );
    expect(await categoriesOf(withSibling)).toEqual(
      sorted([
        tree.tools.id,
        tree.guns.id,
        tree.manual.id,
        tree.sealants.id,
        tree.silicone.id,
        tree.battery.id,
      ]),
    );
    expect(await categoriesOf(withTrowels)).toEqual(
      sorted([tree.tools.id, tree.trowels.id, tree.sealants.id, tree.silicone.id, tree.battery.id]),
    );
    expect(await categoriesOf(untouched)).toEqual(
      sorted([tree.tools.id, tree.guns.id, tree.manual.id]),
    );
    const moved = await test.request(`/api/categories/${tree.battery.id}`);
    expect(moved.json().data).toMatchObject({ parent_id: tree.silicone.id, level: 3 });
    expect(moved.json().data.path).toBe(result.to_path);

    // One change set, of its kind, undoable exactly (restructure-undo.test.ts undoes them): it
    // records the category moved and, per group of products, the rows added and removed.
    const changes = await test.request(`/api/changes?kind=category.move&limit=1`);
    const change = changes.json().data[0];
    expect(change).toMatchObject({
      id: result.change_set_id,
      kind: 'category.move',
      reversible: 'exact',
    });
    expect(change.after.reparented).toEqual([
      { id: tree.battery.id, from: tree.guns.id, to: tree.silicone.id },
    ]);
    const groups = change.after.product_changes as {
      added: number[];
      removed: number[];
      product_ids: number[];
    }[];
    expect(groups.flatMap((group) => group.product_ids).length).toBe(result.products_affected);
    for (const group of groups) {
      expect([tree.sealants.id, tree.silicone.id]).toEqual(expect.arrayContaining(group.added));
      expect([tree.tools.id, tree.guns.id]).toEqual(expect.arrayContaining(group.removed));
    }
    // The product that already had Sealants > Silicone gained nothing: an undo leaves them.
    expect(groups.filter((group) => group.added.length === 0)).toHaveLength(1);

    // Moving it back restores every product's categories.
    await previewThenWrite(`/api/categories/${tree.battery.id}/move`, { parent_id: tree.guns.id });
    expect(await categoriesOf(only)).toEqual(
      sorted([tree.tools.id, tree.guns.id, tree.battery.id]),
    );
    expect(await categoriesOf(withSibling)).toEqual(
      sorted([tree.tools.id, tree.guns.id, tree.manual.id, tree.battery.id]),
    );
  });

  it('moves a level 2 with its children under another level 1', async () => {
    const tree = await freshTree();
    const [a, b] = handles.slice(5, 7) as [string, string];
    await assign(a, [tree.battery.id]);
    await assign(b, [tree.guns.id, tree.trowels.id]);
    const result = await previewThenWrite(`/api/categories/${tree.guns.id}/move`, {
      parent_id: tree.sealants.id,
    });
    expect(result.products_affected).toBe(2);
    expect(result.categories.map((item) => item.id).sort()).toEqual(
      sorted([tree.guns.id, tree.manual.id, tree.battery.id]),
    );
    expect(result.categories.find((item) => item.id === tree.battery.id)?.to_path).toBe(
      `Sealants ${serial} > Guns ${serial} > Battery ${serial}`,
    );
    expect(await categoriesOf(a)).toEqual(
      sorted([tree.sealants.id, tree.guns.id, tree.battery.id]),
    );
    expect(await categoriesOf(b)).toEqual(
      sorted([tree.tools.id, tree.trowels.id, tree.sealants.id, tree.guns.id]),
    );
    const children = await test.request(`/api/categories/${tree.guns.id}/children`);
    expect(children.json().data.map((item: { level: number }) => item.level)).toEqual([3, 3]);
  });

  it('moves a category nobody uses, and a move to the current parent changes nothing', async () => {
    const tree = await freshTree();
    await previewThenWrite(`/api/categories/${tree.manual.id}/move`, {
      parent_id: tree.silicone.id,
    });
    const before = await snapshot(test.db);
    const again = await test.request(
      post(`/api/categories/${tree.manual.id}/move`, { parent_id: tree.silicone.id }),
    );
    expect(again.statusCode).toBe(200);
    expect(again.json().data).toMatchObject({ products_affected: 0, change_set_id: null });
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('recounts the open branches of products that only hold a parent that lost its last child', async () => {
    const tree = await freshTree();
    const [parentOnly, other] = handles.slice(18, 20) as [string, string];
    await assign(parentOnly, [tree.guns.id]); // Guns has children, none assigned: one open branch
    await assign(other, [tree.manual.id]);
    const openBranches = async () =>
      (
        await queryRows<{ open: number }>(
          test.db,
          sql`select incomplete_branches::int as open from products join product_state using (id)
               where product_id = ${parentOnly}`,
        )
      )[0]!.open;
    expect(await openBranches()).toBe(1);
    await previewThenWrite(`/api/categories/${tree.manual.id}/move`, {
      parent_id: tree.silicone.id,
    });
    await previewThenWrite(`/api/categories/${tree.battery.id}/move`, {
      parent_id: tree.silicone.id,
    });
    // Guns has no child now: its product has no open branch (invariantViolations recounts it).
    expect(await invariantViolations(test.db)).toEqual([]);
    expect(await openBranches()).toBe(0);
  });

  it('refuses a name clash with 409 naming it (the dry run lists it), and changes nothing', async () => {
    const tree = await freshTree();
    await assign(handles[7]!, [tree.battery.id]);
    const twin = await createCategory(test, {
      name: `  battery   ${serial}`.toUpperCase(),
      parent_id: tree.silicone.id,
    });
    const before = await snapshot(test.db);
    const url = `/api/categories/${tree.battery.id}/move`;
    const preview = await test.request(post(url, { parent_id: tree.silicone.id, dry_run: true }));
    expect(preview.statusCode).toBe(200);
    expect(preview.json().data.clashes).toEqual([
      expect.objectContaining({ category_id: tree.battery.id, existing_id: twin.id }),
    ]);
    expect(preview.json().data.products_affected).toBe(1);
    const refused = await test.request(post(url, { parent_id: tree.silicone.id }));
    const body = expectErrorEnvelope(refused, 409, 'CONFLICT');
    expect(body.error).toContain(`"BATTERY ${serial}"`);
    expect(body.error).toContain(`"Battery ${serial}"`);
    expect(body.details).toMatchObject({
      reason: 'duplicate_sibling_name',
      existing_id: twin.id,
      parent_id: tree.silicone.id,
    });
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('refuses a fourth level, a level change, a level 1 move and bad ids with a clear 4xx, changing nothing', async () => {
    const tree = await freshTree();
    await assign(handles[8]!, [tree.battery.id, tree.neutral.id]);
    const cases: [number, unknown, number, string, RegExp][] = [
      [tree.guns.id, { parent_id: tree.trowels.id }, 422, 'parent_id', /fourth level/],
      [tree.battery.id, { parent_id: tree.neutral.id }, 422, 'parent_id', /fourth level/],
      [tree.battery.id, { parent_id: tree.sealants.id }, 422, 'parent_id', /levels never change/],
      [tree.tools.id, { parent_id: tree.sealants.id }, 422, 'parent_id', /level 1/],
      [tree.guns.id, { parent_id: tree.guns.id }, 422, 'parent_id', /under itself/],
      [tree.guns.id, { parent_id: tree.battery.id }, 422, 'parent_id', /own descendant/],
      [tree.battery.id, { parent_id: 2_000_000_000 }, 422, 'parent_id', /does not exist/],
      [2_000_000_000, { parent_id: tree.guns.id }, 404, '', /not found|2000000000/i],
      [tree.battery.id, { parent_id: 'x' }, 422, 'parent_id', /./],
      [tree.battery.id, {}, 422, 'parent_id', /./],
      [tree.battery.id, { parent_id: tree.guns.id, extra: 1 }, 422, '', /./],
    ];
    for (const [id, payload, status, field, message] of cases) {
      for (const dryRun of [false, true]) {
        const before = await snapshot(test.db);
        const body =
          typeof payload === 'object' && payload !== null && dryRun
            ? { ...payload, dry_run: true }
            : payload;
        const response = await test.request(post(`/api/categories/${id}/move`, body));
        const error = expectErrorEnvelope(
          response,
          status,
          status === 404 ? 'NOT_FOUND' : 'VALIDATION_ERROR',
          field || undefined,
        );
        expect(error.error, JSON.stringify(payload)).toMatch(message);
        expect(await snapshot(test.db)).toEqual(before);
      }
    }
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('honours If-Match: a stale ETag answers 412 and changes nothing; the current one moves', async () => {
    const tree = await freshTree();
    const read = await test.request(`/api/categories/${tree.battery.id}`);
    const etag = read.headers.etag as string;
    await assign(handles[9]!, [tree.battery.id]); // its product_count changes: the ETag is stale
    const before = await snapshot(test.db);
    const url = `/api/categories/${tree.battery.id}/move`;
    const stale = await test.request(
      post(url, { parent_id: tree.trowels.id }, { 'if-match': etag }),
    );
    expectErrorEnvelope(stale, 412, 'PRECONDITION_FAILED');
    expect(await snapshot(test.db)).toEqual(before);
    const fresh = await test.request(`/api/categories/${tree.battery.id}`);
    const moved = await test.request(
      post(url, { parent_id: tree.trowels.id }, { 'if-match': fresh.headers.etag as string }),
    );
    expect(moved.statusCode, moved.body).toBe(200);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('POST /api/categories/{id}/merge', () => {
  it('merges a level 2 into another: products get the target, children move, same-named children merge recursively, the source is deleted', async () => {
    const tree = await freshTree();
    // A duplicate of Guns under Sealants, with a same-named child and one of its own.
    const twinGuns = await createCategory(test, {
      name: `GUNS ${serial}`,
      parent_id: tree.sealants.id,
    });
    const twinBattery = await createCategory(test, {
      name: `battery ${serial}`,
      parent_id: twinGuns.id,
    });
    const cordless = await createCategory(test, {
      name: `Cordless ${serial}`,
      parent_id: twinGuns.id,
    });
    const [a, b, c, d] = handles.slice(10, 14) as [string, string, string, string];
    await assign(a, [twinBattery.id]);
    await assign(b, [twinGuns.id, tree.silicone.id]);
    await assign(c, [cordless.id, tree.battery.id]);
    await assign(d, [tree.trowels.id]);

    const result = await previewThenWrite(`/api/categories/${twinGuns.id}/merge`, {
      into_id: tree.guns.id,
    });
    expect(result.operation).toBe('merge');
    expect(result.products_affected).toBe(3);
    expect(sorted(result.categories_deleted)).toEqual(sorted([twinGuns.id, twinBattery.id]));
    expect(result.categories).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: twinBattery.id, merged_into_id: tree.battery.id }),
        expect.objectContaining({
          id: cordless.id,
          merged_into_id: null,
          to_path: `Tools ${serial} > Guns ${serial} > Cordless ${serial}`,
        }),
      ]),
    );
    expect(await categoriesOf(a)).toEqual(sorted([tree.tools.id, tree.guns.id, tree.battery.id]));
    expect(await categoriesOf(b)).toEqual(
      sorted([tree.sealants.id, tree.silicone.id, tree.tools.id, tree.guns.id]),
    );
    expect(await categoriesOf(c)).toEqual(
      sorted([tree.tools.id, tree.guns.id, tree.battery.id, cordless.id]),
    );
    expect(await categoriesOf(d)).toEqual(sorted([tree.tools.id, tree.trowels.id]));
    const gone = await test.request(`/api/categories/${twinGuns.id}`);
    expect(gone.statusCode).toBe(404);
    const changes = await test.request(`/api/changes?kind=category.merge&limit=1`);
    expect(changes.json().data[0]).toMatchObject({
      id: result.change_set_id,
      kind: 'category.merge',
    });
  });

  it('merges level 1 and level 3 categories', async () => {
    const tree = await freshTree();
    await assign(handles[14]!, [tree.manual.id]);
    await assign(handles[15]!, [tree.neutral.id]);
    const level3 = await previewThenWrite(`/api/categories/${tree.manual.id}/merge`, {
      into_id: tree.neutral.id,
    });
    expect(level3.ancestors_removed.map((item) => item.id)).toEqual([tree.guns.id, tree.tools.id]);
    expect(await categoriesOf(handles[14]!)).toEqual(
      sorted([tree.sealants.id, tree.silicone.id, tree.neutral.id]),
    );
    await assign(handles[16]!, [tree.trowels.id]);
    await previewThenWrite(`/api/categories/${tree.tools.id}/merge`, {
      into_id: tree.sealants.id,
    });
    expect(await categoriesOf(handles[16]!)).toEqual(sorted([tree.sealants.id, tree.trowels.id]));
  });

  it('merges two siblings: the shared parent stays on every product', async () => {
    const tree = await freshTree();
    const [a, b] = handles.slice(20, 22) as [string, string];
    await assign(a, [tree.trowels.id]);
    await assign(b, [tree.trowels.id, tree.manual.id]);
    const result = await previewThenWrite(`/api/categories/${tree.trowels.id}/merge`, {
      into_id: tree.guns.id,
    });
    expect(result.ancestors_added).toEqual([
      expect.objectContaining({ id: tree.guns.id, products: 1 }),
    ]);
    expect(result.ancestors_removed).toEqual([]);
    expect(await categoriesOf(a)).toEqual(sorted([tree.tools.id, tree.guns.id]));
    expect(await categoriesOf(b)).toEqual(sorted([tree.tools.id, tree.guns.id, tree.manual.id]));
  });

  it('refuses a merge into itself, into another level and bad ids, changing nothing', async () => {
    const tree = await freshTree();
    await assign(handles[17]!, [tree.battery.id]);
    const cases: [number, unknown, number, RegExp][] = [
      [tree.guns.id, { into_id: tree.guns.id }, 422, /into itself/],
      [tree.guns.id, { into_id: tree.battery.id }, 422, /same level/],
      [tree.guns.id, { into_id: tree.sealants.id }, 422, /same level/],
      [tree.guns.id, { into_id: 2_000_000_000 }, 422, /does not exist/],
      [2_000_000_000, { into_id: tree.guns.id }, 404, /./],
      [tree.guns.id, { into_id: null }, 422, /./],
    ];
    for (const [id, payload, status, message] of cases) {
      const before = await snapshot(test.db);
      const response = await test.request(post(`/api/categories/${id}/merge`, payload));
      const error = expectErrorEnvelope(
        response,
        status,
        status === 404 ? 'NOT_FOUND' : 'VALIDATION_ERROR',
      );
      expect(error.error).toMatch(message);
      expect(await snapshot(test.db)).toEqual(before);
    }
  });

  it('honours If-Match on the source', async () => {
    const tree = await freshTree();
    const read = await test.request(`/api/categories/${tree.trowels.id}`);
    await test.request({
      method: 'PATCH',
      url: `/api/categories/${tree.trowels.id}`,
      payload: { name: `Floats ${serial}` },
    });
    const before = await snapshot(test.db);
    const stale = await test.request(
      post(
        `/api/categories/${tree.trowels.id}/merge`,
        { into_id: tree.guns.id },
        { 'if-match': read.headers.etag as string },
      ),
    );
    expectErrorEnvelope(stale, 412, 'PRECONDITION_FAILED');
    expect(await snapshot(test.db)).toEqual(before);
  });
});
