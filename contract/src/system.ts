import { Type, type Static } from 'typebox';
import { Envelope, Nullable, PagedEnvelope, PageQuery } from './common.js';
import { Job } from './jobs.js';

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
    job_id: Nullable(Type.Integer({ minimum: 1, description: 'The job whose batch recorded it' })),
    reverts: Nullable(
      Type.Integer({ minimum: 1, description: 'The change set this one undid (an undo)' }),
    ),
    reversible: Type.Enum(['exact', 'revoke', 'none'] as const, {
      description:
        'Whether POST /api/changes/{id}/undo can reverse it (from the change-kind table)',
    }),
  },
  { additionalProperties: false },
);
export type ChangeSet = Static<typeof ChangeSet>;

export const ChangeListQuery = Type.Object(
  {
    ...PageQuery,
    product_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: 'Only change sets touching this product (handle)',
      }),
    ),
    category_id: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 2_147_483_647,
        description: 'Only change sets touching this category',
      }),
    ),
    kind: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Only this change kind' }),
    ),
    actor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: 'Only this actor' }),
    ),
    job_id: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 2_147_483_647,
        description: 'Only the batches of this job',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ChangeListQuery = Static<typeof ChangeListQuery>;
export const ChangeListResponse = PagedEnvelope(
  ChangeSet,
  Type.Object({ total_changes: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
);

export const ChangeIdParams = Type.Object(
  {
    id: Type.Integer({
      minimum: 1,
      maximum: 9_007_199_254_740_991,
      description: 'The change set (its id in GET /api/changes)',
    }),
  },
  { additionalProperties: false },
);

export const UndoRequest = Type.Object(
  {
    mode: Type.Optional(
      Type.Enum(['strict', 'skip_conflicts'] as const, {
        description:
          'Default strict. strict: 409 with the conflicts when a later change touched the same products and categories; skip_conflicts: undo the products without a conflict and list the rest',
      }),
    ),
    dry_run: Type.Optional(
      Type.Boolean({ description: 'true: report what the undo would do; default false' }),
    ),
  },
  { additionalProperties: false },
);
export type UndoRequest = Static<typeof UndoRequest>;

/** A product the undo would overwrite a later change on. */
export const UndoConflict = Type.Object(
  {
    product_id: Nullable(Type.String()),
    category_id: Nullable(Type.Integer()),
    change_set_id: Type.Integer({ minimum: 1, description: 'The later change set' }),
    reason: Type.String(),
  },
  { additionalProperties: false },
);
export type UndoConflict = Static<typeof UndoConflict>;

/**
 * The `details` of the 409 a strict undo answers when a later change touched the same products
 * and categories: the conflicts, as `skipped` would list them with `mode: "skip_conflicts"`.
 */
export const UndoConflictDetails = Type.Object(
  { conflicts: Type.Array(UndoConflict) },
  { additionalProperties: true },
);
export type UndoConflictDetails = Static<typeof UndoConflictDetails>;

export const UndoResult = Type.Object(
  {
    dry_run: Type.Boolean(),
    /** The new change set that records the undo (null on a dry run or when nothing changed). */
    change_set_id: Nullable(Type.Integer({ minimum: 1 })),
    undone_products: Type.Integer({
      minimum: 0,
      description: 'Products whose assignments were (or, on a dry run, would be) set back',
    }),
    undone_categories: Type.Integer({
      minimum: 0,
      description: 'Categories re-created, deleted, renamed back or re-flagged (category changes)',
    }),
    skipped: Type.Array(UndoConflict, {
      description: 'skip_conflicts: the conflicts left as they are (strict: always empty)',
    }),
  },
  { additionalProperties: false },
);
export type UndoResult = Static<typeof UndoResult>;
export const UndoResponse = Envelope(UndoResult);
/** An undo of more than BULK_MAX_PRODUCTS products: the job that runs it (202, Location: the job). */
export const UndoJobAcceptedResponse = Envelope(
  Type.Object({ job: Job }, { additionalProperties: false }),
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
