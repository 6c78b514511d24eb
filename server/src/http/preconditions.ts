/**
 * Conditional writes (RFC 9110 §13.1.1 If-Match): a write on one resource (a product's
 * assignments, a category) may name the ETag of the read it was based on. The server compares
 * it, strongly, with the resource as it is inside the write's transaction, after the row lock,
 * so no other write can slip in between the check and the change. Stale → 412 with the current
 * ETag and the current representation in `details`; nothing is written.
 *
 * The ETag of a one-resource read (GET /api/products/{id}, GET /api/categories/{id}) is strong:
 * a hash of the canonical JSON of the representation's `data`, so it changes exactly when what
 * the client saw changes (for a product: its own fields and last_modified, its categories and
 * their paths; for a category: name, parent, path, ancestors, child and product counts).
 */
import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { AppError, badRequest } from '../errors.js';
import type { Executor } from '../db/client.js';

/** The `If-Match` request header, documented on every route that honours it. */
export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      description:
        'The ETag of the read this write is based on (or `*`, or a comma-separated list). When it no longer matches the resource, the write answers 412 PRECONDITION_FAILED and changes nothing. Weak tags (`W/"…"`) never match (strong comparison). A header that is not `*` or a list of quoted entity tags gets 400.',
    }),
  ),
});

/** Keys sorted at every depth, so two equal values always give the same text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The strong ETag of a representation's data. */
export function strongEtag(data: unknown): string {
  return `"${createHash('sha1').update(canonical(data)).digest('base64url')}"`;
}

/** A parsed If-Match: any current representation (`*`), or a list of entity tags. */
export type IfMatch = { any: true } | { any: false; tags: { weak: boolean; tag: string }[] };

/** `[W/]"<etagc>*"` with etagc = %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3). */
const ENTITY_TAG = /^(W\/)?("[\x21\x23-\x7e\x80-\xff]*")$/;
/** Longer headers are refused rather than parsed (a list of 100 tags fits easily). */
const MAX_IF_MATCH_LENGTH = 4096;

function malformed(header: string, reason: string): AppError {
  return badRequest(`If-Match is malformed: ${reason}`, {
    header: 'If-Match',
    value: header.length > 200 ? `${header.slice(0, 200)}…` : header,
    expected: '`*` or a comma-separated list of entity tags such as "abc" or W/"abc"',
  });
}

/** Parses the header; undefined when absent. Malformed → 400 BAD_REQUEST. */
export function parseIfMatch(header: string | string[] | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text.length > MAX_IF_MATCH_LENGTH)
    throw malformed(text, `longer than ${MAX_IF_MATCH_LENGTH} characters`);
  const trimmed = text.trim();
  if (trimmed === '') throw malformed(text, 'it is empty');
  if (trimmed === '*') return { any: true };
  const tags: { weak: boolean; tag: string }[] = [];
  for (const part of trimmed.split(',')) {
    const item = part.trim();
    if (item === '') continue; // RFC 9110 §5.6.1: empty list elements are ignored
    const match = ENTITY_TAG.exec(item);
    if (!match) throw malformed(text, `${JSON.stringify(item.slice(0, 100))} is not an entity tag`);
    tags.push({ weak: match[1] !== undefined, tag: match[2]! });
  }
  if (tags.length === 0) throw malformed(text, 'it lists no entity tag');
  return { any: false, tags };
}

/** Strong comparison: both tags strong and equal character for character. */
export function ifMatchHolds(ifMatch: IfMatch, currentEtag: string): boolean {
  return ifMatch.any || ifMatch.tags.some((item) => !item.weak && item.tag === currentEtag);
}

/**
 * Checked inside a write's transaction once the resource's row is locked: throws 412 when the
 * client's If-Match no longer holds. Services call it without knowing about HTTP.
 */
export type Precondition = (transaction: Executor) => Promise<void>;

/** No If-Match: the write behaves as it always did. */
export const noPrecondition: Precondition = async () => {};

/**
 * The precondition of a request on one resource: `current` reads the resource's
 * representation inside the transaction (after the service locked its row).
 */
export function preconditionOf<Data>(
  request: FastifyRequest,
  resource: string,
  identifier: string | number,
  current: (transaction: Executor) => Promise<Data>,
): Precondition {
  // Parsed before the transaction: a malformed header is refused without touching anything.
  const ifMatch = parseIfMatch(request.headers['if-match']);
  if (!ifMatch || ifMatch.any) return noPrecondition; // `*`: the resource exists (else 404)
  return async (transaction) => {
    const data = await current(transaction);
    const etag = strongEtag(data);
    if (ifMatchHolds(ifMatch, etag)) return;
    throw new AppError(
      412,
      'PRECONDITION_FAILED',
      `The ${resource} changed since it was read: If-Match does not match its current ETag ${etag}; nothing was changed`,
      { resource, identifier, etag, current: data },
    );
  };
}
