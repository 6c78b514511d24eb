/** Catalog statistics, from the counters the database keeps (no scan of products or assignments). */
import type { Stats } from '@tag-manager/contract';
import type { Executor } from '../../db/client.js';
import { catalogCounts } from '../products/products.repository.js';
import type { CategoryService } from '../categories/categories.service.js';

const TOP_CATEGORIES = 10;

export class StatsService {
  constructor(
    private readonly db: Executor,
    private readonly categories: CategoryService,
  ) {}

  /** Products and categorised products, from the counters (one small read; for /metrics). */
  async totals(): Promise<{ products: number; categorized: number }> {
    const counts = await catalogCounts(this.db);
    return { products: counts.products, categorized: counts.categorized };
  }

  async stats(): Promise<Stats> {
    const [counts, index] = await Promise.all([catalogCounts(this.db), this.categories.index()]);
    const total = counts.products;
    const categorized = counts.categorized;
    const top = [...index.rows]
      .filter((row) => row.product_count > 0)
      .sort((a, b) => b.product_count - a.product_count || a.id - b.id)
      .slice(0, TOP_CATEGORIES);
    return {
      total_products: total,
      categorized_products: categorized,
      uncategorized_products: total - categorized,
      categorized_share: total === 0 ? 0 : categorized / total,
      total_categories: index.size,
      total_assignments: index.rows.reduce((sum, row) => sum + row.product_count, 0),
      categories_by_level: index.levelCounts(),
      products_by_status: {
        active: counts.active,
        draft: counts.draft,
        archived: counts.archived,
      },
      top_categories: top.map((row) => ({
        id: row.id,
        name: row.name,
        level: row.level,
        path: index.path(row.id),
        product_count: row.product_count,
      })),
    };
  }
}
