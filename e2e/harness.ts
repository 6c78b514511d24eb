/**
 * End-to-end harness: start the real server (fresh PGlite data folder, free port, sample catalog
 * seeded on first start), launch Debian's Chromium through playwright-core, and count the
 * `/api` requests the page makes, step by step.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SCREENSHOT_DIR = path.join(ROOT, 'e2e', 'screenshots');
export const RESULTS_DIR = path.join(ROOT, 'e2e', 'results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface RunningServer {
  url: string;
  stop: () => Promise<void>;
  output: () => string;
}

/**
 * Start the server as `npm start` runs it (scripts/start.mjs: the compiled bundle in server/dist,
 * built by `npm run e2e` beforehand) on a free port with its own data folder; resolves once it
 * listens.
 */
export async function startServer(
  options: { seedProducts?: number; env?: Record<string, string> } = {},
): Promise<RunningServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tag-manager-e2e-'));
  const child: ChildProcess = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      LOG_LEVEL: 'warn',
      SEED_PRODUCTS_ON_EMPTY: String(options.seedProducts ?? 3000),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running at (http:\/\/[^\s/]+:\d+)\//.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`The server exited (${code}) before listening:\n${output}`)),
    );
  });
  return {
    url,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless; `extraArgs` for a test that needs more (a host resolver rule). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      ...extraArgs,
    ],
  });
}

/** Counts the page's `/api` requests per named step and waits for them to finish. */
export class RequestLog {
  private step = 'setup';
  private readonly steps: { step: string; requests: string[] }[] = [];
  private inFlight = 0;
  private lastActivity = Date.now();

  constructor(page: Page, origin: string) {
    // The live-updates stream (/api/events) stays open for the page's life: not a step's request.
    const isApi = (url: string) =>
      url.startsWith(`${origin}/api/`) && !url.startsWith(`${origin}/api/events`);
    page.on('request', (request) => {
      if (!isApi(request.url())) return;
      this.inFlight += 1;
      this.lastActivity = Date.now();
      const url = new URL(request.url());
      this.current().requests.push(`${request.method()} ${url.pathname}${url.search}`);
    });
    const done = (request: { url: () => string }) => {
      if (!isApi(request.url())) return;
      this.inFlight = Math.max(0, this.inFlight - 1);
      this.lastActivity = Date.now();
    };
    // A download (the CSV export) is a navigation the page hands to the browser: Playwright
    // reports it as a download rather than as a request of the page, so count it here.
    page.on('download', (download) => {
      if (!isApi(download.url())) return;
      const url = new URL(download.url());
      this.current().requests.push(`GET ${url.pathname}${url.search} (download)`);
    });
    page.on('requestfinished', done);
    page.on('requestfailed', done);
  }

  private current() {
    let entry = this.steps.find((candidate) => candidate.step === this.step);
    if (!entry) {
      entry = { step: this.step, requests: [] };
      this.steps.push(entry);
    }
    return entry;
  }

  /** Run one operator step and record the API requests it caused (after they settle). */
  async measure<T>(step: string, action: () => Promise<T>): Promise<T> {
    this.step = step;
    this.current();
    const result = await action();
    await this.settle();
    this.step = 'between steps';
    return result;
  }

  /** Wait until no API request has been in flight for a quiet period. */
  async settle(quietMs = 400) {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (this.inFlight === 0 && Date.now() - this.lastActivity >= quietMs) return;
    }
  }

  count(step: string): number {
    return this.steps.find((entry) => entry.step === step)?.requests.length ?? 0;
  }

  requests(step: string): string[] {
    return this.steps.find((entry) => entry.step === step)?.requests ?? [];
  }

  write(file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    const steps = this.steps
      .filter((entry) => entry.step !== 'between steps' && entry.step !== 'setup')
      .map((entry) => ({
        step: entry.step,
        api_requests: entry.requests.length,
        requests: entry.requests,
      }));
    const report = {
      description:
        'API requests (/api/*) made by the web app during the scripted operator session of e2e/session.e2e.ts',
      total_api_requests: steps.reduce((sum, entry) => sum + entry.api_requests, 0),
      steps,
    };
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    return report;
  }
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Run axe-core in the page; returns the serious and critical violations. */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  const hasAxe = await page.evaluate(() => 'axe' in window);
  // Evaluated through the DevTools protocol: the app's CSP (script-src 'self') refuses an
  // inline <script>, as it should.
  if (!hasAxe) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes
        .slice(0, 5)
        .map((node) => ({ target: node.target, failureSummary: node.failureSummary })),
    }));
  });
  return violations.filter(
    (violation) => violation.impact === 'serious' || violation.impact === 'critical',
  );
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** A category as `GET /api/categories/tree` lists it. */
export interface TreeNode {
  id: number;
  name: string;
  level: number;
  children: TreeNode[];
}

/** The category tree as the server has it now. */
export async function fetchTree(url: string): Promise<TreeNode[]> {
  const response = await fetch(`${url}/api/categories/tree`);
  return ((await response.json()) as { data: TreeNode[] }).data;
}

/** Every node of a tree, parents before their children. */
export const flattenTree = (nodes: TreeNode[]): TreeNode[] =>
  nodes.flatMap((node) => [node, ...flattenTree(node.children)]);
