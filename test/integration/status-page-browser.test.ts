/**
 * The status page in a real browser: the real worker process (`src/main.ts worker`, as `npm start`
 * runs it) on a database holding a failed run whose reason is hostile, opened in headless
 * Chromium (Debian's package, driven by playwright-core). It refuses without the token; with it,
 * it loads, shows the failing run's reason as text (no script of it runs, no element of it
 * appears), its style sheet passes its own Content-Security-Policy (the browser reports no
 * violation), and its link reaches Bull Board. A screenshot is kept in test-artifacts/ (ignored
 * by git). The same worker's /metrics carries the freshness gauges the page is built from.
 *
 * Without Chromium (CHROMIUM_PATH, default /usr/bin/chromium) the browser tests are skipped, and
 * say so; the /metrics test runs anyway.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { spawnWorker, type WorkerProcess } from '../faults/helpers/worker-process.js';
import type { TestDatabase } from '../helpers/database.js';
import { useQueuePrefix } from '../helpers/redis.js';
import { workerProcessEnv } from '../helpers/sync.js';
import { useSyncFixture } from '../helpers/use-sync-fixture.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const NO_CHROMIUM =
  `no Chromium at ${CHROMIUM}, so the status page was not opened in a browser ` +
  '(`apt-get install chromium`, which .ci/run does; or set CHROMIUM_PATH)';
/** What the machine's network allows a headless Chromium (no calls home, no sandbox as root). */
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const TOKEN = `admin-${randomBytes(12).toString('hex')}`;
const prefix = useQueuePrefix('page');
const REASON =
  `location 1001: TimeTap answered 500 for "Harbor <script>document.title='pwned'</script>" ` +
  `<img src=x onerror="document.title='pwned'"> & 'quotes'`;

let sim: Simulator;
let database: TestDatabase;
let worker: WorkerProcess;
let url: string;

useSyncFixture(
  { simulator: { seed: 3, locations: 2 }, simulatorPer: 'file' },
  (fixture) => ({ sim, database } = fixture),
);
beforeAll(async () => {
  await database.db.$executeRawUnsafe(
    `INSERT INTO sync_runs (scope, trigger, status, started_at, finished_at, stats, error) VALUES
       ('full', 'schedule', 'succeeded', now() - interval '50 minutes', now() - interval '45 minutes',
        '{"staff": {"deleted": 0, "held": 0}}', NULL),
       ('full', 'manual', 'failed', now() - interval '5 minutes', now() - interval '4 minutes',
        '{"staff": {"deleted": 0, "held": 0}}', $1)`,
    `${REASON}\n${'a second reason, long: '.repeat(200)}`,
  );
  worker = spawnWorker(
    workerProcessEnv(
      sim,
      { databaseUrl: database.url, redisUrl: inject('redisUrl'), prefix },
      { HTTP_HOST: '127.0.0.1', ADMIN_TOKEN: TOKEN },
    ),
  );
  url = await worker.started;
});

afterAll(async () => {
  worker?.kill('SIGTERM');
  await worker?.exited;
});

describe('the worker’s /metrics', () => {
  it('carries the freshness gauges by account and scope, and the dependencies', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const gauge = (line: string) =>
      Number(
        text
          .split('\n')
          .find((l) => l.startsWith(`${line} `))
          ?.split(' ')[1],
      );
    expect(gauge('timetap_sync_mirror_age_seconds{account="default",scope="full"}')).toBeGreaterThanOrEqual(
      2700,
    );
    expect(gauge('timetap_sync_unsuccessful_runs_in_a_row{account="default",scope="full"}')).toBe(1);
    expect(gauge('timetap_sync_guard_held{account="default",scope="full"}')).toBe(0);
    expect(gauge('timetap_sync_schedule_interval_seconds{account="default"}')).toBeGreaterThan(0);
    expect(gauge('timetap_sync_dependency_up{dependency="database"}')).toBe(1);
    expect(gauge('timetap_sync_dependency_up{dependency="redis"}')).toBe(1);
  });
});

describe('the status page in Chromium', () => {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    // vitest's default reporter shows a skipped test's note only in verbose mode: say it here too.
    if (!hasChromium) {
      console.warn(`status page browser tests skipped: ${NO_CHROMIUM}`);
      return;
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  });
  beforeEach((ctx) => {
    ctx.skip(!hasChromium, NO_CHROMIUM);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
  });
  const open = async (credentials?: { username: string; password: string }) => {
    if (!browser) throw new Error('no browser');
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      ...(credentials ? { httpCredentials: credentials } : {}),
    });
    contexts.push(context);
    const page = await context.newPage();
    const messages: string[] = [];
    page.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
    return { page, messages };
  };

  it('refuses without the token, and with a wrong one', async () => {
    // With no credentials to give, the browser gives up on the challenge (Playwright names that
    // ERR_INVALID_AUTH_CREDENTIALS); the answer it got is the 401.
    const { page } = await open();
    const [challenge, navigation] = await Promise.all([
      page.waitForResponse(`${url}/`),
      page.goto(`${url}/`).then(
        () => 'loaded',
        (error: unknown) => String(error),
      ),
    ]);
    expect(challenge.status()).toBe(401);
    expect(challenge.headers()['www-authenticate']).toBe('Basic realm="timetap-sync"');
    expect(navigation).toContain('ERR_INVALID_AUTH_CREDENTIALS');

    const wrong = await open({ username: 'ops', password: 'not-the-token' });
    expect((await wrong.page.goto(`${url}/`))?.status()).toBe(401);
    const body = await wrong.page.textContent('body');
    expect(body).toContain('authentication required');
    expect(body).not.toContain('TimeTap answered');
  });

  it('loads with the token and shows the failing run’s reason as text; a screenshot is kept', async () => {
    const { page, messages } = await open({ username: 'ops', password: TOKEN });
    const response = await page.goto(`${url}/`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('timetap-sync status');

    const runs = page.locator('section', { has: page.locator('h2', { hasText: 'Latest runs' }) });
    const failed = runs.locator('tr', { hasText: 'failed' });
    expect(await failed.count()).toBe(1);
    expect(await failed.textContent()).toContain(REASON);
    // The rest of the reasons, one click away.
    await failed.locator('summary').click();
    expect(await failed.locator('pre').textContent()).toContain('a second reason, long:');

    // The reason's markup stayed text: no image, no script ran (the title would say).
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.title()).toBe('timetap-sync status');
    // The verdict and the freshness table, from mirror_freshness_view.
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toMatch(/fresh The last complete full sync \(run #1\) finished 45 min (\d+ s )?ago/);
    // The last run failed before it recorded its window: the window is not known to be complete.
    expect(main).toContain('window incomplete');
    expect(main).toContain('Unsuccessful in a row');
    // The style sheet applied under the page's policy, which the browser never had to enforce.
    const header = await page.evaluate("getComputedStyle(document.querySelector('th')).backgroundColor");
    expect(header).toBe('rgb(242, 244, 246)');
    expect(messages.filter((line) => /Content Security Policy|Refused/i.test(line))).toEqual([]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
    expect(existsSync(join(ARTIFACTS, 'status-page.png'))).toBe(true);

    const queues = await Promise.all([
      page.waitForResponse(/\/admin\/queues/),
      page.click('text=Queues (Bull Board)'),
    ]);
    expect(queues[0].status()).toBe(200);
  });
});
