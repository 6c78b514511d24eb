/**
 * What a newcomer sees on `npm install && npm start` (issue 11, item 6): readable log lines on a
 * terminal and JSON elsewhere; and the two packages pinned below their Node 22-only releases by
 * package.json `overrides` (cookie for light-my-request, content-disposition for @fastify/static)
 * still do their job for the code that uses them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { prettyStream, usesPrettyLogs } from './request-log.js';

describe('log format', () => {
  it('is readable on a terminal outside production, JSON otherwise, and LOG_FORMAT decides', () => {
    const auto = loadConfig({});
    expect(usesPrettyLogs(auto, true, undefined)).toBe(true);
    expect(usesPrettyLogs(auto, true, 'development')).toBe(true);
    expect(usesPrettyLogs(auto, false, undefined)).toBe(false);
    expect(usesPrettyLogs(auto, true, 'production')).toBe(false);
    expect(usesPrettyLogs(loadConfig({ LOG_FORMAT: 'json' }), true, undefined)).toBe(false);
    expect(usesPrettyLogs(loadConfig({ LOG_FORMAT: 'pretty' }), false, 'production')).toBe(true);
    // A log file is for machines.
    expect(usesPrettyLogs(loadConfig({ LOG_FILE: '/tmp/x.log' }), true, undefined)).toBe(false);
  });

  it('writes one readable line per entry, with its fields, and no JSON object line', () => {
    let written = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk);
        done();
      },
    });
    const { log } = Fastify({ logger: { level: 'info', stream: prettyStream(sink, false) } });
    log.info('Server listening at http://127.0.0.1:3000');
    log.info({ method: 'GET', status: 200 }, 'request');
    const lines = written.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Server listening at http:\/\/127\.0\.0\.1:3000$/,
    );
    expect(lines[1]).toMatch(/INFO: request {"method":"GET","status":200}$/);
    for (const line of lines) expect(line.startsWith('{')).toBe(false);
  });
});

describe('packages held at versions that support Node 20', () => {
  /** The package.json of `name` as `from` (a package directory) would load it. */
  const installed = (from: string, name: string) => {
    let dir = dirname(createRequire(join(from, 'package.json')).resolve(name));
    while (!existsSync(join(dir, 'package.json')) || !dir.endsWith(name)) dir = dirname(dir);
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      version: string;
      engines?: { node?: string };
    };
  };
  const root = process.cwd();
  const packageDir = (from: string, name: string) =>
    dirname(createRequire(join(from, 'package.json')).resolve(`${name}/package.json`));

  it('installs cookie 1.x under light-my-request and content-disposition 2.x under @fastify/static', () => {
    const lightMyRequest = packageDir(packageDir(root, 'fastify'), 'light-my-request');
    expect(installed(lightMyRequest, 'cookie')).toMatchObject({
      version: '1.1.1',
      engines: { node: '>=18' },
    });
    expect(installed(packageDir(root, '@fastify/static'), 'content-disposition')).toMatchObject({
      version: '2.0.1',
      engines: { node: '>=18' },
    });
  });

  it('cookie: app.inject() still sends the cookies it is given (light-my-request)', async () => {
    const app = Fastify();
    app.get('/echo', async (request) => ({ cookie: request.headers.cookie ?? null }));
    const response = await app.inject({
      method: 'GET',
      url: '/echo',
      cookies: { session: 'a b;c', theme: 'dark' },
    });
    expect(response.json()).toEqual({ cookie: 'session=a%20b%3Bc; theme=dark' });
    await app.close();
  });

  it('content-disposition: reply.download() names the file, non-ASCII names included (@fastify/static)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tm-static-'));
    try {
      await writeFile(join(root, 'export.csv'), 'a,b\n');
      const app = Fastify();
      await app.register(fastifyStatic, { root, serve: false });
      app.get('/plain', (_request, reply) => reply.download('export.csv'));
      app.get('/named', (_request, reply) => reply.download('export.csv', 'Ausfuhr März.csv'));
      const plain = await app.inject({ method: 'GET', url: '/plain' });
      expect(plain.statusCode).toBe(200);
      expect(plain.headers['content-disposition']).toBe('attachment; filename=export.csv');
      expect(plain.body).toBe('a,b\n');
      const named = await app.inject({ method: 'GET', url: '/named' });
      expect(named.headers['content-disposition']).toBe(
        `attachment; filename="Ausfuhr M?rz.csv"; filename*=UTF-8''Ausfuhr%20M%C3%A4rz.csv`,
      );
      await app.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
