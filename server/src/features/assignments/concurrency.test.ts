import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducts, createSampleTree } from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  type TestApp,
} from '../../../test/helpers/test-app.js';

let test: TestApp;
beforeAll(async () => {
  test = await createTestApp();
});
afterAll(async () => {
  await test.close();
});

describe('concurrent writers', () => {
  it('overlapping bulk assigns and removes all succeed and keep every invariant', async () => {
    const tree = await createSampleTree(test);
    const handles = await createProducts(test, 40);
    const leaves = [tree.manualGuns.id, tree.batteryGuns.id, tree.neutralCure.id, tree.trowels.id];
    // Each request takes an overlapping window of products, in a different order, and a
    // different pair of categories that share ancestors with the others.
    const requests = Array.from({ length: 16 }, (_, index) => {
      const window = handles.slice(index, index + 20);
      const productIds = index % 2 === 0 ? window : [...window].reverse();
      const categoryIds = [leaves[index % 4]!, leaves[(index + 1) % 4]!];
      const url = index % 5 === 4 ? '/api/bulk/remove' : '/api/bulk/assign';
      return test.request({
        method: 'POST',
        url,
        payload: { product_ids: productIds, category_ids: categoryIds },
      });
    });
    const responses = await Promise.all(requests);
    expect(responses.map((response) => response.statusCode)).toEqual(responses.map(() => 200));
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});
