import { Type, type Static } from 'typebox';
import { Envelope, Nullable, PagedEnvelope, PageQuery } from './common.js';

export const Liveness = Type.Object(
  { status: Type.Literal('ok') },
  { additionalProperties: false },
);
export const Readiness = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')], {
      description:
        'degraded: Redis is configured but down; requests are still served, from the database',
    }),
    checks: Type.Object(
      {
        database: Type.Literal('ok', {
          description: 'when the database does not answer, /health/ready is a 503 instead',
        }),
        redis: Type.Optional(
          Type.Union([Type.Literal('ok'), Type.Literal('down')], {
            description: 'present when REDIS_URL is set',
          }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export const LivenessResponse = Envelope(Liveness);
export const ReadinessResponse = Envelope(Readiness);

export const ChangeSet = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    created_at: Type.String({ format: 'date-time' }),
    actor: Type.String(),
    source: Type.String(),
    kind: Type.String(),
    request_id: Nullable(Type.String()),
    product_ids: Type.Array(Type.Integer()),
    category_ids: Type.Array(Type.Integer()),
    before: Type.Unknown(),
    after: Type.Unknown(),
  },
  { additionalProperties: false },
);
export type ChangeSet = Static<typeof ChangeSet>;

export const ChangeListQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
export const ChangeListResponse = PagedEnvelope(
  ChangeSet,
  Type.Object({ total_changes: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
);

export const PoolStatistics = Type.Object(
  {
    size: Type.Integer({ minimum: 0, description: 'configured maximum (DB_POOL_SIZE)' }),
    total: Type.Integer({ minimum: 0, description: 'open connections' }),
    idle: Type.Integer({ minimum: 0 }),
    waiting: Type.Integer({ minimum: 0, description: 'callers waiting for a connection now' }),
    acquired: Type.Integer({ minimum: 0, description: 'checkouts since start' }),
    acquire_wait_ms_total: Type.Number({ minimum: 0 }),
    acquire_wait_ms_max: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const CacheState = Type.Object(
  {
    enabled: Type.Boolean({ description: 'false when CACHE_ENABLED=false' }),
    backend: Type.Union([Type.Literal('memory'), Type.Literal('redis')]),
    redis_connected: Nullable(
      Type.Boolean({ description: 'whether Redis answers now; null without REDIS_URL' }),
    ),
    hits: Type.Integer({ minimum: 0, description: 'cache hits since start, every cache' }),
    misses: Type.Integer({ minimum: 0, description: 'cache misses since start, every cache' }),
    hit_rate: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);

export const Health = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')], {
      description: 'degraded: Redis is configured but not connected (requests still served)',
    }),
    version: Type.String(),
    uptime_seconds: Type.Number({ minimum: 0 }),
    database: Type.Object(
      {
        driver: Type.Union([Type.Literal('postgres'), Type.Literal('pglite')]),
        pool: Nullable(PoolStatistics),
      },
      { additionalProperties: false },
    ),
    cache: CacheState,
  },
  { additionalProperties: false },
);
export const HealthResponse = Envelope(Health);
