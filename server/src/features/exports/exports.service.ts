/**
 * The CSV export: `product_id,product_name,categories`, streamed in keyset batches so memory
 * stays flat whatever the catalog size. `categories` lists the most specific assigned categories
 * as paths ("A > B > C"), joined by "; " — ancestors are implied by their paths.
 */
import { Readable } from 'node:stream';
import type { ProductFilterQuery } from '@tag-manager/contract';
import { stringify } from 'csv-stringify';
import type { Executor } from '../../db/client.js';
import type { CategoryService } from '../categories/categories.service.js';
import type { CategoryIndex } from '../categories/category-index.js';
import { assignmentsOf, listProducts } from '../products/products.repository.js';
import { productFilters } from '../products/products.service.js';

const BATCH_SIZE = 2000;

export class ExportService {
  constructor(
    private readonly db: Executor,
    private readonly categories: CategoryService,
  ) {}

  csv(query: ProductFilterQuery): Readable {
    const rows = Readable.from(this.rows(query));
    const csv = stringify({ header: true, columns: ['product_id', 'product_name', 'categories'] });
    rows.on('error', (error) => csv.destroy(error));
    return rows.pipe(csv);
  }

  private async *rows(query: ProductFilterQuery): AsyncGenerator<string[]> {
    const filters = productFilters(query);
    const index = await this.categories.index();
    let after: { value: string; id: number } | undefined;
    for (;;) {
      const batch = await listProducts(this.db, filters, {
        sort: query.sort,
        limit: BATCH_SIZE,
        offset: 0,
        after,
      });
      if (batch.length === 0) return;
      const assignments = await assignmentsOf(
        this.db,
        batch.filter((row) => row.category_count > 0).map((row) => row.id),
      );
      const byProduct = new Map<number, number[]>();
      for (const row of assignments) {
        const ids = byProduct.get(row.product_id);
        if (ids) ids.push(row.category_id);
        else byProduct.set(row.product_id, [row.category_id]);
      }
      for (const row of batch) {
        yield [row.product_id, row.product_name, leafPaths(index, byProduct.get(row.id) ?? [])];
      }
      const last = batch.at(-1)!;
      after = { value: last.sort_value, id: last.id };
      if (batch.length < BATCH_SIZE) return;
    }
  }
}

/** Paths of the assigned categories that have no assigned child. */
function leafPaths(index: CategoryIndex, categoryIds: number[]): string {
  const assigned = new Set(categoryIds);
  const parents = new Set(categoryIds.map((id) => index.get(id)?.parent_id));
  return index
    .sortForDisplay([...assigned].filter((id) => !parents.has(id)))
    .map((id) => index.path(id))
    .join('; ');
}
