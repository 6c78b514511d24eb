/**
 * Access control. With AUTH_MODE=token every request under /api needs
 * `Authorization: Bearer <token>`: reads (GET, HEAD) a viewer token or better, every other method
 * an editor token, token management an admin token. Missing, unknown and revoked tokens are
 * refused with 401 and `WWW-Authenticate: Bearer`; a token whose role is too low with 403.
 * Outside /api, /metrics and the detailed /health need a viewer token or the scraper's
 * METRICS_TOKEN (accepted there only), and /docs and /openapi.json a viewer token when
 * DOCS_PUBLIC=false. The probes (/health/live, /health/ready) and the web app's files stay open.
 * With AUTH_MODE=none nothing is checked.
 *
 * A client that presents bad credentials too often is refused with 429 before any lookup
 * (the failed-authentication budget of plugins/rate-limit.ts).
 *
 * Each API operation documents the bearer scheme (`security`: required in token mode, optional
 * with AUTH_MODE=none) and the role it needs, in its description and as `x-required-role`, so
 * generated clients and Swagger UI's "Authorize" work in both modes; the probes are open.
 */
import type { TokenRole } from '@tag-manager/contract';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { forbidden, unauthorized } from '../../errors.js';
import {
  isApiPath,
  parseBearer,
  requiredRole,
  roleAllows,
  sameSecret,
  serverArea,
} from './access.js';
import type { AuthenticatedToken, TokenService } from './tokens.service.js';

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

/** What a request needs in token mode: a role (and whether METRICS_TOKEN will do), or nothing. */
interface Requirement {
  role: TokenRole;
  metricsToken: boolean;
}

function requirementOf(request: FastifyRequest, docsPublic: boolean): Requirement | undefined {
  // Browsers send CORS preflights without credentials; a preflight reads and changes nothing.
  if (request.method === 'OPTIONS') return undefined;
  const pattern = request.routeOptions.url;
  if ((pattern !== undefined && isApiPath(pattern)) || isApiPath(request.url)) {
    const role = requiredRole(request.method, request.routeOptions.config?.requiredRole);
    return { role, metricsToken: false };
  }
  const area = serverArea(request.url);
  if (area === 'monitoring') return { role: 'viewer', metricsToken: true };
  if (area === 'docs' && !docsPublic) return { role: 'viewer', metricsToken: false };
  return undefined;
}

function challenge(reply: FastifyReply, error?: string) {
  reply.header('WWW-Authenticate', `Bearer realm="${REALM}"${error ? `, error="${error}"` : ''}`);
}

async function auth(app: FastifyInstance) {
  const { mode, metricsToken, docsPublic } = app.config.auth;
  // Built with the other services (services.ts); `app.tokens` is a short name for it.
  const tokens = app.services.tokens;
  app.decorate('tokens', tokens);
  app.decorateRequest('auth', null);

  app.addHook('onRoute', (route) => {
    if (!route.schema || route.schema.hide) return;
    const method = Array.isArray(route.method) ? route.method[0]! : route.method;
    const schema = route.schema as Record<string, unknown>;
    let role: TokenRole;
    let who: string;
    if (isApiPath(route.url)) {
      role = requiredRole(method, route.config?.requiredRole);
      who = `a ${role} token or better`;
    } else if (serverArea(route.url) === 'monitoring') {
      // The detailed /health: what the role rule means in token mode.
      role = 'viewer';
      who = 'a viewer token or better, or METRICS_TOKEN';
    } else {
      // The probes: always open.
      schema.security = [];
      return;
    }
    schema['x-required-role'] = role;
    const note = `**Access:** with AUTH_MODE=token this needs ${who} (\`Authorization: Bearer <token>\`); with AUTH_MODE=none it is open (this server runs with AUTH_MODE=${mode}).`;
    schema.description = schema.description ? `${String(schema.description)}\n\n${note}` : note;
    // Token mode: the bearer token is required. Open mode: a token is accepted but not needed
    // (the empty alternative), so generated clients keep one way of calling in both modes.
    schema.security = mode === 'token' ? [{ [BEARER_SCHEME]: [] }] : [{ [BEARER_SCHEME]: [] }, {}];
  });

  if (mode !== 'token') return;
  // Set by the rate-limit plugin (registered first); null when rate limiting is off.
  const failureLimiter = app.hasDecorator('authFailureLimiter') ? app.authFailureLimiter : null;

  app.addHook('onRequest', async (request, reply) => {
    const requirement = requirementOf(request, docsPublic);
    if (!requirement) return;
    const needed = requirement.role;
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
    // The scraper's secret: compared in memory, never looked up, good for monitoring only.
    if (requirement.metricsToken && metricsToken && sameSecret(credentials.token, metricsToken)) {
      return;
    }
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
