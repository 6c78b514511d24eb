/**
 * The order of a large write's rows (assignments.repository.ts): each product's rows together
 * (its product_state row is then updated by one statement, not by every slice), parents before
 * children on insert and children before parents on delete (the closure FK at each statement's
 * end, whatever the slice boundary).
 */
import { describe, expect, it } from 'vitest';
import { deleteOrder, insertOrder, type NewAssignment } from './assignments.repository.js';

const level: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 1, 5: 2 };
const row = (productId: number, categoryId: number): NewAssignment => ({
  productId,
  categoryId,
  categoryLevel: level[categoryId]!,
  parentCategoryId: null,
});

describe('write order', () => {
  it('inserts product by product, parents first', () => {
    const rows = [row(9, 3), row(2, 5), row(9, 1), row(2, 4), row(9, 2), row(5, 1)];
    const sorted = [...rows].sort(insertOrder).map((r) => `${r.productId}:${r.categoryId}`);
    expect(sorted).toEqual(['2:4', '2:5', '5:1', '9:1', '9:2', '9:3']);
  });

  it('deletes product by product, children first', () => {
    const rows = [
      { product_id: 9, category_id: 1 },
      { product_id: 2, category_id: 4 },
      { product_id: 9, category_id: 3 },
      { product_id: 2, category_id: 5 },
      { product_id: 9, category_id: 2 },
    ];
    const sorted = [...rows]
      .sort(deleteOrder((id) => level[id]!))
      .map((r) => `${r.product_id}:${r.category_id}`);
    expect(sorted).toEqual(['2:5', '2:4', '9:3', '9:2', '9:1']);
  });

  it('any slice boundary keeps every child after its parent (inserts)', () => {
    const rows: NewAssignment[] = [];
    for (let product = 30; product > 0; product -= 1) {
      rows.push(row(product, 3), row(product, 2), row(product, 1));
    }
    const sorted = [...rows].sort(insertOrder);
    const seen = new Set<string>();
    for (const r of sorted) {
      if (r.categoryLevel > 1) expect(seen.has(`${r.productId}:${r.categoryId - 1}`)).toBe(true);
      seen.add(`${r.productId}:${r.categoryId}`);
    }
  });
});
