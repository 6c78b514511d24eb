/**
 * Cached reads over HTTP: the response body comes from the cache (or is computed once), and its
 * key doubles as the ETag, so a client that already has it gets 304 without the database being
 * asked anything. `Cache-Control: no-cache` makes browsers revalidate every time.
 *
 * The cache holds the finished JSON text of the whole envelope, serialised once by the route's
 * response schema, with two placeholders where this request's `timestamp` and `request_id` go.
 * A hit is two string replacements: no JSON.parse, no serialisation.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedRead } from '../cache/cache.js';
import type { Stamp } from './envelope.js';

/**
 * Unguessable per process, so no data can contain them as a JSON string. Cached bodies are
 * built with this stamp; sendStamped puts the request's own in.
 */
export const TEMPLATE: Required<Stamp> = {
  id: `rid-${randomUUID()}`,
  timestamp: `ts-${randomUUID()}`,
};
const TEMPLATE_ID = JSON.stringify(TEMPLATE.id);
const TEMPLATE_TIMESTAMP = JSON.stringify(TEMPLATE.timestamp);

const asIs = (payload: unknown) => payload as string;

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `W/` is ignored; `*` matches. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const current = opaque(etag);
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === current);
}

/**
 * Answers a cacheable GET. `body(stamp)` builds the route's envelope through the envelope
 * helpers, passing them `stamp` instead of the request.
 */
export async function cachedReply(
  request: FastifyRequest,
  reply: FastifyReply,
  read: CachedRead,
  body: (stamp: Stamp) => Promise<object>,
  options: { strongEtag?: (data: unknown) => string } = {},
): Promise<FastifyReply> {
  const cache = request.server.cache;
  const key = await cache.keyOf(read);
  if (options.strongEtag) {
    // One resource that writes can be conditional on (http/preconditions.ts): the ETag is the
    // strong tag of the data itself, the same one the write compares If-Match with. A 304
    // still needs no database when the body is cached.
    const text = await cache.read(read, key, async () =>
      String(reply.serialize(await body(TEMPLATE))),
    );
    const etag = options.strongEtag((JSON.parse(text) as { data: unknown }).data);
    reply.header('ETag', etag).header('Cache-Control', 'no-cache');
    if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
    return sendStamped(request, reply, text);
  }
  if (key !== undefined) {
    const etag = `W/"${createHash('sha1').update(key).digest('base64url')}"`;
    reply.header('ETag', etag).header('Cache-Control', 'no-cache');
    if (etagMatches(request.headers['if-none-match'], etag)) {
      return reply.code(304).send();
    }
  }
  const text = await cache.read(read, key, async () =>
    String(reply.serialize(await body(TEMPLATE))),
  );
  return sendStamped(request, reply, text);
}

export function sendStamped(
  request: FastifyRequest,
  reply: FastifyReply,
  text: string,
): FastifyReply {
  return sendJsonText(
    reply,
    text
      .replace(TEMPLATE_TIMESTAMP, JSON.stringify(new Date().toISOString()))
      .replace(TEMPLATE_ID, JSON.stringify(request.id)),
  );
}

/** Sends finished JSON text as it is (no serialisation). */
export function sendJsonText(reply: FastifyReply, text: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').serializer(asIs).send(text);
}
