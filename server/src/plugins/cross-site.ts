/**
 * Cross-site protection in every mode (issue 9, M5), for the browser the operator uses on the
 * same machine. CORS only stops another site from *reading* answers; these two checks stop it
 * from *acting*:
 *
 * - **Host allow-list (DNS rebinding).** A page on `http://attacker.example:3000/` whose name
 *   later resolves to 127.0.0.1 is, for the browser, same-origin with the app, so it could read
 *   and write everything. Its requests still carry `Host: attacker.example:3000`, so a request
 *   whose Host is not a name this server answers to is refused (403, `host_not_allowed`).
 *   Always allowed, as in Vite's `server.allowedHosts`: IP addresses (a rebinding page needs a
 *   host *name*), `localhost` and `*.localhost` (browsers resolve those to loopback
 *   themselves); then HOST when it is a name, and the names in ALLOWED_HOSTS (`*`: no check).
 *   A request without Host (HTTP/1.0 tools) comes from no browser and passes. /health/live and
 *   /health/ready are exempt: they read nothing, and an orchestrator's probe must not fail a pod
 *   over this setting.
 * - **Cross-origin writes (CSRF).** A form or a `no-cors` fetch from another origin sends a
 *   POST with `text/plain` or `multipart/form-data` without a preflight, and the import routes
 *   take both. A state-changing request (POST, PUT, PATCH, DELETE) is refused (403,
 *   `cross_site_request`) unless it comes from the app's own origin or from CORS_ORIGINS. The
 *   algorithm is Go's `http.CrossOriginProtection`: `Sec-Fetch-Site: same-origin` or `none`
 *   passes and any other value (`cross-site`, and `same-site`: another port on the same
 *   loopback address is the same *site*) is refused; without that header, an `Origin` whose
 *   host and port differ from `Host` is refused; a request with neither header is not from a
 *   browser (curl, scripts, server-to-server) and passes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isIP } from 'node:net';
import { forbidden } from '../errors.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const PROBES = new Set(['/health/live', '/health/ready']);

/** The host name of a Host header value ('[::1]:3000' → '::1'), lower case; null if invalid. */
export function hostName(host: string): string | null {
  try {
    const url = new URL(`http://${host}`);
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
      return null;
    }
    return url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  } catch {
    return null;
  }
}

/** Whether `name` is allowed as a Host: an IP address, localhost, or listed (`.x` = x and *.x). */
export function hostAllowed(name: string, listed: readonly string[] | null): boolean {
  if (listed === null) return true;
  if (isIP(name) !== 0) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return listed.some((entry) =>
    entry.startsWith('.') ? name === entry.slice(1) || name.endsWith(entry) : name === entry,
  );
}

/** Whether `origin` (scheme://host[:port]) names the same host and port as the Host header. */
function sameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const parsed = new URL(origin);
    // The Host header read with the Origin's scheme, so that default ports compare equal.
    return parsed.host === new URL(`${parsed.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

async function crossSite(app: FastifyInstance) {
  const { allowedHosts, corsOrigins, host } = app.config;
  const listed =
    allowedHosts === null
      ? null
      : [...allowedHosts, ...(isIP(host) === 0 && hostName(host) ? [host.toLowerCase()] : [])];
  const trustedOrigins = new Set(corsOrigins);

  // A callback hook (no promise per request); what it throws is answered as a rejection is.
  app.addHook('onRequest', (request, _reply, done) => {
    checkHost(request);
    checkOrigin(request);
    done();
  });

  /** Per Host value, whether it is allowed: a pure function of the value, and few are seen. */
  const allowedHostValues = new Map<string, boolean>();
  const hostValueAllowed = (host: string) => {
    let allowed = allowedHostValues.get(host);
    if (allowed === undefined) {
      const name = hostName(host);
      allowed = name !== null && hostAllowed(name, listed);
      // Bounded: a client inventing Host values cannot grow it (past the bound, no memo).
      if (allowedHostValues.size < 256) allowedHostValues.set(host, allowed);
    }
    return allowed;
  };

  function checkHost(request: FastifyRequest) {
    if (listed === null) return;
    const header = request.headers.host;
    if (header === undefined || header === '') return;
    if (PROBES.has(request.url.split('?')[0]!)) return;
    if (hostValueAllowed(request.host)) return;
    throw forbidden(
      `This server does not answer to the host "${request.host.slice(0, 255)}": add it to ALLOWED_HOSTS`,
      { reason: 'host_not_allowed' },
    );
  }

  function checkOrigin(request: FastifyRequest) {
    if (!STATE_CHANGING.has(request.method)) return;
    const origin = request.headers.origin;
    if (origin !== undefined && trustedOrigins.has(origin)) return;
    const fetchSite = request.headers['sec-fetch-site'];
    if (fetchSite !== undefined) {
      if (fetchSite === 'same-origin' || fetchSite === 'none') return;
    } else {
      if (origin === undefined) return;
      if (sameHost(origin, request.host)) return;
    }
    throw forbidden(
      'A request from another site cannot change data here: open the app at its own address, or list the calling origin in CORS_ORIGINS',
      {
        reason: 'cross_site_request',
        ...(origin !== undefined && { origin: origin.slice(0, 255) }),
        ...(fetchSite !== undefined && { sec_fetch_site: fetchSite.slice(0, 32) }),
      },
    );
  }
}

export default fp(crossSite, { name: 'cross-site' });
