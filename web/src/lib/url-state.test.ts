import { PRODUCT_FILTER_FIELDS, ProductFilterFields } from '@tag-manager/contract';
import { describe, expect, it } from 'vitest';
import {
  applyChange,
  DEFAULT_STATE,
  forgetPageCursors,
  formatLocation,
  parseLocation,
  previousPage,
  rememberPageCursor,
  toFilterParams,
  toListParams,
} from './url-state';

/** A non-default value for each filter field, chosen from its schema. */
function sampleValue(field: (typeof PRODUCT_FILTER_FIELDS)[number]): unknown {
  const schema = ProductFilterFields[field] as {
    type?: string;
    enum?: unknown[];
    default?: unknown;
  };
  if (schema.type === 'boolean') return !schema.default;
  if (schema.type === 'integer') return 7;
  if (schema.enum) return schema.enum.at(-1);
  return 'Some value';
}

describe('filters in the URL, for every field of the contract filter table', () => {
  it.each(PRODUCT_FILTER_FIELDS)('%s: URL → state → URL and → API params', (field) => {
    const value = sampleValue(field);
    const state = { ...DEFAULT_STATE, [field]: value };
    const href = formatLocation(state);
    expect(href).not.toBe('/');
    const [path, query] = href.split('?');
    expect(parseLocation(path!, `?${query}`)[field]).toEqual(value);
    expect(toFilterParams(state)).toEqual({ [field]: value, sort: DEFAULT_STATE.sort });
  });

  it('defaults stay out of the URL and the API params', () => {
    expect(formatLocation(DEFAULT_STATE)).toBe('/');
    expect(toFilterParams(DEFAULT_STATE)).toEqual({ sort: 'product_name' });
  });

  it('keeps the older short names of shared links, and drops invalid values', () => {
    const state = parseLocation(
      '/',
      '?q=tile&uncategorised=1&category=12&descendants=0&status=nope',
    );
    expect(state).toMatchObject({
      search: 'tile',
      hide_allocated: true,
      category_id: 12,
      include_descendants: false,
      status: undefined,
    });
    expect(parseLocation('/', '?category=-3').category_id).toBeUndefined();
  });
});

describe('the page cursor in the URL (`after`)', () => {
  const cursor = 'eyJhIjoxfQ';

  it('goes with its page into the URL and back; page 1 and bad values carry none', () => {
    const href = formatLocation({ ...DEFAULT_STATE, hide_allocated: true, page: 3, after: cursor });
    expect(href).toBe(`/?uncategorised=1&page=3&after=${cursor}`);
    expect(parseLocation('/', href.slice(1))).toMatchObject({ page: 3, after: cursor });
    expect(formatLocation({ ...DEFAULT_STATE, after: cursor })).toBe('/');
    expect(parseLocation('/', '?page=3&after=not%20a%20cursor').after).toBeNull();
    expect(parseLocation('/', `?page=3&after=${'a'.repeat(2001)}`).after).toBeNull();
  });

  it('asks for the page by cursor when it has one, else by offset', () => {
    expect(toListParams({ ...DEFAULT_STATE, page: 3, after: cursor })).toEqual({
      sort: 'product_name',
      limit: 50,
      cursor,
    });
    expect(toListParams({ ...DEFAULT_STATE, page: 3 })).toEqual({
      sort: 'product_name',
      limit: 50,
      offset: 100,
    });
  });

  it('is dropped by a change of filters, sort, size or page that names no cursor of its own', () => {
    const on = { ...DEFAULT_STATE, page: 3, after: cursor };
    expect(applyChange(on, { product: 'a-product' }).after).toBe(cursor);
    expect(applyChange(on, { view: 'statistics' }).after).toBe(cursor);
    expect(applyChange(on, { vendor: 'Acme' }).after).toBeNull();
    expect(applyChange(on, { sort: '-product_name' }).after).toBeNull();
    expect(applyChange(on, { pageSize: 100 }).after).toBeNull();
    expect(applyChange(on, { page: 4 }).after).toBeNull();
    expect(applyChange(on, { page: 4, after: 'next' }).after).toBe('next');
  });

  it('Previous: the cursor remembered for that page, else its offset; page 1 never has one', () => {
    forgetPageCursors();
    const list = { ...DEFAULT_STATE, hide_allocated: true as const };
    expect(previousPage({ ...list, page: 4, after: 'c4' })).toEqual({ page: 3, after: null });
    rememberPageCursor({ ...list, page: 2, after: 'c2' });
    rememberPageCursor({ ...list, page: 3, after: 'c3' });
    expect(previousPage({ ...list, page: 4, after: 'c4' })).toEqual({ page: 3, after: 'c3' });
    expect(previousPage({ ...list, page: 3, after: 'c3' })).toEqual({ page: 2, after: 'c2' });
    expect(previousPage({ ...list, page: 2, after: 'c2' })).toEqual({ page: 1, after: null });
    // Another list (other filters) has its own cursors.
    expect(previousPage({ ...DEFAULT_STATE, page: 4, after: 'x' })).toEqual({
      page: 3,
      after: null,
    });
    forgetPageCursors();
  });
});
