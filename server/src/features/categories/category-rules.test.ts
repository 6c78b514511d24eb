/**
 * Category rules beyond creation: delete only when unused (409 with the blocking counts
 * otherwise), rename keeps the id and the assignments, sibling names unique case- and
 * space-insensitively, levels follow the parent, and the read endpoints of the tree.
 */
import type {
  Category,
  CategoryDetail,
  ChangeSet,
  ErrorEnvelope,
  LevelCounts,
  ProductDetail,
  TreeNode,
} from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import {
  createCategory,
  createProducts,
  createSampleTree,
} from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  snapshot,
  type TestApp,
} from '../../../test/helpers/test-app.js';

interface Ok<Data> {
  success: true;
  data: Data;
  request_id: string;
  timestamp: string;
}
interface ListBody<Item> extends Ok<Item[]> {
  metadata: { total_categories: number; level_counts: LevelCounts };
}

let test: TestApp;
let tree: Awaited<ReturnType<typeof createSampleTree>>;

async function assign(handle: string, categoryIds: number[]) {
  const response = await test.request({
    method: 'POST',
    url: `/api/products/${handle}/categories`,
    payload: { category_ids: categoryIds },
  });
  expect(response.statusCode).toBe(201);
}

async function removeAssignment(handle: string, categoryId: number) {
  const response = await test.request({
    method: 'DELETE',
    url: `/api/products/${handle}/categories/${categoryId}`,
  });
  expect(response.statusCode).toBe(200);
}

async function getCategory(id: number) {
  return test.request(`/api/categories/${id}`);
}

async function rename(id: number, name: string) {
  return test.request({ method: 'PATCH', url: `/api/categories/${id}`, payload: { name } });
}

async function remove(id: number) {
  return test.request({ method: 'DELETE', url: `/api/categories/${id}` });
}

async function storedCategoryCount(): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    test.db,
    sql`select count(*)::int as n from categories`,
  );
  return rows[0]!.n;
}

async function latestChange(): Promise<ChangeSet> {
  const response = await test.request('/api/changes?limit=1');
  expect(response.statusCode).toBe(200);
  return response.json<Ok<ChangeSet[]>>().data[0]!;
}

beforeAll(async () => {
  test = await createTestApp();
  tree = await createSampleTree(test);
  await createProducts(test, 6);
  await assign('p-001', [tree.manualGuns.id]);
  await assign('p-002', [tree.manualGuns.id, tree.trowels.id]);
  await assign('p-003', [tree.silicone.id]);
});
afterAll(async () => {
  await test.close();
});

describe('deleting a category', () => {
  it('refuses with 409 and the child_count while the category has children', async () => {
    const before = await snapshot(test.db);
    const response = await remove(tree.guns.id);
    expect(response.statusCode).toBe(409);
    const body = response.json<ErrorEnvelope>();
    expect(body.success).toBe(false);
    expect(body.code).toBe('CONFLICT');
    expect(body.details).toMatchObject({ child_count: 2, product_count: 2 });
    expect(body.error).toContain('Caulking Guns');
    expect(await snapshot(test.db)).toEqual(before);
    expect((await getCategory(tree.guns.id)).statusCode).toBe(200);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('refuses with 409 and the product_count while products use a leaf', async () => {
    const before = await snapshot(test.db);
    const response = await remove(tree.manualGuns.id);
    expect(response.statusCode).toBe(409);
    expect(response.json<ErrorEnvelope>().details).toMatchObject({
      child_count: 0,
      product_count: 2,
    });
    expect(await snapshot(test.db)).toEqual(before);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('refuses with 409 for a category without products that still has children', async () => {
    const root = await createCategory(test, { name: 'Empty Parent' });
    await createCategory(test, { name: 'Only Child', parent_id: root.id });
    const before = await snapshot(test.db);
    const response = await remove(root.id);
    expect(response.statusCode).toBe(409);
    expect(response.json<ErrorEnvelope>().details).toMatchObject({
      child_count: 1,
      product_count: 0,
    });
    expect(await snapshot(test.db)).toEqual(before);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('deletes an unused category with 204, after which it is gone and the change is recorded', async () => {
    const unused = await createCategory(test, { name: 'Unused Leaf', parent_id: tree.guns.id });
    const count = await storedCategoryCount();
    const response = await remove(unused.id);
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');

    expect(await storedCategoryCount()).toBe(count - 1);
    const gone = await getCategory(unused.id);
    expect(gone.statusCode).toBe(404);
    expect(gone.json<ErrorEnvelope>().details).toEqual({
      resource: 'category',
      identifier: unused.id,
    });
    const listed = await test.request('/api/categories');
    expect(
      listed.json<ListBody<Category>>().data.some((category) => category.id === unused.id),
    ).toBe(false);
    const children = await test.request(`/api/categories/${tree.guns.id}/children`);
    expect(
      children
        .json<ListBody<Category>>()
        .data.map((category) => category.id)
        .sort(),
    ).toEqual([tree.manualGuns.id, tree.batteryGuns.id].sort());

    const change = await latestChange();
    expect(change.kind).toBe('category.delete');
    expect(change.category_ids).toEqual([unused.id]);
    expect(change.before).toMatchObject({ id: unused.id, name: 'Unused Leaf' });
    expect(change.after).toBeNull();

    const again = await remove(unused.id);
    expect(again.statusCode).toBe(404);
    expect(again.json<ErrorEnvelope>().code).toBe('NOT_FOUND');
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('allows the delete once the last product is removed from the category', async () => {
    const leaf = await createCategory(test, { name: 'Temporary', parent_id: tree.trowels.id });
    await assign('p-004', [leaf.id]);
    const blocked = await remove(leaf.id);
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json<ErrorEnvelope>().details).toMatchObject({
      child_count: 0,
      product_count: 1,
    });

    await removeAssignment('p-004', leaf.id);
    const response = await remove(leaf.id);
    expect(response.statusCode).toBe(204);
    expect((await getCategory(leaf.id)).statusCode).toBe(404);
    // p-004 keeps the ancestors it got with the leaf.
    const product = await test.request('/api/products/p-004');
    expect(
      product.json<Ok<ProductDetail>>().data.categories.map((category) => category.id),
    ).toEqual([tree.tools.id, tree.trowels.id]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('renaming a category', () => {
  it('keeps the id and the assignments; products list the category under its new name', async () => {
    const productCount = (await getCategory(tree.guns.id)).json<Ok<CategoryDetail>>().data
      .product_count;
    const response = await rename(tree.guns.id, '  Sealant   Guns ');
    expect(response.statusCode).toBe(200);
    const category = response.json<Ok<Category>>().data;
    expect(category.id).toBe(tree.guns.id);
    expect(category.name).toBe('Sealant Guns');
    expect(category.path).toBe('Trade Tools > Sealant Guns');
    expect(category.product_count).toBe(productCount);
    expect(category.level).toBe(2);
    expect(category.parent_id).toBe(tree.tools.id);

    const stored = await queryRows<{ name: string }>(
      test.db,
      sql`select name from categories where id = ${tree.guns.id}`,
    );
    expect(stored).toEqual([{ name: 'Sealant Guns' }]);

    const product = (await test.request('/api/products/p-001')).json<Ok<ProductDetail>>().data;
    expect(product.categories.map((entry) => entry.id)).toEqual([
      tree.tools.id,
      tree.guns.id,
      tree.manualGuns.id,
    ]);
    expect(product.categories.map((entry) => entry.path)).toEqual([
      'Trade Tools',
      'Trade Tools > Sealant Guns',
      'Trade Tools > Sealant Guns > Manual Guns',
    ]);
    const listed = (await test.request('/api/products?search=p-002')).json<
      Ok<{ categories: { id: number; name: string }[] }[]>
    >();
    expect(listed.data[0]!.categories).toContainEqual({
      id: tree.guns.id,
      name: 'Sealant Guns',
      level: 2,
    });

    const child = (await getCategory(tree.manualGuns.id)).json<Ok<CategoryDetail>>().data;
    expect(child.path).toBe('Trade Tools > Sealant Guns > Manual Guns');
    expect(child.ancestors).toEqual([
      { id: tree.tools.id, name: 'Trade Tools', level: 1 },
      { id: tree.guns.id, name: 'Sealant Guns', level: 2 },
    ]);

    const change = await latestChange();
    expect(change.kind).toBe('category.rename');
    expect(change.category_ids).toEqual([tree.guns.id]);
    expect(change.before).toEqual({ name: 'Caulking Guns' });
    expect(change.after).toEqual({ name: 'Sealant Guns' });
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('refuses a sibling’s name in another case or spacing with 409', async () => {
    const before = await snapshot(test.db);
    for (const name of ['trowels', 'TROWELS', '  Trowels  ', 'tRoWeLs']) {
      const response = await rename(tree.guns.id, name);
      expect(response.statusCode, name).toBe(409);
      const body = response.json<ErrorEnvelope>();
      expect(body.code).toBe('CONFLICT');
      expect(body.details).toMatchObject({ existing_id: tree.trowels.id });
    }
    expect(await snapshot(test.db)).toEqual(before);
    // Multi-word names: spacing inside counts as one space.
    const spaced = await createCategory(test, { name: 'Hand Trowels', parent_id: tree.tools.id });
    const beforeSpaced = await snapshot(test.db);
    const response = await rename(tree.trowels.id, 'hand    TROWELS');
    expect(response.statusCode).toBe(409);
    expect(response.json<ErrorEnvelope>().details).toMatchObject({ existing_id: spaced.id });
    expect(await snapshot(test.db)).toEqual(beforeSpaced);
    expect((await getCategory(tree.trowels.id)).json<Ok<CategoryDetail>>().data.name).toBe(
      'Trowels',
    );
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('allows a name used elsewhere in the tree (names are unique only among siblings)', async () => {
    const response = await rename(tree.batteryGuns.id, 'Silicone');
    expect(response.statusCode).toBe(200);
    expect(response.json<Ok<Category>>().data.path).toBe('Trade Tools > Sealant Guns > Silicone');
    const back = await rename(tree.batteryGuns.id, 'Battery Guns');
    expect(back.statusCode).toBe(200);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('renames a category to its own name in another case with 200', async () => {
    const response = await rename(tree.trowels.id, 'TROWELS');
    expect(response.statusCode).toBe(200);
    const category = response.json<Ok<Category>>().data;
    expect(category.id).toBe(tree.trowels.id);
    expect(category.name).toBe('TROWELS');
    expect((await getCategory(tree.trowels.id)).json<Ok<CategoryDetail>>().data.name).toBe(
      'TROWELS',
    );
    const again = await rename(tree.trowels.id, ' Trowels ');
    expect(again.statusCode).toBe(200);
    expect(again.json<Ok<Category>>().data.name).toBe('Trowels');
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('rejects invalid names with 422 and an unknown id with 404, changing nothing', async () => {
    const before = await snapshot(test.db);
    for (const name of ['', '   ', 'tab\there', 'line\nbreak', 'x'.repeat(101)]) {
      const response = await rename(tree.trowels.id, name);
      expect(response.statusCode, JSON.stringify(name)).toBe(422);
      const body = response.json<ErrorEnvelope>();
      expect(body.code).toBe('VALIDATION_ERROR');
      expect(body.details.validation_errors).toEqual([expect.objectContaining({ field: 'name' })]);
    }
    const longest = 'y'.repeat(100);
    const unknown = await rename(987_654, 'Whatever');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<ErrorEnvelope>().details).toEqual({
      resource: 'category',
      identifier: 987_654,
    });
    expect(await snapshot(test.db)).toEqual(before);

    const ok = await rename(tree.batteryGuns.id, longest);
    expect(ok.statusCode).toBe(200);
    await rename(tree.batteryGuns.id, 'Battery Guns');
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('levels and parents on create', () => {
  it('refuses children of a level-3 category with 422', async () => {
    const before = await snapshot(test.db);
    for (const payload of [
      { name: 'Too Deep', parent_id: tree.manualGuns.id },
      { name: 'Too Deep', parent_id: tree.manualGuns.id, level: 4 },
      { name: 'Too Deep', parent_id: tree.neutralCure.id, level: 3 },
    ]) {
      const response = await test.request({ method: 'POST', url: '/api/categories', payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(422);
      expect(response.json<ErrorEnvelope>().code).toBe('VALIDATION_ERROR');
    }
    expect(await snapshot(test.db)).toEqual(before);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('refuses a level that does not follow from the parent with 422', async () => {
    const before = await snapshot(test.db);
    const cases: { payload: Record<string, unknown>; field: string }[] = [
      { payload: { name: 'Wrong', parent_id: tree.tools.id, level: 3 }, field: 'level' },
      { payload: { name: 'Wrong', parent_id: tree.tools.id, level: 1 }, field: 'level' },
      { payload: { name: 'Wrong', parent_id: tree.guns.id, level: 2 }, field: 'level' },
      { payload: { name: 'Wrong', level: 2 }, field: 'parent_id' },
      { payload: { name: 'Wrong', level: 3, parent_id: null }, field: 'parent_id' },
      { payload: { name: 'Wrong', parent_id: 987_654 }, field: 'parent_id' },
    ];
    for (const { payload, field } of cases) {
      const response = await test.request({ method: 'POST', url: '/api/categories', payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(422);
      expect(response.json<ErrorEnvelope>().details.field_errors).toEqual([
        expect.objectContaining({ field }),
      ]);
    }
    expect(await snapshot(test.db)).toEqual(before);

    const consistent = await test.request({
      method: 'POST',
      url: '/api/categories',
      payload: { name: '  Right   Level ', parent_id: tree.guns.id, level: 3 },
    });
    expect(consistent.statusCode).toBe(201);
    const created = consistent.json<Ok<Category>>().data;
    expect(created).toMatchObject({
      name: 'Right Level',
      level: 3,
      parent_id: tree.guns.id,
      has_children: false,
    });
    expect(created.path).toBe('Trade Tools > Sealant Guns > Right Level');
    const change = await latestChange();
    expect(change.kind).toBe('category.create');
    expect(change.after).toEqual({
      id: created.id,
      name: 'Right Level',
      level: 3,
      parent_id: tree.guns.id,
    });
    expect(await remove(created.id)).toMatchObject({ statusCode: 204 });
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('reading the tree', () => {
  it('GET /api/categories lists every category flat with path, has_children, product_count and level counts', async () => {
    const response = await test.request('/api/categories');
    expect(response.statusCode).toBe(200);
    const body = response.json<ListBody<Category>>();
    const rows = await queryRows<{ id: number; level: number }>(
      test.db,
      sql`select id, level from categories`,
    );
    expect(body.data.map((category) => category.id).sort((a, b) => a - b)).toEqual(
      rows.map((row) => row.id).sort((a, b) => a - b),
    );
    const levelCount = (level: number) => rows.filter((row) => row.level === level).length;
    expect(body.metadata).toEqual({
      total_categories: rows.length,
      level_counts: { level_1: levelCount(1), level_2: levelCount(2), level_3: levelCount(3) },
    });

    const byId = new Map(body.data.map((category) => [category.id, category]));
    expect(byId.get(tree.tools.id)).toMatchObject({
      path: 'Trade Tools',
      level: 1,
      parent_id: null,
      has_children: true,
      product_count: 3,
    });
    expect(byId.get(tree.guns.id)).toMatchObject({
      path: 'Trade Tools > Sealant Guns',
      has_children: true,
      child_count: 2,
      product_count: 2,
      path_ids: [tree.tools.id, tree.guns.id],
    });
    expect(byId.get(tree.manualGuns.id)).toMatchObject({
      has_children: false,
      child_count: 0,
      product_count: 2,
    });
    expect(byId.get(tree.batteryGuns.id)).toMatchObject({ has_children: false, product_count: 0 });
    expect(byId.get(tree.silicone.id)).toMatchObject({
      path: 'Sealants > Silicone',
      product_count: 1,
    });
    expect(byId.get(tree.neutralCure.id)).toMatchObject({
      path: 'Sealants > Silicone > Neutral Cure',
      product_count: 0,
    });
    for (const category of body.data) {
      expect(category.has_children).toBe(category.child_count > 0);
      expect(category.path.split(' > ')).toHaveLength(category.level);
    }
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('filters the flat list by level, parent_id and search', async () => {
    const level1 = (await test.request('/api/categories?level=1')).json<ListBody<Category>>();
    expect(level1.data.every((category) => category.level === 1)).toBe(true);
    expect(level1.data.map((category) => category.name).sort()).toEqual([
      'Empty Parent',
      'Sealants',
      'Trade Tools',
    ]);
    // The level counts describe the whole tree, whatever the filter.
    expect(level1.metadata.total_categories).toBeGreaterThan(level1.data.length);

    const children = (await test.request(`/api/categories?parent_id=${tree.tools.id}`)).json<
      ListBody<Category>
    >();
    expect(children.data.map((category) => category.name).sort()).toEqual([
      'Hand Trowels',
      'Sealant Guns',
      'Trowels',
    ]);

    const searched = (await test.request('/api/categories?search=%20GUNS%20')).json<
      ListBody<Category>
    >();
    expect(searched.data.map((category) => category.name).sort()).toEqual([
      'Battery Guns',
      'Manual Guns',
      'Sealant Guns',
    ]);
    const spaced = (await test.request('/api/categories?search=manual%20%20%20guns')).json<
      ListBody<Category>
    >();
    expect(spaced.data.map((category) => category.id)).toEqual([tree.manualGuns.id]);

    const combined = (
      await test.request(`/api/categories?level=3&search=guns&parent_id=${tree.guns.id}`)
    ).json<ListBody<Category>>();
    expect(combined.data.map((category) => category.id).sort()).toEqual(
      [tree.manualGuns.id, tree.batteryGuns.id].sort(),
    );
    expect(
      (await test.request('/api/categories?search=nothing-like-this')).json<ListBody<Category>>()
        .data,
    ).toEqual([]);

    for (const query of ['level=4', 'level=0', 'parent_id=abc', 'parent_id=0', 'unknown=1']) {
      const response = await test.request(`/api/categories?${query}`);
      expect(response.statusCode, query).toBe(422);
    }
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('GET /api/categories/tree returns the whole tree in one call', async () => {
    const response = await test.request('/api/categories/tree');
    expect(response.statusCode).toBe(200);
    const body = response.json<ListBody<TreeNode>>();
    const tools = body.data.find((node) => node.id === tree.tools.id)!;
    expect(tools).toMatchObject({
      name: 'Trade Tools',
      level: 1,
      parent_id: null,
      product_count: 3,
    });
    const guns = tools.children.find((node) => node.id === tree.guns.id)!;
    expect(guns).toMatchObject({
      name: 'Sealant Guns',
      level: 2,
      parent_id: tree.tools.id,
      product_count: 2,
    });
    expect(guns.children.map((node) => node.id).sort()).toEqual(
      [tree.manualGuns.id, tree.batteryGuns.id].sort(),
    );
    expect(guns.children.every((node) => node.children.length === 0 && node.level === 3)).toBe(
      true,
    );
    const sealants = body.data.find((node) => node.id === tree.sealants.id)!;
    expect(sealants.children.map((node) => node.name)).toEqual(['Silicone']);
    expect(sealants.children[0]!.children.map((node) => node.name)).toEqual(['Neutral Cure']);

    let nodes = 0;
    for (const level1 of body.data) {
      nodes += 1;
      for (const level2 of level1.children) nodes += 1 + level2.children.length;
    }
    expect(nodes).toBe(body.metadata.total_categories);
    expect(nodes).toBe(await storedCategoryCount());
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('GET /api/categories/level1 and /:id/children load the tree lazily; unknown ids are 404', async () => {
    const level1 = await test.request('/api/categories/level1');
    expect(level1.statusCode).toBe(200);
    const roots = level1.json<ListBody<Category>>().data;
    expect(roots.every((category) => category.level === 1 && category.parent_id === null)).toBe(
      true,
    );
    expect(roots.map((category) => category.name).sort()).toEqual([
      'Empty Parent',
      'Sealants',
      'Trade Tools',
    ]);

    const children = await test.request(`/api/categories/${tree.tools.id}/children`);
    expect(children.statusCode).toBe(200);
    const level2 = children.json<ListBody<Category>>().data;
    expect(
      level2.every((category) => category.parent_id === tree.tools.id && category.level === 2),
    ).toBe(true);
    expect(level2.find((category) => category.id === tree.guns.id)).toMatchObject({
      has_children: true,
      product_count: 2,
    });

    const leaf = await test.request(`/api/categories/${tree.manualGuns.id}/children`);
    expect(leaf.statusCode).toBe(200);
    expect(leaf.json<ListBody<Category>>().data).toEqual([]);

    const unknown = await test.request('/api/categories/987654/children');
    expect(unknown.statusCode).toBe(404);
    const body = unknown.json<ErrorEnvelope>();
    expect(body.code).toBe('NOT_FOUND');
    expect(body.details).toEqual({ resource: 'category', identifier: 987_654 });
    expect((await test.request('/api/categories/abc/children')).statusCode).toBe(422);
    expect((await test.request('/api/categories/987654')).statusCode).toBe(404);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('GET /api/categories/:id reports child_count, product_count and the ancestors', async () => {
    const response = await getCategory(tree.neutralCure.id);
    expect(response.statusCode).toBe(200);
    const category = response.json<Ok<CategoryDetail>>().data;
    expect(category).toMatchObject({
      id: tree.neutralCure.id,
      level: 3,
      parent_id: tree.silicone.id,
      child_count: 0,
      product_count: 0,
      path_ids: [tree.sealants.id, tree.silicone.id, tree.neutralCure.id],
    });
    expect(category.ancestors).toEqual([
      { id: tree.sealants.id, name: 'Sealants', level: 1 },
      { id: tree.silicone.id, name: 'Silicone', level: 2 },
    ]);
    const root = (await getCategory(tree.sealants.id)).json<Ok<CategoryDetail>>().data;
    expect(root).toMatchObject({ child_count: 1, product_count: 1, ancestors: [] });
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});
