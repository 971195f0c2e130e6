/**
 * A simulator for the test file, started before its tests and closed after them: the client and
 * limiter tests each wrote these two hooks. `ready` receives it from inside the hook that started
 * it, so that it runs first whatever order hooks run in.
 */
import { afterAll, beforeAll } from 'vitest';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';

export function useSimulator(options: SimulatorOptions, ready: (sim: Simulator) => void): void {
  let sim: Simulator | undefined;
  beforeAll(async () => {
    sim = await startSimulator(options);
    ready(sim);
  });
  afterAll(async () => {
    await sim?.close();
  });
}
