/**
 * Bulk assign and remove over a filter's match (issue 13): the preview, the batches a job runs.
 * (Step 1: the job kinds' shape; the batches land with the runner.)
 */
import type { JobKindDefinition } from '../jobs/job-kinds.js';

export type BulkOperation = 'assign' | 'remove';

export function bulkJobKind(
  operation: BulkOperation,
): JobKindDefinition<'bulk.assign'> | JobKindDefinition<'bulk.remove'> {
  const notYet = () => Promise.reject(new Error('bulk jobs land with the runner'));
  return {
    description:
      operation === 'assign' ? 'categories assigned by filter' : 'categories removed by filter',
    unit: 'products',
    changeKind: operation === 'assign' ? 'bulk.assign' : 'bulk.remove',
    resumable: true,
    start: notYet,
    runBatch: notYet,
    result: (job) => ({ ...job.counters }),
  } as JobKindDefinition<'bulk.assign'>;
}
