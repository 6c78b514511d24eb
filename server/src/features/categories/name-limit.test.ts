/**
 * One maximum category name length (CATEGORY_NAME_MAX_LENGTH, 100) everywhere: the OpenAPI
 * document's create and rename schemas, the API's answers, and the category import.
 */
import { CATEGORY_NAME_MAX_LENGTH } from '@tag-manager/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCategory } from '../../../test/helpers/fixtures.js';
import { createTestApp, snapshot, type TestApp } from '../../../test/helpers/test-app.js';

let test: TestApp;
beforeAll(async () => {
  test = await createTestApp();
});
afterAll(async () => {
  await test.close();
});

interface Schema {
  properties: { name: { maxLength?: number } };
}

describe('category name limit', () => {
  it('is 100 in the API document for create and rename', async () => {
    const document = (await test.app.inject('/openapi.json')).json() as {
      components: { schemas: Record<string, Schema> };
    };
    expect(CATEGORY_NAME_MAX_LENGTH).toBe(100);
    for (const name of ['CreateCategoryBody', 'RenameCategoryBody']) {
      expect(document.components.schemas[name]!.properties.name.maxLength, name).toBe(100);
    }
  });

  it('accepts 100 characters and refuses 101 on create, rename and import, changing nothing', async () => {
    const longest = 'é'.repeat(100);
    const created = await createCategory(test, { name: longest });
    expect(created.name).toBe(longest);
    const before = await snapshot(test.db);

    const tooLong = 'é'.repeat(101);
    const create = await test.request({
      method: 'POST',
      url: '/api/categories',
      payload: { name: tooLong },
    });
    const rename = await test.request({
      method: 'PATCH',
      url: `/api/categories/${created.id}`,
      payload: { name: tooLong },
    });
    for (const response of [create, rename]) {
      expect(response.statusCode).toBe(422);
      expect(response.json().details.field_errors).toEqual([
        expect.objectContaining({ field: 'name' }),
      ]);
    }
    const imported = await test.request({
      method: 'POST',
      url: '/api/import/categories',
      payload: [{ category_name: tooLong, category_level: 'Level 1 Category', connected_to: null }],
    });
    expect(imported.statusCode).toBe(200);
    expect(imported.json().data.rejected).toEqual([
      { line: 1, reason: expect.stringContaining('at most 100 characters') },
    ]);
    expect(await snapshot(test.db)).toEqual(before);
  });
});
