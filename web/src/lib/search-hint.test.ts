import { describe, expect, it } from 'vitest';
import { searchHintFor } from './search-hint';

describe('searchHintFor', () => {
  it('says nothing for an empty term or one with three letters or digits in a row', () => {
    expect(searchHintFor('')).toBeUndefined();
    expect(searchHintFor('membrane')).toBeUndefined();
    expect(searchHintFor('x-100')).toBeUndefined();
    expect(searchHintFor('テープ')).toBeUndefined();
  });

  it('explains a short term and one the server refuses', () => {
    expect(searchHintFor('ab')).toMatch(/whole name, handle or SKU/);
    expect(searchHintFor('a-b')).toMatch(/whole name, handle or SKU/);
    expect(searchHintFor('%%')).toBe('Type a letter or digit to search.');
    expect(searchHintFor('___')).toBe('Type a letter or digit to search.');
  });
});
