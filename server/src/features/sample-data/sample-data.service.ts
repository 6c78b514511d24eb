/**
 * Sample data: the seeder's synthetic catalog, marked `is_sample`. It can be counted (the UI
 * shows a banner while any exists) and removed as one change set.
 *
 * Rules (README "Sample data"):
 *  - removal deletes every sample product (with its assignments) and every sample category;
 *  - a sample category that real data still uses (a real product assigned to it, or a real
 *    category below it) is kept and becomes real: real work is never lost to the removal;
 *  - a real import of a sample product's handle, or of a sample category's name, makes it real
 *    (imports.repository.ts, imports.service.ts).
 */
import type { SampleDataCounts, SampleDataRemoval } from '@tag-manager/contract';
import { noChangeNotifier, type ChangeNotifier } from '../../cache/namespaces.js';
import type { Executor } from '../../db/client.js';
import { applyChange, type ChangeTarget } from '../changes/apply-change.js';
import type { WriteContext } from '../changes/changes.repository.js';
import {
  deleteSampleCategories,
  deleteSampleProducts,
  keepUsedSampleCategories,
  lockForRemoval,
  sampleDataCounts,
} from './sample-data.repository.js';

export class SampleDataService {
  private readonly target: ChangeTarget;

  constructor(
    private readonly db: Executor,
    notifier: ChangeNotifier = noChangeNotifier,
  ) {
    this.target = { db, notifier };
  }

  counts(): Promise<SampleDataCounts> {
    return sampleDataCounts(this.db);
  }

  /** Removes all sample data; a second call finds none and records nothing. */
  remove(context: WriteContext): Promise<SampleDataRemoval> {
    return applyChange(this.target, 'sample.remove', context, async (transaction) => {
      await lockForRemoval(transaction);
      const before = await sampleDataCounts(transaction);
      const kept = await keepUsedSampleCategories(transaction);
      const { products, assignments } = await deleteSampleProducts(transaction);
      const removedCategories = await deleteSampleCategories(transaction);
      const remaining = await sampleDataCounts(transaction);
      const result: SampleDataRemoval = {
        removed_products: products,
        removed_categories: removedCategories.length,
        removed_assignments: assignments,
        kept_categories: kept.sort((a, b) => a.level - b.level || a.id - b.id),
        remaining,
      };
      const changed = products + removedCategories.length + assignments + kept.length > 0;
      return {
        result,
        change: changed
          ? {
              productIds: [],
              categoryIds: removedCategories,
              before: { products: before.sample_products, categories: before.sample_categories },
              after: {
                removed: { products, categories: removedCategories.length, assignments },
                kept_categories: result.kept_categories,
              },
            }
          : null,
      };
    });
  }
}
