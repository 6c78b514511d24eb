/**
 * The synthetic catalog's products agree with their categories, with the noise the README
 * states (SYNTHETIC_NOISE), so that suggestions measured on it mean something.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.js';
import { seedCatalog } from './seeder.js';
import {
  SYNTHETIC_NOISE,
  syntheticCategories,
  syntheticProduct,
  type SyntheticProduct,
} from './synthetic-catalog.js';

const categories = syntheticCategories();
const byId = new Map(categories.map((category) => [category.id, category]));
const COUNT = 20_000;
const products: SyntheticProduct[] = Array.from({ length: COUNT }, (_, index) =>
  syntheticProduct(index, categories),
);
const share = (predicate: (product: SyntheticProduct) => boolean, of = products) =>
  of.filter(predicate).length / of.length;
const vendorsRoot = categories.find((category) => category.name === 'Vendors')!;
const level1Of = (id: number) => {
  let category = byId.get(id)!;
  while (category.parentId !== null) category = byId.get(category.parentId)!;
  return category;
};
/** The most specific assigned categories outside Vendors (a leaf, or where the chain stops). */
const deepest = (product: SyntheticProduct) =>
  product.categoryIds.filter(
    (id) =>
      level1Of(id) !== vendorsRoot &&
      !product.categoryIds.some((other) => byId.get(other)!.parentId === id),
  );
const categorised = products.filter((product) => product.categoryIds.length > 0);
const words = (text: string) => new Set(text.toLowerCase().match(/[a-z]+/g) ?? []);

describe('synthetic catalog', () => {
  it('keeps its tree and is deterministic', () => {
    expect(categories).toHaveLength(191);
    expect(syntheticProduct(1234, syntheticCategories())).toEqual(products[1234]);
    expect(new Set(products.map((product) => product.product_id)).size).toBe(COUNT);
  });

  it('assigns categories closed under "parent of", parents first, without duplicates', () => {
    for (const product of categorised) {
      expect(new Set(product.categoryIds).size).toBe(product.categoryIds.length);
      product.categoryIds.forEach((id, position) => {
        const parentId = byId.get(id)!.parentId;
        if (parentId !== null) expect(product.categoryIds.indexOf(parentId)).toBeLessThan(position);
      });
    }
  });

  it('categorises about 60% and leaves about 40% uncategorised', () => {
    expect(categorised.length / COUNT).toBeCloseTo(SYNTHETIC_NOISE.categorised, 1);
  });

  it('names most products with words of their most specific category or its parent', () => {
    const agreeing = share((product) => {
      const name = words(product.product_name);
      return deepest(product).some((id) => {
        const category = byId.get(id)!;
        const parent = category.parentId === null ? undefined : byId.get(category.parentId);
        return [...words(category.name), ...(parent ? words(parent.name) : [])].some(
          (word) =>
            word.length > 3 &&
            [...name].some((token) => token.startsWith(word.slice(0, word.length - 1))),
        );
      });
    }, categorised);
    // Hand-written nouns ("Skeleton Gun" for Caulking Guns) and 10% misleading names miss.
    expect(agreeing).toBeGreaterThan(0.7);
    expect(agreeing).toBeLessThan(0.97);
  });

  it("gives a Type equal to the product's level-2 or level-3 category name 60-70% of the time", () => {
    const fullyAssigned = categorised.filter((product) =>
      deepest(product).some((id) => byId.get(id)!.level === 3),
    );
    const matching = share((product) => {
      const names = product.categoryIds.map((id) => byId.get(id)!.name);
      return product.product_type !== null && names.includes(product.product_type);
    }, fullyAssigned);
    expect(matching).toBeGreaterThan(0.6);
    expect(matching).toBeLessThan(0.72);
    expect(share((product) => product.product_type === null)).toBeCloseTo(0.15, 1);
  });

  it('has vendors that sell mostly in one to three level-1 areas', () => {
    const areasByVendor = new Map<string, Map<number, number>>();
    for (const product of categorised) {
      const area = level1Of(deepest(product)[0] ?? product.categoryIds[0]!).id;
      const areas = areasByVendor.get(product.vendor) ?? new Map<number, number>();
      areas.set(area, (areas.get(area) ?? 0) + 1);
      areasByVendor.set(product.vendor, areas);
    }
    for (const [vendor, areas] of areasByVendor) {
      const counts = [...areas.values()].sort((a, b) => b - a);
      const total = counts.reduce((sum, n) => sum + n, 0);
      const topThree = counts.slice(0, 3).reduce((sum, n) => sum + n, 0);
      expect(topThree / total, vendor).toBeGreaterThan(0.75);
    }
  });

  it('adds a second unrelated category to about 5% and stops some at level 2 or 1', () => {
    const secondArea = share((product) => {
      const areas = new Set(
        product.categoryIds.map((id) => level1Of(id)).filter((root) => root !== vendorsRoot),
      );
      return areas.size > 1;
    }, categorised);
    expect(secondArea).toBeGreaterThan(0.03);
    expect(secondArea).toBeLessThan(0.07);
    const stopped = share(
      (product) => deepest(product).length === 1 && byId.get(deepest(product)[0]!)!.level === 1,
      categorised,
    );
    expect(stopped).toBeGreaterThan(0.01);
    expect(stopped).toBeLessThan(0.05);
  });

  it('tags often name an application, and every product has a short description', () => {
    expect(share((product) => product.tags.length > 0)).toBeGreaterThan(0.7);
    for (const product of products.slice(0, 1000)) {
      expect(product.description.length).toBeGreaterThan(10);
      expect(product.description.length).toBeLessThan(200);
      expect(product.description).toContain(product.vendor);
    }
  });
});

describe('seeded description', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
    await seedCatalog(test.database, { products: 30 });
  });
  afterAll(async () => {
    await test.close();
  });

  it('is stored and returned on the product, and products without a Type have none', async () => {
    for (const index of [0, 5, 7, 29]) {
      const product = syntheticProduct(index, categories);
      const response = await test.request(`/api/products/${product.product_id}`);
      expect(response.statusCode).toBe(200);
      expect(response.json().data).toMatchObject({
        description: product.description,
        product_type: product.product_type,
        vendor: product.vendor,
      });
    }
  });
});
