/**
 * Live updates (GET /api/events, docs/live-updates.md): one Server-Sent Event per committed
 * change set, small whatever the write's size. The SSE `id` is the change set's id (the
 * change-set log, GET /api/changes), so `Last-Event-ID` replays what a client missed (also a
 * lower id that committed after it: docs/live-updates.md, "Out of order").
 */
import { Type, type Static } from 'typebox';
import { Id, Nullable } from './common.js';
import { Product } from './products.js';

/** At most this many product handles in one event; `product_count` counts them all. */
export const EVENT_MAX_HANDLES = 50;
/** At most this many full list rows (the products' new categories) in one event. */
export const EVENT_MAX_PRODUCT_ROWS = 25;
/** At most this many categories (ids and new counts) in one event; `category_count` counts all. */
export const EVENT_MAX_CATEGORIES = 100;
/** A client further behind than this many change sets gets `reset` instead of a replay. */
export const EVENT_REPLAY_MAX = 1000;

/** What a change set affected, for the client to decide what it cannot patch and must refetch. */
export const LiveEventEffect = Type.Union([
  Type.Literal('taxonomy'),
  Type.Literal('counts'),
  Type.Literal('catalog'),
  Type.Literal('assignments'),
  Type.Literal('products'),
]);
export type LiveEventEffect = Static<typeof LiveEventEffect>;

export const LiveEventsQuery = Type.Object(
  {
    last_event_id: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,10}$',
        description:
          'The id of the last event received, for clients that cannot send the `Last-Event-ID` header (EventSource polyfills); the header wins when both are sent',
      }),
    ),
  },
  { additionalProperties: false },
);
export type LiveEventsQuery = Static<typeof LiveEventsQuery>;

/** The `data` of a `change` event. */
export const LiveChangeEvent = Type.Object(
  {
    id: Id,
    kind: Type.String({ description: 'The change kind, as in GET /api/changes' }),
    actor: Type.String(),
    source: Type.String(),
    /** The X-Request-Id of the write: a client recognises its own writes by it. */
    request_id: Nullable(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
    job_id: Nullable(Id),
    reverts: Nullable(Id),
    effects: Type.Array(LiveEventEffect),
    counts: Type.Record(Type.String(), Type.Integer()),
    product_count: Type.Integer({ minimum: 0 }),
    handles: Type.Array(Type.String(), { maxItems: EVENT_MAX_HANDLES }),
    products: Type.Array(Product, { maxItems: EVENT_MAX_PRODUCT_ROWS }),
    category_count: Type.Integer({ minimum: 0 }),
    categories: Type.Array(
      Type.Object(
        { id: Id, product_count: Type.Integer({ minimum: 0 }) },
        { additionalProperties: false },
      ),
      { maxItems: EVENT_MAX_CATEGORIES },
    ),
    catalog: Type.Object(
      {
        total_products: Type.Integer({ minimum: 0 }),
        categorized_products: Type.Integer({ minimum: 0 }),
        uncategorized_products: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type LiveChangeEvent = Static<typeof LiveChangeEvent>;

/** The `data` of `ready` (sent first on every stream) and of `reset`. */
export const LiveStreamPosition = Type.Object(
  {
    /** The newest change set id when the stream (re)started. */
    last_event_id: Type.Integer({ minimum: 0 }),
    /** `reset` only: why the client must refetch everything. */
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type LiveStreamPosition = Static<typeof LiveStreamPosition>;
