import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCategory, createSampleTree } from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  snapshot,
  type TestApp,
} from '../../../test/helpers/test-app.js';

let test: TestApp;
beforeAll(async () => {
  test = await createTestApp();
});
afterAll(async () => {
  await test.close();
});

describe('categories', () => {
  it('rejects an empty name with 422 and validation_errors (the plan example)', async () => {
    const before = await snapshot(test.db);
    const response = await test.request({
      method: 'POST',
      url: '/api/categories',
      payload: { name: '' },
    });
    expect(response.statusCode).toBe(422);
    const body = response.json();
    expect(body.success).toBe(false);
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(body.details.validation_errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'name' })]),
    );
    expect(body.details.field_errors).toEqual(body.details.validation_errors);
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('creates a tree, derives levels from parents and reports paths', async () => {
    const tree = await createSampleTree(test);
    expect(tree.neutralCure.level).toBe(3);
    const response = await test.request(`/api/categories/${tree.neutralCure.id}`);
    expect(response.statusCode).toBe(200);
    const category = response.json().data;
    expect(category.path).toBe('Sealants > Silicone > Neutral Cure');
    expect(category.ancestors.map((a: { name: string }) => a.name)).toEqual([
      'Sealants',
      'Silicone',
    ]);

    const treeResponse = await test.request('/api/categories/tree');
    const roots = treeResponse.json().data;
    expect(roots.map((root: { name: string }) => root.name).sort()).toEqual([
      'Sealants',
      'Trade Tools',
    ]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('refuses duplicate sibling names case-insensitively but allows them elsewhere', async () => {
    const root = await createCategory(test, { name: 'Tapes' });
    await createCategory(test, { name: 'Duct Tape', parent_id: root.id });
    const duplicate = await test.request({
      method: 'POST',
      url: '/api/categories',
      payload: { name: '  duct   TAPE ', parent_id: root.id },
    });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().code).toBe('CONFLICT');
    const other = await createCategory(test, { name: 'Other' });
    const elsewhere = await createCategory(test, { name: 'Duct Tape', parent_id: other.id });
    expect(elsewhere.level).toBe(2);
  });
});
