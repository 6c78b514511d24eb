import type { FastifyRequest } from 'fastify';
import type { WriteContext } from '../features/changes/changes.repository.js';

/**
 * Who is writing: the API caller. With access control on (AUTH_MODE=token) that is the token,
 * named `token:<id>:<name>`; without it, just `api`.
 */
export function writeContext(request: FastifyRequest): WriteContext {
  const token = request.auth;
  const actor = token ? `token:${token.id}:${token.name}` : 'api';
  return { actor, source: 'api', requestId: request.id };
}
