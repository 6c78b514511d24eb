import type { FastifyRequest } from 'fastify';
import type { WriteContext } from '../features/changes/changes.repository.js';

/** Who is writing: the API caller (access control, a later issue, names the token's owner). */
export function writeContext(request: FastifyRequest): WriteContext {
  return { actor: 'api', source: 'api', requestId: request.id };
}
