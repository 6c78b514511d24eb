/**
 * The tree's inline rename after a refusal (focus stays, Escape cancels and returns to the tree
 * item) and the name limit on its inputs.
 */
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TreeNode } from '@tag-manager/contract';
import { buildCategoryIndex } from '../../lib/category-index';
import { jsonFetch, renderWithProviders } from '../../test/render';
import { CategoryTree } from './CategoryTree';

const tree: TreeNode[] = [
  {
    id: 1,
    name: 'Sealants',
    level: 1,
    parent_id: null,
    product_count: 3,
    children: [],
  },
  { id: 2, name: 'Tools', level: 1, parent_id: null, product_count: 0, children: [] },
];

function renderTree() {
  return renderWithProviders(
    <CategoryTree
      index={buildCategoryIndex(tree)}
      selected={new Set()}
      onToggle={() => {}}
      onClearSelection={() => {}}
      filterCategoryId={null}
      onFilter={() => {}}
      onCreate={() => {}}
      onDelete={() => {}}
    />,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('CategoryTree: inline rename', () => {
  it('after a 409 keeps the focus in the input with the error; Escape restores the name and the focus', async () => {
    const { fetchMock, calls } = jsonFetch(409, {
      success: false,
      error: 'A level 1 category named "Tools" already exists',
      code: 'CONFLICT',
      details: { reason: 'duplicate_sibling_name', field: 'name' },
      timestamp: '2026-01-01T00:00:00.000Z',
      request_id: 'req-9',
    });
    vi.stubGlobal('fetch', fetchMock);
    renderTree();
    const item = screen.getByRole('treeitem', { name: /^Sealants/ });
    item.focus();
    fireEvent.keyDown(item, { key: 'F2' });
    const input = screen.getByRole('textbox', { name: 'New name for Sealants' });
    expect(input).toHaveFocus();
    fireEvent.change(input, { target: { value: 'Tools' } });
    fireEvent.keyDown(input, { key: 'Enter' });

    const error = await screen.findByText('A level 1 category named "Tools" already exists');
    // One write (the field also reads the category once, for the rename's If-Match).
    expect(calls.filter((call) => call.init?.method === 'PATCH')).toHaveLength(1);
    expect(input).toBeInTheDocument();
    expect(input).not.toBeDisabled(); // a disabled input drops the focus in browsers
    expect(input).toHaveFocus();
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(input).toHaveAccessibleDescription(error.textContent!);

    fireEvent.keyDown(input, { key: 'Escape' });
    expect(screen.queryByRole('textbox', { name: /New name/ })).toBeNull();
    const restored = screen.getByRole('treeitem', { name: /^Sealants/ });
    expect(restored).toHaveTextContent('Sealants');
    await waitFor(() => expect(restored).toHaveFocus());
  });

  it('stays typeable while the request runs (read-only, not disabled)', async () => {
    let release: (response: Response) => void = () => {};
    vi.stubGlobal('fetch', () => new Promise<Response>((resolve) => (release = resolve)));
    renderTree();
    const item = screen.getByRole('treeitem', { name: /^Tools/ });
    item.focus();
    fireEvent.keyDown(item, { key: 'F2' });
    const input = screen.getByRole('textbox', { name: 'New name for Tools' });
    fireEvent.change(input, { target: { value: 'Hand tools' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    await waitFor(() => expect(input).toHaveAttribute('readonly'));
    expect(input).toHaveFocus();
    release(new Response(null, { status: 503 }));
    await waitFor(() => expect(input).not.toHaveAttribute('readonly'));
  });

  it('limits names to 100 characters and flags a longer paste instead of cutting it', () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    renderTree();
    expect(screen.getByRole('searchbox', { name: 'Search categories' })).toHaveAttribute(
      'maxlength',
      '100',
    );
    const item = screen.getByRole('treeitem', { name: /^Tools/ });
    item.focus();
    fireEvent.keyDown(item, { key: 'F2' });
    const input = screen.getByRole('textbox', { name: 'New name for Tools' });
    expect(input).toHaveAttribute('maxlength', '100');
    (input as HTMLInputElement).setSelectionRange(0, 5);
    const long = 'n'.repeat(120);
    fireEvent.paste(input, { clipboardData: { getData: () => long } });
    expect(input).toHaveValue(long);
    expect(input).toHaveAccessibleDescription(
      'A name can be at most 100 characters (this one has 120).',
    );
    fireEvent.keyDown(input, { key: 'Enter' });
    // No write was sent (the field reads the category once, for the rename's If-Match).
    expect(
      fetchMock.mock.calls.filter(
        ([, init]) => ((init as RequestInit | undefined)?.method ?? 'GET') !== 'GET',
      ),
    ).toEqual([]);
  });
});
