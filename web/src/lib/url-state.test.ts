import { PRODUCT_FILTER_FIELDS, ProductFilterFields } from '@tag-manager/contract';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, formatLocation, parseLocation, toFilterParams } from './url-state';

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
