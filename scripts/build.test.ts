/**
 * The production build (issue 15): esbuild bundles the server into one ES module per entry with
 * source maps, the bundle runs on plain Node (no tsx) from anywhere in the project, and an
 * unchanged input set has an unchanged fingerprint (so `npm start` does not build again).
 * Built here into a folder of its own under tmp/, not server/dist, which other tests may run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ENTRIES, buildServer, fingerprint } from './build.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
mkdirSync(path.join(ROOT, 'tmp'), { recursive: true });
const outdir = mkdtempSync(path.join(ROOT, 'tmp', 'build-test-'));
const dataDir = mkdtempSync(path.join(tmpdir(), 'tag-manager-build-'));

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the production build', () => {
  it('bundles every entry with a source map that names the TypeScript sources', async () => {
    await buildServer(outdir);
    for (const name of Object.keys(ENTRIES)) {
      expect(existsSync(path.join(outdir, `${name}.js`)), name).toBe(true);
    }
    const map = JSON.parse(readFileSync(path.join(outdir, 'main.js.map'), 'utf8')) as {
      sources: string[];
    };
    const chunkMaps = map.sources.map((source) => path.resolve(outdir, source));
    expect(chunkMaps.some((source) => source.endsWith('server/src/main.ts'))).toBe(true);
    // No runtime package is bundled: they come from the production install.
    const main = readFileSync(path.join(outdir, 'main.js'), 'utf8');
    expect(main).not.toMatch(/node_modules\/fastify\//);
  });

  it('runs on plain Node: migrates, seeds and answers on the embedded database', async () => {
    const child = spawn(process.execPath, ['--enable-source-maps', path.join(outdir, 'main.js')], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        REDIS_URL: '',
        LOG_LEVEL: 'warn',
        SEED_PRODUCTS_ON_EMPTY: '25',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const match = /running at (http:\/\/[^\s/]+:\d+)\//.exec(output);
          if (match) resolve(match[1]!);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => reject(new Error(`exited (${code}):\n${output}`)));
      });
      const products = await fetch(`${url}/api/products?limit=5`);
      expect(products.status).toBe(200);
      const body = (await products.json()) as { metadata: { total_products: number } };
      expect(body.metadata.total_products).toBe(25);
      const health = await fetch(`${url}/health/ready`);
      expect(health.status, await health.text()).toBe(200);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('gives unchanged inputs the same fingerprint, and other inputs another', () => {
    const inputs = ['server/src/paths.ts', 'scripts/build.mjs'];
    expect(fingerprint(inputs)).toBe(fingerprint([...inputs].reverse()));
    expect(fingerprint(inputs)).not.toBe(fingerprint(['server/src/paths.ts']));
    expect(fingerprint(inputs)).toMatch(/^[0-9a-f]{40}$/);
  });
});
