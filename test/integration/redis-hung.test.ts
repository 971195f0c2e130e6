/**
 * A hung Redis: it accepts connections and answers nothing (a TCP proxy that stops forwarding
 * plays it; what was sent is delivered once it forwards again, as TCP would). The real worker
 * process must answer `POST /resync` and webhooks within seconds and truthfully: the command was
 * sent, so it is "not confirmed" (and it does run once Redis answers), never "not done"; and the
 * hang is logged as a stopped Redis is, with its end.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { startTcpProxy, type TcpProxy } from '../faults/helpers/tcp-proxy.js';
import { spawnWorker } from '../faults/helpers/worker-process.js';
import type { TestDatabase } from '../helpers/database.js';
import { deletePrefixed } from '../helpers/redis.js';
import { workerProcessEnv } from '../helpers/sync.js';
import { useSyncFixture } from '../helpers/use-sync-fixture.js';

const TOKEN = `admin-${randomBytes(12).toString('hex')}`;
const SECRET = randomBytes(16).toString('hex');
const prefix = `tts-hung-${randomBytes(4).toString('hex')}`;

let sim: Simulator;
let database: TestDatabase;
let proxy: TcpProxy;
let admin: Redis;

useSyncFixture(
  { simulator: { seed: 8, locations: 2 }, simulatorPer: 'file' },
  (fixture) => ({ sim, database } = fixture),
);
beforeAll(async () => {
  const target = new URL(inject('redisUrl'));
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  admin = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  proxy?.setMode({ type: 'pass' });
  if (admin) await deletePrefixed(admin, prefix);
  admin?.disconnect();
  await proxy?.close();
});

it('POST /resync and the webhook answer 503 "not confirmed" within seconds, the hang is logged like an outage, and the resync runs once Redis answers', async () => {
  const worker = spawnWorker(
    workerProcessEnv(
      sim,
      { databaseUrl: database.url, redisUrl: proxy.urlFor(inject('redisUrl')), prefix },
      { ADMIN_TOKEN: TOKEN, WEBHOOK_SECRET: SECRET },
    ),
  );
  try {
    const url = await worker.started;
    proxy.setMode({ type: 'blackhole' });
    const asked = performance.now();
    const [resync, webhook] = await Promise.all([
      fetch(`${url}/resync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } }),
      fetch(`${url}/webhooks/timetap/${SECRET}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ calendarId: 4242 }),
      }),
    ]);
    const elapsed = performance.now() - asked;
    expect(elapsed).toBeGreaterThanOrEqual(2_900);
    expect(elapsed).toBeLessThan(8_000);
    for (const [res, what] of [
      [resync, 'resync'],
      [webhook, 'event'],
    ] as const) {
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: string; confirmed?: boolean };
      expect(body.confirmed).toBe(false);
      expect(body.error).toMatch(
        new RegExp(`^Redis did not confirm the ${what} in time: it was sent but not confirmed`),
      );
    }
    const lost = JSON.parse(await worker.waitForOutput(/"msg":"redis unreachable"/, 5_000)) as {
      dependency: string;
      reason: string;
    };
    expect(lost).toMatchObject({ dependency: 'redis', reason: 'no answer within 3 s' });

    // Redis answers again: what was sent arrives, and the answer was true, the sync does run.
    proxy.setMode({ type: 'pass' });
    await worker.waitForOutput(/"msg":"redis reachable again"/, 15_000);
    const deadline = Date.now() + 30_000;
    let run: { status: string } | null = null;
    while (Date.now() < deadline) {
      run = await database.db.syncRun.findFirst({ where: { trigger: 'http', status: { not: 'running' } } });
      if (run) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(run?.status).toBe('succeeded');
    expect(worker.output()).not.toContain(TOKEN);
    expect(worker.output()).not.toContain(SECRET);
  } finally {
    proxy.setMode({ type: 'pass' });
    worker.kill('SIGKILL');
    await worker.exited;
  }
}, 90_000);
