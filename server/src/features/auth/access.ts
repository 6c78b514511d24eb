/**
 * The rules of access control, as plain functions: what a token looks like, how it is stored,
 * which role a request needs, and which hosts are private to this machine.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { TOKEN_ROLES, type TokenRole } from '@tag-manager/contract';

/** `tm_` and 32 random bytes in base64url (43 characters): 256 bits a guess cannot find. */
export const TOKEN_PATTERN = /^tm_[A-Za-z0-9_-]{43}$/;
/** Characters of the secret kept in clear, to recognise a token in lists and logs. */
export const TOKEN_PREFIX_LENGTH = 8;

export function generateToken(): string {
  return `tm_${randomBytes(32).toString('base64url')}`;
}

/** What is stored instead of the secret: its SHA-256, hex. */
export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export const tokenPrefix = (secret: string) => secret.slice(0, TOKEN_PREFIX_LENGTH);

export function isTokenRole(value: unknown): value is TokenRole {
  return typeof value === 'string' && (TOKEN_ROLES as readonly string[]).includes(value);
}

/** Whether `role` includes everything `required` may do (viewer < editor < admin). */
export function roleAllows(role: TokenRole, required: TokenRole): boolean {
  return TOKEN_ROLES.indexOf(role) >= TOKEN_ROLES.indexOf(required);
}

/**
 * The role a request needs: the route's own `requiredRole` (token management asks for admin),
 * else viewer to read (GET, HEAD) and editor for every other method.
 */
export function requiredRole(method: string, declared?: TokenRole): TokenRole {
  if (declared) return declared;
  return method === 'GET' || method === 'HEAD' ? 'viewer' : 'editor';
}

/**
 * Whether a path belongs to the API. Compared after decoding, collapsing repeated slashes and
 * lower-casing, so no spelling of an /api path the router might accept slips past the check.
 */
export function isApiPath(url: string): boolean {
  const path = normalizedPath(url);
  return path === '/api' || path.startsWith('/api/');
}

/** A request's path without its query, decoded, repeated slashes collapsed, lower-cased. */
export function normalizedPath(url: string): string {
  let path = url.split('?')[0] ?? '';
  try {
    path = decodeURIComponent(path);
  } catch {
    // Undecodable paths are refused by the router (400) before any hook runs.
  }
  return path.replace(/\/{2,}/g, '/').toLowerCase();
}

/**
 * Paths outside /api that token mode protects too: `monitoring` (/metrics and the detailed
 * /health: a viewer token or METRICS_TOKEN) and `docs` (/docs, /openapi.json: a viewer token
 * when DOCS_PUBLIC=false). /health/live and /health/ready stay open for orchestrators' probes.
 */
export type ServerArea = 'monitoring' | 'docs';

export function serverArea(url: string): ServerArea | undefined {
  const path = normalizedPath(url).replace(/\/+$/, '');
  if (path === '/metrics' || path === '/health') return 'monitoring';
  if (path === '/docs' || path.startsWith('/docs/') || path === '/openapi.json') return 'docs';
  return undefined;
}

/** Compares two secrets in constant time (their SHA-256, so lengths do not leak either). */
export function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(
    createHash('sha256').update(presented, 'utf8').digest(),
    createHash('sha256').update(expected, 'utf8').digest(),
  );
}

export type BearerCredentials =
  { kind: 'missing' } | { kind: 'malformed' } | { kind: 'token'; token: string };

/** Reads `Authorization: Bearer <token>` (the scheme is case-insensitive, RFC 7235). */
export function parseBearer(header: string | undefined): BearerCredentials {
  if (header === undefined || header.trim() === '') return { kind: 'missing' };
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match ? { kind: 'token', token: match[1]! } : { kind: 'malformed' };
}

/** Hosts only this machine can reach; anything else exposes the API to a network. */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return (
    bare === 'localhost' ||
    bare === '::1' ||
    /^127(\.\d{1,3}){3}$/.test(bare) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(bare)
  );
}
