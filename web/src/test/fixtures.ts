/** Shared fixtures for component tests that answer the app's requests with a fake API. */
import type { BulkPreview, CategoryRef, Job, Product } from '@tag-manager/contract';

/** A product as the list returns it; `overrides` for the fields a test cares about. */
export const productFixture = (
  product_id: string,
  product_name: string,
  categories: CategoryRef[] = [],
  overrides: Partial<Product> = {},
): Product => ({
  product_id,
  product_name,
  vendor: 'Acme',
  product_type: null,
  status: 'active',
  sku: `SKU-${product_id}`,
  image_url: null,
  tags: [],
  has_allocations: categories.length > 0,
  category_count: categories.length,
  categories,
  last_modified: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

/** The success envelope around `data`. */
export const envelope = <T>(data: T) => ({
  success: true as const,
  data,
  timestamp: '2026-01-01T00:00:00.000Z',
  request_id: 'req-1',
});

/** The error envelope. */
export const errorEnvelope = (
  code: string,
  error: string,
  details: Record<string, unknown> = {},
) => ({
  success: false,
  error,
  code,
  details,
  timestamp: '2026-01-01T00:00:00.000Z',
  request_id: 'req-err',
});

/** A bulk write's dry run (`dry_run: true`): nothing to add unless a test says so. */
export const bulkPreviewFixture = (overrides: Partial<BulkPreview> = {}): BulkPreview => ({
  dry_run: true,
  matched: 0,
  will_change: 0,
  unchanged: 0,
  categories: [],
  ancestors_added: [],
  descendants_removed: [],
  parents_removed: [],
  parents_kept: [],
  become_categorized: 0,
  become_uncategorized: 0,
  runs_as_job: false,
  sample: [],
  ...overrides,
});

/** A job as `GET /api/jobs/{id}` answers it. */
export const jobFixture = (id: number, overrides: Partial<Job> = {}): Job => ({
  id,
  kind: 'bulk.assign',
  state: 'running',
  params: {},
  progress: { done: 0, total: 100, unit: 'products', counters: {} },
  actor: 'admin',
  created_at: '2026-01-01T00:00:00.000Z',
  started_at: '2026-01-01T00:00:00.000Z',
  finished_at: null,
  cancel_requested: false,
  result: null,
  error: null,
  change_set_ids: [],
  ...overrides,
});
