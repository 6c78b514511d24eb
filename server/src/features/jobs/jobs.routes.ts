/**
 * Jobs over HTTP: the list, one job (polled for progress: its ETag changes only when the job
 * does, so a poll of an unchanged job is an empty 304), and the cancel request.
 */
import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { JobIdParams, JobListQuery, JobListResponse, JobResponse } from '@tag-manager/contract';
import { etagMatches } from '../../http/cached.js';
import { envelope, pagedEnvelope } from '../../http/envelope.js';

const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const jobs = app.services.jobs;

  app.get(
    '/api/jobs',
    {
      schema: {
        operationId: 'listJobs',
        tags: ['jobs'],
        summary: 'Jobs, newest first, by state and kind',
        querystring: JobListQuery,
        response: { 200: JobListResponse },
      },
    },
    async (request) => {
      const page = await jobs.list(request.query);
      return pagedEnvelope(request, page.jobs, { total_jobs: page.total }, page.pagination);
    },
  );

  app.get(
    '/api/jobs/:id',
    {
      schema: {
        operationId: 'getJob',
        tags: ['jobs'],
        summary: 'One job: state, progress, result, change sets (ETag: poll with If-None-Match)',
        params: JobIdParams,
        response: {
          200: JobResponse,
          304: Type.Null({ description: 'Not Modified: the If-None-Match ETag is current' }),
        },
      },
    },
    async (request, reply) => {
      const job = await jobs.get(request.params.id);
      const etag = `W/"${createHash('sha1').update(JSON.stringify(job)).digest('base64url')}"`;
      reply.header('ETag', etag).header('Cache-Control', 'no-cache');
      if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
      return envelope(request, job);
    },
  );

  app.post(
    '/api/jobs/:id/cancel',
    {
      schema: {
        operationId: 'cancelJob',
        tags: ['jobs'],
        summary:
          'Cancel a job: a queued one at once, a running one after its current batch; 409 when it has finished',
        params: JobIdParams,
        response: { 200: JobResponse },
      },
    },
    async (request) => envelope(request, await jobs.cancel(request.params.id)),
  );
};

export default jobRoutes;
