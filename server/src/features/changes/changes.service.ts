/** Reading the change-set log. (Writes record their change sets through applyChange.) */
import type { Pagination } from '@tag-manager/contract';
import type { Executor } from '../../db/client.js';
import { listChanges, type ChangeRow } from './changes.repository.js';

export interface ChangePage {
  changes: ChangeRow[];
  total: number;
  pagination: Pagination;
}

export class ChangeService {
  constructor(private readonly db: Executor) {}

  /** The log, newest first, `limit` entries from `offset`. */
  async list(limit: number, offset: number): Promise<ChangePage> {
    const { rows, total } = await listChanges(this.db, limit, offset);
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
}
