/** Shared fixtures for component tests that answer the app's requests with a fake API. */
import type { CategoryRef, Product } from '@tag-manager/contract';

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
