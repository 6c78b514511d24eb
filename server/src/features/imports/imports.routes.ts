/**
 * Uploads: a Shopify CSV (`text/csv` body or a multipart `file`) and a category list (JSON body
 * or a multipart `file`). The CSV is streamed into the import, never held whole in memory.
 */
import { pipeline, type Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ImportReportResponse, TransferJobQuery, type ImportReport } from '@tag-manager/contract';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, badRequest, invalidField, payloadTooLarge } from '../../errors.js';
import { limitBytes } from '../../http/byte-limit.js';
import { writeContext } from '../../http/context.js';
import { envelope } from '../../http/envelope.js';
import { shopifyOptions } from '../exports/exports.routes.js';
import { notCategoryList } from './category-file.js';

const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain', 'application/octet-stream'];

const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const imports = app.services.imports;
  const maxBytes = app.config.importMaxBytes;
  // A category list is parsed whole (JSON), so it gets a much smaller limit than the CSV.
  const categoryMaxBytes = Math.min(app.config.categoryImportMaxBytes, maxBytes);

  // busboy's own limit is one byte above ours, so that our counter is the one that fires (413).
  await app.register(multipart, { limits: { fileSize: maxBytes + 1, files: 1, fields: 5 } });
  app.addContentTypeParser(CSV_TYPES, (_request, payload, done) => done(null, payload));

  /**
   * Runs `work` on the uploaded file as a stream, whichever way it was sent: oversize fails with
   * 413, and a broken upload (malformed multipart, aborted body) with 400 rather than 500.
   */
  async function withUpload<Result>(
    request: FastifyRequest,
    work: (input: Readable) => Promise<Result>,
    limit = maxBytes,
  ): Promise<Result> {
    let source: Readable;
    if (request.isMultipart()) {
      let file;
      try {
        file = await request.file();
      } catch (error) {
        throw uploadError(error);
      }
      if (!file) throw invalidField('file', 'is required');
      source = file.file;
    } else {
      const body = request.body as Readable | undefined;
      if (!body || typeof body.pipe !== 'function') throw invalidField('file', 'is required');
      source = body;
    }
    let sourceFailure: unknown;
    source.on('error', (error) => {
      sourceFailure = error;
    });
    // pipeline hands any failure of the source on to the stream the import reads.
    const input = pipeline(source, limitBytes(limit), () => {});
    try {
      return await work(input);
    } catch (error) {
      // The source's failure may reach the reader as itself or as a premature close.
      throw sourceFailure ? uploadError(sourceFailure) : error;
    }
  }

  /** Rows read by an import, for the metrics. */
  function counted(report: ImportReport) {
    app.metrics.importRows.inc({ kind: report.kind }, report.records);
    return report;
  }

  app.post(
    '/api/import/products',
    {
      bodyLimit: maxBytes,
      config: { documentedBody: { consumes: ['text/csv', 'multipart/form-data'] } },
      schema: {
        operationId: 'importProducts',
        tags: ['import'],
        summary: 'Import a Shopify product export (CSV body or multipart "file")',
        description:
          'Runs as a job of kind `import.products` (rows read, products written), committed in batches of 2,000 rows (two written at once, either may commit first): reserve it first with POST /api/transfer-jobs and pass `job_id` to poll GET /api/jobs/{id} while the upload runs; without `job_id` the import records a job of its own (`X-Job-Id` in the answer). A failed import keeps the batches committed before it (and may keep the one written beside the failed one); importing the file again is idempotent.',
        querystring: Type.Object(TransferJobQuery, { additionalProperties: false }),
        response: { 200: ImportReportResponse },
      },
    },
    async (request, reply) => {
      const context = writeContext(request);
      const job = await app.services.transfers.begin(
        'import.products',
        request.query.job_id,
        { source: request.isMultipart() ? 'multipart' : 'csv body' },
        context,
      );
      reply.header('X-Job-Id', String(job.id));
      try {
        const report = await withUpload(request, (input) =>
          imports.importProducts(input, { ...context, jobId: job.id }, job),
        );
        await job.succeed({
          records: report.records,
          created: report.created,
          updated: report.updated,
          unchanged: report.unchanged,
          rejected: report.rejected_total,
        });
        return envelope(request, counted(report));
      } catch (error) {
        await job.fail(error);
        throw error;
      }
    },
  );

  app.post(
    '/api/import/assignments',
    {
      bodyLimit: maxBytes,
      config: { documentedBody: { consumes: ['text/csv', 'multipart/form-data'] } },
      schema: {
        operationId: 'importAssignments',
        tags: ['import'],
        summary:
          "Restore assignments from the app's CSV export or the Shopify file (CSV body or multipart \"file\"): each named product's categories become exactly the file's; any bad line → 422 listing the lines, nothing changed",
        response: { 200: ImportReportResponse },
      },
    },
    async (request) =>
      envelope(
        request,
        counted(
          await withUpload(request, (input) =>
            imports.importAssignments(input, writeContext(request), shopifyOptions(app.config)),
          ),
        ),
      ),
  );

  app.post(
    '/api/import/categories',
    {
      bodyLimit: categoryMaxBytes,
      config: { documentedBody: { consumes: ['application/json', 'multipart/form-data'] } },
      schema: {
        operationId: 'importCategories',
        tags: ['import'],
        summary: 'Import a category list (JSON array body or multipart "file")',
        body: Type.Unknown({
          description: 'A JSON array of {category_name, category_level, connected_to}',
        }),
        response: { 200: ImportReportResponse },
      },
    },
    async (request) => {
      let document: unknown = request.body;
      if (request.isMultipart()) {
        const chunks = await withUpload(
          request,
          async (input) => {
            const read: Buffer[] = [];
            for await (const chunk of input) read.push(chunk as Buffer);
            return read;
          },
          categoryMaxBytes,
        );
        try {
          document = JSON.parse(
            Buffer.concat(chunks)
              .toString('utf8')
              .replace(/^\uFEFF/, ''),
          );
        } catch {
          throw notCategoryList('the file is not valid JSON');
        }
      }
      return envelope(
        request,
        counted(await imports.importCategories(document, writeContext(request))),
      );
    },
  );
};

function uploadError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const status = (error as { statusCode?: unknown }).statusCode;
  if (status === 413) return payloadTooLarge('The upload is larger than the import limit');
  return badRequest(`The upload could not be read: ${(error as Error).message ?? 'unknown error'}`);
}

export default importRoutes;
