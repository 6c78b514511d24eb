import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CreatedWebhookResponse,
  CreateWebhookBody,
  WebhookDeliveryListResponse,
  WebhookDeliveryQuery,
  WebhookIdParams,
  WebhookListResponse,
  WebhookResponse,
} from '@tag-manager/contract';
import { writeContext } from '../../http/context.js';
import { envelope, listEnvelope, pagedEnvelope } from '../../http/envelope.js';

const tags = ['webhooks'];
/** Webhooks send catalog data to other systems: managing them needs an admin token. */
const config = { requiredRole: 'admin' as const };

const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/webhooks',
    {
      config,
      schema: {
        operationId: 'listWebhooks',
        tags,
        summary: 'Every webhook, with its delivery state (never the secrets)',
        response: { 200: WebhookListResponse },
      },
    },
    async (request) => {
      const { webhooks, metadata } = await app.services.webhooks.list();
      return listEnvelope(request, webhooks, metadata);
    },
  );

  app.post(
    '/api/webhooks',
    {
      config,
      schema: {
        operationId: 'createWebhook',
        tags,
        summary: 'Register a webhook; the answer carries its signing secret, this once',
        description:
          'Each committed change set of the listed kinds is POSTed to the URL as JSON, signed with HMAC-SHA256 (`Tag-Manager-Signature: t=<unix>,v1=<hex>` over `<t>.<raw body>`), with `Tag-Manager-Event-Id` as the idempotency key (the same on every retry). The URL must be https on a public address: private, loopback, link-local and unique-local addresses (also as what a host name resolves to) answer 422 unless WEBHOOK_ALLOW_PRIVATE=true. More than WEBHOOK_MAX webhooks: 409. docs/webhooks.md shows how to verify a delivery.',
        body: CreateWebhookBody,
        response: { 201: CreatedWebhookResponse },
      },
    },
    async (request, reply) => {
      const created = await app.services.webhooks.create(request.body, writeContext(request));
      return reply
        .status(201)
        .header('Cache-Control', 'no-store')
        .header('location', `/api/webhooks/${created.id}`)
        .send(envelope(request, created));
    },
  );

  app.get(
    '/api/webhooks/:id',
    {
      config,
      schema: {
        operationId: 'getWebhook',
        tags,
        summary: 'One webhook: whether it is enabled (or why it was disabled) and its backlog',
        params: WebhookIdParams,
        response: { 200: WebhookResponse },
      },
    },
    async (request) => envelope(request, await app.services.webhooks.get(request.params.id)),
  );

  app.delete(
    '/api/webhooks/:id',
    {
      config,
      schema: {
        operationId: 'deleteWebhook',
        tags,
        summary: 'Delete a webhook, its pending events and its delivery log',
        params: WebhookIdParams,
        response: { 200: WebhookResponse },
      },
    },
    async (request) => envelope(request, await app.services.webhooks.delete(request.params.id)),
  );

  app.post(
    '/api/webhooks/:id/enable',
    {
      config,
      schema: {
        operationId: 'enableWebhook',
        tags,
        summary: 'Enable a webhook again after it was disabled for failing deliveries',
        description:
          'Clears `disabled_at`, `disabled_reason` and the failure streak; change sets committed from now on are delivered to it again (those made while it was disabled are not: read them from GET /api/changes). An enabled webhook is answered unchanged.',
        params: WebhookIdParams,
        response: { 200: WebhookResponse },
      },
    },
    async (request) => envelope(request, await app.services.webhooks.enable(request.params.id)),
  );

  app.get(
    '/api/webhooks/:id/deliveries',
    {
      config,
      schema: {
        operationId: 'listWebhookDeliveries',
        tags,
        summary: "A webhook's delivery log, newest first: one entry per attempt",
        params: WebhookIdParams,
        querystring: WebhookDeliveryQuery,
        response: { 200: WebhookDeliveryListResponse },
      },
    },
    async (request) => {
      const page = await app.services.webhooks.deliveries(request.params.id, request.query);
      return pagedEnvelope(
        request,
        page.deliveries,
        { total_deliveries: page.total },
        page.pagination,
      );
    },
  );
};

export default webhookRoutes;
