/** The success envelope. Every route answers through these helpers, never by hand. */
import type { Pagination } from '@tag-manager/contract';
import type { FastifyRequest } from 'fastify';

export function envelope<Data>(request: FastifyRequest, data: Data) {
  return {
    success: true as const,
    data,
    timestamp: new Date().toISOString(),
    request_id: request.id,
  };
}

export function listEnvelope<Item, Metadata>(
  request: FastifyRequest,
  data: Item[],
  metadata: Metadata,
) {
  return { ...envelope(request, data), metadata };
}

export function pagedEnvelope<Item, Metadata>(
  request: FastifyRequest,
  data: Item[],
  metadata: Metadata,
  pagination: Pagination,
) {
  return { ...envelope(request, data), metadata, pagination };
}
