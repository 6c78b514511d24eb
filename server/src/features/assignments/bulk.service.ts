/**
 * Bulk requests (issue 13): `product_ids` or a `filter`, a dry run or the write. A dry run
 * answers the preview (bulk-by-filter.ts, set-based). A write of up to BULK_MAX_PRODUCTS
 * products is answered at once with per-product results (assignments.service.ts); a filter
 * matching more becomes a job (bulk-by-filter.ts bulkJobKind), whose match is fixed when it
 * starts.
 */
import type {
  BulkAssignResult,
  BulkFilter,
  BulkPreview,
  BulkRemoveResult,
  Job,
} from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { validationError } from '../../errors.js';
import type { CategoryService } from '../categories/categories.service.js';
import type { WriteContext } from '../changes/changes.repository.js';
import type { JobService } from '../jobs/jobs.service.js';
import { filterCondition, productFilters } from '../products/filters.js';
import type { AssignmentService } from './assignments.service.js';
import {
  previewBulk,
  productSet,
  type BulkJobParams,
  type BulkOperation,
} from './bulk-by-filter.js';

export interface BulkRequestInput {
  product_ids?: string[] | undefined;
  filter?: BulkFilter | undefined;
  category_ids: number[];
  dry_run?: boolean | undefined;
  remove_unneeded_parents?: boolean | undefined;
}

export type BulkOutcome<Result> =
  | { kind: 'preview'; preview: BulkPreview }
  | { kind: 'done'; result: Result }
  | { kind: 'job'; job: Job };

export class BulkService {
  constructor(
    private readonly db: Executor,
    private readonly categories: CategoryService,
    private readonly assignments: AssignmentService,
    private readonly jobs: JobService,
    private readonly maxProducts: number,
  ) {}

  assign(input: BulkRequestInput, context: WriteContext): Promise<BulkOutcome<BulkAssignResult>> {
    return this.run('assign', input, context);
  }

  remove(input: BulkRequestInput, context: WriteContext): Promise<BulkOutcome<BulkRemoveResult>> {
    return this.run('remove', input, context);
  }

  private async run<Result>(
    operation: BulkOperation,
    input: BulkRequestInput,
    context: WriteContext,
  ): Promise<BulkOutcome<Result>> {
    if ((input.product_ids === undefined) === (input.filter === undefined)) {
      throw validationError(
        [{ field: 'filter', message: 'give exactly one of product_ids and filter' }],
        'Name the products with exactly one of product_ids and filter',
      );
    }
    const removeUnneededParents = operation === 'remove' && input.remove_unneeded_parents === true;
    const index = await this.categories.index();
    const unknown = input.category_ids.filter((id) => !index.has(id));
    const filter = input.filter ? productFilters(input.filter) : undefined;
    // A filter's products are not listed one by one, so an unknown category has no row to be
    // reported on: the request is refused. (product_ids keep their per-product errors.)
    if (filter && unknown.length > 0) {
      throw validationError([
        { field: 'category_ids', message: `unknown category ids: ${unknown.join(', ')}` },
      ]);
    }
    const spec = {
      operation,
      categoryIds: input.category_ids.filter((id) => index.has(id)),
      removeUnneededParents,
    };
    if (input.dry_run) {
      const set = filter ? productSet.filter(filter) : productSet.handles(input.product_ids!);
      const preview = await previewBulk(this.db, index, set, spec);
      return {
        kind: 'preview',
        preview: { ...preview, runs_as_job: preview.matched > this.maxProducts },
      };
    }
    const handles = filter ? await this.matchUpTo(filter) : input.product_ids!;
    if (filter && handles.length === 0) {
      throw validationError(
        [{ field: 'filter', message: 'matches no products' }],
        'The filter matches no products: nothing to change',
      );
    }
    if (handles.length <= this.maxProducts) {
      const result =
        operation === 'assign'
          ? await this.assignments.bulkAssign(handles, input.category_ids, context)
          : await this.assignments.bulkRemove(
              handles,
              input.category_ids,
              context,
              removeUnneededParents,
            );
      return { kind: 'done', result: result as Result };
    }
    const params: BulkJobParams = {
      filter: filter!,
      category_ids: spec.categoryIds,
      ...(operation === 'remove' ? { remove_unneeded_parents: removeUnneededParents } : {}),
    };
    const job = await this.jobs.create(
      operation === 'assign' ? 'bulk.assign' : 'bulk.remove',
      params as unknown as Record<string, unknown>,
      context,
    );
    this.jobs.created();
    return { kind: 'job', job };
  }

  /** The filter's first BULK_MAX_PRODUCTS + 1 products by id (one more tells "too many"). */
  private async matchUpTo(filter: ReturnType<typeof productFilters>): Promise<string[]> {
    const rows = await queryRows<{ product_id: string }>(
      this.db,
      sql`select p.product_id from products p where ${filterCondition(filter)}
           order by p.id limit ${this.maxProducts + 1}`,
    );
    return rows.map((row) => row.product_id);
  }
}
