import { Type, type Static } from 'typebox';
import { Envelope, Nullable, PagedEnvelope, PageQuery } from './common.js';

export const Liveness = Type.Object(
  { status: Type.Literal('ok') },
  { additionalProperties: false },
);
export const Readiness = Type.Object(
  {
    status: Type.Literal('ok'),
    checks: Type.Record(Type.String(), Type.String()),
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
