/** The vendor and product type choices of the product filters. */
import type { CatalogValue, CatalogValuesQuery } from '@tag-manager/contract';
import type { Executor } from '../../db/client.js';
import { distinctValues, type ValueField } from './catalog-values.repository.js';

export class CatalogValuesService {
  constructor(private readonly db: Executor) {}

  /** Values sorted by product count (descending), then by value; `search` is a prefix. */
  values(field: ValueField, query: CatalogValuesQuery): Promise<CatalogValue[]> {
    return distinctValues(this.db, field, { search: query.search, limit: query.limit });
  }
}
