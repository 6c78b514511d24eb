import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCT_SORTS } from '@tag-manager/contract';
import { seedCatalog } from '../seed/seeder.js';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.js';
import { listProducts, type ProductFilters } from './products.repository.js';

let test: TestApp;
beforeAll(async () => {
  test = await createTestApp();
  await seedCatalog(test.database, { products: 1500 });
});
afterAll(async () => {
  await test.close();
});

describe('category pages: members-first and index walk agree', () => {
  const filters = (categoryId: number, extra: Partial<ProductFilters> = {}): ProductFilters => ({
    hide_allocated: false,
    incomplete: false,
    include_descendants: true,
    category_id: categoryId,
    ...extra,
  });

  it.each(PRODUCT_SORTS)('sort %s, walking every page by keyset', async (sort) => {
    for (const categoryId of [1, 5, 40]) {
      for (const extra of [{}, { status: 'active' as const }, { include_descendants: false }]) {
        const walk = async (membersFirst: boolean) => {
          const seen: number[] = [];
          let after: { value: string; id: number } | undefined;
          for (;;) {
            const rows = await listProducts(test.db, filters(categoryId, extra), {
              sort,
              limit: 40,
              offset: 0,
              after,
              membersFirst,
            });
            seen.push(...rows.map((row) => row.id));
            if (rows.length < 40) return seen;
            after = { value: rows.at(-1)!.sort_value, id: rows.at(-1)!.id };
          }
        };
        const byMembers = await walk(true);
        expect(byMembers.length).toBeGreaterThan(0);
        expect(byMembers).toEqual(await walk(false));
      }
    }
  });
});
