/**
 * The settings every run takes from the configuration and its account: the mass-delete guard, how many lists and
 * locations are walked at once, and how runs heartbeat. One function, for `timetap-sync sync`, the
 * worker and the tests alike.
 */
import { hkdfSync } from 'node:crypto';
import type { AccountContext } from '../account.js';
import type { Config } from '../config.js';
import type { StepDeps } from './steps.js';

/** A run whose heartbeat is older than this is taken for dead (`abandoned`). */
export const DEFAULT_STALE_RUN_MS = 5 * 60_000;

export type RunSettings = Pick<
  StepDeps,
  'account' | 'guard' | 'staffConcurrency' | 'heartbeatMs' | 'staleRunMs' | 'clientData' | 'appointments'
> & {
  locationConcurrency: number;
};

/** The settings of runs for `account` (one of config.accounts). */
export function runSettings(config: Config, account: AccountContext): RunSettings {
  const staleRunMs = config.worker.staleRunMs ?? DEFAULT_STALE_RUN_MS;
  return {
    account,
    guard: { ratio: config.sync.deleteGuardRatio, allowMassDelete: config.sync.allowMassDelete },
    // The limiter rules the requests in flight; twice that many queued keeps it busy.
    staffConcurrency: account.timetap.maxConcurrency * 2,
    locationConcurrency: config.sync.locationConcurrency,
    staleRunMs,
    // Five heartbeats per stale period: a run survives a few missed ones.
    heartbeatMs: config.worker.heartbeatMs ?? Math.max(1_000, Math.floor(staleRunMs / 5)),
    clientData: { mode: config.sync.clientData, hashKey: clientHashKey(account.timetap.privateKey) },
    appointments: config.sync.appointments,
  };
}

/**
 * The key of the e-mail hashes that a pseudonymous mirror keeps (db/client-data.ts): derived from
 * the TimeTap private key, which every process has and which never leaves them, so that the
 * hashes join across runs and workers but cannot be recomputed from the mirror alone. A new key
 * pair gives new hashes.
 */
function clientHashKey(privateKey: string): string {
  return Buffer.from(hkdfSync('sha256', privateKey, 'timetap-sync', 'client e-mail hash', 32)).toString(
    'hex',
  );
}
