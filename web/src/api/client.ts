/**
 * The one typed client of the Tag Manager API. Every request and response type comes from the
 * shared contract (`contract/src`), so the web app and the server cannot drift apart silently.
 * Every failure — an error envelope, a non-JSON answer or no answer at all — becomes an ApiError.
 */
import type {
  AssignResponse,
  BulkAssignResponse,
  BulkAssignResult,
  BulkFilter,
  BulkJobAcceptedResponse,
  BulkPreviewResponse,
  BulkRemoveResponse,
  BulkRemoveResult,
  ChangeListQuery,
  ChangeListResponse,
  Job,
  JobListQuery,
  JobListResponse,
  JobResponse,
  UndoRequest,
  UndoResponse,
  CatalogValuesQuery,
  CatalogValuesResponse,
  CategoryDetailResponse,
  CategoryResponse,
  CategoryTreeResponse,
  CreateCategoryBody,
  ErrorCode,
  ErrorEnvelope,
  FieldError,
  ImportReportResponse,
  TransferJobBody,
  ProductFilterQuery,
  ProductListQuery,
  ProductListResponse,
  ProductResponse,
  ProductSuggestionsResponse,
  QueueNextResponse,
  QueueReleaseResponse,
  RemoveResponse,
  RestructureResponse,
  SampleDataRemovalResponse,
  SampleDataResponse,
  StatsResponse,
} from '@tag-manager/contract';
import type { Static } from 'typebox';
import { nextRequestId } from './request-id';
import { authStore, type ApiAuth } from './auth';

export type ProductListEnvelope = Static<typeof ProductListResponse>;
export type ProductEnvelope = Static<typeof ProductResponse>;
export type AssignEnvelope = Static<typeof AssignResponse>;
export type RemoveEnvelope = Static<typeof RemoveResponse>;
export type BulkAssignEnvelope = Static<typeof BulkAssignResponse>;
export type BulkRemoveEnvelope = Static<typeof BulkRemoveResponse>;
export type BulkPreviewEnvelope = Static<typeof BulkPreviewResponse>;
export type BulkJobEnvelope = Static<typeof BulkJobAcceptedResponse>;
export type JobEnvelope = Static<typeof JobResponse>;
export type JobListEnvelope = Static<typeof JobListResponse>;
export type ChangeListEnvelope = Static<typeof ChangeListResponse>;
export type UndoEnvelope = Static<typeof UndoResponse>;
/** The products a bulk write names: ticked rows, or every product a filter matches. */
export type BulkTarget = { product_ids: string[] } | { filter: Partial<BulkFilter> };
/** A bulk write's answer: done at once (200), or a job that runs it (202). */
export type BulkAnswer<Result> = { kind: 'done'; result: Result } | { kind: 'job'; job: Job };
/** An undo's answer: done at once (200), or a job (202, a large change set). */
export type UndoAnswer = { kind: 'done'; result: UndoEnvelope['data'] } | { kind: 'job'; job: Job };
/** A job read with `If-None-Match`: null when it has not changed since `etag` (304). */
export interface JobRead {
  job: Job | null;
  etag: string | null;
}
export type CategoryEnvelope = Static<typeof CategoryResponse>;
export type CategoryDetailEnvelope = Static<typeof CategoryDetailResponse>;
/** A read of one resource with its ETag, which a write on it sends back as If-Match. */
export type Tagged<Envelope> = Envelope & { etag: string | null };
export type CategoryTreeEnvelope = Static<typeof CategoryTreeResponse>;
export type RestructureEnvelope = Static<typeof RestructureResponse>;
export type StatsEnvelope = Static<typeof StatsResponse>;
export type ImportReportEnvelope = Static<typeof ImportReportResponse>;
export type CatalogValuesEnvelope = Static<typeof CatalogValuesResponse>;
export type SampleDataEnvelope = Static<typeof SampleDataResponse>;
export type SampleDataRemovalEnvelope = Static<typeof SampleDataRemovalResponse>;
export type QueueNextEnvelope = Static<typeof QueueNextResponse>;
export type QueueReleaseEnvelope = Static<typeof QueueReleaseResponse>;
export type ProductSuggestionsEnvelope = Static<typeof ProductSuggestionsResponse>;
/** The work queue's query: the filter fields, `after` and the operator session id. */
export type QueueParams = Partial<ProductFilterQuery> & { after?: string; operator?: string };
/** The fields whose values the filters offer, and their endpoints. */
export const CATALOG_VALUE_PATHS = {
  vendor: '/api/vendors',
  product_type: '/api/product-types',
} as const;
export type CatalogValueField = keyof typeof CATALOG_VALUE_PATHS;

/** The product list's query: everything optional, the server applies its defaults. */
export type ProductListParams = Partial<ProductListQuery>;
export type ProductFilterParams = Partial<ProductFilterQuery>;

/** Codes the server sends, plus the two the client adds when there is no usable answer. */
export type ApiErrorCode = ErrorCode | 'NETWORK_ERROR' | 'BAD_RESPONSE';

/** One error type for every failed request, carrying the server's error envelope. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly details: Record<string, unknown>;
  readonly requestId: string | null;

  constructor(options: {
    message: string;
    status: number;
    code: ApiErrorCode;
    details?: Record<string, unknown>;
    requestId?: string | null;
  }) {
    super(options.message);
    this.name = 'ApiError';
    this.status = options.status;
    this.code = options.code;
    this.details = options.details ?? {};
    this.requestId = options.requestId ?? null;
  }

  static fromEnvelope(status: number, envelope: ErrorEnvelope): ApiError {
    return new ApiError({
      message: envelope.error,
      status,
      code: envelope.code,
      details: envelope.details,
      requestId: envelope.request_id,
    });
  }

  /**
   * The errors that belong to one input: `details.field_errors` of a 422, and a conflict that
   * names its field (a duplicate sibling name is a 409 with `details.field = "name"`).
   */
  get fieldErrors(): FieldError[] {
    const listed = this.details.field_errors;
    if (Array.isArray(listed)) {
      return listed.filter(
        (entry): entry is FieldError =>
          typeof entry === 'object' &&
          entry !== null &&
          typeof (entry as FieldError).field === 'string' &&
          typeof (entry as FieldError).message === 'string',
      );
    }
    if (typeof this.details.field === 'string') {
      return [{ field: this.details.field, message: this.message }];
    }
    return [];
  }
}

function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { success?: unknown }).success === false &&
    typeof (value as { error?: unknown }).error === 'string' &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

type QueryValue = string | number | boolean | null | undefined;

/** `?a=1&b=x` from an object; undefined, null and empty strings are left out. */
export function toQueryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

interface RequestOptions {
  query?: Record<string, QueryValue>;
  json?: unknown;
  body?: BodyInit;
  signal?: AbortSignal;
  /** Let the request outlive the page (sent while the tab closes). */
  keepalive?: boolean;
  /** Extra request headers (e.g. `if-none-match`). */
  headers?: Record<string, string>;
  /** The ETag of the read a write is based on: stale → 412 PRECONDITION_FAILED. */
  ifMatch?: string | null;
}

/** A 200 answers the result; a 202 carries the job that runs the write. */
function bulkAnswer<Result>(payload: { data: Result | { job: Job } }): BulkAnswer<Result> {
  const data = payload.data;
  return typeof data === 'object' && data !== null && 'job' in data
    ? { kind: 'job', job: (data as { job: Job }).job }
    : { kind: 'done', result: data as Result };
}

export type Fetch = typeof fetch;

/** The two CSV exports: for spreadsheets (and backups), and for Shopify's product import. */
export type ExportFile = 'spreadsheet' | 'shopify';
const EXPORT_PATHS: Record<ExportFile, string> = {
  spreadsheet: '/api/export/csv',
  shopify: '/api/export/shopify.csv',
};

export function createApiClient(
  baseUrl = '',
  fetchImpl: Fetch = (...args) => fetch(...args),
  auth: ApiAuth = authStore,
) {
  /** The error a failed response carries: its envelope, or a description of what came back. */
  async function errorOf(response: Response): Promise<ApiError> {
    let payload: unknown;
    try {
      payload = await response.json();
    } catch {
      payload = undefined;
    }
    if (isErrorEnvelope(payload)) return ApiError.fromEnvelope(response.status, payload);
    return new ApiError({
      message: `The server answered ${response.status} ${response.statusText}`.trim(),
      status: response.status,
      code: 'BAD_RESPONSE',
      requestId: response.headers.get('x-request-id'),
    });
  }

  /**
   * Sends a request with the stored API token. A 401 asks for a token (the token dialog) and
   * sends the request again with it; a cancelled dialog leaves the 401 as the answer.
   */
  async function send(
    method: string,
    path: string,
    options: RequestOptions & { accept?: string } = {},
  ): Promise<Response> {
    for (;;) {
      const headers: Record<string, string> = {
        accept: options.accept ?? 'application/json',
        ...options.headers,
      };
      let body = options.body;
      if (options.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(options.json);
      }
      if (options.ifMatch) headers['if-match'] = options.ifMatch;
      // A write carries this tab's id, so its live event is known as this tab's own
      // (live-updates.ts) and not applied twice.
      if (method !== 'GET' && method !== 'HEAD') headers['x-request-id'] ??= nextRequestId();
      const token = auth.getToken();
      if (token) headers.authorization = `Bearer ${token}`;
      let response: Response;
      try {
        response = await fetchImpl(`${baseUrl}${path}${toQueryString(options.query)}`, {
          method,
          headers,
          body,
          signal: options.signal,
          ...(options.keepalive ? { keepalive: true } : {}),
        });
      } catch (error) {
        if ((error as { name?: string }).name === 'AbortError') throw error;
        throw new ApiError({
          message: 'The server could not be reached. Check the connection and try again.',
          status: 0,
          code: 'NETWORK_ERROR',
        });
      }
      if (response.status !== 401) return response;
      const error = await errorOf(response);
      if (error.code !== 'UNAUTHORIZED' || !(await auth.requestToken(error, token))) throw error;
    }
  }

  async function request<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<T> {
    return (await requestWithHeaders<T>(method, path, options)).payload;
  }

  /** A read whose ETag matters (the base of a conditional write). */
  async function tagged<T extends object>(
    path: string,
    options: RequestOptions = {},
  ): Promise<Tagged<T>> {
    const { payload, headers } = await requestWithHeaders<T>('GET', path, options);
    return { ...payload, etag: headers.get('etag') };
  }

  /** An undo: the result (200), or the job that runs it (202). */
  async function undoAt(path: string, body: UndoRequest): Promise<UndoAnswer> {
    const payload = await request<UndoEnvelope | BulkJobEnvelope>('POST', path, { json: body });
    return 'job' in payload.data
      ? { kind: 'job', job: payload.data.job }
      : { kind: 'done', result: payload.data };
  }

  async function requestWithHeaders<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<{ payload: T; headers: Headers }> {
    const response = await send(method, path, options);
    const headers = response.headers;
    const done = (payload: T) => ({ payload, headers });
    const requestId = response.headers.get('x-request-id');
    if (response.status === 204) return done(undefined as T);
    if (!response.ok) throw await errorOf(response);
    let payload: unknown;
    try {
      payload = await response.json();
    } catch {
      payload = undefined;
    }
    if (payload === undefined) {
      throw new ApiError({
        message: 'The server sent an answer that is not JSON',
        status: response.status,
        code: 'BAD_RESPONSE',
        requestId,
      });
    }
    return done(payload as T);
  }

  const productPath = (productId: string) => `/api/products/${encodeURIComponent(productId)}`;

  return {
    listProducts: (query: ProductListParams, signal?: AbortSignal) =>
      request<ProductListEnvelope>('GET', '/api/products', { query, signal }),
    /** One product with its ETag (the If-Match of the panel's writes). */
    getProduct: (productId: string, signal?: AbortSignal) =>
      tagged<ProductEnvelope>(productPath(productId), { signal }),
    assignCategories: (productId: string, categoryIds: number[], ifMatch?: string | null) =>
      request<AssignEnvelope>('POST', `${productPath(productId)}/categories`, {
        json: { category_ids: categoryIds },
        ifMatch,
      }),
    removeCategory: (productId: string, categoryId: number, ifMatch?: string | null) =>
      request<RemoveEnvelope>('DELETE', `${productPath(productId)}/categories/${categoryId}`, {
        ifMatch,
      }),
    /** What a bulk write would do (`dry_run: true`): nothing is written. */
    bulkPreview: (
      action: 'assign' | 'remove',
      target: BulkTarget,
      categoryIds: number[],
      options: { remove_unneeded_parents?: boolean } = {},
    ) =>
      request<BulkPreviewEnvelope>('POST', `/api/bulk/${action}`, {
        json: { ...target, category_ids: categoryIds, dry_run: true, ...options },
      }),
    bulkAssign: async (
      target: BulkTarget,
      categoryIds: number[],
    ): Promise<BulkAnswer<BulkAssignResult>> =>
      bulkAnswer(
        await request<BulkAssignEnvelope | BulkJobEnvelope>('POST', '/api/bulk/assign', {
          json: { ...target, category_ids: categoryIds },
        }),
      ),
    bulkRemove: async (
      target: BulkTarget,
      categoryIds: number[],
      options: { remove_unneeded_parents?: boolean } = {},
    ): Promise<BulkAnswer<BulkRemoveResult>> =>
      bulkAnswer(
        await request<BulkRemoveEnvelope | BulkJobEnvelope>('POST', '/api/bulk/remove', {
          json: { ...target, category_ids: categoryIds, ...options },
        }),
      ),
    listJobs: (query: Partial<JobListQuery>, signal?: AbortSignal) =>
      request<JobListEnvelope>('GET', '/api/jobs', { query, signal }),
    /** One job; with the ETag of the last read, a 304 (nothing changed) gives `job: null`. */
    getJob: async (id: number, etag?: string | null, signal?: AbortSignal): Promise<JobRead> => {
      const response = await send('GET', `/api/jobs/${id}`, {
        signal,
        headers: etag ? { 'if-none-match': etag } : undefined,
      });
      if (response.status === 304) return { job: null, etag: etag ?? null };
      if (!response.ok) throw await errorOf(response);
      const payload = (await response.json().catch(() => undefined)) as JobEnvelope | undefined;
      if (!payload?.data) {
        throw new ApiError({
          message: 'The server sent an answer that is not JSON',
          status: response.status,
          code: 'BAD_RESPONSE',
        });
      }
      return { job: payload.data, etag: response.headers.get('etag') };
    },
    cancelJob: (id: number) => request<JobEnvelope>('POST', `/api/jobs/${id}/cancel`),
    /** The change sets, newest first, by product, category, kind, actor or job. */
    listChanges: (query: Partial<ChangeListQuery>, signal?: AbortSignal) =>
      request<ChangeListEnvelope>('GET', '/api/changes', { query, signal }),
    /** Reverses one change set (a dry run reports what it would do); a large one is a job. */
    undoChange: (id: number, body: UndoRequest): Promise<UndoAnswer> =>
      undoAt(`/api/changes/${id}/undo`, body),
    /** Every change set a job recorded: a dry run, or one undo job. */
    undoJob: (id: number, body: UndoRequest): Promise<UndoAnswer> =>
      undoAt(`/api/jobs/${id}/undo`, body),
    getCategoryTree: (signal?: AbortSignal) =>
      request<CategoryTreeEnvelope>('GET', '/api/categories/tree', { signal }),
    createCategory: (body: CreateCategoryBody) =>
      request<CategoryEnvelope>('POST', '/api/categories', { json: body }),
    /** One category with its ETag (the If-Match of rename and delete). */
    getCategory: (id: number, signal?: AbortSignal) =>
      tagged<CategoryDetailEnvelope>(`/api/categories/${id}`, { signal }),
    renameCategory: (id: number, name: string, ifMatch?: string | null) =>
      request<CategoryEnvelope>('PATCH', `/api/categories/${id}`, { json: { name }, ifMatch }),
    deleteCategory: (id: number, ifMatch?: string | null) =>
      request<void>('DELETE', `/api/categories/${id}`, { ifMatch }),
    /** Moves a category under another parent (`dry_run`: the preview, nothing written). */
    moveCategory: (id: number, parentId: number, dryRun: boolean, ifMatch?: string | null) =>
      request<RestructureEnvelope>('POST', `/api/categories/${id}/move`, {
        json: { parent_id: parentId, dry_run: dryRun },
        ifMatch,
      }),
    /** Merges a category into another of its level (`dry_run`: the preview). */
    mergeCategory: (id: number, intoId: number, dryRun: boolean, ifMatch?: string | null) =>
      request<RestructureEnvelope>('POST', `/api/categories/${id}/merge`, {
        json: { into_id: intoId, dry_run: dryRun },
        ifMatch,
      }),
    getStats: (signal?: AbortSignal) => request<StatsEnvelope>('GET', '/api/stats', { signal }),
    /** Distinct vendors or product types with their product counts, the most used first. */
    listCatalogValues: (
      field: CatalogValueField,
      query: Partial<CatalogValuesQuery>,
      signal?: AbortSignal,
    ) => request<CatalogValuesEnvelope>('GET', CATALOG_VALUE_PATHS[field], { query, signal }),
    /** The product import; `jobId` (reserveTransferJob) lets the page poll its progress. */
    importProducts: (file: Blob, fileName = 'products.csv', jobId?: number) => {
      const form = new FormData();
      form.append('file', file, fileName);
      return request<ImportReportEnvelope>('POST', '/api/import/products', {
        body: form,
        query: { job_id: jobId },
      });
    },
    /** Reserves the job of an import or export about to be sent (poll it with getJob). */
    reserveTransferJob: (kind: TransferJobBody['kind']) =>
      request<JobEnvelope>('POST', '/api/transfer-jobs', { json: { kind } }),
    importCategories: (file: Blob, fileName = 'categories.json') => {
      const form = new FormData();
      form.append('file', file, fileName);
      return request<ImportReportEnvelope>('POST', '/api/import/categories', { body: form });
    },
    /** Assignments from the app's CSV export or the Shopify file (422 lists bad lines). */
    importAssignments: (file: Blob, fileName = 'assignments.csv') => {
      const form = new FormData();
      form.append('file', file, fileName);
      return request<ImportReportEnvelope>('POST', '/api/import/assignments', { body: form });
    },
    /** The export is a download the browser performs; the filters match the product list. */
    exportCsvUrl: (
      filters: ProductFilterParams,
      file: ExportFile = 'spreadsheet',
      jobId?: number,
    ) => `${baseUrl}${EXPORT_PATHS[file]}${toQueryString({ ...filters, job_id: jobId })}`,
    /** The export fetched with the API token, for when a plain link cannot send one. */
    downloadExport: async (
      filters: ProductFilterParams,
      file: ExportFile = 'spreadsheet',
      jobId?: number,
    ): Promise<Blob> => {
      const response = await send('GET', EXPORT_PATHS[file], {
        query: { ...filters, job_id: jobId },
        accept: 'text/csv',
      });
      if (!response.ok) throw await errorOf(response);
      return response.blob();
    },
    /** How much sample data (the seeded synthetic catalog) and real data there is. */
    getSampleData: (signal?: AbortSignal) =>
      request<SampleDataEnvelope>('GET', '/api/sample-data', { signal }),
    /** Removes all sample data (admin). */
    removeSampleData: () => request<SampleDataRemovalEnvelope>('DELETE', '/api/sample-data'),
    /** The work queue's next product, leased to this operator session. */
    queueNext: (query: QueueParams) =>
      request<QueueNextEnvelope>('POST', '/api/queue/next', { query }),
    /** Gives up this operator session's lease (leaving the queue). */
    queueRelease: (operator: string, keepalive = false) =>
      request<QueueReleaseEnvelope>('DELETE', '/api/queue/lease', {
        query: { operator },
        keepalive,
      }),
    /** Ranked category suggestions for one product. */
    getSuggestions: (productId: string, limit: number, signal?: AbortSignal) =>
      request<ProductSuggestionsEnvelope>('GET', `${productPath(productId)}/suggestions`, {
        query: { limit },
        signal,
      }),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

export const api = createApiClient();
