/**
 * "Move to…": the type-ahead offers only categories one level up (not the current parent), the
 * preview is asked as a dry run once a target is picked, and nothing is written before the
 * confirmation, which carries the category's ETag as If-Match.
 */
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RestructureResult, TreeNode } from '@tag-manager/contract';
import { buildCategoryIndex } from '../../lib/category-index';
import { renderWithProviders } from '../../test/render';
import { RestructureDialog } from './RestructureDialog';

const leaf = (id: number, name: string, parent: number) => ({
  id,
  name,
  level: 3,
  parent_id: parent,
  product_count: 1,
  children: [] as never[],
});
const tree: TreeNode[] = [
  {
    id: 1,
    name: 'Tools',
    level: 1,
    parent_id: null,
    product_count: 1,
    children: [
      {
        id: 2,
        name: 'Guns',
        level: 2,
        parent_id: 1,
        product_count: 1,
        children: [leaf(4, 'Battery', 2)],
      },
      { id: 3, name: 'Trowels', level: 2, parent_id: 1, product_count: 0, children: [] },
    ],
  },
  {
    id: 5,
    name: 'Sealants',
    level: 1,
    parent_id: null,
    product_count: 0,
    children: [{ id: 6, name: 'Silicone', level: 2, parent_id: 5, product_count: 0, children: [] }],
  },
];

const preview: RestructureResult = {
  operation: 'move',
  dry_run: true,
  change_set_id: null,
  category_id: 4,
  target_id: 6,
  from_path: 'Tools > Guns > Battery',
  to_path: 'Sealants > Silicone > Battery',
  products_affected: 1,
  ancestors_added: [
    { id: 5, name: 'Sealants', level: 1, path: 'Sealants', products: 1 },
    { id: 6, name: 'Silicone', level: 2, path: 'Sealants > Silicone', products: 1 },
  ],
  ancestors_removed: [{ id: 2, name: 'Guns', level: 2, path: 'Tools > Guns', products: 1 }],
  sample_products: [{ product_id: 'p-1', product_name: 'Gun one' }],
  categories: [],
  categories_deleted: [],
  clashes: [],
};

afterEach(() => vi.unstubAllGlobals());

describe('RestructureDialog: Move to…', () => {
  it('offers the level 2 categories by path, previews the pick as a dry run, and writes only on confirm', async () => {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      calls.push({ url: String(input), init });
      const body = String(input).endsWith('/move')
        ? {
            success: true,
            data: { ...preview, dry_run: JSON.parse(String(init?.body)).dry_run },
            timestamp: '2026-01-01T00:00:00.000Z',
            request_id: 'r',
          }
        : {
            success: true,
            data: { id: 4 },
            timestamp: '2026-01-01T00:00:00.000Z',
            request_id: 'r',
          };
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: { 'content-type': 'application/json', etag: '"battery-1"' },
      });
    });
    const index = buildCategoryIndex(tree);
    const onDone = vi.fn();
    renderWithProviders(
      <RestructureDialog
        index={index}
        node={index.byId.get(4)!}
        mode="move"
        onClose={() => {}}
        onDone={onDone}
      />,
    );
    const input = screen.getByRole('combobox');
    // Level 2 only, and not Guns (its parent now).
    expect(screen.getAllByRole('option').map((option) => option.textContent)).toEqual([
      'Tools > Trowels',
      'Sealants > Silicone',
    ]);
    fireEvent.change(input, { target: { value: 'sili' } });
    expect(screen.getAllByRole('option').map((option) => option.textContent)).toEqual([
      'Sealants > Silicone',
    ]);
    fireEvent.keyDown(input, { key: 'Enter' });
    const shown = await screen.findByTestId('restructure-preview');
    expect(shown.textContent).toContain('Sealants > Silicone > Battery');
    expect(shown.textContent).toContain('Tools > Guns: removed from 1 product');
    const moves = () => calls.filter((call) => call.url.endsWith('/api/categories/4/move'));
    expect(moves().map((call) => JSON.parse(String(call.init?.body)))).toEqual([
      { parent_id: 6, dry_run: true },
    ]);
    const confirm = screen.getByRole('button', { name: 'Move (1 product)' });
    await waitFor(() => expect(confirm).toBeEnabled());
    fireEvent.click(confirm);
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    const write = moves()[1]!;
    expect(JSON.parse(String(write.init?.body))).toEqual({ parent_id: 6, dry_run: false });
    expect(new Headers(write.init?.headers).get('if-match')).toBe('"battery-1"');
  });
});
