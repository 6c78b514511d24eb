import { Type, type Static } from 'typebox';
import { Envelope, Id } from './common.js';

/** How much sample data (the seeder's synthetic catalog) and how much real data there is. */
export const SampleDataCounts = Type.Object(
  {
    sample_products: Type.Integer({ minimum: 0, description: 'Products marked as sample' }),
    sample_categories: Type.Integer({ minimum: 0, description: 'Categories marked as sample' }),
    real_products: Type.Integer({ minimum: 0, description: 'Every other product' }),
    real_categories: Type.Integer({ minimum: 0, description: 'Every other category' }),
  },
  { additionalProperties: false },
);
export type SampleDataCounts = Static<typeof SampleDataCounts>;

export const KeptSampleCategory = Type.Object(
  {
    id: Id,
    name: Type.String(),
    level: Type.Integer({ minimum: 1, maximum: 3 }),
  },
  { additionalProperties: false },
);
export type KeptSampleCategory = Static<typeof KeptSampleCategory>;

/** What DELETE /api/sample-data did. */
export const SampleDataRemoval = Type.Object(
  {
    removed_products: Type.Integer({ minimum: 0 }),
    removed_categories: Type.Integer({ minimum: 0 }),
    removed_assignments: Type.Integer({ minimum: 0 }),
    kept_categories: Type.Array(KeptSampleCategory, {
      description:
        'Sample categories that real data still uses (a real product is assigned to them, or a real category is below them): kept, and no longer marked as sample',
    }),
    remaining: SampleDataCounts,
  },
  { additionalProperties: false },
);
export type SampleDataRemoval = Static<typeof SampleDataRemoval>;

export const SampleDataResponse = Envelope(SampleDataCounts);
export const SampleDataRemovalResponse = Envelope(SampleDataRemoval);
