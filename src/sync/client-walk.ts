/**
 * The client step of a full sync: every page of `GET /clients`, upserted under the client-data
 * policy (MIRROR_CLIENT_DATA, db/client-data.ts), and, on a complete list, the clients it no longer
 * shows confirmed through their own URL before anything is marked (confirm-unseen.ts). Clients
 * are personal data: under `none` they are not read at all, and whatever a less strict mode
 * stored before is brought down to the policy first.
 */
import { type ClientDataPolicy, deleteBaseline, scrubClientData, upsertClients } from '../db/index.js';
import { describeError } from '../errors.js';
import type { ClientRecord } from '../records.js';
import { type ConfirmDeps, type OwnUrl, reconcileUnseen } from './confirm-unseen.js';
import { isFatal, writeOf } from './location-walk.js';
import { addCounts, emptyStats, type RunStats } from './stats.js';

export interface ClientWalkDeps extends ConfirmDeps {
  clientData: ClientDataPolicy;
}

export interface ClientOutcome {
  /** complete: every page read, every record usable; skipped: the policy reads no client. */
  status: 'complete' | 'incomplete' | 'failed' | 'skipped';
  reasons: string[];
  stats: RunStats;
  retryable: boolean;
}

export async function walkClients(deps: ClientWalkDeps): Promise<ClientOutcome> {
  const stats = emptyStats();
  const scrubbed = await scrubClientData(deps.db, deps.clientData, writeOf(deps));
  if (scrubbed.clients + scrubbed.appointments > 0) {
    deps.logger.info(
      { mode: deps.clientData.mode, ...scrubbed },
      'brought stored client data down to the policy',
    );
  }
  if (deps.clientData.mode === 'none') return { status: 'skipped', reasons: [], stats, retryable: false };

  let list: Awaited<ReturnType<ConfirmDeps['api']['listClients']>>;
  try {
    list = await deps.api.listClients();
  } catch (error) {
    if (isFatal(error)) throw error;
    const retryable = (error as { retryable?: boolean }).retryable === true;
    return { status: 'failed', reasons: [`GET /clients failed: ${describeError(error)}`], stats, retryable };
  }
  addCounts(stats, 'clients', {
    ...(await upsertClients(deps.db, list.items, {
      clientData: deps.clientData,
      logger: deps.logger,
      ...writeOf(deps),
    })),
    skipped: list.skipped.length,
  });
  if (list.skipped.length > 0) {
    const reason = `GET /clients: ${list.skipped.length} record(s) without a usable id; clients not tombstoned`;
    return { status: 'incomplete', reasons: [reason], stats, retryable: false };
  }
  const own: OwnUrl<ClientRecord> = {
    get: (api, id) => api.getClient(id),
    upsert: (db, rows, options) => upsertClients(db, rows, { clientData: deps.clientData, ...options }),
  };
  const baseline = (await deleteBaseline(deps.db, deps.account.name)).clients;
  const seen = list.items.map((c) => c.id);
  const reasons = await reconcileUnseen(deps, 'clients', own, seen, baseline, stats);
  return { status: 'complete', reasons, stats, retryable: false };
}
