import { Type, type Static } from 'typebox';
import { LevelCounts } from './categories.js';
import { Envelope, Id } from './common.js';

export const TopCategory = Type.Object(
  {
    id: Id,
    name: Type.String(),
    level: Type.Integer({ minimum: 1, maximum: 3 }),
    path: Type.String(),
    product_count: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const Stats = Type.Object(
  {
    total_products: Type.Integer({ minimum: 0 }),
    categorized_products: Type.Integer({ minimum: 0 }),
    uncategorized_products: Type.Integer({ minimum: 0 }),
    categorized_share: Type.Number({ minimum: 0, maximum: 1 }),
    total_categories: Type.Integer({ minimum: 0 }),
    total_assignments: Type.Integer({ minimum: 0 }),
    categories_by_level: LevelCounts,
    products_by_status: Type.Object(
      {
        active: Type.Integer({ minimum: 0 }),
        draft: Type.Integer({ minimum: 0 }),
        archived: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
    top_categories: Type.Array(TopCategory),
  },
  { additionalProperties: false },
);
export type Stats = Static<typeof Stats>;

export const StatsResponse = Envelope(Stats);
