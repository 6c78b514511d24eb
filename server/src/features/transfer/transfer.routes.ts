/** POST /api/transfer-jobs: reserve the job of an upcoming import or export (transfer-jobs.ts). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { JobResponse, TransferJobBody } from '@tag-manager/contract';
import { writeContext } from '../../http/context.js';
import { envelope } from '../../http/envelope.js';

const transferRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/transfer-jobs',
    {
      schema: {
        operationId: 'reserveTransferJob',
        tags: ['jobs'],
        summary:
          'Reserve the job of an import or export about to be sent, to poll its progress (GET /api/jobs/{id}) while the upload or download runs',
        description:
          'Answers at once with a running job that waits for its request: send the upload (POST /api/import/products) or the export (GET /api/export/csv, /api/export/shopify.csv) with `job_id`. A job whose request never comes is marked failed after JOB_STALE_SECONDS.',
        body: TransferJobBody,
        response: { 201: JobResponse },
      },
    },
    async (request, reply) => {
      const job = await app.services.transfers.reserve(request.body.kind, writeContext(request));
      return reply
        .status(201)
        .header('Location', `/api/jobs/${job.id}`)
        .send(envelope(request, job));
    },
  );
};

export default transferRoutes;
