/**
 * Webhooks for integrations (issue 14; docs/webhooks.md). An admin registers a URL and the
 * change kinds it takes; each committed change set of those kinds is POSTed to it, signed with
 * HMAC-SHA256 (`Tag-Manager-Signature: t=<unix>,v1=<hex>` over `<t>.<raw body>`), retried with
 * exponential backoff, and logged per attempt. The signing secret is returned once, by the
 * request that creates the webhook.
 */
import { Type, type Static } from 'typebox';
import { Envelope, Id, ListEnvelope, Nullable, PagedEnvelope, PageQuery } from './common.js';

export const WEBHOOK_URL_MAX_LENGTH = 2048;
/** Kinds one webhook may list (the change-kind table has fewer; `*` takes every kind). */
export const WEBHOOK_KINDS_MAX = 32;
/** The kind that subscribes a webhook to every change kind, present and future. */
export const WEBHOOK_ALL_KINDS = '*';

const Kinds = Type.Array(
  Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'A change kind (as `kind` in GET /api/changes, e.g. `product.assign`), or `*`',
  }),
  {
    minItems: 1,
    maxItems: WEBHOOK_KINDS_MAX,
    uniqueItems: true,
    description:
      'The change kinds delivered to this webhook: kinds of the change-set log (`product.assign`, `bulk.assign`, `category.create`, …), or `["*"]` for every kind',
  },
);

export const Webhook = Type.Object(
  {
    id: Id,
    url: Type.String({ description: 'Where deliveries are POSTed' }),
    kinds: Kinds,
    secret_prefix: Type.String({ description: 'The first 12 characters of the signing secret' }),
    created_at: Type.String({ format: 'date-time' }),
    created_by: Type.String({ description: 'The actor that registered it' }),
    enabled: Type.Boolean({
      description: 'false once auto-disabled after too many consecutive failed deliveries',
    }),
    disabled_at: Nullable(Type.String({ format: 'date-time' })),
    disabled_reason: Nullable(Type.String()),
    consecutive_failures: Type.Integer({ minimum: 0 }),
    last_success_at: Nullable(Type.String({ format: 'date-time' })),
    last_failure_at: Nullable(Type.String({ format: 'date-time' })),
    pending_deliveries: Type.Integer({
      minimum: 0,
      description: 'Events in the outbox for this webhook, not yet delivered',
    }),
  },
  { additionalProperties: false, title: 'Webhook' },
);
export type Webhook = Static<typeof Webhook>;

export const CreatedWebhook = Type.Object(
  {
    ...Webhook.properties,
    secret: Type.String({
      description:
        'The signing secret, shown this once: verify each delivery with it (docs/webhooks.md)',
    }),
  },
  { additionalProperties: false, title: 'CreatedWebhook' },
);
export type CreatedWebhook = Static<typeof CreatedWebhook>;

export const CreateWebhookBody = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: WEBHOOK_URL_MAX_LENGTH,
      description:
        'An https URL on a public address (http and private addresses only with WEBHOOK_ALLOW_PRIVATE=true); no credentials, no fragment',
    }),
    kinds: Kinds,
  },
  { additionalProperties: false },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBody>;

export const WebhookIdParams = Type.Object(
  { id: Type.Integer({ ...Id, description: 'The webhook id' }) },
  { additionalProperties: false },
);

export const WebhookListMetadata = Type.Object(
  {
    total_webhooks: Type.Integer({ minimum: 0 }),
    enabled_webhooks: Type.Integer({ minimum: 0 }),
    max_webhooks: Type.Integer({ minimum: 1, description: 'WEBHOOK_MAX' }),
  },
  { additionalProperties: false },
);

export const WebhookListResponse = ListEnvelope(Webhook, WebhookListMetadata);
export const WebhookResponse = Envelope(Webhook);
export const CreatedWebhookResponse = Envelope(CreatedWebhook);

export const WEBHOOK_DELIVERY_OUTCOMES = ['delivered', 'failed', 'refused'] as const;

export const WebhookDelivery = Type.Object(
  {
    id: Id,
    event_id: Type.String({
      format: 'uuid',
      description: 'The idempotency key (`Tag-Manager-Event-Id`), the same on every attempt',
    }),
    change_set_id: Type.Integer({ minimum: 1 }),
    kind: Type.String(),
    attempt: Type.Integer({ minimum: 1 }),
    attempted_at: Type.String({ format: 'date-time' }),
    outcome: Type.Enum(WEBHOOK_DELIVERY_OUTCOMES, {
      description:
        'delivered (a 2xx answer), failed (another status, a timeout, a network error), refused (the URL resolved to a private address)',
    }),
    status_code: Nullable(Type.Integer()),
    duration_ms: Type.Integer({ minimum: 0 }),
    error: Nullable(Type.String()),
    next_attempt_at: Nullable(
      Type.String({
        format: 'date-time',
        description: 'When it is retried; null: delivered, or no attempt is left',
      }),
    ),
  },
  { additionalProperties: false, title: 'WebhookDelivery' },
);
export type WebhookDelivery = Static<typeof WebhookDelivery>;

export const WebhookDeliveryQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
export type WebhookDeliveryQuery = Static<typeof WebhookDeliveryQuery>;

export const WebhookDeliveryListResponse = PagedEnvelope(
  WebhookDelivery,
  Type.Object({ total_deliveries: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
);
