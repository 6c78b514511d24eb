/**
 * What the two undo routes share (POST /api/changes/{id}/undo, POST /api/jobs/{id}/undo): a
 * body whose fields are all optional, read as options, and the answer, the result (200) or the
 * job that does the undo (202 with its Location).
 */
import type { UndoRequest } from '@tag-manager/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { envelope } from '../../http/envelope.js';
import type { UndoOptions, UndoOutcome } from './undo.service.js';

/** A POST without a body is `{}` (strict, not a dry run). */
export const emptyUndoBody = async (request: FastifyRequest) => {
  if (request.body === undefined || request.body === null) request.body = {};
};

export const undoOptionsOf = (body: UndoRequest | undefined): UndoOptions => ({
  mode: body?.mode ?? 'strict',
  dryRun: body?.dry_run ?? false,
});

export function sendUndoOutcome(
  request: FastifyRequest,
  reply: FastifyReply,
  outcome: UndoOutcome,
) {
  if (outcome.job) {
    return reply
      .status(202)
      .header('location', `/api/jobs/${outcome.job.id}`)
      .send(envelope(request, { job: outcome.job }));
  }
  return reply.send(envelope(request, outcome.result));
}
