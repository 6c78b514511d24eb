/**
 * Requests for one operation of the OpenAPI document: valid ones built from its schemas (mostly
 * naming real rows) and invalid ones (bad path parameters, query strings, bodies, content types,
 * methods, URL shapes). A plan is plain data with symbolic values; `toInject` makes it a request
 * against the world as it is when the request is sent.
 */
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import {
  categoryList,
  garbageText,
  JsonText,
  MultipartDoc,
  assignmentsCsv,
  renderText,
  shopifyCsv,
  type Part,
  type Text,
} from './documents.js';
import type { JsonSchema, Operation, Parameter } from './openapi.js';
import {
  invalidValue,
  isOpaque,
  NASTY_STRINGS,
  objectMutation,
  poolRef,
  SQL,
  validValue,
} from './schema-values.js';
import {
  BigText,
  Deep,
  encodeSegment,
  ManyKeys,
  PoolRef,
  RawJson,
  Repeat,
  resolve,
  toJsonText,
  wellFormed,
  type World,
} from './values.js';

export interface FuzzLimits {
  bodyLimitBytes: number;
  importMaxBytes: number;
}

type PathValue = { value: unknown } | { raw: string };
type QueryPart = { name: string; value: unknown } | { raw: string };
type UrlShape = 'plain' | 'trailing-slash' | 'double-slash' | 'extra-segment';

export type BodyPlan =
  /** JSON text of `value`; `contentType` null sends no Content-Type header. */
  | { kind: 'json'; value: unknown; contentType?: string | null }
  | { kind: 'text'; text: Text; contentType: string | null }
  | { kind: 'multipart'; doc: MultipartDoc };

export interface HeaderPlan {
  requestId?: string;
  ifNoneMatch?: PoolRef | string;
  /** Writes on one product or category honour it (412 stale, 400 malformed). */
  ifMatch?: PoolRef | string;
  accept?: string;
}

/** Asking again for something read before: with its ETag, or for its next page. */
export interface ReplayPlan {
  pick: number;
  kind: 'revalidate' | 'next-page';
  /** How the ETag or cursor is spoiled, if at all. */
  mutation: string;
  /** For a cursor field mutation: which field of the decoded cursor and its new value. */
  field?: number;
  value?: unknown;
}

export interface RequestPlan {
  /** The operation of the document this request was made for. */
  operation: string;
  /** What kind of request this is (valid, bad-path, bad-body, …). */
  variant: string;
  method: string;
  path: string;
  params: Record<string, PathValue>;
  shape: UrlShape;
  extraSegment?: string;
  query: QueryPart[];
  headers: HeaderPlan;
  body?: BodyPlan;
  replay?: ReplayPlan;
  /** Ask again at once with the ETag of the answer: it must be 304 (nothing changed since). */
  revalidate?: boolean;
}

/**
 * Bodies whose schema in the document is opaque (`Type.Unknown`, the upload routes): generated
 * from what the route's description says, keyed by operation. Anything else gets generic JSON.
 */
const OPAQUE_JSON_BODIES: Record<string, () => fc.Arbitrary<unknown>> = {
  'POST /api/import/categories': categoryList,
};

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Path segments written verbatim (already URL-safe, or deliberately broken). No dot segments:
 * the URL parser resolves them before the app sees the path (see encodeSegment).
 */
const RAW_SEGMENTS = [
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  'a%00b',
  '%E0%A4%A',
  '%',
  '%zz',
  '%C0%AE',
  '%C0%80',
  '%FF%FE',
  '%EF%BB%BF1',
  '%F0%9F%99%82',
  '-1',
  '0',
  '00001',
  '1e3',
  '0x10',
  '+1',
  '1.0',
  '%201',
  '1%20',
  '%2F',
  'a%2Fb',
  ';',
  ',',
  '*',
  '~',
  '$',
  "'",
  '(',
  ')',
  '2147483648',
  '-2147483649',
  '9223372036854775808',
  '9'.repeat(400),
  'x'.repeat(2100),
];

const QUERY_GARBAGE = [
  '',
  'abc',
  '1.5',
  '-1',
  '0',
  '1e3',
  '99999999999999999999',
  ' 1',
  '0x1F',
  'true',
  'false',
  'yes',
  'null',
  'NaN',
  'Infinity',
  '[]',
  '{}',
  '[object Object]',
  SQL,
];

const RAW_QUERY_PARTS = [
  '&&',
  '=x',
  '%',
  '%zz',
  '%E0%A4%A',
  'search=%00',
  'search=a%00b',
  'search=%C0%80',
  'vendor=%FF',
  'a[b]=c',
  'limit[]=1',
  'status[]=active',
  '__proto__[polluted]=1',
  '__proto__=1',
  'constructor[prototype][polluted]=1',
  'limit=1;offset=2',
  'sort=%2Dproduct_name',
  '+=+',
  'a=1&a=2&a=3',
  '%3F%3D%26',
  'limit',
  'cursor=',
  'hide_allocated=1',
  'include_descendants=0',
];

const WRONG_CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'text/html',
  'image/png',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'application/json;charset=iso-8859-1',
  'APPLICATION/JSON',
  'application/problem+json',
  'application/vnd.api+json',
  'text/csv',
  'text/csv; charset=latin1',
  'multipart/form-data',
  'multipart/mixed; boundary=x',
  '',
  'garbage',
  'application/json, text/csv',
];

const MALFORMED_JSON = [
  '{',
  '}',
  '[',
  '{"a":',
  "{'a': 1}",
  '{"a": 1,}',
  '[1, 2',
  'nul',
  'undefined',
  'NaN',
  '{"a": NaN}',
  '{"a": Infinity}',
  '{"a": 01}',
  '{"a": .5}',
  '{"a": "\\x41"}',
  '{"a": "unterminated}',
  '{"a": "\u0000"}',
  '\uFEFF{}',
  '{} {}',
  '{"a":1}garbage',
  '//comment\n{}',
  '{"a" 1}',
  '\u0000',
  ' ',
];

const requestId = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'has space',
      '<script>',
      'a'.repeat(129),
      'idé',
      '',
      'x\ty',
      "a'b",
      '../..',
    ),
  },
);

const headerPlan: fc.Arbitrary<HeaderPlan> = fc.record(
  {
    requestId,
    ifNoneMatch: fc.oneof(
      { weight: 4, arbitrary: poolRef('etag') },
      { weight: 1, arbitrary: fc.constantFrom('*', 'W/"x"', '"abc"', 'garbage', '', ',,,') },
    ),
    ifMatch: fc.oneof(
      { weight: 4, arbitrary: poolRef('etag') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '*',
          'W/"x"',
          '"abc"',
          'garbage',
          '',
          ',,,',
          '"a" "b"',
          '*, "a"',
        ),
      },
    ),
    accept: fc.constantFrom(
      'application/json',
      '*/*',
      'text/csv',
      'text/html',
      'application/xml',
      'garbage',
    ),
  },
  { requiredKeys: [] },
);

const urlShape: fc.Arbitrary<{ shape: UrlShape; extraSegment?: string }> = fc.oneof(
  { weight: 40, arbitrary: fc.constant({ shape: 'plain' as const }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { shape: 'trailing-slash' as const },
      { shape: 'double-slash' as const },
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('x', 'children', 'categories', 'tree', '...', '1', 'level1', '%2F')
      .map((extraSegment) => ({ shape: 'extra-segment' as const, extraSegment })),
  },
);

// ---------------------------------------------------------------------------------------------
// Path parameters

function validParams(operation: Operation): fc.Arbitrary<Record<string, PathValue>> {
  const each = fc.record(
    Object.fromEntries(
      operation.pathParams.map((parameter) => [
        parameter.name,
        validValue(parameter.schema, parameter.name).map((value): PathValue => ({ value })),
      ]),
    ),
  );
  const names = operation.pathParams.map((parameter) => parameter.name);
  // A product and a category in one path: half the time a pair that is actually assigned.
  if (names.includes('product_id') && names.includes('category_id')) {
    const pair = fc.nat({ max: 100_000 }).map((index) => ({
      product_id: { value: new PoolRef('assignedHandle', index) },
      category_id: { value: new PoolRef('assignedCategoryId', index) },
    }));
    return fc.oneof(each, pair).map((params) => params as Record<string, PathValue>);
  }
  return each;
}

function invalidSegment(parameter: Parameter, limits: FuzzLimits): fc.Arbitrary<PathValue> {
  return fc.oneof(
    fc.constantFrom(...RAW_SEGMENTS).map((raw): PathValue => ({ raw })),
    invalidValue(parameter.schema, limits).map((value): PathValue => ({ value })),
    fc.constantFrom(...NASTY_STRINGS).map((value): PathValue => ({ value })),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map((value) => ({ value })),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map((value): PathValue => ({ value })),
    fc.double({ noNaN: true }).map((value): PathValue => ({ value })),
    fc
      .constantFrom(255, 256, 1000, 2048, 2049, 3000)
      .map((length): PathValue => ({ value: new BigText('h', length) })),
  );
}

function invalidParams(
  operation: Operation,
  limits: FuzzLimits,
): fc.Arbitrary<Record<string, PathValue>> {
  return fc
    .tuple(validParams(operation), fc.constantFrom(...operation.pathParams))
    .chain(([params, parameter]) =>
      invalidSegment(parameter, limits).map((bad) => ({ ...params, [parameter.name]: bad })),
    );
}

// ---------------------------------------------------------------------------------------------
// Query strings

function validQuery(operation: Operation): fc.Arbitrary<QueryPart[]> {
  if (operation.queryParams.length === 0) return fc.constant([]);
  return fc
    .tuple(
      // Parameters with defaults are "required" in the document; the others are left out more
      // often than not, so that one bad choice (a stale cursor) does not spoil most requests.
      ...operation.queryParams.map((parameter) =>
        fc.oneof(
          { weight: parameter.required ? 1 : 2, arbitrary: fc.constant(undefined) },
          {
            weight: parameter.required ? 3 : 1,
            arbitrary: validValue(parameter.schema, parameter.name),
          },
        ),
      ),
    )
    .map((values) =>
      values.flatMap((value, index): QueryPart[] =>
        value === undefined ? [] : [{ name: operation.queryParams[index]!.name, value }],
      ),
    );
}

function queryMutation(operation: Operation, limits: FuzzLimits): fc.Arbitrary<QueryPart[]> {
  const garbageValue = fc.oneof(
    fc.constantFrom<unknown>(...QUERY_GARBAGE, ...NASTY_STRINGS),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.constantFrom(201, 5000).map((length) => new BigText('q', length)),
  );
  const unknownName = fc.oneof(
    fc.constantFrom('foo', 'LIMIT', 'limit ', 'page', 'per_page', 'filter', 'q', 'id', ''),
    fc.stringMatching(/^[a-z_]{1,12}$/),
  );
  const mutations: fc.Arbitrary<QueryPart[]>[] = [
    fc.tuple(unknownName, garbageValue).map(([name, value]) => [{ name, value }]),
    fc.constantFrom(...RAW_QUERY_PARTS).map((raw) => [{ raw }]),
  ];
  if (operation.queryParams.length > 0) {
    const parameter = fc.constantFrom(...operation.queryParams);
    mutations.push(
      parameter.chain((p) =>
        fc
          .oneof(invalidValue(p.schema, limits), garbageValue)
          .map((value) => [{ name: p.name, value }]),
      ),
      // The same parameter twice.
      parameter.chain((p) =>
        fc.tuple(validValue(p.schema, p.name), validValue(p.schema, p.name)).map(([a, b]) => [
          { name: p.name, value: a },
          { name: p.name, value: b },
        ]),
      ),
    );
  }
  return fc
    .tuple(validQuery(operation), fc.oneof(...mutations), fc.nat())
    .map(([query, extra, at]) => {
      const names = new Set(extra.map((part) => ('name' in part ? part.name : '')));
      // A mutated parameter replaces its valid value most of the time.
      const kept =
        at % 3 === 0 ? query : query.filter((part) => !('name' in part && names.has(part.name)));
      return [...kept, ...extra];
    });
}

// ---------------------------------------------------------------------------------------------
// Bodies

interface MediaBodies {
  valid: fc.Arbitrary<BodyPlan>[];
  invalid: fc.Arbitrary<BodyPlan>[];
  /** The same content as a file, for a multipart upload. */
  file?: fc.Arbitrary<{ content: Text; filename: string; contentType: string }>;
}

function jsonBodies(operation: Operation, schema: JsonSchema, limits: FuzzLimits): MediaBodies {
  const opaque = isOpaque(schema);
  const value = opaque
    ? (OPAQUE_JSON_BODIES[operation.id]?.() ?? fc.jsonValue({ maxDepth: 3 }))
    : validValue(schema);
  const json = (arbitrary: fc.Arbitrary<unknown>) =>
    arbitrary.map((body): BodyPlan => ({ kind: 'json', value: body }));
  const text = (arbitrary: fc.Arbitrary<Text>) =>
    arbitrary.map((body): BodyPlan => ({
      kind: 'text',
      text: body,
      contentType: 'application/json',
    }));
  const invalid: fc.Arbitrary<BodyPlan>[] = [
    text(fc.constantFrom(...MALFORMED_JSON)),
    text(fc.tuple(value, fc.nat()).map(([body, cut]) => new JsonText(body, cut))),
    json(
      fc.oneof(
        fc.constantFrom(new Deep(10_000, 'array'), new Deep(5000, 'object')),
        fc.jsonValue({ maxDepth: 3 }),
        fc
          .constantFrom(1000, Math.floor(limits.bodyLimitBytes / 8), limits.bodyLimitBytes)
          .map((count) => new Repeat({ a: 1 }, count, false)),
        // Many distinct unknown keys, up to the body limit (issue 9, H2: one validation issue
        // per key must not cost more than linear time, nor answer an unbounded error).
        fc
          .constantFrom(1000, Math.floor(limits.bodyLimitBytes / 12))
          .map((count) => new ManyKeys(count)),
      ),
    ),
    // A valid body with one property replaced by a nested value or an object of many keys.
    json(
      fc
        .tuple(
          value,
          fc.nat(),
          fc.constantFrom<unknown>(
            new Deep(2000, 'array'),
            new Deep(2000, 'object'),
            new ManyKeys(Math.floor(limits.bodyLimitBytes / 24)),
          ),
        )
        .map(([body, at, nested]) => {
          if (!body || typeof body !== 'object' || Array.isArray(body)) return nested;
          const keys = Object.keys(body);
          if (keys.length === 0) return nested;
          return { ...body, [keys[at % keys.length]!]: nested };
        }),
    ),
    // Over the body limit.
    text(
      fc
        .constantFrom(limits.bodyLimitBytes + 1, limits.bodyLimitBytes * 3)
        .map((length) => new BigText('1,', length, '[')),
    ),
    // Prototype pollution attempts around a valid body.
    text(
      value.map(
        (body) =>
          new JsonText({
            ...(body && typeof body === 'object' && !Array.isArray(body) ? body : {}),
            ['__proto__']: new RawJson('{"polluted": true}'),
          }),
      ),
    ),
    text(fc.constant('{"constructor": {"prototype": {"polluted": true}}}')),
    // No body at all (with and without a content type), and an empty one.
    fc.constantFrom<BodyPlan>(
      { kind: 'text', text: '', contentType: null },
      { kind: 'text', text: '', contentType: 'application/json' },
    ),
  ];
  if (!opaque) {
    invalid.push(json(invalidValue(schema, limits)));
    if (schema.properties) invalid.push(json(objectMutation(schema, limits)));
  }
  return {
    valid: [json(value)],
    invalid,
    file: value.map((body) => ({
      content: new JsonText(body),
      filename: 'upload.json',
      contentType: 'application/json',
    })),
  };
}

function csvBodies(limits: FuzzLimits, operation: Operation): MediaBodies {
  // The assignment import reads another format than the product import.
  const document =
    operation.path === '/api/import/assignments' ? assignmentsCsv() : shopifyCsv(limits);
  const csvTypes = fc.constantFrom(
    'text/csv',
    'text/csv; charset=utf-8',
    'application/csv',
    'text/plain',
    'application/octet-stream',
  );
  return {
    valid: [
      fc
        .tuple(document, csvTypes)
        .map(([text, contentType]): BodyPlan => ({ kind: 'text', text, contentType })),
    ],
    invalid: [
      fc
        .tuple(garbageText(limits), csvTypes)
        .map(([text, contentType]): BodyPlan => ({ kind: 'text', text, contentType })),
      fc.constant<BodyPlan>({ kind: 'text', text: '', contentType: null }),
    ],
    file: fc
      .tuple(
        fc.oneof({ weight: 4, arbitrary: document }, { weight: 1, arbitrary: garbageText(limits) }),
        fc.constantFrom('products_export.csv', 'x', '', '../../etc/passwd', 'prödücts.csv'),
        fc.constantFrom('text/csv', 'application/octet-stream', 'application/json', ''),
      )
      .map(([content, filename, contentType]) => ({ content, filename, contentType })),
  };
}

function multipartBodies(file: NonNullable<MediaBodies['file']>): MediaBodies {
  const filePart = file.map(({ content, filename, contentType }): Part => ({
    name: 'file',
    filename,
    ...(contentType ? { contentType } : {}),
    content,
  }));
  const field = fc
    .tuple(fc.constantFrom('note', 'file', 'kind', 'x'), fc.string({ maxLength: 20 }))
    .map(([name, content]): Part => ({ name, content }));
  const multipart = (parts: fc.Arbitrary<Part[]>, breakage: MultipartDoc['breakage'] = 'none') =>
    parts.map((list): BodyPlan => ({ kind: 'multipart', doc: new MultipartDoc(list, breakage) }));
  return {
    valid: [multipart(filePart.map((part) => [part]))],
    invalid: [
      // Broken envelopes.
      fc
        .tuple(
          filePart,
          fc.constantFrom<MultipartDoc['breakage']>(
            'truncated',
            'no-closing-boundary',
            'no-boundary-parameter',
            'other-boundary',
            'garbage-preamble',
          ),
        )
        .map(([part, breakage]): BodyPlan => ({
          kind: 'multipart',
          doc: new MultipartDoc([part], breakage),
        })),
      // No file, only fields; the file under another name; two files; too many fields.
      multipart(fc.array(field, { maxLength: 3 })),
      multipart(filePart.map((part) => [{ ...part, name: 'upload' }])),
      multipart(fc.tuple(filePart, filePart).map(([a, b]) => [a, b])),
      multipart(
        fc
          .tuple(fc.array(field, { minLength: 6, maxLength: 8 }), filePart)
          .map(([fields, part]) => [...fields, part]),
      ),
      multipart(fc.tuple(field, filePart).map(([a, b]) => [a, b])),
    ],
  };
}

function bodies(operation: Operation, limits: FuzzLimits): MediaBodies | undefined {
  if (!operation.body) return undefined;
  const result: MediaBodies = { valid: [], invalid: [] };
  const entries = Object.entries(operation.body);
  for (const [mediaType, schema] of entries) {
    if (mediaType === 'multipart/form-data') continue;
    const media =
      mediaType === 'application/json' || mediaType.endsWith('+json')
        ? jsonBodies(operation, schema, limits)
        : mediaType.startsWith('text/')
          ? csvBodies(limits, operation)
          : {
              valid: [
                fc
                  .string()
                  .map((text): BodyPlan => ({ kind: 'text', text, contentType: mediaType })),
              ],
              invalid: [],
            };
    result.valid.push(...media.valid);
    result.invalid.push(...media.invalid);
    result.file ??= media.file;
  }
  if (operation.body['multipart/form-data']) {
    const media = multipartBodies(
      result.file ??
        fc
          .string()
          .map((content) => ({ content, filename: 'file.txt', contentType: 'text/plain' })),
    );
    result.valid.push(...media.valid);
    result.invalid.push(...media.invalid);
  }
  return result;
}

/** A valid body's content under a Content-Type the operation does not take. */
function wrongContentType(
  operation: Operation,
  valid: fc.Arbitrary<BodyPlan>,
): fc.Arbitrary<BodyPlan> {
  const accepted = Object.keys(operation.body ?? {});
  const types = WRONG_CONTENT_TYPES.filter((type) => !accepted.includes(type));
  return fc
    .tuple(valid, fc.constantFrom<string | null>(...types, null))
    .map(([body, contentType]) => {
      if (body.kind === 'json') return { ...body, contentType };
      if (body.kind === 'text') return { ...body, contentType };
      return { kind: 'text', text: 'file=x', contentType };
    });
}

/** Something sent to an operation that takes no body. */
const strayBody: fc.Arbitrary<BodyPlan> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((value): BodyPlan => ({ kind: 'json', value })),
  fc
    .constantFrom(...MALFORMED_JSON)
    .map((text): BodyPlan => ({ kind: 'text', text, contentType: 'application/json' })),
  fc
    .tuple(fc.string({ maxLength: 50 }), fc.constantFrom(...WRONG_CONTENT_TYPES))
    .map(([text, contentType]): BodyPlan => ({ kind: 'text', text, contentType })),
);

// ---------------------------------------------------------------------------------------------
// Replays: ETags and cursors from earlier answers, as they were or spoiled

/** New values for the fields of a decoded cursor, by position. */
const CURSOR_FIELD_VALUES: unknown[][] = [
  ['product_id', '-product_name', 'last_modified', '', 5, null],
  [
    '\u0000',
    '',
    new BigText('x', 1500),
    5,
    null,
    '2024-13-45 25:61:61+00',
    '0000-00-00 00:00:00+00',
    '10000-01-01 00:00:00+00',
    '2024-01-01 00:00:00.1234567+00',
    SQL,
    '\uD800',
  ],
  [0, -1, 2_147_483_648, 2_147_483_647, 1.5, '1', null, 2 ** 53 + 2],
  [0, -1, 1, 10_000_000, 10_000_001, 2 ** 53 + 2, 1.5],
  ['', 'x', null, 1],
];

const replay: fc.Arbitrary<ReplayPlan> = fc.oneof(
  fc
    .tuple(fc.nat(), fc.constantFrom('exact', 'exact', 'list', 'strong', 'garbled', 'star'))
    .map(([pick, mutation]): ReplayPlan => ({ pick, kind: 'revalidate', mutation })),
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom(
        'exact',
        'exact',
        'exact',
        'truncate',
        'flip',
        'padding',
        'not-json',
        'shape',
      ),
    )
    .map(([pick, mutation]): ReplayPlan => ({ pick, kind: 'next-page', mutation })),
  fc
    .tuple(fc.nat(), fc.nat({ max: CURSOR_FIELD_VALUES.length - 1 }))
    .chain(([pick, field]) =>
      fc
        .constantFrom(...CURSOR_FIELD_VALUES[field]!)
        .map((value): ReplayPlan => ({ pick, kind: 'next-page', mutation: 'field', field, value })),
    ),
);

function spoilEtag(etag: string, mutation: string): string {
  switch (mutation) {
    case 'list':
      return `W/"nope", ${etag}, "other"`;
    case 'strong':
      return etag.replace(/^W\//, '');
    case 'garbled':
      return `${etag.slice(0, -2)}x"`;
    case 'star':
      return '*';
    default:
      return etag;
  }
}

function spoilCursor(cursor: string, plan: ReplayPlan, world: World): string {
  const encode = (value: unknown) =>
    Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  switch (plan.mutation) {
    case 'truncate':
      return cursor.slice(0, Math.max(1, Math.floor(cursor.length / 2)));
    case 'flip':
      return `${cursor.slice(0, -1)}${cursor.endsWith('A') ? 'B' : 'A'}`;
    case 'padding':
      return `${cursor}==`;
    case 'not-json':
      return Buffer.from('not json at all').toString('base64url');
    case 'shape':
    case 'field': {
      let decoded: unknown;
      try {
        decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        return cursor;
      }
      if (!Array.isArray(decoded)) return cursor;
      if (plan.mutation === 'shape') return encode(decoded.slice(0, -1));
      const copy = [...decoded];
      copy[plan.field ?? 0] = resolve(plan.value, world);
      return encode(copy);
    }
    default:
      return cursor;
  }
}

// ---------------------------------------------------------------------------------------------
// Whole requests

/** Valid and invalid requests for one operation. */
export function requestsFor(operation: Operation, limits: FuzzLimits): fc.Arbitrary<RequestPlan> {
  const media = bodies(operation, limits);
  const validBody: fc.Arbitrary<BodyPlan | undefined> =
    media && media.valid.length > 0 ? fc.oneof(...media.valid) : fc.constant(undefined);
  const plan = (
    variant: string,
    parts: {
      params?: fc.Arbitrary<Record<string, PathValue>>;
      query?: fc.Arbitrary<QueryPart[]>;
      body?: fc.Arbitrary<BodyPlan | undefined>;
      method?: fc.Arbitrary<string>;
      shape?: typeof urlShape;
    },
  ): fc.Arbitrary<RequestPlan> =>
    fc
      .record({
        params: parts.params ?? validParams(operation),
        query: parts.query ?? validQuery(operation),
        body: parts.body ?? validBody,
        method: parts.method ?? fc.constant(operation.method),
        shape: parts.shape ?? fc.constant({ shape: 'plain' as UrlShape }),
        headers: fc.oneof(
          { weight: 3, arbitrary: fc.constant({}) },
          { weight: 2, arbitrary: headerPlan },
        ),
        revalidate:
          variant === 'valid' && operation.method === 'GET' ? fc.boolean() : fc.constant(false),
      })
      .map(({ params, query, body, method, shape, headers, revalidate }) => ({
        operation: operation.id,
        variant,
        method,
        path: operation.path,
        params,
        ...shape,
        query,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(revalidate ? { revalidate } : {}),
      }));

  const variants: fc.WeightedArbitrary<RequestPlan>[] = [
    { weight: 12, arbitrary: plan('valid', {}) },
    { weight: 3, arbitrary: plan('bad-query', { query: queryMutation(operation, limits) }) },
    { weight: 1, arbitrary: plan('url-shape', { shape: urlShape }) },
    {
      weight: 1,
      arbitrary: plan('other-method', {
        method: fc.constantFrom(...METHODS.filter((method) => method !== operation.method)),
        body: fc.option(strayBody, { nil: undefined }),
      }),
    },
  ];
  if (operation.method === 'GET') {
    variants.push({
      weight: 4,
      arbitrary: plan('replay', {}).chain((base) =>
        replay.map((replayPlan) => ({
          ...base,
          variant: `replay-${replayPlan.kind}-${replayPlan.mutation}`,
          replay: replayPlan,
        })),
      ),
    });
  }
  if (operation.pathParams.length > 0) {
    variants.push({
      weight: 4,
      arbitrary: plan('bad-path', { params: invalidParams(operation, limits) }),
    });
  }
  if (media) {
    if (media.invalid.length > 0) {
      variants.push({
        weight: 8,
        arbitrary: plan('bad-body', { body: fc.oneof(...media.invalid) }),
      });
    }
    if (media.valid.length > 0) {
      variants.push({
        weight: 2,
        arbitrary: plan('wrong-content-type', {
          body: wrongContentType(operation, fc.oneof(...media.valid)),
        }),
      });
    }
  } else {
    variants.push({ weight: 1, arbitrary: plan('stray-body', { body: strayBody }) });
  }
  return fc.oneof(...variants);
}

// ---------------------------------------------------------------------------------------------
// Plans → requests

function queryText(query: QueryPart[], world: World): string {
  const parts: string[] = [];
  for (const part of query) {
    if ('raw' in part) {
      parts.push(part.raw);
      continue;
    }
    const resolved = resolve(part.value, world);
    const values = Array.isArray(resolved) ? resolved.slice(0, 50) : [resolved];
    for (const value of values) {
      const text =
        value instanceof RawJson || value instanceof Deep || value instanceof ManyKeys
          ? toJsonText(value)
          : value !== null && typeof value === 'object'
            ? toJsonText(value)
            : String(value);
      parts.push(`${encodeSegment(part.name)}=${encodeURIComponent(wellFormed(text))}`);
    }
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function pathText(plan: RequestPlan, world: World): string {
  let path = plan.path.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const value = plan.params[name];
    if (!value) return 'missing';
    if ('raw' in value) return value.raw;
    const resolved = resolve(value.value, world);
    return encodeSegment(
      resolved !== null && typeof resolved === 'object' ? toJsonText(resolved) : resolved,
    );
  });
  if (plan.shape === 'trailing-slash') path = `${path}/`;
  if (plan.shape === 'double-slash') path = path.replace(/^\/([^/]+)\//, '/$1//');
  if (plan.shape === 'extra-segment') path = `${path}/${plan.extraSegment ?? 'x'}`;
  return path;
}

/** A replayed request: an earlier successful read, with its ETag or next cursor. */
function replayed(plan: RequestPlan, world: World): InjectOptions | undefined {
  if (!plan.replay) return undefined;
  const nextPage = plan.replay.kind === 'next-page';
  const known = world.replays.filter(
    (entry) => entry.operation === plan.operation && (nextPage ? entry.cursor : entry.etag),
  );
  // Mostly one of the latest: an older one is likely to be stale (which is worth a try too).
  const back = plan.replay.pick % 8 < 6 ? plan.replay.pick % 3 : plan.replay.pick;
  const entry = known[known.length - 1 - (back % Math.max(1, known.length))];
  if (!entry) return undefined;
  if (!nextPage || !entry.cursor) {
    return {
      method: 'GET',
      url: entry.url,
      headers: entry.etag ? { 'if-none-match': spoilEtag(entry.etag, plan.replay.mutation) } : {},
    };
  }
  const [path, query = ''] = entry.url.split('?');
  const kept = query.split('&').filter((part) => part && !part.startsWith('cursor='));
  const cursor = encodeURIComponent(wellFormed(spoilCursor(entry.cursor, plan.replay, world)));
  return { method: 'GET', url: `${path}?${[...kept, `cursor=${cursor}`].join('&')}`, headers: {} };
}

/** The request a plan stands for, against the world as it is now. */
export function toInject(plan: RequestPlan, world: World): InjectOptions {
  const again = replayed(plan, world);
  if (again) return again;
  const headers: Record<string, string> = {};
  if (plan.headers.requestId !== undefined) headers['x-request-id'] = plan.headers.requestId;
  if (plan.headers.ifNoneMatch !== undefined) {
    headers['if-none-match'] = String(resolve(plan.headers.ifNoneMatch, world));
  }
  if (plan.headers.ifMatch !== undefined) {
    headers['if-match'] = String(resolve(plan.headers.ifMatch, world));
  }
  if (plan.headers.accept !== undefined) headers.accept = plan.headers.accept;
  let payload: string | Buffer | undefined;
  const body = plan.body;
  if (body?.kind === 'json') {
    payload = toJsonText(resolve(body.value, world));
    if (body.contentType !== null) headers['content-type'] = body.contentType ?? 'application/json';
  } else if (body?.kind === 'text') {
    payload = renderText(body.text, world);
    if (body.contentType !== null) headers['content-type'] = body.contentType;
  } else if (body?.kind === 'multipart') {
    const rendered = body.doc.render(world);
    payload = rendered.payload;
    headers['content-type'] = rendered.contentType;
  }
  return {
    method: plan.method as InjectOptions['method'],
    url: `${pathText(plan, world)}${queryText(plan.query, world)}`,
    headers,
    ...(payload === undefined ? {} : { payload }),
  };
}
