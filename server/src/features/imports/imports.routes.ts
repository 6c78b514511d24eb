/**
 * Uploads: a Shopify CSV (`text/csv` body or a multipart `file`) and a category list (JSON body
 * or a multipart `file`). The CSV is streamed into the import, never held whole in memory.
 */
import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ImportReportResponse } from '@tag-manager/contract';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { invalidField, payloadTooLarge } from '../../errors.js';
import { limitBytes } from '../../http/byte-limit.js';
import { writeContext } from '../../http/context.js';
import { envelope } from '../../http/envelope.js';
import { notCategoryList } from './category-file.js';

const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain', 'application/octet-stream'];

const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const imports = app.services.imports;
  const maxBytes = app.config.importMaxBytes;

  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 5 } });
  app.addContentTypeParser(CSV_TYPES, (_request, payload, done) => done(null, payload));

  /** The uploaded file as a stream, whichever way it was sent; oversize fails with 413. */
  async function uploadStream(request: FastifyRequest): Promise<Readable> {
    if (request.isMultipart()) {
      const file = await request.file();
      if (!file) throw invalidField('file', 'is required');
      file.file.on('limit', () =>
        file.file.destroy(payloadTooLarge(`The upload is larger than ${maxBytes} bytes`)),
      );
      return file.file;
    }
    const body = request.body as Readable | undefined;
    if (!body || typeof body.pipe !== 'function') throw invalidField('file', 'is required');
    return body.pipe(limitBytes(maxBytes));
  }

  app.post(
    '/api/import/products',
    {
      bodyLimit: maxBytes,
      config: { documentedBody: { consumes: ['text/csv', 'multipart/form-data'] } },
      schema: {
        tags: ['import'],
        summary: 'Import a Shopify product export (CSV body or multipart "file")',
        response: { 200: ImportReportResponse },
      },
    },
    async (request) => {
      const input = await uploadStream(request);
      return envelope(request, await imports.importProducts(input, writeContext(request)));
    },
  );

  app.post(
    '/api/import/categories',
    {
      bodyLimit: maxBytes,
      config: { documentedBody: { consumes: ['application/json', 'multipart/form-data'] } },
      schema: {
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
        const chunks: Buffer[] = [];
        for await (const chunk of await uploadStream(request)) chunks.push(chunk as Buffer);
        try {
          document = JSON.parse(Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, ''));
        } catch {
          throw notCategoryList('the file is not valid JSON');
        }
      }
      return envelope(request, await imports.importCategories(document, writeContext(request)));
    },
  );
};

export default importRoutes;
