/**
 * Access control. With AUTH_MODE=token every request under /api needs
 * `Authorization: Bearer <token>`: reads (GET, HEAD) a viewer token or better, every other method
 * an editor token, token management an admin token. Missing, unknown and revoked tokens are
 * refused with 401 and `WWW-Authenticate: Bearer`; a token whose role is too low with 403.
 * Everything outside /api (health checks, metrics, API docs, the web app's files) stays open.
 * With AUTH_MODE=none nothing is checked.
 *
 * Each API operation documents the role it needs as `x-required-role` in the OpenAPI document
 * (in both modes), and in token mode the bearer scheme, so Swagger UI's "Authorize" works.
 */
import type { TokenRole } from '@tag-manager/contract';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { forbidden, unauthorized } from '../../errors.js';
import { isApiPath, parseBearer, requiredRole, roleAllows } from './access.js';
import { TokenService, type AuthenticatedToken } from './tokens.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    tokens: TokenService;
  }
  interface FastifyRequest {
    /** The verified token of this request (AUTH_MODE=token), else null. */
    auth: AuthenticatedToken | null;
  }
  interface FastifyContextConfig {
    /** A route that needs more than the method implies (token management: admin). */
    requiredRole?: TokenRole;
  }
}

export const BEARER_SCHEME = 'bearerAuth';
const REALM = 'tag-manager';

/** Whether a request is subject to access control: its route, or its path, is under /api. */
function isProtected(request: FastifyRequest): boolean {
  // Browsers send CORS preflights without credentials; a preflight reads and changes nothing.
  if (request.method === 'OPTIONS') return false;
  const pattern = request.routeOptions.url;
  return (pattern !== undefined && isApiPath(pattern)) || isApiPath(request.url);
}

function challenge(reply: FastifyReply, error?: string) {
  reply.header('WWW-Authenticate', `Bearer realm="${REALM}"${error ? `, error="${error}"` : ''}`);
}

async function auth(app: FastifyInstance) {
  const { mode, cacheSeconds } = app.config.auth;
  const tokens = new TokenService(app.database.db, {
    cacheSeconds,
    warn: (error, message) => app.log.warn({ err: error }, message),
  });
  app.decorate('tokens', tokens);
  app.decorateRequest('auth', null);

  app.addHook('onRoute', (route) => {
    if (!route.schema || !isApiPath(route.url)) return;
    const method = Array.isArray(route.method) ? route.method[0]! : route.method;
    const schema = route.schema as Record<string, unknown>;
    schema['x-required-role'] = requiredRole(method, route.config?.requiredRole);
    if (mode === 'token') schema.security = [{ [BEARER_SCHEME]: [] }];
  });

  if (mode !== 'token') return;
  // Set by the rate-limit plugin (registered first); null when rate limiting is off.
  const failureLimiter = app.hasDecorator('authFailureLimiter') ? app.authFailureLimiter : null;

  app.addHook('onRequest', async (request, reply) => {
    if (!isProtected(request)) return;
    const needed = requiredRole(request.method, request.routeOptions.config?.requiredRole);
    const credentials = parseBearer(request.headers.authorization);
    if (credentials.kind === 'missing') {
      challenge(reply);
      throw unauthorized(
        'An API token is required: send the header "Authorization: Bearer <token>"',
        {
          reason: 'missing_token',
        },
      );
    }
    if (credentials.kind === 'malformed') {
      await failureLimiter?.recordFailure(request);
      challenge(reply, 'invalid_request');
      throw unauthorized('The Authorization header must read "Bearer <token>"', {
        reason: 'malformed_header',
      });
    }
    // A client that keeps presenting bad tokens is stopped here, before the lookup.
    await failureLimiter?.assertAllowed(request, reply);
    const result = await tokens.authenticate(credentials.token);
    if (!result.ok) {
      await failureLimiter?.recordFailure(request);
      challenge(reply, 'invalid_token');
      throw unauthorized(
        result.reason === 'revoked_token'
          ? 'This API token has been revoked'
          : 'This API token is not valid',
        { reason: result.reason },
      );
    }
    request.auth = result.token;
    if (!roleAllows(result.token.role, needed)) {
      throw forbidden(
        `This token's role (${result.token.role}) cannot do this: ${request.method} here needs the ${needed} role`,
        { token_role: result.token.role, required_role: needed },
      );
    }
  });
}

export default fp(auth, { name: 'auth' });
