import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TreeNode } from '@tag-manager/contract';
import { buildCategoryIndex } from '../../lib/category-index';
import { jsonFetch, renderWithProviders } from '../../test/render';
import { CreateCategoryDialog } from './CreateCategoryDialog';

const tree: TreeNode[] = [
  {
    id: 1,
    name: 'Adhesives & Sealants',
    level: 1,
    parent_id: null,
    product_count: 3,
    children: [{ id: 2, name: 'Sealants', level: 2, parent_id: 1, product_count: 2, children: [] }],
  },
  { id: 5, name: 'Vendors', level: 1, parent_id: null, product_count: 0, children: [] },
];
const index = buildCategoryIndex(tree);

const errorBody = (code: string, error: string, details: Record<string, unknown>) => ({
  success: false,
  error,
  code,
  details,
  timestamp: '2026-01-01T00:00:00.000Z',
  request_id: 'req-77',
});

function renderDialog(defaultParentId: number | null = null) {
  const onCreated = vi.fn();
  const onClose = vi.fn();
  renderWithProviders(
    <CreateCategoryDialog
      index={index}
      defaultParentId={defaultParentId}
      onClose={onClose}
      onCreated={onCreated}
    />,
  );
  return { onCreated, onClose };
}

afterEach(() => vi.unstubAllGlobals());

describe('CreateCategoryDialog', () => {
  it('is a labelled dialog with the name field focused', () => {
    renderDialog();
    expect(screen.getByRole('dialog', { name: 'New category' })).toBeInTheDocument();
    expect(screen.getByLabelText('Name')).toHaveFocus();
  });

  it('shows a duplicate sibling name (409 with details.field) next to the name field', async () => {
    const { fetchMock, calls } = jsonFetch(
      409,
      errorBody('CONFLICT', 'A level 1 category named "Vendors" already exists', {
        reason: 'duplicate_sibling_name',
        field: 'name',
      }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const { onCreated } = renderDialog();
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Vendors' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create category' }));

    const error = await screen.findByTestId('name-error');
    expect(error).toHaveTextContent('A level 1 category named "Vendors" already exists');
    const name = screen.getByLabelText('Name');
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(name).toHaveAccessibleDescription('A level 1 category named "Vendors" already exists');
    expect(screen.queryByRole('alert')).toBeNull(); // no toast: the error sits by its field
    expect(onCreated).not.toHaveBeenCalled();
    expect(calls).toHaveLength(1);
    expect(JSON.parse(String(calls[0]!.init?.body))).toEqual({ name: 'Vendors', level: 1 });
  });

  it('shows 422 field_errors next to their fields', async () => {
    const { fetchMock } = jsonFetch(
      422,
      errorBody('VALIDATION_ERROR', 'parent_id: a level 2 category needs a parent at level 1', {
        field_errors: [
          { field: 'parent_id', message: 'a level 2 category needs a parent at level 1' },
        ],
        validation_errors: [
          { field: 'parent_id', message: 'a level 2 category needs a parent at level 1' },
        ],
      }),
    );
    vi.stubGlobal('fetch', fetchMock);
    renderDialog(1);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Glues' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create category' }));
    await waitFor(() =>
      expect(screen.getByLabelText('Parent (level 1)')).toHaveAccessibleDescription(
        expect.stringContaining('a level 2 category needs a parent at level 1'),
      ),
    );
  });

  it('toasts an error that belongs to no field, with the request id', async () => {
    const { fetchMock } = jsonFetch(
      503,
      errorBody('SERVICE_UNAVAILABLE', 'The database is not available', { dependency: 'database' }),
    );
    vi.stubGlobal('fetch', fetchMock);
    renderDialog();
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Anything' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create category' }));
    const toast = await screen.findByRole('alert');
    expect(toast).toHaveTextContent('Could not create the category');
    expect(toast).toHaveTextContent('The database is not available');
    expect(toast).toHaveTextContent('req-77');
  });

  it('offers only categories one level up as parents', () => {
    renderDialog();
    const parent = screen.getByLabelText(/^Parent/);
    expect(parent).toBeDisabled();
    fireEvent.click(screen.getByLabelText('Level 2'));
    expect([...parent.querySelectorAll('option')].map((option) => option.textContent)).toEqual([
      'Choose a level 1 category…',
      'Adhesives & Sealants',
      'Vendors',
    ]);
    fireEvent.click(screen.getByLabelText('Level 3'));
    expect([...parent.querySelectorAll('option')].map((option) => option.textContent)).toEqual([
      'Choose a level 2 category…',
      'Adhesives & Sealants > Sealants',
    ]);
  });

  it('checks the form before sending: a name, and a parent below level 1', () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    renderDialog();
    fireEvent.click(screen.getByLabelText('Level 2'));
    fireEvent.click(screen.getByRole('button', { name: 'Create category' }));
    expect(screen.getByTestId('name-error')).toHaveTextContent('Enter a name');
    expect(screen.getByLabelText(/^Parent/)).toHaveAccessibleDescription(
      expect.stringContaining('Choose a level 1 parent'),
    );
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('creates the category under the chosen parent', async () => {
    const created = {
      id: 9,
      name: 'Glues',
      level: 2,
      parent_id: 1,
      path: 'Adhesives & Sealants > Glues',
      path_ids: [1, 9],
      has_children: false,
      child_count: 0,
      product_count: 0,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    };
    const { fetchMock, calls } = jsonFetch(201, {
      success: true,
      data: created,
      timestamp: '2026-01-01T00:00:00.000Z',
      request_id: 'r1',
    });
    vi.stubGlobal('fetch', fetchMock);
    const { onCreated } = renderDialog(1);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: '  Glues ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create category' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(created));
    expect(JSON.parse(String(calls[0]!.init?.body))).toEqual({
      name: 'Glues',
      level: 2,
      parent_id: 1,
    });
  });

  it('closes on Escape', () => {
    const { onClose } = renderDialog();
    fireEvent.keyDown(screen.getByLabelText('Name'), { key: 'Escape' });
    expect(onClose).toHaveBeenCalled();
  });

  it('keeps a name past 100 characters whole and says so inline, instead of cutting it', () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    renderDialog();
    const name = screen.getByLabelText('Name');
    expect(name).toHaveAttribute('maxlength', '100');
    const long = 'Long name '.repeat(15); // 150 characters
    fireEvent.paste(name, { clipboardData: { getData: () => long } });
    expect(name).toHaveValue(long);
    expect(screen.getByTestId('name-error')).toHaveTextContent(
      'A name can be at most 100 characters (this one has 149).',
    );
    expect(name).toHaveAttribute('aria-invalid', 'true');
    fireEvent.click(screen.getByRole('button', { name: 'Create category' }));
    expect(fetchMock).not.toHaveBeenCalled();

    // Shortened to the limit: the error goes, the count shows how close it is.
    fireEvent.change(name, { target: { value: 'n'.repeat(100) } });
    expect(screen.queryByTestId('name-error')).toBeNull();
    expect(name).toHaveAccessibleDescription('100 / 100 characters');
  });

  it('lets a paste within the limit through to the browser', () => {
    renderDialog();
    const name = screen.getByLabelText('Name');
    const pasted = fireEvent.paste(name, { clipboardData: { getData: () => 'Glues' } });
    expect(pasted).toBe(true); // not prevented: the browser inserts it
    expect(screen.queryByTestId('name-error')).toBeNull();
  });
});
