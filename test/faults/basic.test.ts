/**
 * Scenario 1: no fault at all, twice. The real worker process, two full syncs through the queue.
 */
import { afterEach, expect, inject, it } from 'vitest';
import { rowVersions } from '../helpers/mirror.js';
import { createFaultEnv, type FaultEnv } from './helpers/fault-env.js';
import { secretLeaks } from './helpers/secrets.js';

let env: FaultEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

it('1: two clean full syncs converge, the second writes nothing, two succeeded runs', async () => {
  env = await createFaultEnv({ databaseUrl: inject('databaseUrl'), redisUrl: inject('redisUrl') });
  await env.startWorker();
  const first = (await env.waitForJob(await env.resync())) as { status: string };
  expect(first.status).toBe('succeeded');
  await env.expectConverged();
  const before = await rowVersions(env.database.db);
  const second = (await env.waitForJob(await env.resync())) as { status: string };
  expect(second.status).toBe('succeeded');
  expect(await rowVersions(env.database.db)).toEqual(before);
  expect((await env.runs()).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
  expect(await secretLeaks(env)).toEqual([]);
});
