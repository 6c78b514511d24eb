/**
 * What a webhook delivery says about a change set: kind, who, when, which products (at most
 * EVENT_HANDLES handles, and how many there were) and which categories (at most
 * WEBHOOK_CATEGORY_IDS ids, and how many). Small whatever the write's size: a receiver that
 * needs the whole change reads GET /api/changes?… by `change_set_id`.
 */
import { changeEvent, type ChangeKind, type ChangePayloads } from '../changes/change-kinds.js';
import type { WriteContext } from '../changes/changes.repository.js';

export const WEBHOOK_CATEGORY_IDS = 100;

/** The body's fields but `id`, `change_set_id` and `created_at` (added as the row is written). */
export function webhookPayload<Kind extends ChangeKind>(
  kind: Kind,
  context: WriteContext,
  change: ChangePayloads[Kind],
): Record<string, unknown> {
  const event = changeEvent(kind, context, change);
  const categoryIds = [...new Set(change.categoryIds)];
  return {
    kind,
    actor: event.actor,
    source: event.source,
    product_count: event.product_count,
    product_handles: event.handles,
    product_handles_truncated: event.handles.length < event.product_count,
    category_count: categoryIds.length,
    category_ids: categoryIds.slice(0, WEBHOOK_CATEGORY_IDS),
    counts: event.counts,
  };
}
