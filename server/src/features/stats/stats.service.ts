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
    const used = [...index.rows]
      .filter((row) => row.product_count > 0)
      .sort((a, b) => b.product_count - a.product_count || a.id - b.id);
    const entry = (row: (typeof used)[number]) => ({
      id: row.id,
      name: row.name,
      level: row.level,
      path: index.path(row.id),
      product_count: row.product_count,
    });
    // A level-1 category counts every product below it, so the overall list is mostly level 1;
    // each level's own list shows the most-used categories of every level.
    const topOfLevel = (level: number) =>
      used
        .filter((row) => row.level === level)
        .slice(0, TOP_CATEGORIES)
        .map(entry);
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
      top_categories: used.slice(0, TOP_CATEGORIES).map(entry),
      top_categories_by_level: {
        level_1: topOfLevel(1),
        level_2: topOfLevel(2),
        level_3: topOfLevel(3),
      },
    };
  }
}
