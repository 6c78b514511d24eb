/**
 * A change set in words: its kind ("Bulk assign"), what it did with category paths ("Assigned
 * Tools > Hand tools to 12 products; parents added: Tools"), and the products it names (for
 * links). Read from the change-kind payloads the server records (server/src/features/changes/
 * change-kinds.ts); a kind this table does not know is shown by its name and product count.
 */
import type { ChangeSet } from '@tag-manager/contract';
import { mostSpecific, type CategoryIndex } from '../../lib/category-index';

/** The kinds, in words (the History screen's kind filter offers these). */
export const CHANGE_KIND_LABELS: Record<string, string> = {
  'product.assign': 'Categories assigned to a product',
  'product.remove': 'Category removed from a product',
  'bulk.assign': 'Bulk assign',
  'bulk.remove': 'Bulk remove',
  'category.create': 'Category created',
  'category.rename': 'Category renamed',
  'category.delete': 'Category deleted',
  'category.move': 'Category moved',
  'category.merge': 'Categories merged',
  'category.unmerge': 'Merge undone',
  'import.products': 'Products imported',
  'import.categories': 'Categories imported',
  'import.assignments': 'Assignments imported',
  'token.create': 'API token created',
  'token.revoke': 'API token revoked',
  seed: 'Sample catalog loaded',
  'sample.remove': 'Sample data removed',
};

export const kindLabel = (kind: string) =>
  CHANGE_KIND_LABELS[kind] ?? kind.replace(/[._]/g, ' ').replace(/^./, (c) => c.toUpperCase());

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
const numbers = (value: unknown): number[] =>
  Array.isArray(value) ? value.filter((entry): entry is number => typeof entry === 'number') : [];
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export interface ChangeDescription {
  /** What it did, in a sentence. */
  summary: string;
  /** Before → after lines (category paths), when the payload says. */
  lines: { label: string; before: string; after: string }[];
  /** Handles of the products it names (at most `limit`), and how many there are in all. */
  handles: string[];
}

const join = (paths: string[]) => (paths.length === 0 ? 'none' : paths.join('; '));
const plural = (count: number, one: string, many: string) =>
  `${count.toLocaleString('en')} ${count === 1 ? one : many}`;

export function describeChange(
  change: ChangeSet,
  index: CategoryIndex | undefined,
): ChangeDescription {
  const path = (id: number) => index?.byId.get(id)?.path ?? `category #${id}`;
  const paths = (ids: number[]) => ids.map(path);
  const before = asObject(change.before);
  const after = asObject(change.after);
  const products = change.product_ids.length;
  const categories = join(paths(mostSpecific(index, change.category_ids)));
  // A product's categories by their most specific ones (their paths name the parents).
  const categoriesOf = (payload: Json) => {
    const ids = numbers(payload.category_ids);
    return ids.length === 0 ? 'Uncategorised' : join(paths(mostSpecific(index, ids)));
  };
  const itemHandles = (items: unknown) =>
    Array.isArray(items)
      ? items.flatMap((item) => {
          const handle = text(asObject(item).product_id);
          return handle ? [handle] : [];
        })
      : [];

  switch (change.kind) {
    case 'product.assign':
    case 'product.remove': {
      const handle = text(after.product_id) ?? text(before.product_id);
      const assign = change.kind === 'product.assign';
      const main = numbers(assign ? after.added : after.removed);
      const related = numbers(assign ? after.ancestors_added : after.descendants_removed);
      const extra =
        related.length > 0
          ? `; ${assign ? 'parents added' : 'subcategories removed'}: ${join(paths(related))}`
          : '';
      return {
        summary: `${assign ? 'Assigned' : 'Removed'} ${join(paths(main.filter((id) => !related.includes(id))))} ${assign ? 'to' : 'from'} ${handle ?? 'a product'}${extra}`,
        lines: [{ label: 'Categories', before: categoriesOf(before), after: categoriesOf(after) }],
        handles: handle ? [handle] : [],
      };
    }
    case 'bulk.assign':
    case 'bulk.remove': {
      const assign = change.kind === 'bulk.assign';
      const changed = Array.isArray(after.changed) ? after.changed.map(asObject) : [];
      const touched = new Set(
        changed.flatMap((item) => numbers(assign ? item.added : item.removed)),
      );
      // Assign: the deepest categories added (the rest are their parents); remove: the topmost
      // removed (the rest are their subcategories).
      const asked = new Set(
        assign
          ? mostSpecific(index, [...touched])
          : [...touched].filter((id) => !touched.has(index?.byId.get(id)?.parent_id ?? -1)),
      );
      const related = [...touched].filter((id) => !asked.has(id));
      return {
        summary: `${assign ? 'Assigned' : 'Removed'} ${categories} ${assign ? 'to' : 'from'} ${plural(products, 'product', 'products')}`,
        lines: [
          {
            label: assign ? 'Added' : 'Removed',
            before: assign ? '—' : join(paths([...touched].filter((id) => asked.has(id)))),
            after: assign ? join(paths([...touched].filter((id) => asked.has(id)))) : '—',
          },
          ...(related.length > 0
            ? [
                {
                  label: assign ? 'Parents added' : 'Also removed',
                  before: assign ? '—' : join(paths(related)),
                  after: assign ? join(paths(related)) : '—',
                },
              ]
            : []),
        ],
        handles: itemHandles(changed),
      };
    }
    case 'category.create':
      return {
        summary: `Created ${text(after.name) ?? categories}`,
        lines: [],
        handles: [],
      };
    case 'category.rename':
      return {
        summary: `Renamed a category`,
        lines: [
          { label: 'Name', before: text(before.name) ?? '?', after: text(after.name) ?? '?' },
        ],
        handles: [],
      };
    case 'category.delete':
      return { summary: `Deleted ${text(before.name) ?? categories}`, lines: [], handles: [] };
    case 'import.assignments': {
      const items = Array.isArray(after.products) ? after.products : [];
      return {
        summary: `Set the categories of ${plural(products, 'product', 'products')} from a file`,
        lines: [],
        handles: itemHandles(items),
      };
    }
    default: {
      const counts = Object.entries(after)
        .filter(([, value]) => typeof value === 'number')
        .map(
          ([key, value]) => `${key.replace(/_/g, ' ')}: ${(value as number).toLocaleString('en')}`,
        );
      return {
        summary: `${kindLabel(change.kind)}${counts.length > 0 ? ` (${counts.join(', ')})` : ''}${change.reverts ? `, undoing change #${change.reverts}` : ''}`,
        lines: [],
        handles: [],
      };
    }
  }
}
