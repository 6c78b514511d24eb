import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CreatedTokenResponse,
  CreateTokenBody,
  TokenIdParams,
  TokenListResponse,
  TokenResponse,
} from '@tag-manager/contract';
import { writeContext } from '../../http/context.js';
import { envelope, listEnvelope } from '../../http/envelope.js';

const tags = ['tokens'];
/** Token management needs an admin token (AUTH_MODE=token); see auth.plugin.ts. */
const config = { requiredRole: 'admin' as const };

const tokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/tokens',
    {
      config,
      schema: {
        operationId: 'listTokens',
        tags,
        summary: 'Every API token, revoked ones too (never the secrets)',
        response: { 200: TokenListResponse },
      },
    },
    async (request) => {
      const { tokens, metadata } = await app.tokens.list();
      return listEnvelope(request, tokens, metadata);
    },
  );

  app.post(
    '/api/tokens',
    {
      config,
      schema: {
        operationId: 'createToken',
        tags,
        summary: 'Create a token; the answer carries its secret, this once',
        body: CreateTokenBody,
        response: { 201: CreatedTokenResponse },
      },
    },
    async (request, reply) => {
      const created = await app.tokens.create(request.body, writeContext(request));
      return reply.status(201).header('Cache-Control', 'no-store').send(envelope(request, created));
    },
  );

  app.delete(
    '/api/tokens/:id',
    {
      config,
      schema: {
        operationId: 'revokeToken',
        tags,
        summary: 'Revoke a token (it stops working within AUTH_CACHE_SECONDS on every instance)',
        params: TokenIdParams,
        response: { 200: TokenResponse },
      },
    },
    async (request) =>
      envelope(request, await app.tokens.revoke(request.params.id, writeContext(request))),
  );
};

export default tokenRoutes;
