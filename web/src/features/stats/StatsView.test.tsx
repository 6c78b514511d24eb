/** Statistics: "Uncategorised" links to its products, "Most-used" shows every level with paths. */
import { fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Stats } from '@tag-manager/contract';
import { jsonFetch, renderWithProviders } from '../../test/render';
import { StatsView } from './StatsView';

const top = (id: number, level: 1 | 2 | 3, path: string, product_count: number) => ({
  id,
  name: path.split(' > ').at(-1)!,
  level,
  path,
  product_count,
});

const stats: Stats = {
  total_products: 10,
  categorized_products: 4,
  uncategorized_products: 6,
  categorized_share: 0.4,
  total_categories: 5,
  total_assignments: 9,
  categories_by_level: { level_1: 2, level_2: 2, level_3: 1 },
  products_by_status: { active: 10, draft: 0, archived: 0 },
  top_categories: [top(1, 1, 'Tools', 4), top(2, 1, 'Sealants', 2)],
  top_categories_by_level: {
    level_1: [top(1, 1, 'Tools', 4), top(2, 1, 'Sealants', 2)],
    level_2: [top(3, 2, 'Tools > Guns', 2), top(4, 2, 'Sealants > Silicone', 1)],
    level_3: [top(5, 3, 'Tools > Guns > Manual Guns', 1)],
  },
};

afterEach(() => vi.unstubAllGlobals());

function renderStats() {
  const { fetchMock } = jsonFetch(200, {
    success: true,
    data: stats,
    timestamp: '2026-01-01T00:00:00.000Z',
    request_id: 'r1',
  });
  vi.stubGlobal('fetch', fetchMock);
  const onShowCategory = vi.fn();
  const onShowUncategorised = vi.fn();
  renderWithProviders(
    <StatsView onShowCategory={onShowCategory} onShowUncategorised={onShowUncategorised} />,
  );
  return { onShowCategory, onShowUncategorised };
}

describe('StatsView', () => {
  it('links "Uncategorised" to the products list filtered to uncategorised products', async () => {
    const { onShowUncategorised } = renderStats();
    const link = await screen.findByRole('link', { name: /6\s*Uncategorised/ });
    expect(link).toHaveAttribute('href', '/?uncategorised=1');
    fireEvent.click(link);
    expect(onShowUncategorised).toHaveBeenCalledTimes(1);
  });

  it('lists the most-used categories of every level, with level and path', async () => {
    const { onShowCategory } = renderStats();
    const table = await screen.findByTestId('top-categories');
    const level = (n: number) =>
      within(within(table).getByTestId(`top-level-${n}`))
        .getAllByRole('button')
        .map((button) => button.textContent);
    expect(level(1)).toEqual(['L1 Tools', 'L1 Sealants']);
    expect(level(2)).toEqual(['L2 Tools > Guns', 'L2 Sealants > Silicone']);
    expect(level(3)).toEqual(['L3 Tools > Guns > Manual Guns']);
    expect(within(table).getByRole('rowheader', { name: 'Level 3' })).toBeInTheDocument();
    fireEvent.click(within(table).getByRole('button', { name: /Manual Guns/ }));
    expect(onShowCategory).toHaveBeenCalledWith(5);
  });
});
