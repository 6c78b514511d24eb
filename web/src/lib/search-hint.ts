import { searchKind } from '@tag-manager/contract/search';

/**
 * What the product search box says under a term that the server matches differently from a
 * substring (fewer than three letters or digits in a row) or cannot search at all.
 */
export function searchHintFor(term: string): string | undefined {
  if (term === '') return undefined;
  const kind = searchKind(term);
  if (kind === 'unsearchable') return 'Type a letter or digit to search.';
  if (kind === 'exact')
    return 'Under 3 letters or digits in a row: whole name, handle or SKU only.';
  return undefined;
}
