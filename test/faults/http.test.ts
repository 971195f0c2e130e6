/**
 * Scenario 17: `POST /resync` abused. Missing, wrong and same-length tokens are refused, a flood
 * is cut off with 429, and the one valid request (from another client address) queues exactly one
 * sync, whose id every repeat gets back while it is pending.
 */
import { request } from 'node:http';
import { expect, it } from 'vitest';
import { delay, eventually } from './helpers/fault-env.js';
import { expectConvergedWithoutLeaks, useFaultEnv } from './helpers/scenario.js';

const faultEnv = useFaultEnv();

const TOKEN = 'fault-suite-admin-token-0123456789';

function post(
  url: string,
  options: { token?: string; from?: string; body?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/resync', url),
      {
        method: 'POST',
        ...(options.from ? { localAddress: options.from } : {}),
        headers: {
          'content-type': 'application/json',
          ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(options.body ?? '{}');
  });
}

it('17: no token, wrong token, same-length token: 401; a flood: 429; the valid one, from the same address too: 202, one job id, one sync', async () => {
  const env = await faultEnv({
    sim: { locations: 4, latencyMs: 100 },
    env: { ADMIN_TOKEN: TOKEN },
  });
  const url = await (await env.startWorker()).started;

  expect((await post(url)).status).toBe(401);
  expect((await post(url, { token: 'wrong' })).status).toBe(401);
  const sameLength = TOKEN.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x'));
  expect(sameLength).toHaveLength(TOKEN.length);
  expect((await post(url, { token: sameLength })).status).toBe(401);
  const flood = await Promise.all(Array.from({ length: 30 }, () => post(url, { token: 'guess' })));
  const statuses = flood.map((r) => r.status);
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
  // Nothing the flood sent was queued: only the scheduled job is there.
  const queued = await env.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
  expect(queued.filter((j) => !j.id?.startsWith('repeat:'))).toEqual([]);

  // The right token is never refused by the lockout, even from the flooding address (behind a
  // proxy every caller has that address).
  const valid = await post(url, { token: TOKEN });
  expect(valid.status).toBe(202);
  const jobId = valid.body.jobId;
  expect(typeof jobId).toBe('string');
  // From another loopback address (Linux routes all of 127/8) too: the same pending job.
  const repeats = await Promise.all([1, 2, 3].map(() => post(url, { token: TOKEN, from: '127.0.0.2' })));
  for (const repeat of repeats) {
    expect(repeat).toEqual({
      status: 202,
      body: { jobId, existing: true, jobs: [{ account: 'default', jobId, existing: true }] },
    });
  }

  await env.waitForJob(jobId as string);
  await delay(500);
  await eventually('the queue to settle', async () => (await env.queue.getActiveCount()) === 0);
  const runs = await env.runs();
  expect(runs.map((r) => [r.scope, r.status])).toEqual([['full', 'succeeded']]);
  const fullSyncs = (await env.queue.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active'])).filter(
    (j) => j.name === 'full-sync' && !j.id?.startsWith('repeat:'),
  );
  expect(fullSyncs.map((j) => j.id)).toEqual([jobId]);
  await expectConvergedWithoutLeaks(env);
  expect(env.output()).not.toContain(TOKEN);
});
