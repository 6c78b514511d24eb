/**
 * Two app instances on one PostgreSQL database and one Redis, as two servers behind a load
 * balancer: after every kind of write on one, the next read on the other shows the change.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCategory,
  createProducts,
  createSampleTree,
  importProductsCsv,
  shopifyCsv,
} from '../../test/helpers/fixtures.js';
import { createTestApp, invariantViolations, type TestApp } from '../../test/helpers/test-app.js';

const REDIS = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  CACHE_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}`,
};

let writer: TestApp;
let reader: TestApp;
let tree: Awaited<ReturnType<typeof createSampleTree>>;

beforeAll(async () => {
  writer = await createTestApp(REDIS);
  reader = await writer.peer(REDIS);
  tree = await createSampleTree(writer);
  await createProducts(writer, 12);
});
afterAll(async () => {
  await reader?.close();
  await writer?.close();
  // Version keys never expire: remove this run's, so test runs do not pile up in Redis.
  const redis = new Redis(REDIS.REDIS_URL);
  const keys = await redis.keys(`${REDIS.CACHE_KEY_PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/**
 * Reads on the reader until the response is served from its cache (the same ETag twice). A
 * Redis command that outlasts its 1 s timeout on a loaded machine pauses the cache for 2 s
 * (redis-backend.ts), and answers meanwhile come from the database without an ETag: a few
 * rounds wait that out (CI once read the first page during such a pause).
 */
async function warm(url: string) {
  for (let round = 1; ; round += 1) {
    const first = await reader.request(url);
    expect(first.statusCode, first.body).toBe(200);
    const second = await reader.request(url);
    expect(second.statusCode, second.body).toBe(200);
    const etag = second.headers.etag;
    if ((etag !== undefined && etag === first.headers.etag) || round === 30) {
      expect(etag).toBeDefined();
      expect(etag).toBe(first.headers.etag);
      return second;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const data = (response: { json(): unknown }) => (response.json() as { data: never }).data;

describe('cross-instance invalidation through Redis', () => {
  it('serves repeated reads from the cache, and 304 for a known ETag', async () => {
    const warmed = await warm('/api/products?limit=5');
    const etag = warmed.headers.etag as string;
    expect(etag).toMatch(/^W\/"/);
    expect(warmed.headers['cache-control']).toBe('no-cache');
    const notModified = await reader.request({
      method: 'GET',
      url: '/api/products?limit=5',
      headers: { 'if-none-match': etag },
    });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe('');
    // If-None-Match compares weakly: the strong form of the tag, and *, match too.
    for (const known of [etag.slice(2), '*', `"other", ${etag}`]) {
      const again = await reader.request({
        method: 'GET',
        url: '/api/products?limit=5',
        headers: { 'if-none-match': known },
      });
      expect(again.statusCode, known).toBe(304);
    }
    const stale = await reader.request({
      method: 'GET',
      url: '/api/products?limit=5',
      headers: { 'if-none-match': 'W/"stale"' },
    });
    expect(stale.statusCode).toBe(200);
    const counters = reader.app.cache.counters.get('product-list')!;
    expect(counters.hits).toBeGreaterThan(0);
  });

  it('a hit is stamped with its own request id and time, not those of the request that filled it', async () => {
    await warm('/api/products?limit=7');
    const hit = await reader.request({
      method: 'GET',
      url: '/api/products?limit=7',
      headers: { 'x-request-id': 'hit-stamp-check' },
    });
    expect(hit.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = hit.json() as { request_id: string; timestamp: string; data: unknown[] };
    expect(body.request_id).toBe('hit-stamp-check');
    expect(Date.now() - Date.parse(body.timestamp)).toBeLessThan(60_000);
    expect(body.data).toHaveLength(7);
    expect(hit.body).not.toMatch(/"(rid|ts)-[0-9a-f-]{36}"/);
  });

  it('assign and remove on one instance show on the other', async () => {
    await warm('/api/products/p-001');
    await warm('/api/products?limit=50');
    await warm('/api/categories/tree');
    await warm('/api/stats');

    const assigned = await writer.request({
      method: 'POST',
      url: '/api/products/p-001/categories',
      payload: { category_ids: [tree.manualGuns.id] },
    });
    expect(assigned.statusCode).toBe(201);
    const detail = data(await reader.request('/api/products/p-001')) as { category_count: number };
    expect(detail.category_count).toBe(3);
    const list = data(await reader.request('/api/products?limit=50')) as {
      product_id: string;
      has_allocations: boolean;
    }[];
    expect(list.find((product) => product.product_id === 'p-001')?.has_allocations).toBe(true);
    const stats = data(await reader.request('/api/stats')) as { categorized_products: number };
    expect(stats.categorized_products).toBe(1);
    const roots = data(await reader.request('/api/categories/tree')) as {
      id: number;
      product_count: number;
    }[];
    expect(roots.find((root) => root.id === tree.tools.id)?.product_count).toBe(1);

    await warm('/api/products/p-001/categories');
    const removed = await writer.request({
      method: 'DELETE',
      url: `/api/products/p-001/categories/${tree.guns.id}`,
    });
    expect(removed.statusCode).toBe(200);
    const categories = data(await reader.request('/api/products/p-001/categories')) as {
      id: number;
    }[];
    expect(categories.map((category) => category.id)).toEqual([tree.tools.id]);
  });

  it('an assignment re-reads only the rows it changed: other pages and rows stay cached', async () => {
    const counters = () => ({
      pages: { ...reader.app.cache.counters.get('product-list')! },
      rows: { ...reader.app.cache.counters.get('product-row')! },
    });
    const first = await warm('/api/products?limit=3'); // p-001 … p-003
    await warm('/api/products?limit=3&hide_allocated=true');

    // A product that is not on the page: the page and its rows are still current (304).
    const elsewhere = await writer.request({
      method: 'POST',
      url: '/api/products/p-011/categories',
      payload: { category_ids: [tree.tools.id] },
    });
    expect(elsewhere.statusCode).toBe(201);
    const unchanged = await reader.request({
      method: 'GET',
      url: '/api/products?limit=3',
      headers: { 'if-none-match': first.headers.etag as string },
    });
    expect(unchanged.statusCode).toBe(304);

    // A product on the page: only its row is read again; the page itself is still cached.
    const before = counters();
    const onPage = await writer.request({
      method: 'POST',
      url: '/api/products/p-002/categories',
      payload: { category_ids: [tree.tools.id] },
    });
    expect(onPage.statusCode).toBe(201);
    const changed = await reader.request('/api/products?limit=3');
    expect(changed.headers.etag).not.toBe(first.headers.etag);
    const rows = data(changed) as { product_id: string; has_allocations: boolean }[];
    expect(rows.find((row) => row.product_id === 'p-002')?.has_allocations).toBe(true);
    const after = counters();
    expect(after.pages.hits - before.pages.hits).toBe(1);
    expect(after.pages.misses - before.pages.misses).toBe(0);
    expect(after.rows.misses - before.rows.misses).toBe(1);
    expect(after.rows.hits - before.rows.hits).toBe(2);

    // "Uncategorised" depends on every assignment: its membership is read again.
    const uncategorised = data(
      await reader.request('/api/products?limit=3&hide_allocated=true'),
    ) as { product_id: string }[];
    expect(uncategorised.map((row) => row.product_id)).not.toContain('p-002');

    // Undo, so that the following tests start from the same catalog.
    for (const handle of ['p-011', 'p-002']) {
      const undone = await writer.request({
        method: 'DELETE',
        url: `/api/products/${handle}/categories/${tree.tools.id}`,
      });
      expect(undone.statusCode).toBe(200);
    }
  });

  it('category lists and the tree stay cached across assignments: only their counts are read again', async () => {
    const lookups = () =>
      ['category-tree', 'category-children', 'categories'].map((name) => ({
        ...(reader.app.cache.counters.get(name) ?? { hits: 0, misses: 0 }),
      }));
    const urls = [
      '/api/categories/tree',
      '/api/categories/level1',
      `/api/categories/${tree.tools.id}/children`,
      '/api/categories?level=1',
    ];
    const warmed = [];
    for (const url of urls) warmed.push(await warm(url));
    const countOf = (response: { json(): unknown }, id: number): number | undefined => {
      interface Node {
        id: number;
        product_count: number;
        children?: Node[];
      }
      const find = (nodes: Node[]): number | undefined => {
        for (const node of nodes) {
          if (node.id === id) return node.product_count;
          const below = node.children ? find(node.children) : undefined;
          if (below !== undefined) return below;
        }
        return undefined;
      };
      return find(data(response));
    };
    const before = lookups();
    const assigned = await writer.request({
      method: 'POST',
      url: '/api/products/p-012/categories',
      payload: { category_ids: [tree.manualGuns.id] },
    });
    expect(assigned.statusCode).toBe(201);
    for (const [at, url] of urls.entries()) {
      const stale = await reader.request({
        method: 'GET',
        url,
        headers: { 'if-none-match': warmed[at]!.headers.etag as string },
      });
      // The counts changed, so the old ETag no longer matches; the structure was a cache hit.
      expect(stale.statusCode, url).toBe(200);
      expect(stale.headers.etag, url).not.toBe(warmed[at]!.headers.etag);
      const id = url.includes('children') ? tree.guns.id : tree.tools.id;
      expect(countOf(stale, id), url).toBe((countOf(warmed[at]!, id) ?? 0) + 1);
      const again = await reader.request({
        method: 'GET',
        url,
        headers: { 'if-none-match': stale.headers.etag as string },
      });
      expect(again.statusCode, url).toBe(304);
    }
    const after = lookups();
    after.forEach((counts, at) => {
      expect(counts.misses - before[at]!.misses).toBe(0);
      expect(counts.hits - before[at]!.hits).toBeGreaterThan(0);
    });
    const undone = await writer.request({
      method: 'DELETE',
      url: `/api/products/p-012/categories/${tree.tools.id}`,
    });
    expect(undone.statusCode).toBe(200);
    const restored = await reader.request('/api/categories/tree');
    expect(countOf(restored, tree.tools.id)).toBe(countOf(warmed[0]!, tree.tools.id));
  });

  it('a repeated read of an unchanged page looks up no value: the assembled answer is served again, counted as hits', async () => {
    const url = '/api/products?limit=4';
    const warmed = await warm(url);
    const backend = reader.app.cache.backend;
    const lookups = { many: 0, one: 0 };
    const getValues = backend.getValues.bind(backend);
    const getValue = backend.getValue.bind(backend);
    backend.getValues = (keys) => ((lookups.many += 1), getValues(keys));
    backend.getValue = (key) => ((lookups.one += 1), getValue(key));
    try {
      const pagesBefore = { ...reader.app.cache.counters.get('product-list')! };
      const rowsBefore = { ...reader.app.cache.counters.get('product-row')! };
      const again = await reader.request({
        method: 'GET',
        url,
        headers: { 'x-request-id': 'kept-answer' },
      });
      expect(again.statusCode).toBe(200);
      expect(lookups).toEqual({ many: 0, one: 0 });
      expect(again.headers.etag).toBe(warmed.headers.etag);
      expect(again.headers['content-type']).toBe('application/json; charset=utf-8');
      const body = again.json() as { request_id: string; timestamp: string };
      const warmedBody = warmed.json() as { request_id: string; timestamp: string };
      expect(body.request_id).toBe('kept-answer');
      expect({ ...body, request_id: '', timestamp: '' }).toEqual({
        ...warmedBody,
        request_id: '',
        timestamp: '',
      });
      // The metrics still see the page and its rows as hits.
      expect(reader.app.cache.counters.get('product-list')!.hits - pagesBefore.hits).toBe(1);
      expect(reader.app.cache.counters.get('product-row')!.hits - rowsBefore.hits).toBe(4);
      const notModified = await reader.request({
        method: 'GET',
        url,
        headers: { 'if-none-match': warmed.headers.etag as string },
      });
      expect(notModified.statusCode).toBe(304);
      expect(lookups).toEqual({ many: 0, one: 0 });

      // A write on the other instance: the next read is assembled again, with the change.
      const assigned = await writer.request({
        method: 'POST',
        url: '/api/products/p-003/categories',
        payload: { category_ids: [tree.tools.id] },
      });
      expect(assigned.statusCode).toBe(201);
      const changed = await reader.request(url);
      expect(changed.headers.etag).not.toBe(warmed.headers.etag);
      const rows = data(changed) as { product_id: string; has_allocations: boolean }[];
      expect(rows.find((row) => row.product_id === 'p-003')?.has_allocations).toBe(true);
      expect(lookups.many).toBeGreaterThan(0);
    } finally {
      backend.getValues = getValues;
      backend.getValue = getValue;
    }
    const undone = await writer.request({
      method: 'DELETE',
      url: `/api/products/p-003/categories/${tree.tools.id}`,
    });
    expect(undone.statusCode).toBe(200);
  });

  it('bulk assign and bulk remove show on the other instance', async () => {
    await warm('/api/products/p-002');
    await warm(`/api/products?limit=50&category_id=${tree.trowels.id}`);
    const bulk = await writer.request({
      method: 'POST',
      url: '/api/bulk/assign',
      payload: { product_ids: ['p-002', 'p-003'], category_ids: [tree.trowels.id] },
    });
    expect(bulk.statusCode).toBe(200);
    expect(
      (data(await reader.request('/api/products/p-002')) as { category_count: number })
        .category_count,
    ).toBe(2);
    const filtered = await reader.request(`/api/products?limit=50&category_id=${tree.trowels.id}`);
    expect(
      (filtered.json() as { metadata: { filtered_products: number } }).metadata.filtered_products,
    ).toBe(2);

    const bulkRemove = await writer.request({
      method: 'POST',
      url: '/api/bulk/remove',
      payload: { product_ids: ['p-002'], category_ids: [tree.tools.id] },
    });
    expect(bulkRemove.statusCode).toBe(200);
    expect(
      (data(await reader.request('/api/products/p-002')) as { category_count: number })
        .category_count,
    ).toBe(0);
  });

  it('category create, rename and delete show on the other instance', async () => {
    await warm('/api/categories/level1');
    await warm('/api/products/p-003');
    const created = await createCategory(writer, { name: 'Brand New Root' });
    const roots = data(await reader.request('/api/categories/level1')) as { name: string }[];
    expect(roots.map((root) => root.name)).toContain('Brand New Root');

    await warm(`/api/categories/${tree.trowels.id}`);
    const renamed = await writer.request({
      method: 'PATCH',
      url: `/api/categories/${tree.trowels.id}`,
      payload: { name: 'Trowels & Floats' },
    });
    expect(renamed.statusCode).toBe(200);
    expect(
      (data(await reader.request(`/api/categories/${tree.trowels.id}`)) as { name: string }).name,
    ).toBe('Trowels & Floats');
    const product = data(await reader.request('/api/products/p-003')) as {
      categories: { name: string }[];
    };
    expect(product.categories.map((category) => category.name)).toContain('Trowels & Floats');

    await warm(`/api/categories/${created.id}`);
    const deleted = await writer.request({
      method: 'DELETE',
      url: `/api/categories/${created.id}`,
    });
    expect(deleted.statusCode).toBe(204);
    expect((await reader.request(`/api/categories/${created.id}`)).statusCode).toBe(404);
  });

  it('product and category imports show on the other instance', async () => {
    await warm('/api/products/p-004');
    await warm('/api/products?limit=5&search=Renamed');
    const csv = shopifyCsv([{ handle: 'p-004', title: 'Renamed By Import', sku: 'SKU-004' }]);
    const imported = await importProductsCsv(writer, csv);
    expect((imported.json() as { data: { updated: number } }).data.updated).toBe(1);
    expect(
      (data(await reader.request('/api/products/p-004')) as { product_name: string }).product_name,
    ).toBe('Renamed By Import');
    expect(data(await reader.request('/api/products?limit=5&search=Renamed'))).toHaveLength(1);

    await warm('/api/categories');
    const categoriesImport = await writer.request({
      method: 'POST',
      url: '/api/import/categories',
      payload: [
        { category_name: 'Imported Root', category_level: 'Level 1 Category', connected_to: null },
      ],
    });
    expect(categoriesImport.statusCode).toBe(200);
    const all = data(await reader.request('/api/categories')) as { name: string }[];
    expect(all.map((category) => category.name)).toContain('Imported Root');
    expect(await invariantViolations(writer.db)).toEqual([]);
  });

  it('keeps answering from the database when Redis cannot be reached', async () => {
    const offline = await writer.peer({
      REDIS_URL: 'redis://127.0.0.1:6399',
      CACHE_KEY_PREFIX: 'offline',
    });
    try {
      const first = await offline.request('/api/products?limit=5');
      expect(first.statusCode).toBe(200);
      expect(first.headers.etag).toBeUndefined();
      const assigned = await offline.request({
        method: 'POST',
        url: '/api/products/p-005/categories',
        payload: { category_ids: [tree.silicone.id] },
      });
      expect(assigned.statusCode).toBe(201);
      expect(
        (data(await offline.request('/api/products/p-005')) as { category_count: number })
          .category_count,
      ).toBe(2);
    } finally {
      await offline.close();
    }
  });
});
