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
import { KeyPlan, type Cache, type CachedRead } from '../../cache/cache.js';
import { Namespaces, ReadDependencies } from '../../cache/namespaces.js';
import { etagMatches, sendJsonText } from '../../http/cached.js';
import { pagedEnvelope, pagedEnvelopeHead, stampTail } from '../../http/envelope.js';
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

/**
 * An answer assembled from the page and the rows cached under the keys of one set of
 * versions: everything before the stamp, as bytes, and its ETag. Served again, without
 * building a key, looking a value up or hashing, while a fresh version read gives the same
 * signature (the same versions, hence the same keys, hence the same cached values).
 */
interface Answer {
  signature: string;
  etag: string;
  head: Buffer;
  rows: number;
  /** performance.now() after which it is assembled again (the cache's TTL, as for values). */
  expires: number;
}

/**
 * Per query: the handles its page held last time (a hint: their row versions are read in the
 * same round trip as the page's), that read prepared once, and the answer last assembled.
 */
interface QueryState {
  handles: string[];
  plan: KeyPlan;
  answer?: Answer;
}

/** Per-entry bytes counted besides an answer's head (the handles, the plan). */
const STATE_OVERHEAD = 4096;
/**
 * Per cache (one per app), bounded by count (as the hints were) and by bytes (the answers: a
 * 50-row page is ~20 KB), oldest out first.
 */
const stores = new WeakMap<Cache, LRUCache<string, QueryState>>();
function queriesOf(cache: Cache) {
  let queries = stores.get(cache);
  if (!queries) {
    queries = new LRUCache<string, QueryState>({
      max: 5000,
      maxSize: 64 * 1024 * 1024,
      sizeCalculation: (state) => STATE_OVERHEAD + (state.answer?.head.length ?? 0),
    });
    stores.set(cache, queries);
  }
  return queries;
}

const sameHandles = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((handle, at) => handle === b[at]);

const rowRead = (handle: string): CachedRead => ({
  cache: 'product-row',
  dependsOn: ReadDependencies.productDetail(handle),
  params: handle,
});

/** The first version read of a query: its page, any row, and the hinted rows (signed: not ANY_ROW). */
function queryState(pageRead: CachedRead, handles: string[]): QueryState {
  const reads = [pageRead, ANY_ROW, ...handles.map(rowRead)];
  const signed = [0, ...handles.map((_, at) => at + 2)];
  return { handles, plan: new KeyPlan(reads, signed) };
}

function sendAnswer(request: FastifyRequest, reply: FastifyReply, answer: Answer) {
  reply.header('ETag', answer.etag).header('Cache-Control', 'no-cache');
  if (etagMatches(request.headers['if-none-match'], answer.etag)) return reply.code(304).send();
  const tail = stampTail(request);
  const body = Buffer.allocUnsafe(answer.head.length + Buffer.byteLength(tail));
  answer.head.copy(body);
  body.write(tail, answer.head.length);
  return reply.type('application/json; charset=utf-8').send(body);
}

export async function cachedProductPage(
  request: FastifyRequest,
  reply: FastifyReply,
  products: ProductService,
  query: ProductListQuery,
): Promise<FastifyReply> {
  const cache = request.server.cache;
  const queries = queriesOf(cache);
  const hintKey = JSON.stringify(query);
  const state =
    queries.get(hintKey) ??
    queryState(
      { cache: 'product-list', dependsOn: productPageDependencies(query), params: query },
      [],
    );
  const pageRead = state.plan.reads[0]!;
  const hinted = state.handles;
  const versions = await cache.versionsOf(state.plan);
  if (versions === undefined) {
    const page = await products.list(query);
    return reply.send(pagedEnvelope(request, page.products, page.metadata, page.pagination));
  }
  const signature = state.plan.signature(versions);
  const kept = state.answer;
  if (kept && kept.signature === signature && kept.expires > performance.now()) {
    cache.countHits(pageRead.cache, 1);
    cache.countHits('product-row', kept.rows);
    return sendAnswer(request, reply, kept);
  }
  const firstKeys = state.plan.keys(versions);
  const [pageKey, anyRowBefore] = firstKeys as [string, string];

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
  /** Whether the rows' keys come from the first read (then an answer may be kept). */
  let hintHeld = false;
  if (!computed && sameHandles(hinted, page.handles)) {
    keys = [...firstKeys.slice(2), anyRowBefore];
    hintHeld = true;
  } else {
    const next = queryState(pageRead, page.handles);
    const nextVersions = await cache.versionsOf(next.plan);
    const nextKeys = nextVersions && next.plan.keys(nextVersions);
    keys = nextKeys && [...nextKeys.slice(2), nextKeys[1]!];
    queries.set(hintKey, next);
  }
  const rowKeys = keys?.slice(0, reads.length);
  let etag: string | undefined;
  if (rowKeys) {
    etag = `W/"${createHash('sha1')
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

  const head = pagedEnvelopeHead(rows, page.metadata, page.pagination);
  if (hintHeld && etag && rows.length === page.handles.length) {
    // Everything here was found (or stored) under the keys of `versions`: kept for the next
    // requests that read the same versions.
    const answer: Answer = {
      signature,
      etag,
      head: Buffer.from(head),
      rows: rows.length,
      expires: performance.now() + request.server.config.cache.ttlSeconds * 1000,
    };
    queries.set(hintKey, { ...state, answer });
    return sendAnswer(request, reply, answer);
  }
  return sendJsonText(reply, head + stampTail(request));
}
