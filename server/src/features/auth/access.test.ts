import { describe, expect, it } from 'vitest';
import {
  generateToken,
  hashToken,
  isApiPath,
  isLoopbackHost,
  parseBearer,
  requiredRole,
  roleAllows,
  TOKEN_PATTERN,
  tokenPrefix,
} from './access.js';

describe('tokens', () => {
  it('are tm_ and 32 random bytes in base64url, never the same twice', () => {
    const tokens = new Set(Array.from({ length: 200 }, () => generateToken()));
    expect(tokens.size).toBe(200);
    for (const token of tokens) {
      expect(token).toMatch(TOKEN_PATTERN);
      expect(Buffer.from(token.slice(3), 'base64url')).toHaveLength(32);
    }
  });

  it('are stored as their SHA-256 in hex, recognised by their first 8 characters', () => {
    expect(hashToken('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(tokenPrefix('tm_0123456789')).toBe('tm_01234');
  });
});

describe('parseBearer', () => {
  it.each([
    [undefined, { kind: 'missing' }],
    ['', { kind: 'missing' }],
    ['   ', { kind: 'missing' }],
    ['Bearer tm_x', { kind: 'token', token: 'tm_x' }],
    ['bearer tm_x', { kind: 'token', token: 'tm_x' }],
    ['BEARER  tm_x ', { kind: 'token', token: 'tm_x' }],
    ['Basic dXNlcjpwYXNz', { kind: 'malformed' }],
    ['Bearer', { kind: 'malformed' }],
    ['Bearer a b', { kind: 'malformed' }],
    ['tm_x', { kind: 'malformed' }],
  ])('%j → %j', (header, expected) => {
    expect(parseBearer(header)).toEqual(expected);
  });
});

describe('requiredRole and roleAllows', () => {
  it('reads need a viewer, every other method an editor, unless the route says more', () => {
    expect(requiredRole('GET')).toBe('viewer');
    expect(requiredRole('HEAD')).toBe('viewer');
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(requiredRole(method)).toBe('editor');
    }
    expect(requiredRole('GET', 'admin')).toBe('admin');
  });

  it('orders the roles viewer < editor < admin', () => {
    expect(roleAllows('viewer', 'viewer')).toBe(true);
    expect(roleAllows('viewer', 'editor')).toBe(false);
    expect(roleAllows('editor', 'viewer')).toBe(true);
    expect(roleAllows('editor', 'admin')).toBe(false);
    expect(roleAllows('admin', 'editor')).toBe(true);
    expect(roleAllows('admin', 'admin')).toBe(true);
  });
});

describe('isApiPath', () => {
  it.each([
    ['/api', true],
    ['/api/products', true],
    ['/api/products?limit=5', true],
    ['/API/products', true],
    ['/%61pi/products', true],
    ['//api/products', true],
    ['/api/', true],
    ['/apis', false],
    ['/health/ready', false],
    ['/metrics', false],
    ['/docs/json', false],
    ['/openapi.json', false],
    ['/', false],
    ['/assets/index-abc.js', false],
    ['/products?api=1', false],
  ])('%s → %s', (path, expected) => {
    expect(isApiPath(path)).toBe(expected);
  });
});

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1'])(
    '%s is private to this machine',
    (host) => expect(isLoopbackHost(host)).toBe(true),
  );
  it.each(['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', 'localhost.example.com'])(
    '%s is reachable from a network',
    (host) => expect(isLoopbackHost(host)).toBe(false),
  );
});
