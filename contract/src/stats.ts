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

/** The most-used categories of each level (counts include products assigned below them). */
export const TopCategoriesByLevel = Type.Object(
  {
    level_1: Type.Array(TopCategory),
    level_2: Type.Array(TopCategory),
    level_3: Type.Array(TopCategory),
  },
  {
    additionalProperties: false,
    description:
      'Per level, the categories with the most products (at most 10 each, most products first, then by id)',
  },
);
export type TopCategoriesByLevel = Static<typeof TopCategoriesByLevel>;

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
    top_categories: Type.Array(TopCategory, {
      description:
        'The categories with the most products, any level (at most 10); a level-1 category counts every product below it, so level 1 usually fills this list',
    }),
    top_categories_by_level: TopCategoriesByLevel,
  },
  { additionalProperties: false },
);
export type Stats = Static<typeof Stats>;

export const StatsResponse = Envelope(Stats);
