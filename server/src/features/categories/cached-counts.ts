/**
 * Category lists and the tree, cached without their product counts (issue 15: a write must not
 * invalidate them). The cached body depends on the taxonomy only: every `product_count` in it is
 * a placeholder, the category's id negated (a real count is never negative, and a JSON string
 * cannot contain the key unescaped, so the pattern only ever meets the placeholders). Each
 * answer then reads the current counts of the categories it holds from the counter column the
 * triggers keep (`categories.product_count`, one indexed read) and splices them in. An
 * assignment thus costs the next category read nothing but that small read, and the counts are
 * always the committed ones. The ETag covers the structure's key and the counts.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedRead } from '../../cache/cache.js';
import { Namespaces } from '../../cache/namespaces.js';
import { TEMPLATE, etagMatches, sendStamped } from '../../http/cached.js';
import type { Stamp } from '../../http/envelope.js';

const PLACEHOLDER = /"product_count":-(\d+)/g;

/** A category read whose counts are spliced in per answer: it depends on the taxonomy alone. */
export const structureRead = (cache: string, params: unknown): CachedRead => ({
  cache,
  dependsOn: [Namespaces.taxonomy],
  params,
});

/** Every `product_count` of an object with an `id`, anywhere in `value`, as its placeholder. */
function withPlaceholders(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withPlaceholders);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).map(([name, field]) => [name, withPlaceholders(field)]);
  const object = Object.fromEntries(entries) as Record<string, unknown>;
  if (typeof object.id === 'number' && typeof object.product_count === 'number') {
    object.product_count = -object.id;
  }
  return object;
}

export async function cachedCountsReply(
  request: FastifyRequest,
  reply: FastifyReply,
  read: CachedRead,
  body: (stamp: Stamp) => Promise<object>,
  productCounts: (ids: number[]) => Promise<Map<number, number>>,
): Promise<FastifyReply> {
  const cache = request.server.cache;
  const key = await cache.keyOf(read);
  if (key === undefined) {
    // Nothing is cached (the cache is off, or its store unavailable): the body's counts are
    // the ones read with the taxonomy just now, so the placeholders and the second read of
    // the counts would only cost (a third of the uncached tree's CPU, measured).
    return sendStamped(
      request,
      reply,
      await cache.read(read, key, async () => String(reply.serialize(await body(TEMPLATE)))),
    );
  }
  const text = await cache.read(read, key, async () =>
    String(reply.serialize(withPlaceholders(await body(TEMPLATE)))),
  );
  const ids = [...new Set(Array.from(text.matchAll(PLACEHOLDER), (match) => Number(match[1])))];
  const counts = ids.length > 0 ? await productCounts(ids) : new Map<number, number>();
  // A category deleted between the structure's key and this read has no count left: 0.
  const filled = text.replace(
    PLACEHOLDER,
    (_match, id: string) => `"product_count":${counts.get(Number(id)) ?? 0}`,
  );
  const hash = createHash('sha1').update(key);
  for (const id of ids) hash.update(`,${id}:${counts.get(id) ?? 0}`);
  const etag = `W/"${hash.digest('base64url')}"`;
  reply.header('ETag', etag).header('Cache-Control', 'no-cache');
  if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
  return sendStamped(request, reply, filled);
}
