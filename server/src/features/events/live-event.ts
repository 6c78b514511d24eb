/**
 * A change set as the live event clients receive (the one mapper from a change_sets row to the
 * event): who, what kind, which products (at most EVENT_MAX_HANDLES handles, and the list rows
 * of the first EVENT_MAX_PRODUCT_ROWS as they are now) and which categories with their new
 * counts, plus the catalog totals. Counts are read when the event is built, so they are the
 * current ones, also for a replayed event.
 */
import {
  EVENT_MAX_CATEGORIES,
  EVENT_MAX_HANDLES,
  EVENT_MAX_PRODUCT_ROWS,
  type LiveChangeEvent,
  type LiveEventEffect,
} from '@tag-manager/contract';
import { Namespaces } from '../../cache/namespaces.js';
import type { Executor } from '../../db/client.js';
import {
  ChangeKinds,
  changeEvent,
  namespacesBumpedBy,
  type ChangeKind,
  type ChangePayloads,
} from '../changes/change-kinds.js';
import type { ChangeRow } from '../changes/changes.repository.js';
import { catalogCounts } from '../products/products.repository.js';
import type { ProductService } from '../products/products.service.js';
import { categoryProductCounts } from './events.repository.js';

const EFFECTS: readonly LiveEventEffect[] = [
  Namespaces.taxonomy,
  Namespaces.counts,
  Namespaces.catalog,
  Namespaces.assignments,
  Namespaces.products,
];

/** The stored row as the payload its kind recorded. */
function payloadOf(row: ChangeRow): ChangePayloads[ChangeKind] {
  return {
    productIds: row.product_ids,
    categoryIds: row.category_ids,
    before: row.before,
    after: row.after,
  } as ChangePayloads[ChangeKind];
}

export interface LiveEventSources {
  db: Executor;
  products: Pick<ProductService, 'rows'>;
}

export async function toLiveEvent(
  sources: LiveEventSources,
  row: ChangeRow,
): Promise<LiveChangeEvent> {
  const known = row.kind in ChangeKinds;
  const kind = row.kind as ChangeKind;
  const summary = known
    ? changeEvent(kind, { actor: row.actor, source: 'api' }, payloadOf(row))
    : { counts: {}, handles: [], product_count: row.product_ids.length };
  // A kind no longer in the table (an old log) may have touched anything.
  const bumped = known ? namespacesBumpedBy(kind, payloadOf(row)) : EFFECTS;
  const effects = EFFECTS.filter((effect) => bumped.includes(effect));
  const handles = summary.handles.slice(0, EVENT_MAX_HANDLES);
  const categoryIds = [...new Set(row.category_ids)];
  const [products, categories, catalog] = await Promise.all([
    sources.products.rows(handles.slice(0, EVENT_MAX_PRODUCT_ROWS)),
    categoryProductCounts(sources.db, categoryIds.slice(0, EVENT_MAX_CATEGORIES)),
    catalogCounts(sources.db),
  ]);
  return {
    id: row.id,
    kind: row.kind,
    actor: row.actor,
    source: row.source,
    request_id: row.request_id,
    created_at: row.created_at,
    job_id: row.job_id,
    reverts: row.reverts,
    effects,
    counts: summary.counts,
    product_count: Math.max(summary.product_count, handles.length),
    handles,
    products,
    category_count: categoryIds.length,
    categories,
    catalog: {
      total_products: catalog.products,
      categorized_products: catalog.categorized,
      uncategorized_products: catalog.products - catalog.categorized,
    },
  };
}
