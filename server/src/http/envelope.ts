/** The success envelope. Every route answers through these helpers, never by hand. */
import type { Pagination } from '@tag-manager/contract';

/** What stamps an envelope: the request (its id, the time now), or a cache template. */
export interface Stamp {
  id: string;
  timestamp?: string;
}

export function envelope<Data>(request: Stamp, data: Data) {
  return {
    success: true as const,
    data,
    timestamp: request.timestamp ?? new Date().toISOString(),
    request_id: request.id,
  };
}

export function listEnvelope<Item, Metadata>(request: Stamp, data: Item[], metadata: Metadata) {
  return { ...envelope(request, data), metadata };
}

export function pagedEnvelope<Item, Metadata>(
  request: Stamp,
  data: Item[],
  metadata: Metadata,
  pagination: Pagination,
) {
  return { ...envelope(request, data), metadata, pagination };
}

/**
 * `pagedEnvelope` as JSON text, around items that are JSON text already (cached rows): a cached
 * product page is spliced, not parsed and re-serialised. Same members, same order.
 */
export function pagedEnvelopeText<Metadata>(
  request: Stamp,
  itemsJson: readonly string[],
  metadata: Metadata,
  pagination: Pagination,
): string {
  return pagedEnvelopeHead(itemsJson, metadata, pagination) + stampTail(request);
}

/**
 * What `pagedEnvelopeText` writes before the stamp: the same for every request until the data
 * changes, so it can be kept (as bytes) and followed by each request's `stampTail`.
 */
export function pagedEnvelopeHead<Metadata>(
  itemsJson: readonly string[],
  metadata: Metadata,
  pagination: Pagination,
): string {
  return (
    `{"success":true,"data":[${itemsJson.join(',')}],"metadata":${JSON.stringify(metadata)},` +
    `"pagination":${JSON.stringify(pagination)},"timestamp":`
  );
}

/** The end of an envelope after its head: this request's timestamp and id. */
export function stampTail(request: Stamp): string {
  return (
    `${JSON.stringify(request.timestamp ?? new Date().toISOString())},` +
    `"request_id":${JSON.stringify(request.id)}}`
  );
}
