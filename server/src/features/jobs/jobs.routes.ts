/**
 * Jobs over HTTP: the list, one job (polled for progress: its ETag changes only when the job
 * does, so a poll of an unchanged job is an empty 304), the cancel request, and the undo of
 * everything a job wrote.
 */
import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  JobIdParams,
  JobListQuery,
  JobListResponse,
  JobResponse,
  UndoJobAcceptedResponse,
  UndoRequest,
  UndoResponse,
} from '@tag-manager/contract';
import { writeContext } from '../../http/context.js';
import { emptyUndoBody, sendUndoOutcome, undoOptionsOf } from '../changes/undo-http.js';
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

  app.post(
    '/api/jobs/:id/undo',
    {
      schema: {
        operationId: 'undoJob',
        tags: ['jobs'],
        summary:
          'Undo every change set a job recorded (an ended job of product assignments), as one undo job',
        description:
          'Checks every change set of the job not undone yet (a dry run), then answers 202 with an `undo` job that undoes them newest first, each batch recorded as a change set reverting one of them. `strict` (default) answers 409 with `details.conflicts` when a later change touched the same products and categories; `skip_conflicts` undoes the rest. `dry_run: true` answers 200 with the counts and conflicts without writing. A job still queued or running, a job with nothing left to undo, or one whose changes cannot be undone answers 409 with `details.reason`.',
        params: JobIdParams,
        body: UndoRequest,
        response: { 200: UndoResponse, 202: UndoJobAcceptedResponse },
      },
      preValidation: emptyUndoBody,
    },
    async (request, reply) =>
      sendUndoOutcome(
        request,
        reply,
        await app.services.undo.undoJob(
          request.params.id,
          undoOptionsOf(request.body),
          writeContext(request),
        ),
      ),
  );
};

export default jobRoutes;
