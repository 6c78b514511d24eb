import { Type, type Static, type TSchema } from 'typebox';

export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'BAD_REQUEST',
  'METHOD_NOT_ALLOWED',
  'URI_TOO_LONG',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
  'HEADERS_TOO_LARGE',
  'REQUEST_TIMEOUT',
  'PRECONDITION_FAILED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The code an error status carries, where one status has one code (PRODUCT.md). */
export const ERROR_CODE_FOR_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'VALIDATION_ERROR',
  431: 'HEADERS_TOO_LARGE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

export const FieldError = Type.Object(
  { field: Type.String(), message: Type.String() },
  { additionalProperties: false },
);
export type FieldError = Static<typeof FieldError>;

/** A 422 lists at most this many field errors; `error_count` says how many there were. */
export const MAX_REPORTED_FIELD_ERRORS = 50;

/**
 * `details` of a VALIDATION_ERROR. `field_errors` and `validation_errors` are the same list (the
 * second is the name the product brief uses), each at most `MAX_REPORTED_FIELD_ERRORS` long, so
 * neither can grow with the request; `error_count` counts every distinct error found and
 * `truncated` says whether some were left out. A JSON body is validated up to its first error.
 */
export const ValidationErrorDetails = Type.Object(
  {
    field_errors: Type.Array(FieldError, { maxItems: MAX_REPORTED_FIELD_ERRORS }),
    validation_errors: Type.Array(FieldError, { maxItems: MAX_REPORTED_FIELD_ERRORS }),
    error_count: Type.Integer({ minimum: 0 }),
    truncated: Type.Boolean(),
  },
  { title: 'ValidationErrorDetails' },
);
export type ValidationErrorDetails = Static<typeof ValidationErrorDetails>;

export const ErrorEnvelope = Type.Object(
  {
    success: Type.Literal(false),
    error: Type.String(),
    code: Type.Union(ERROR_CODES.map((code) => Type.Literal(code))),
    details: Type.Record(Type.String(), Type.Unknown(), {
      description:
        'Per code; VALIDATION_ERROR: field_errors and validation_errors (the same list, at most 50 entries), error_count (all distinct errors) and truncated; PRECONDITION_FAILED: resource, identifier, etag (the current ETag) and current (the resource as it is now, as its GET returns it)',
    }),
    timestamp: Type.String({ format: 'date-time' }),
    request_id: Type.String(),
  },
  { additionalProperties: false, title: 'ErrorEnvelope' },
);
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;

export const Pagination = Type.Object(
  {
    page: Type.Integer({ minimum: 1 }),
    page_size: Type.Integer({ minimum: 1 }),
    total_items: Type.Integer({ minimum: 0 }),
    total_pages: Type.Integer({ minimum: 0 }),
    has_next: Type.Boolean(),
    has_previous: Type.Boolean(),
    next_cursor: Type.Union([Type.String(), Type.Null()], {
      description:
        'Cursor paging (product list): pass it back as `cursor`, with the same filters and sort, for the next page; null on the last page and on lists without cursor paging',
    }),
  },
  { additionalProperties: false, title: 'Pagination' },
);
export type Pagination = Static<typeof Pagination>;

const envelopeBase = {
  success: Type.Literal(true),
  timestamp: Type.String({ format: 'date-time' }),
  request_id: Type.String(),
};

/** The success envelope around `data`. */
export function Envelope<Data extends TSchema>(data: Data) {
  return Type.Object({ ...envelopeBase, data }, { additionalProperties: false });
}

/** The success envelope of a list: `data`, `metadata` and `pagination`. */
export function PagedEnvelope<Item extends TSchema, Metadata extends TSchema>(
  item: Item,
  metadata: Metadata,
) {
  return Type.Object(
    { ...envelopeBase, data: Type.Array(item), metadata, pagination: Pagination },
    { additionalProperties: false },
  );
}

/** The success envelope of a list that is never paged (it is small by nature). */
export function ListEnvelope<Item extends TSchema, Metadata extends TSchema>(
  item: Item,
  metadata: Metadata,
) {
  return Type.Object(
    { ...envelopeBase, data: Type.Array(item), metadata },
    { additionalProperties: false },
  );
}

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A database integer id. */
export const Id = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });

export const PageQuery = {
  limit: Type.Integer({
    minimum: 1,
    maximum: 500,
    default: 50,
    description: 'Items per page (1–500)',
  }),
  offset: Type.Integer({
    minimum: 0,
    maximum: 100_000_000,
    default: 0,
    description: 'Items to skip (offset paging)',
  }),
};
