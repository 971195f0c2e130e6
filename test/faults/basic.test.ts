/**
 * Scenario 1: no fault at all, twice. The real worker process, two full syncs through the queue.
 */
import { expect, it } from 'vitest';
import { rowVersions } from '../helpers/mirror.js';
import { useFaultEnv } from './helpers/scenario.js';
import { secretLeaks } from './helpers/secrets.js';

const faultEnv = useFaultEnv();

it('1: two clean full syncs converge, the second writes nothing, two succeeded runs', async () => {
  const env = await faultEnv();
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
