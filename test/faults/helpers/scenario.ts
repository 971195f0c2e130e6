/**
 * What every scenario file would otherwise repeat: its FaultEnv created against the suite's
 * Postgres and Redis, cleaned up after each scenario (or after the file), and the sweep a scenario
 * ends with: the mirror converged and no secret left anywhere.
 */
import { afterAll, afterEach, expect, inject } from 'vitest';
import type { SimulatorOptions } from '../../../src/simulator/index.js';
import { createFaultEnv, type FaultEnv } from './fault-env.js';
import { secretLeaks } from './secrets.js';

export interface ScenarioOptions {
  sim?: SimulatorOptions;
  env?: Record<string, string>;
}

/**
 * Call at the top of a scenario file. Returns the function that creates a scenario's FaultEnv;
 * every env it created is cleaned up after each test (`each`) or once after the file (`file`).
 * `beforeCleanup` gives back what a scenario may have taken away (a stopped service, a
 * blackhole) so that the cleanup can reach it; `afterCleanup` undoes what outlives the env.
 */
export function useFaultEnv(
  options: {
    cleanUpAfter?: 'each' | 'file';
    beforeCleanup?: () => unknown;
    afterCleanup?: () => unknown;
  } = {},
): (scenario?: ScenarioOptions) => Promise<FaultEnv> {
  const created: FaultEnv[] = [];
  const cleanup = async () => {
    await options.beforeCleanup?.();
    for (const env of created.splice(0)) await env.cleanup();
    await options.afterCleanup?.();
  };
  if (options.cleanUpAfter === 'file') afterAll(cleanup);
  else afterEach(cleanup);
  return async (scenario = {}) => {
    const env = await createFaultEnv({
      ...scenario,
      databaseUrl: inject('databaseUrl'),
      redisUrl: inject('redisUrl'),
    });
    created.push(env);
    return env;
  };
}

/** The end of a scenario: every table equals the simulator's data, and no secret leaked. */
export async function expectConvergedWithoutLeaks(env: FaultEnv): Promise<void> {
  await env.expectConverged();
  expect(await secretLeaks(env)).toEqual([]);
}
