/**
 * The status page's reader against the real Postgres and Redis: the freshness, the latest runs
 * with their reasons, the learned request rate and the last webhook events, as the page gets
 * them; and with Postgres or Redis unreachable (ports where nothing listens), the part that
 * cannot be read named in fixed words, within seconds, and the rest still shown.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStatusPageReader, type StatusPageDeps } from '../../src/commands/status-page-data.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/database.js';
import { type Db, recordDoctorResult } from '../../src/db/index.js';
import { createLogger } from '../../src/logger.js';
import { createFastQueueCall } from '../../src/queue/enqueue.js';
import { budgetKey } from '../../src/queue/shared-timetap.js';
import { recordWebhookEvent } from '../../src/queue/webhook-events.js';
import { createRedactor } from '../../src/redact.js';
import { limiterKeys } from '../../src/redis/limiter.js';
import { soleAccount } from '../helpers/account.js';
import { deletePrefixed } from '../helpers/redis.js';
import { useTestDatabase } from '../helpers/use-database.js';

let db: Db;
let databaseUrl: string;
useTestDatabase([], (database) => {
  db = database.db;
  databaseUrl = database.url;
});

const prefix = `tts-page-${randomBytes(4).toString('hex')}`;
let redis: Redis;
let queue: Queue;
const config = () =>
  loadConfig(
    {
      TIMETAP_API_KEY: 'key',
      TIMETAP_PRIVATE_KEY: 'private',
      DATABASE_URL: databaseUrl,
      REDIS_URL: inject('redisUrl'),
      QUEUE_PREFIX: prefix,
      SYNC_SCHEDULE: '0 */2 * * *',
      WEBHOOK_SECRET: 'w'.repeat(24),
    },
    ['timetap', 'database', 'redis'],
  );

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  queue = new Queue('sync', { connection: redis, prefix });
  await db.$executeRawUnsafe(`
    INSERT INTO sync_runs (id, scope, trigger, status, started_at, finished_at, stats, error, api_calls) VALUES
      (1, 'full', 'schedule', 'succeeded', now() - interval '90 minutes', now() - interval '85 minutes', '{}', NULL, 40),
      (2, 'full', 'manual', 'failed', now() - interval '10 minutes', now() - interval '9 minutes', '{}',
       'TimeTap refused the keys (401 on /sessionToken)', 3)`);
  const adaptive = limiterKeys(budgetKey(soleAccount(config()))).adaptive;
  await redis.hset(adaptive, 'rps', '7.5', 'throttles', '3', 'lastThrottleAt', String(Date.now() * 1000));
  await recordWebhookEvent(redis, queue, 'received', {
    at: '2026-12-01T11:00:00Z',
    calendarId: 5,
    outcome: 'accepted',
  });
  await recordWebhookEvent(redis, queue, 'applied', {
    at: '2026-12-01T11:00:01Z',
    calendarId: 5,
    outcome: 'stored',
    lagMs: 900,
  });
});

afterAll(async () => {
  await deletePrefixed(redis, prefix);
  await queue?.close();
  await redis?.quit();
});

function reader(overrides: Partial<StatusPageDeps> = {}) {
  const connection = overrides.redis ?? redis;
  return createStatusPageReader({
    db,
    redis: connection,
    queue,
    fast: createFastQueueCall({ redis: connection, redisUrl: inject('redisUrl'), timeoutMs: 2_000 }),
    config: config(),
    ...overrides,
  });
}

describe('the status page reader', () => {
  it('reads the freshness, the runs with their reasons, the request rate and the webhook events', async () => {
    const data = await reader()();
    expect(data.problems).toEqual([]);
    const [account] = data.accounts;
    expect(account).toMatchObject({ name: 'default', scheduleIntervalSeconds: 7200 });
    expect(account?.freshness).toEqual([
      expect.objectContaining({
        scope: 'full',
        lastCompleteRunId: 1,
        unsuccessfulInARow: 1,
        lastRun: expect.objectContaining({
          id: 2,
          status: 'failed',
          reasons: expect.stringContaining('401'),
        }),
      }),
    ]);
    expect(account?.requestRate?.text).toMatch(/^7\.5\/s learned, .*3 429s/);
    expect(data.runs.map((r) => [r.id, r.status, r.reasons, r.apiCalls])).toEqual([
      [2, 'failed', 'TimeTap refused the keys (401 on /sessionToken)', 3],
      [1, 'succeeded', null, 40],
    ]);
    expect(data.runs[1]?.durationSeconds).toBeCloseTo(300, 0);
    expect(data.webhooks).toEqual({
      received: { at: '2026-12-01T11:00:00Z', calendarId: 5, outcome: 'accepted' },
      applied: { at: '2026-12-01T11:00:01Z', calendarId: 5, outcome: 'stored', lagMs: 900 },
    });
  });

  it('shows what doctor last found of each account, and nothing of it before doctor ran', async () => {
    expect((await reader()()).accounts[0]?.doctor).toBeUndefined();
    await recordDoctorResult(
      db,
      { account: 'default', checks: [{ name: 'report-order', result: 'different', detail: '3 reads <b>' }] },
      'default',
    );
    const [account] = (await reader()()).accounts;
    expect(account?.doctor?.checks).toEqual([
      { name: 'report-order', result: 'different', detail: '3 reads <b>' },
    ]);
    expect(account?.doctor?.at).toBeInstanceOf(Date);
  });

  it('names what it could not read, within seconds, and shows the rest', async () => {
    const logger = createLogger({ level: 'silent', redactor: createRedactor() });
    const nowhere = createDatabase(
      {
        url: 'postgresql://postgres@127.0.0.1:1/none',
        poolSize: 1,
        connectTimeoutMs: 10_000,
        statementTimeoutMs: 10_000,
      },
      logger,
    );
    const lostRedis = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: null,
      retryStrategy: () => 200,
    });
    lostRedis.on('error', () => undefined);
    try {
      const started = Date.now();
      const withoutDatabase = await reader({ db: nowhere.prisma })();
      expect(withoutDatabase.problems).toEqual(['database: connection refused']);
      expect(withoutDatabase.accounts[0]?.freshness).toEqual([]);
      expect(withoutDatabase.accounts[0]?.requestRate?.text).toMatch(/7\.5\/s learned/);

      await new Promise((resolve) => setTimeout(resolve, 300)); // its first connect has failed
      const withoutRedis = await reader({ redis: lostRedis })();
      expect(withoutRedis.problems).toEqual(['Redis: unreachable']);
      expect(withoutRedis.accounts[0]?.requestRate).toBeNull();
      expect(withoutRedis.webhooks).toEqual({ received: null, applied: null });
      expect(withoutRedis.runs.map((r) => r.id)).toEqual([2, 1]);
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      lostRedis.disconnect();
      await nowhere.close();
    }
  });
});
