/**
 * The "Category" filter of a list (products, history): every category by its path, in tree
 * order, with "Any category". A category the URL names that the tree no longer has (deleted
 * since the link was made) stays selectable by its id, so the filter in force stays visible.
 */
import type { CategoryIndex } from '../lib/category-index';

export function CategorySelect({
  id,
  value,
  index,
  onChange,
}: {
  id: string;
  value: number | undefined;
  index: CategoryIndex | undefined;
  onChange: (categoryId: number | undefined) => void;
}) {
  return (
    <select
      id={id}
      value={value ?? ''}
      onChange={(event) => onChange(event.target.value ? Number(event.target.value) : undefined)}
    >
      <option value="">Any category</option>
      {index?.ordered.map((node) => (
        <option key={node.id} value={node.id}>
          {node.path}
        </option>
      ))}
      {value !== undefined && index && !index.byId.has(value) && (
        <option value={value}>Category #{value}</option>
      )}
    </select>
  );
}
