/**
 * The demo's simulator: the demo's account (src/simulator/demo-account.ts), the same one that
 * `timetap-sync simulator` serves without options, so that what the demo shows can be tried by
 * hand against the standalone simulator.
 */
import { DEMO_ACCOUNT, hireWithoutServices } from '../simulator/demo-account.js';
import { type Simulator, startSimulator } from '../simulator/index.js';

export async function startDemoSimulator(): Promise<Simulator> {
  const simulator = await startSimulator({ ...DEMO_ACCOUNT });
  hireWithoutServices(simulator.data);
  return simulator;
}
