import {
  QueueNextResponse,
  QueueQuery,
  QueueReleaseQuery,
  QueueReleaseResponse,
} from '@tag-manager/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { envelope } from '../../http/envelope.js';
import type { Caller } from './queue.service.js';

const tags = ['queue'];

const caller = (request: FastifyRequest, operator: string | undefined): Caller => ({
  operator: operator ?? null,
  address: request.ip,
  tokenName: request.auth?.name ?? null,
  tokenId: request.auth?.id ?? null,
});

const queueRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const queue = app.services.queue;

  app.post(
    '/api/queue/next',
    {
      schema: {
        operationId: 'claimNextQueueProduct',
        tags,
        summary: 'The next product of a work queue, leased to this operator',
        description:
          "A queue is a product filter (the list's filter fields; `hide_allocated` defaults to true: \"uncategorised\"). Returns the first matching product after `after` in the fixed order (name, then internal id) that no other operator holds, and leases it to `operator` for QUEUE_LEASE_SECONDS; the operator's previous lease is given up (one product at a time). A POST because it takes a lease; it has no body. Assign with PUT/POST /api/products/{product_id}/categories, then ask for the next with `after` = this answer's `cursor`: a product categorised meanwhile no longer matches and is not shown again. Nothing matches: `product` null and `remaining` 0.",
        querystring: QueueQuery,
        response: { 200: QueueNextResponse },
      },
    },
    async (request) =>
      envelope(request, await queue.next(request.query, caller(request, request.query.operator))),
  );

  app.delete(
    '/api/queue/lease',
    {
      schema: {
        operationId: 'releaseQueueLease',
        tags,
        summary: "Gives up this operator's lease (leaving the queue)",
        querystring: QueueReleaseQuery,
        response: { 200: QueueReleaseResponse },
      },
    },
    async (request) =>
      envelope(request, {
        released: await queue.release(caller(request, request.query.operator)),
      }),
  );
};

export default queueRoutes;
