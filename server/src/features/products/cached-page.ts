/**
 * The product list, cached in two layers so that a write costs only what it changed:
 *
 * - the page: which products, in which order, with the totals and the cursor — keyed by the
 *   query and the namespaces its membership depends on (productPageDependencies, from the
 *   filter table);
 * - the rows: each product's list row, keyed by that product's own versions.
 *
 * Assigning a category to one product then re-reads that one row; every other cached page and
 * row stays valid (unless the page's membership depends on assignments: "uncategorized", a
 * category filter, the last-modified order). A response is the cached page with its cached rows
 * spliced in as JSON text; its ETag comes from the page key and every row key, so a 304 needs
 * two version reads and no database.
 */
import { createHash } from 'node:crypto';
import type {
  Pagination,
  Product,
  ProductListMetadata,
  ProductListQuery,
} from '@tag-manager/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { CachedRead } from '../../cache/cache.js';
import { Namespaces, ReadDependencies } from '../../cache/namespaces.js';
import { etagMatches, sendJsonText } from '../../http/cached.js';
import { pagedEnvelope, pagedEnvelopeText } from '../../http/envelope.js';
import { productPageDependencies } from './filters.js';
import type { ProductPage, ProductService } from './products.service.js';

/** What the page layer stores. */
interface CachedPage {
  handles: string[];
  metadata: ProductListMetadata;
  pagination: Pagination;
}

/** Everything a row depends on, as a whole: unchanged means no row was rewritten meanwhile. */
const ANY_ROW: CachedRead = {
  cache: 'product-rows-any',
  dependsOn: [Namespaces.assignments, Namespaces.products, Namespaces.taxonomy],
  params: null,
};

/** Per query, the handles its page held last time (a hint; a bounded map, oldest out first). */
const lastHandles = new LRUCache<string, string[]>({ max: 5000 });

const sameHandles = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((handle, at) => handle === b[at]);

const rowRead = (handle: string): CachedRead => ({
  cache: 'product-row',
  dependsOn: ReadDependencies.productDetail(handle),
  params: handle,
});

export async function cachedProductPage(
  request: FastifyRequest,
  reply: FastifyReply,
  products: ProductService,
  query: ProductListQuery,
): Promise<FastifyReply> {
  const cache = request.server.cache;
  const pageRead: CachedRead = {
    cache: 'product-list',
    dependsOn: productPageDependencies(query),
    params: query,
  };
  // The handles this page had last time: their row versions are read in the same round trip
  // as the page's, which saves the second one whenever the page has not changed.
  const hintKey = JSON.stringify(query);
  const hinted = lastHandles.get(hintKey) ?? [];
  const firstKeys = await cache.keysOf([pageRead, ANY_ROW, ...hinted.map(rowRead)]);
  const [pageKey, anyRowBefore] = firstKeys ?? [];
  if (pageKey === undefined) {
    const page = await products.list(query);
    return reply.send(pagedEnvelope(request, page.products, page.metadata, page.pagination));
  }

  let computed: ProductPage | undefined;
  let [pageText] = await cache.readMany([pageRead], [pageKey]);
  if (pageText === undefined) {
    computed = await products.list(query);
    pageText = JSON.stringify({
      handles: computed.products.map((product) => product.product_id),
      metadata: computed.metadata,
      pagination: computed.pagination,
    } satisfies CachedPage);
    await cache.store(pageKey, pageText);
  }
  const page = JSON.parse(pageText) as CachedPage;
  const reads = page.handles.map(rowRead);
  let keys: string[] | undefined;
  if (!computed && sameHandles(hinted, page.handles)) {
    keys = [...firstKeys!.slice(2), anyRowBefore!];
  } else {
    keys = await cache.keysOf([...reads, ANY_ROW]);
    lastHandles.set(hintKey, page.handles);
  }
  const rowKeys = keys?.slice(0, reads.length);
  if (rowKeys) {
    const etag = `W/"${createHash('sha1')
      .update(`${pageKey}|${rowKeys.join('|')}`)
      .digest('base64url')}"`;
    reply.header('ETag', etag).header('Cache-Control', 'no-cache');
    if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
  }

  let rows: string[];
  if (computed) {
    rows = computed.products.map((product) => JSON.stringify(product));
    // The rows were read before their keys: they may be stored under those keys only if no
    // row anywhere was rewritten in between (then a later write still changes their keys).
    if (rowKeys && keys!.at(-1) === anyRowBefore) {
      await Promise.all(rows.map((row, at) => cache.store(rowKeys[at]!, row)));
    }
  } else if (rowKeys) {
    const found = await cache.readMany(reads, rowKeys);
    const missing = page.handles.filter((_, at) => found[at] === undefined);
    const fresh = new Map<string, Product>(
      (await products.rows(missing)).map((product) => [product.product_id, product]),
    );
    rows = [];
    for (const [at, handle] of page.handles.entries()) {
      let row = found[at];
      if (row === undefined) {
        const product = fresh.get(handle);
        if (!product) continue; // gone since the page was cached (products are not deleted)
        row = JSON.stringify(product);
        await cache.store(rowKeys[at]!, row);
      }
      rows.push(row);
    }
  } else {
    rows = (await products.rows(page.handles)).map((product) => JSON.stringify(product));
  }

  return sendJsonText(reply, pagedEnvelopeText(request, rows, page.metadata, page.pagination));
}
