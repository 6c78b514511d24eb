import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { writeContext } from '../../http/context.js';
import type { TransferJob } from '../transfer/transfer-jobs.js';
import { productFilters } from '../products/filters.js';
import type { ProductFilterQuery } from '@tag-manager/contract';
import { ShopifyExportQuery, SpreadsheetExportQuery } from '@tag-manager/contract';
import type { Config } from '../../config.js';
import type { ShopifyExportOptions } from './shopify-file.js';

/** The Shopify file's settings from the configuration (SHOPIFY_CATEGORY_*). */
export const shopifyOptions = (config: Readonly<Config>): ShopifyExportOptions => ({
  tagPrefix: config.shopify.categoryTagPrefix,
  metafield: config.shopify.categoryMetafield,
});

/** `tag-manager-export-2026-12-02.csv`: the day the file was made (UTC). */
export const datedFileName = (kind: string, now = new Date()) =>
  `tag-manager-${kind}-${now.toISOString().slice(0, 10)}.csv`;

const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  /**
   * Every export records a job of kind `export.csv` (rows written after each batch): the
   * reserved one named by `job_id`, or its own. It succeeds when the last byte was handed to
   * the client, and fails when the download broke off (the client left, the database failed).
   */
  async function exportJob(
    request: FastifyRequest,
    reply: FastifyReply,
    file: string,
    jobId: number | undefined,
    filters: Record<string, unknown>,
  ) {
    // A refused export (422 for a filter the list refuses) records no job: checked first.
    productFilters(filters as ProductFilterQuery);
    // HEAD sends no file: no job.
    if (request.method === 'HEAD') {
      return { onBatch: async () => {}, onEnd: async () => {}, watch: () => {} };
    }
    const job = await app.services.transfers.begin(
      'export.csv',
      jobId,
      { file, filters },
      writeContext(request),
    );
    reply.header('X-Job-Id', String(job.id));
    // One row per product: the progress has a total when the list's count of them is exact.
    const count = await app.services.products.countMatching(filters as ProductFilterQuery);
    if (!count.estimated) await job.setTotal(count.total);
    let rows = 0;
    return {
      onBatch: async (count: number) => {
        rows += count;
        await job.advance(count, { rows_written: count });
      },
      // Before the stream ends: the answer is complete only once its job says so.
      onEnd: () => job.succeed({ rows_written: rows }),
      watch: (stream: Readable) => watchExport(job, stream, reply, () => rows),
    };
  }

  app.get(
    '/api/export/csv',
    {
      schema: {
        operationId: 'exportProductsCsv',
        tags: ['export'],
        summary:
          'Stream product_id,product_name,categories as CSV for spreadsheets (filters as in the product list; UTF-8 BOM unless bom=false)',
        querystring: SpreadsheetExportQuery,
        response: {
          200: {
            description:
              'RFC 4180 CSV, file name `tag-manager-export-YYYY-MM-DD.csv`; category paths joined by "; ", names escaped (`%`, `>`, `;`, `,` as `%25`, `%3E`, `%3B`, `%2C`)',
            content: { 'text/csv': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (request, reply) => {
      const { bom, job_id: jobId, ...query } = request.query;
      const job = await exportJob(request, reply, 'spreadsheet', jobId, query);
      const csv = app.services.exports.csv(query, {
        bom,
        onRows: (rows) => app.metrics.exportRows.inc(rows),
        onBatch: job.onBatch,
        onEnd: job.onEnd,
      });
      job.watch(csv);
      return (
        reply
          .header('Content-Type', 'text/csv; charset=utf-8')
          .header('Content-Disposition', `attachment; filename="${datedFileName('export')}"`)
          // The typed reply expects the JSON schema's type; a stream is what Fastify sends as-is.
          .send(csv as unknown as string)
      );
    },
  );

  app.get(
    '/api/export/shopify.csv',
    {
      schema: {
        operationId: 'exportShopifyCsv',
        tags: ['export'],
        summary:
          "Stream a file for Shopify's product CSV import (overwrite products with matching handles): Handle, Title, Tags with the category tags merged in, and the category list metafield (filters as in the product list)",
        querystring: ShopifyExportQuery,
        response: {
          200: {
            description:
              'RFC 4180 CSV, UTF-8 without BOM unless bom=true, file name `tag-manager-shopify-YYYY-MM-DD.csv`; see docs/shopify-csv.md',
            content: { 'text/csv': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (request, reply) => {
      const { bom, job_id: jobId, ...query } = request.query;
      const job = await exportJob(request, reply, 'shopify', jobId, query);
      const csv = app.services.exports.shopifyCsv(query, shopifyOptions(app.config), {
        bom,
        onRows: (rows) => app.metrics.exportRows.inc(rows),
        onBatch: job.onBatch,
        onEnd: job.onEnd,
      });
      job.watch(csv);
      return reply
        .header('Content-Type', 'text/csv; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="${datedFileName('shopify')}"`)
        .send(csv as unknown as string);
    },
  );
};

export default exportRoutes;

/**
 * A download that breaks off (the client left, the database failed) fails the export's job; one
 * that reached its end has already succeeded (`onEnd`, before the stream ended).
 */
function watchExport(job: TransferJob, stream: Readable, reply: FastifyReply, rows: () => number) {
  let failed: unknown;
  stream.once('error', (error) => {
    failed = error;
  });
  reply.raw.once('close', () => {
    if (failed === undefined && stream.readableEnded) return;
    void job.fail(
      failed ?? new Error('The download was cut off before the end (the client went away)'),
      { rows_written: rows() },
    );
  });
}
