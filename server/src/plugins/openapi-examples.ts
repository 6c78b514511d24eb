/**
 * Examples for the main requests and responses of the OpenAPI document, by operationId. Each is
 * checked against its schema by server/src/plugins/openapi.test.ts, so an example cannot drift
 * from the contract unnoticed.
 */
import { AppliedFilters } from '@tag-manager/contract';

type Json = Record<string, unknown>;

const TIMESTAMP = '2026-01-15T10:30:00.000Z';
const REQUEST_ID = '5f0c6d2e-8a4b-4c1e-9d3f-2b7a1e6c9f10';
const ok = (data: unknown, extra: Json = {}) => ({
  success: true,
  data,
  ...extra,
  timestamp: TIMESTAMP,
  request_id: REQUEST_ID,
});

const footwear = { id: 12, name: 'Footwear', level: 1 };
const boots = { id: 31, name: 'Boots', level: 2 };
const ankleBoots = { id: 77, name: 'Ankle Boots', level: 3 };
const withPath = (
  ref: { id: number; name: string; level: number },
  parents: (typeof footwear)[],
) => ({
  ...ref,
  parent_id: parents.length > 0 ? parents[parents.length - 1]!.id : null,
  path: [...parents, ref].map((entry) => entry.name).join(' > '),
  path_ids: [...parents, ref].map((entry) => entry.id),
});

/**
 * `metadata.filters` of a product page: every filter the contract lists, unset (false, [] or
 * null) unless given, so the example follows the filter list as it grows.
 */
function appliedFilters(set: Json): Json {
  return Object.fromEntries(
    Object.entries(AppliedFilters.properties as unknown as Record<string, Json>).map(
      ([name, schema]) => [
        name,
        name in set
          ? set[name]
          : schema.type === 'boolean'
            ? false
            : schema.type === 'array'
              ? []
              : null,
      ],
    ),
  );
}

const product = {
  product_id: 'classic-leather-boot',
  product_name: 'Classic Leather Boot',
  vendor: 'Northwind',
  product_type: 'Boots',
  status: 'active',
  sku: 'NW-BOOT-42',
  image_url: 'https://cdn.shopify.com/s/files/1/classic-leather-boot.jpg',
  tags: ['leather', 'winter'],
  has_allocations: true,
  category_count: 2,
  categories: [footwear, boots],
  last_modified: TIMESTAMP,
};

const category = {
  ...withPath(boots, [footwear]),
  has_children: true,
  child_count: 4,
  product_count: 120,
  created_at: TIMESTAMP,
  updated_at: TIMESTAMP,
};

const importReport = (kind: 'products' | 'categories') => ({
  kind,
  records: 3,
  created: 2,
  updated: 0,
  unchanged: 0,
  rejected: [{ line: 4, reason: 'Handle is empty' }],
  rejected_total: 1,
});

interface Examples {
  request?: unknown;
  responses?: Record<string, unknown>;
  /** Non-JSON bodies, by media type. */
  requestMedia?: Record<string, unknown>;
  responseMedia?: Record<string, Record<string, unknown>>;
}

/** A webhook as GET /api/webhooks/{id} answers it. */
const webhook = {
  id: 3,
  url: 'https://hooks.example.com/tag-manager',
  kinds: ['bulk.assign', 'product.assign'],
  secret_prefix: 'whsec_Zm9vYm',
  created_at: TIMESTAMP,
  created_by: 'token:1:ops admin',
  enabled: true,
  disabled_at: null,
  disabled_reason: null,
  consecutive_failures: 0,
  last_success_at: null,
  last_failure_at: null,
  pending_deliveries: 0,
};

/** operationId → the example request body and response bodies (JSON only). */
export const EXAMPLES: Record<string, Examples> = {
  listProducts: {
    responses: {
      200: ok([product], {
        metadata: {
          total_products: 3000,
          filtered_products: 1,
          count_estimated: false,
          filters: appliedFilters({ search: 'leather boot', include_descendants: true }),
          sort: 'product_name',
        },
        pagination: {
          page: 1,
          page_size: 50,
          total_items: 1,
          total_pages: 1,
          has_next: false,
          has_previous: false,
          next_cursor: null,
        },
      }),
    },
  },
  getProduct: {
    responses: {
      200: ok({
        ...product,
        categories: [withPath(footwear, []), withPath(boots, [footwear])],
        created_at: TIMESTAMP,
        description: 'Waterproof leather work boot with a steel toe cap. Sizes 6 to 13.',
      }),
    },
  },
  assignCategories: {
    request: { category_ids: [77] },
    responses: {
      201: ok({
        product_id: 'classic-leather-boot',
        added: [ankleBoots],
        ancestors_added: [],
        already_assigned: [],
        categories: [
          withPath(footwear, []),
          withPath(boots, [footwear]),
          withPath(ankleBoots, [footwear, boots]),
        ],
        product_etag: '"x3Jc5Tq1b0m6W2s9vPzYQh8dLkA"',
      }),
    },
  },
  bulkAssignCategories: {
    request: { product_ids: ['classic-leather-boot', 'trail-runner'], category_ids: [31] },
    responses: {
      200: ok({
        results: [
          {
            product_id: 'classic-leather-boot',
            assigned: [],
            ancestors_added: [],
            skipped: [31],
            errors: [],
          },
          {
            product_id: 'trail-runner',
            assigned: [31],
            ancestors_added: [12],
            skipped: [],
            errors: [],
          },
        ],
        summary: {
          products_processed: 2,
          total_assigned: 1,
          total_ancestors_added: 1,
          total_skipped: 1,
          total_errors: 0,
        },
      }),
    },
  },
  listCategories: {
    responses: {
      200: ok([category], {
        metadata: {
          total_categories: 1,
          level_counts: { level_1: 0, level_2: 1, level_3: 0 },
        },
      }),
    },
  },
  createCategory: {
    request: { name: 'Ankle Boots', parent_id: 31 },
    responses: {
      201: ok({
        ...withPath(ankleBoots, [footwear, boots]),
        has_children: false,
        child_count: 0,
        product_count: 0,
        created_at: TIMESTAMP,
        updated_at: TIMESTAMP,
      }),
    },
  },
  renameCategory: { request: { name: 'Boots & Booties' } },
  importProducts: {
    requestMedia: {
      'text/csv':
        'Handle,Title,Vendor,Type,Tags,Variant SKU,Status\nclassic-leather-boot,Classic Leather Boot,Northwind,Boots,"leather, winter",NW-BOOT-42,active\n',
    },
    responses: { 200: ok(importReport('products')) },
  },
  exportProductsCsv: {
    responseMedia: {
      200: {
        'text/csv':
          'product_id,product_name,categories\r\nclassic-leather-boot,Classic Leather Boot,Footwear > Boots\r\n',
      },
    },
  },
  importCategories: {
    request: [
      { category_name: 'Footwear', category_level: 1 },
      { category_name: 'Boots', category_level: 2, connected_to: 'Footwear' },
    ],
    responses: { 200: ok(importReport('categories')) },
  },
  createToken: { request: { name: 'shop sync', role: 'editor' } },
  createWebhook: {
    request: {
      url: 'https://hooks.example.com/tag-manager',
      kinds: ['bulk.assign', 'product.assign'],
    },
    responses: {
      201: ok({
        ...webhook,
        secret: 'whsec_Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXU',
      }),
    },
  },
  listWebhookDeliveries: {
    responses: {
      200: ok(
        [
          {
            id: 311,
            event_id: '0b8f3a52-6f0e-4a49-9d0c-1f3c7e2a9b44',
            change_set_id: 4182,
            kind: 'bulk.assign',
            attempt: 2,
            attempted_at: TIMESTAMP,
            outcome: 'delivered',
            status_code: 200,
            duration_ms: 84,
            error: null,
            next_attempt_at: null,
          },
          {
            id: 310,
            event_id: '0b8f3a52-6f0e-4a49-9d0c-1f3c7e2a9b44',
            change_set_id: 4182,
            kind: 'bulk.assign',
            attempt: 1,
            attempted_at: '2026-01-15T10:29:49.000Z',
            outcome: 'failed',
            status_code: 503,
            duration_ms: 12,
            error: 'HTTP 503: upstream unavailable',
            next_attempt_at: '2026-01-15T10:29:59.000Z',
          },
        ],
        {
          metadata: { total_deliveries: 2 },
          pagination: {
            page: 1,
            page_size: 50,
            total_items: 2,
            total_pages: 1,
            has_next: false,
            has_previous: false,
            next_cursor: null,
          },
        },
      ),
    },
  },
  getLiveness: { responses: { 200: ok({ status: 'ok' }) } },
};

/** A validation error naming one field, as a 422 example. */
const validationError = (field: string, message: string) => ({
  success: false,
  error: `${field}: ${message}`,
  code: 'VALIDATION_ERROR',
  details: {
    field_errors: [{ field, message }],
    validation_errors: [{ field, message }],
    error_count: 1,
    truncated: false,
  },
  timestamp: TIMESTAMP,
  request_id: REQUEST_ID,
});

/** 422 examples: a page size over the limit on the paged lists, an empty id list on writes. */
const VALIDATION_EXAMPLES: Record<string, unknown> = {
  listProducts: validationError('limit', 'must be <= 500'),
  listChanges: validationError('limit', 'must be <= 500'),
  createWebhook: validationError(
    'url',
    'must not point at a loopback address (127.0.0.1); WEBHOOK_ALLOW_PRIVATE=true allows it',
  ),
  assignCategories: validationError('category_ids', 'must NOT have fewer than 1 items'),
  bulkAssignCategories: validationError('category_ids', 'must NOT have fewer than 1 items'),
  bulkRemoveCategories: validationError('category_ids', 'must NOT have fewer than 1 items'),
};

/** Puts the examples into the document's media objects (`example`). */
export function applyExamples(document: Json): Json {
  const paths = document.paths as Record<string, Record<string, Json>>;
  for (const item of Object.values(paths)) {
    for (const operation of Object.values(item)) {
      const id = operation.operationId as string | undefined;
      const examples = id ? EXAMPLES[id] : undefined;
      const requestMedia = (operation.requestBody as Json | undefined)?.content as
        Record<string, Json> | undefined;
      if (examples?.request !== undefined && requestMedia?.['application/json']) {
        requestMedia['application/json'].example = examples.request;
      }
      for (const [type, body] of Object.entries(examples?.requestMedia ?? {})) {
        if (requestMedia?.[type]) requestMedia[type].example = body;
      }
      const responses = (operation.responses ?? {}) as Record<string, Json>;
      const mediaOf = (status: string, type: string) =>
        (responses[status]?.content as Record<string, Json> | undefined)?.[type];
      for (const [status, body] of Object.entries(examples?.responses ?? {})) {
        const media = mediaOf(status, 'application/json');
        if (media) media.example = body;
      }
      for (const [status, byType] of Object.entries(examples?.responseMedia ?? {})) {
        for (const [type, body] of Object.entries(byType)) {
          const media = mediaOf(status, type);
          if (media) media.example = body;
        }
      }
      const invalid = id ? VALIDATION_EXAMPLES[id] : undefined;
      const media422 = mediaOf('422', 'application/json');
      if (invalid && media422) media422.example = invalid;
    }
  }
  return document;
}
