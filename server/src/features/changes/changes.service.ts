/** Reading the change-set log. (Writes record their change sets through applyChange.) */
import type { ChangeListQuery, Pagination } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { queryOne, type Executor } from '../../db/client.js';
import { listChanges, type ChangeRow } from './changes.repository.js';

export interface ChangePage {
  changes: ChangeRow[];
  total: number;
  pagination: Pagination;
}

export class ChangeService {
  constructor(private readonly db: Executor) {}

  /**
   * The log, newest first, `limit` entries from `offset`, filtered. A product is named by its
   * handle; the log keeps row ids, so an unknown handle has an empty history.
   */
  async list(query: ChangeListQuery): Promise<ChangePage> {
    const { limit, offset } = query;
    let productId: number | undefined;
    if (query.product_id !== undefined) {
      const product = await queryOne<{ id: number }>(
        this.db,
        sql`select id from products where product_id = ${query.product_id}`,
      );
      if (!product) return page([], 0, limit, offset);
      productId = product.id;
    }
    const { rows, total } = await listChanges(
      this.db,
      {
        productId,
        categoryId: query.category_id,
        kind: query.kind,
        actor: query.actor,
        jobId: query.job_id,
      },
      limit,
      offset,
    );
    return page(rows, total, limit, offset);
  }
}

function page(rows: ChangeRow[], total: number, limit: number, offset: number): ChangePage {
  return {
    changes: rows,
    total,
    pagination: {
      page: Math.floor(offset / limit) + 1,
      page_size: limit,
      total_items: total,
      total_pages: Math.ceil(total / limit),
      has_next: offset + rows.length < total,
      has_previous: offset > 0,
      next_cursor: null,
    },
  };
}
