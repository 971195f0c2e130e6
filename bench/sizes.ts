/**
 * The sizes of one benchmark run. `full` is the account the issue names (100 locations, 600
 * staff, 200 services, 30 staff and 40 services per location, 12 services per staff member);
 * `quick` keeps every density and shrinks the number of locations so that the whole run takes
 * under two minutes; `smoke` only proves that every step still runs.
 */
import type { ShapeOptions } from '../src/simulator/index.js';

export type SizeName = 'smoke' | 'quick' | 'full';

/** A request budget towards TimeTap: TIMETAP_MAX_RPS and TIMETAP_MAX_CONCURRENCY. */
export interface Budget {
  maxRps: number;
  maxConcurrency: number;
}

export interface BenchSizes {
  name: SizeName;
  latencyMs: number;
  /** Measurements 1 and 2: the large account, synced under a budget that binds. */
  account: ShapeOptions;
  syncBudget: Budget;
  /** Measurement 3: entities (half staff, half services) and links, and the Prisma loop's sample. */
  writes: { entities: number; links: number; prismaSample: number };
  /** Measurement 4: the same walk on an account and on one ten times larger. */
  memory: { small: ShapeOptions; large: ShapeOptions; budget: Budget };
  /** Measurement 5: a budget one process (one job at a time) cannot fill. */
  scaleOut: { account: ShapeOptions; budget: Budget; workerConcurrency: number };
}

const DENSITY = { staffPerLocation: 30, servicesPerLocation: 40, servicesPerStaff: 12 } as const;

function account(locations: number, staff: number, services: number): ShapeOptions {
  return { seed: 7, locations, staff, services, ...DENSITY };
}

// 100 requests/s and 8 in flight: at 20 ms a call, 8 in flight could carry 400/s, so the rate is
// the binding limit and the bound is calls / 100. The memory runs use a larger budget only to
// finish sooner (the ratio compares two walks under the same budget).
const SYNC_BUDGET: Budget = { maxRps: 100, maxConcurrency: 8 };
const FAST_BUDGET: Budget = { maxRps: 500, maxConcurrency: 16 };
const SHARED_BUDGET: Budget = { maxRps: 1000, maxConcurrency: 64 };

export const SIZES: Record<SizeName, BenchSizes> = {
  full: {
    name: 'full',
    latencyMs: 20,
    account: account(100, 600, 200),
    syncBudget: SYNC_BUDGET,
    writes: { entities: 10_000, links: 100_000, prismaSample: 2_200 },
    memory: { small: account(100, 600, 200), large: account(1000, 6000, 2000), budget: FAST_BUDGET },
    scaleOut: { account: account(100, 600, 200), budget: SHARED_BUDGET, workerConcurrency: 1 },
  },
  quick: {
    name: 'quick',
    latencyMs: 20,
    account: account(20, 600, 200),
    syncBudget: SYNC_BUDGET,
    writes: { entities: 2_000, links: 20_000, prismaSample: 550 },
    memory: { small: account(20, 600, 200), large: account(200, 6000, 2000), budget: FAST_BUDGET },
    scaleOut: { account: account(40, 600, 200), budget: SHARED_BUDGET, workerConcurrency: 1 },
  },
  smoke: {
    name: 'smoke',
    latencyMs: 20,
    account: account(4, 120, 60),
    syncBudget: SYNC_BUDGET,
    writes: { entities: 200, links: 2_000, prismaSample: 110 },
    memory: { small: account(2, 120, 60), large: account(20, 1200, 600), budget: FAST_BUDGET },
    scaleOut: { account: account(4, 120, 60), budget: SHARED_BUDGET, workerConcurrency: 1 },
  },
};
