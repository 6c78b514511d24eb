/**
 * Cached reads over HTTP: the value comes from the cache (or is computed once), and its key
 * doubles as the ETag, so a client that already has it gets 304 without the database being
 * asked anything. `Cache-Control: no-cache` makes browsers revalidate every time.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedRead } from '../cache/cache.js';

export const NOT_MODIFIED = Symbol('not modified');

export async function cachedRead<Data>(
  request: FastifyRequest,
  reply: FastifyReply,
  read: CachedRead,
  compute: () => Promise<Data>,
): Promise<Data | typeof NOT_MODIFIED> {
  const cache = request.server.cache;
  const key = await cache.keyOf(read);
  if (key !== undefined) {
    const etag = `W/"${createHash('sha1').update(key).digest('base64url')}"`;
    reply.header('ETag', etag).header('Cache-Control', 'no-cache');
    const known = request.headers['if-none-match'];
    if (known && known.split(',').some((tag) => tag.trim() === etag)) {
      await reply.code(304).send();
      return NOT_MODIFIED;
    }
  }
  return JSON.parse(await cache.read(read, key, compute)) as Data;
}
