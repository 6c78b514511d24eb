import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import { readShopifyProducts, type ShopifyRecord } from './shopify-csv.js';

async function read(csv: string): Promise<ShopifyRecord[]> {
  const records: ShopifyRecord[] = [];
  for await (const record of readShopifyProducts(Readable.from([csv]))) records.push(record);
  return records;
}

describe('readShopifyProducts', () => {
  it('rejects a row with the wrong number of fields and keeps the rest', async () => {
    const records = await read('Handle,Title,Vendor\na,Alpha,V\nb,Beta\nc,Gamma,V\n');
    expect(records).toEqual([
      expect.objectContaining({
        kind: 'product',
        draft: expect.objectContaining({ product_id: 'a' }),
      }),
      { kind: 'rejected', rejection: { line: 3, reason: 'has 2 fields, expected 3' } },
      expect.objectContaining({
        kind: 'product',
        draft: expect.objectContaining({ product_id: 'c' }),
      }),
    ]);
  });

  it('ignores variant rows of a handle seen earlier, but rejects a second product row for it', async () => {
    const records = await read('Handle,Title\na,Alpha\nb,Beta\na,nan\na,Alpha Again\n');
    expect(records.filter((record) => record.kind === 'product')).toHaveLength(2);
    expect(records.at(-1)).toEqual({
      kind: 'rejected',
      rejection: { line: 5, reason: 'Handle "a" appears again after other products' },
    });
  });

  it('rejects over-long titles and handles with control characters', async () => {
    // Titles are limited to 255 characters (Shopify's own limit; issue 9 lowered it from 1000,
    // which let 1,000 three-byte characters overflow the title index).
    const records = await read(
      `Handle,Title\nok,${'x'.repeat(256)}\nfits,${'x'.repeat(255)}\n"bad\u0001handle",Fine\n`,
    );
    expect(
      records.map((record) => (record.kind === 'rejected' ? record.rejection.reason : 'product')),
    ).toEqual([
      'Title is longer than 255 characters',
      'product',
      'Handle contains control characters',
    ]);
  });

  it('reads "Tags" when "Current Tags" is absent, defaults the status to active', async () => {
    const [record] = await read('Handle,Title,Tags\na,Alpha," x, y ,x"\n');
    expect(record).toEqual({
      kind: 'product',
      draft: expect.objectContaining({ tags: ['x', 'y'], status: 'active', vendor: null }),
    });
  });

  it('throws a whole-file error for a file without Handle and Title', async () => {
    await expect(read('Name,Price\na,1\n')).rejects.toBeInstanceOf(AppError);
    await expect(read('Handle,Price\na,1\n')).rejects.toThrow(/missing the Title column/);
  });
});
