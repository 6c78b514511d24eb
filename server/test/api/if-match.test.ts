/**
 * If-Match on writes to one product or one category (issue 13, safe concurrent edits): stale →
 * 412 and nothing changes; fresh, `*` and lists → the write; missing → as before; malformed →
 * 400. The check runs inside the write's transaction after the row lock, so two writes based
 * on the same read cannot both pass.
 */
import type { CategoryDetail, ErrorEnvelope, ProductDetail } from '@tag-manager/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducts, createSampleTree } from '../helpers/fixtures.js';
import { createTestApp, snapshot, type TestApp } from '../helpers/test-app.js';
import { ifMatchHolds, parseIfMatch, strongEtag } from '../../src/http/preconditions.js';

let test: TestApp;
let tree: Awaited<ReturnType<typeof createSampleTree>>;

beforeAll(async () => {
  test = await createTestApp();
  tree = await createSampleTree(test);
  await createProducts(test, 12);
});
afterAll(async () => {
  await test.close();
});

async function readProduct(handle: string) {
  const response = await test.request(`/api/products/${handle}`);
  expect(response.statusCode).toBe(200);
  const etag = response.headers.etag as string;
  return { etag, data: (JSON.parse(response.body) as { data: ProductDetail }).data };
}

async function readCategory(id: number) {
  const response = await test.request(`/api/categories/${id}`);
  expect(response.statusCode).toBe(200);
  const etag = response.headers.etag as string;
  return { etag, data: (JSON.parse(response.body) as { data: CategoryDetail }).data };
}

const assign = (handle: string, ids: number[], ifMatch?: string) =>
  test.request({
    method: 'POST',
    url: `/api/products/${handle}/categories`,
    headers: ifMatch === undefined ? {} : { 'if-match': ifMatch },
    payload: { category_ids: ids },
  });

const remove = (handle: string, id: number, ifMatch?: string) =>
  test.request({
    method: 'DELETE',
    url: `/api/products/${handle}/categories/${id}`,
    headers: ifMatch === undefined ? {} : { 'if-match': ifMatch },
  });

const rename = (id: number, name: string, ifMatch?: string) =>
  test.request({
    method: 'PATCH',
    url: `/api/categories/${id}`,
    headers: ifMatch === undefined ? {} : { 'if-match': ifMatch },
    payload: { name },
  });

const errorOf = (body: string) => JSON.parse(body) as ErrorEnvelope;

describe('parsing and comparing If-Match (RFC 9110 §13.1.1)', () => {
  it('reads `*`, one tag, lists, weak tags and empty list elements', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch(' * ')).toEqual({ any: true });
    expect(parseIfMatch('"a", W/"b" ,, "c"')).toEqual({
      any: false,
      tags: [
        { weak: false, tag: '"a"' },
        { weak: true, tag: '"b"' },
        { weak: false, tag: '"c"' },
      ],
    });
  });

  it('compares strongly: a weak tag never matches, quotes are part of the tag', () => {
    expect(ifMatchHolds(parseIfMatch('"x"')!, '"x"')).toBe(true);
    expect(ifMatchHolds(parseIfMatch('W/"x"')!, '"x"')).toBe(false);
    expect(ifMatchHolds(parseIfMatch('"y", "x"')!, '"x"')).toBe(true);
    expect(ifMatchHolds(parseIfMatch('"y"')!, '"x"')).toBe(false);
    expect(ifMatchHolds(parseIfMatch('*')!, '"x"')).toBe(true);
  });

  it.each([
    '',
    '   ',
    'abc',
    '"unterminated',
    '"a" "b"',
    '*, "a"',
    'W/abc',
    '"a"b',
    ',',
    '"a\\"b"',
  ])('refuses %j as malformed (400)', (header) => {
    expect(() => parseIfMatch(header)).toThrow(/If-Match is malformed/);
  });

  it('gives equal data the same tag whatever the key order, and different data another', () => {
    expect(strongEtag({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(
      strongEtag({ b: [1, { d: 3, c: 2 }], a: 1 }),
    );
    expect(strongEtag({ a: 1 })).not.toBe(strongEtag({ a: 2 }));
    expect(strongEtag({ a: 1 })).toMatch(/^"[A-Za-z0-9_-]+"$/);
  });
});

describe('a product: GET gives a strong ETag, assignment writes honour If-Match', () => {
  it('the ETag is strong, stable, and changes when the categories change', async () => {
    const first = await readProduct('p-001');
    expect(first.etag).toMatch(/^"[^"]+"$/);
    expect((await readProduct('p-001')).etag).toBe(first.etag);
    const revalidated = await test.request({
      method: 'GET',
      url: '/api/products/p-001',
      headers: { 'if-none-match': first.etag },
    });
    expect(revalidated.statusCode).toBe(304);
    expect((await assign('p-001', [tree.trowels.id])).statusCode).toBe(201);
    expect((await readProduct('p-001')).etag).not.toBe(first.etag);
  });

  it('a stale If-Match gets 412 with the current ETag and categories, and nothing changes', async () => {
    const read = await readProduct('p-002');
    expect((await assign('p-002', [tree.trowels.id], read.etag)).statusCode).toBe(201);
    const now = await readProduct('p-002');
    const before = await snapshot(test.db);

    const staleAssign = await assign('p-002', [tree.neutralCure.id], read.etag);
    expect(staleAssign.statusCode).toBe(412);
    const error = errorOf(staleAssign.body);
    expect(error.code).toBe('PRECONDITION_FAILED');
    expect(error.details).toMatchObject({
      resource: 'product',
      identifier: 'p-002',
      etag: now.etag,
    });
    expect((error.details as { current: ProductDetail }).current.categories).toEqual(
      now.data.categories,
    );
    const staleRemove = await remove('p-002', tree.trowels.id, read.etag);
    expect(staleRemove.statusCode).toBe(412);
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('a fresh If-Match, `*`, or a list containing the current tag writes (200/201)', async () => {
    const read = await readProduct('p-003');
    const assigned = await assign('p-003', [tree.neutralCure.id], read.etag);
    expect(assigned.statusCode).toBe(201);
    const after = await readProduct('p-003');
    expect(after.data.categories.map((category) => category.id)).toContain(tree.neutralCure.id);

    const removed = await remove('p-003', tree.neutralCure.id, `"stale", W/"x", ${after.etag}`);
    expect(removed.statusCode).toBe(200);
    expect((await assign('p-003', [tree.trowels.id], '*')).statusCode).toBe(201);
  });

  it('a write returns the ETag its GET then answers, and the next write can be based on it', async () => {
    const read = await readProduct('p-008');
    const assigned = await assign('p-008', [tree.trowels.id], read.etag);
    expect(assigned.statusCode).toBe(201);
    const assignedEtag = (JSON.parse(assigned.body) as { data: { product_etag: string } }).data
      .product_etag;
    expect(assignedEtag).not.toBe(read.etag);
    expect((await readProduct('p-008')).etag).toBe(assignedEtag);

    const removed = await remove('p-008', tree.trowels.id, assignedEtag);
    expect(removed.statusCode).toBe(200);
    const removedEtag = (JSON.parse(removed.body) as { data: { product_etag: string } }).data
      .product_etag;
    expect((await readProduct('p-008')).etag).toBe(removedEtag);
    // Assigning what is already there changes nothing: the ETag stays as it was.
    const again = await assign('p-008', [tree.neutralCure.id], removedEtag);
    const againEtag = (JSON.parse(again.body) as { data: { product_etag: string } }).data
      .product_etag;
    const repeat = await assign('p-008', [tree.neutralCure.id], againEtag);
    expect(repeat.statusCode).toBe(201);
    expect((JSON.parse(repeat.body) as { data: { product_etag: string } }).data.product_etag).toBe(
      againEtag,
    );
    expect((await readProduct('p-008')).etag).toBe(againEtag);
  });

  it('a weak form of the current tag does not match (strong comparison)', async () => {
    const read = await readProduct('p-004');
    const before = await snapshot(test.db);
    const response = await assign('p-004', [tree.trowels.id], `W/${read.etag}`);
    expect(response.statusCode).toBe(412);
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('without If-Match the write behaves as before', async () => {
    await readProduct('p-005');
    expect((await assign('p-005', [tree.trowels.id])).statusCode).toBe(201);
    expect((await remove('p-005', tree.trowels.id)).statusCode).toBe(200);
  });

  it.each(['garbage', '', '"a" "b"'])(
    'a malformed If-Match (%j) gets 400 BAD_REQUEST and nothing changes',
    async (header) => {
      const before = await snapshot(test.db);
      const response = await assign('p-006', [tree.trowels.id], header);
      expect(response.statusCode).toBe(400);
      expect(errorOf(response.body).code).toBe('BAD_REQUEST');
      expect(errorOf(response.body).details).toMatchObject({ header: 'If-Match' });
      expect(await snapshot(test.db)).toEqual(before);
    },
  );

  it('an unknown product is 404 even with If-Match (`*` or a tag)', async () => {
    expect((await assign('no-such', [tree.trowels.id], '*')).statusCode).toBe(404);
    expect((await assign('no-such', [tree.trowels.id], '"x"')).statusCode).toBe(404);
  });

  it('two writes based on the same read: exactly one wins, the other gets 412', async () => {
    const read = await readProduct('p-007');
    const results = await Promise.all([
      assign('p-007', [tree.trowels.id], read.etag),
      assign('p-007', [tree.neutralCure.id], read.etag),
    ]);
    expect(results.map((response) => response.statusCode).sort()).toEqual([201, 412]);
    const final = await readProduct('p-007');
    const winner = results[0]!.statusCode === 201 ? tree.trowels.id : tree.neutralCure.id;
    const loser = winner === tree.trowels.id ? tree.neutralCure.id : tree.trowels.id;
    const assigned = final.data.categories.map((category) => category.id);
    expect(assigned).toContain(winner);
    expect(assigned).not.toContain(loser);
  });
});

describe('a category: GET gives a strong ETag, rename and delete honour If-Match', () => {
  it('a stale rename gets 412 with the current name, and nothing changes', async () => {
    const read = await readCategory(tree.batteryGuns.id);
    expect((await rename(tree.batteryGuns.id, 'Cordless Guns', read.etag)).statusCode).toBe(200);
    const before = await snapshot(test.db);
    const stale = await rename(tree.batteryGuns.id, 'Electric Guns', read.etag);
    expect(stale.statusCode).toBe(412);
    const error = errorOf(stale.body);
    expect(error.code).toBe('PRECONDITION_FAILED');
    expect((error.details as { current: CategoryDetail }).current.name).toBe('Cordless Guns');
    expect((error.details as { etag: string }).etag).toBe(
      (await readCategory(tree.batteryGuns.id)).etag,
    );
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('a fresh rename and `*` write; a missing If-Match behaves as before', async () => {
    const read = await readCategory(tree.manualGuns.id);
    expect((await rename(tree.manualGuns.id, 'Hand Guns', read.etag)).statusCode).toBe(200);
    expect((await rename(tree.manualGuns.id, 'Manual Guns', '*')).statusCode).toBe(200);
    expect((await rename(tree.manualGuns.id, 'Hand Guns')).statusCode).toBe(200);
  });

  it('renaming a parent changes its children’s ETags (their paths changed)', async () => {
    const child = await readCategory(tree.silicone.id);
    expect((await rename(tree.sealants.id, 'Sealants & Adhesives')).statusCode).toBe(200);
    expect((await readCategory(tree.silicone.id)).etag).not.toBe(child.etag);
  });

  it('delete: stale → 412 and the category stays; fresh → 204; garbage → 400', async () => {
    const created = await test.request({
      method: 'POST',
      url: '/api/categories',
      payload: { name: 'Scratch' },
    });
    const id = (JSON.parse(created.body) as { data: { id: number } }).data.id;
    const read = await readCategory(id);
    expect((await rename(id, 'Scratch Two')).statusCode).toBe(200);
    const before = await snapshot(test.db);
    const stale = await test.request({
      method: 'DELETE',
      url: `/api/categories/${id}`,
      headers: { 'if-match': read.etag },
    });
    expect(stale.statusCode).toBe(412);
    const garbage = await test.request({
      method: 'DELETE',
      url: `/api/categories/${id}`,
      headers: { 'if-match': 'not-a-tag' },
    });
    expect(garbage.statusCode).toBe(400);
    expect(await snapshot(test.db)).toEqual(before);
    const fresh = await test.request({
      method: 'DELETE',
      url: `/api/categories/${id}`,
      headers: { 'if-match': (await readCategory(id)).etag },
    });
    expect(fresh.statusCode).toBe(204);
  });
});
