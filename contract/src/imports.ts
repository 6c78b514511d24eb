import { Type, type Static } from 'typebox';
import { Envelope } from './common.js';
import { IMPORT_REJECTIONS_LISTED } from './limits.js';

export const ImportRejection = Type.Object(
  { line: Type.Integer({ minimum: 0 }), reason: Type.String() },
  { additionalProperties: false },
);
export type ImportRejection = Static<typeof ImportRejection>;

export const ImportReport = Type.Object(
  {
    kind: Type.Union([
      Type.Literal('products'),
      Type.Literal('categories'),
      Type.Literal('assignments'),
    ]),
    /**
     * Records read: CSV rows or product groups (products), entries (categories), product lines
     * (assignments). created + updated + unchanged + rejected_total = records.
     */
    records: Type.Integer({ minimum: 0 }),
    created: Type.Integer({ minimum: 0 }),
    updated: Type.Integer({ minimum: 0 }),
    unchanged: Type.Integer({ minimum: 0 }),
    /** The first IMPORT_REJECTIONS_LISTED rejections, in file order. */
    rejected: Type.Array(ImportRejection, { maxItems: IMPORT_REJECTIONS_LISTED }),
    /** Every rejected row or entry, listed or not. */
    rejected_total: Type.Integer({ minimum: 0 }),
    /**
     * Categories: an entry goes under every same-named parent, so one entry may be placed
     * several times; these count the placements (created, renamed, already there).
     */
    placements: Type.Optional(
      Type.Object(
        {
          created: Type.Integer({ minimum: 0 }),
          updated: Type.Integer({ minimum: 0 }),
          unchanged: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false },
      ),
    ),
    /** Assignments: the format read (`app` export or `shopify` file) and the rows changed. */
    format: Type.Optional(Type.Union([Type.Literal('app'), Type.Literal('shopify')])),
    assignments_added: Type.Optional(Type.Integer({ minimum: 0 })),
    assignments_removed: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type ImportReport = Static<typeof ImportReport>;

/** One entry of a category list file, as the old system exported it. */
export const CategoryFileEntry = Type.Object({
  category_name: Type.Unknown(),
  category_level: Type.Unknown(),
  connected_to: Type.Optional(Type.Unknown()),
});

export const ImportReportResponse = Envelope(ImportReport);
