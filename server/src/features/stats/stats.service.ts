/** Catalog statistics, from the counters the database keeps (no scan of the assignment table). */
import type { Stats } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { queryOne, type Executor } from '../../db/client.js';
import type { CategoryService } from '../categories/categories.service.js';

const TOP_CATEGORIES = 10;

export class StatsService {
  constructor(
    private readonly db: Executor,
    private readonly categories: CategoryService,
  ) {}

  async stats(): Promise<Stats> {
    const [counts, index] = await Promise.all([
      queryOne<{
        total: number;
        categorized: number;
        active: number;
        draft: number;
        archived: number;
      }>(
        this.db,
        sql`select count(*)::int as total,
                   count(*) filter (where category_count > 0)::int as categorized,
                   count(*) filter (where status = 'active')::int as active,
                   count(*) filter (where status = 'draft')::int as draft,
                   count(*) filter (where status = 'archived')::int as archived
              from products`,
      ),
      this.categories.index(),
    ]);
    const total = counts?.total ?? 0;
    const categorized = counts?.categorized ?? 0;
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
        active: counts?.active ?? 0,
        draft: counts?.draft ?? 0,
        archived: counts?.archived ?? 0,
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
