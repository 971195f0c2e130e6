/**
 * The sizes of one benchmark run. `full` is the account the issue names (100 locations, 600
 * staff, 200 services, 30 staff and 40 services per location, 12 services per staff member);
 * `quick` keeps every density and shrinks the number of locations so that the whole run takes
 * under two minutes; `smoke` only proves that every step still runs.
 *
 * Measurements 1 and 2 use an account with clients (the simulator's default, 4 per location) and
 * appointments in the two weeks around today (one slot per staff member and day), so that a full
 * sync walks every kind of step. Measurements 3-5 use accounts without appointments
 * (`appointments: false`): an empty window costs two calls a chunk, so their figures measure the
 * same walk as before appointments existed. Measurement 6 has an account of its own, with a year
 * of appointments, and a bigger one (about 1.1 million at full size), and so does measurement 7 (a small one: only the appointments named by the
 * burst matter).
 */
import { addDays, today } from '../src/dates.js';
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
  /** Measurement 6: an account with a history of appointments (bench/appointments.ts). */
  appointments: AppointmentSizes;
  /** Measurement 7: a burst of webhook events (bench/webhooks.ts). */
  webhooks: WebhookSizes;
  /** Measurement 10: many accounts on a few worker processes (bench/accounts.ts). */
  accounts: AccountsSizes;
}

export interface AccountsSizes {
  /** Accounts, each a simulator of its own with `locations` locations. */
  accounts: number;
  locations: number;
  /** Each account's budget (its `maxRps` in the accounts file). */
  maxRps: number;
  /** Worker processes and each one's WORKER_CONCURRENCY. */
  workers: number;
  workerConcurrency: number;
  /** Part B: the account that backfills, its budget, days of history and slots per staff and day. */
  backfill: { maxRps: number; historyDays: number; perStaffPerDay: number };
}

export interface AppointmentSizes {
  /** Locations and staff; the appointments' dates are set by the measurement, around today. */
  account: ShapeOptions;
  /** Slots per staff member, location and day, each booked with probability 2/3 (6: ~4 a day). */
  perStaffPerDay: number;
  /** Days of history before the rolling window: the large backfill (a, c) and the small one (c). */
  historyDays: number;
  monthDays: number;
  /** A budget where the rate binds, as for measurement 1. */
  budget: Budget;
  /** (b): the appointments of this many days of history, and the Prisma loop's sample of them. */
  writes: { days: number; prismaSample: number };
  /** (e) the bigger account (bench/busy-account.ts); `quick` leaves it out. */
  busy?: BusyAccountSizes;
}

export interface BusyAccountSizes {
  account: ShapeOptions;
  /** Slots per staff member and day, as above: 25 staff x 9 slots make about 150 a location and day. */
  perStaffPerDay: number;
  /** Days of history before the rolling window, all backfilled at once. */
  historyDays: number;
}

export interface WebhookSizes {
  /** Where the appointments come from (appointments around today, see bench/webhooks.ts). */
  account: ShapeOptions;
  /** Distinct appointments changed, then named by the burst. */
  appointments: number;
  /** Events posted, interleaved over the appointments, evenly over `spreadMs`. */
  events: number;
  spreadMs: number;
  /** A budget where the rate binds: the bound for the last appointment is appointments / maxRps. */
  budget: Budget;
}

/** Issue 14's burst: `appointments` x 5 events in one second, against `maxRps`. */
function webhookBurst(appointments: number, maxRps: number): WebhookSizes {
  return {
    account: appointmentAccount(2),
    appointments,
    events: appointments * 5,
    spreadMs: 1000,
    budget: { maxRps, maxConcurrency: 8 },
  };
}

const DENSITY = { staffPerLocation: 30, servicesPerLocation: 40, servicesPerStaff: 12 } as const;

function account(locations: number, staff: number, services: number): ShapeOptions {
  return { seed: 7, locations, staff, services, ...DENSITY, appointments: false };
}

/** `account` with its appointments of the week before and the week after today (measurements 1-2). */
function accountWithWindow(locations: number, staff: number, services: number): ShapeOptions {
  const day = today();
  return {
    ...account(locations, staff, services),
    appointments: { from: addDays(day, -7), to: addDays(day, 7), perStaffPerDay: 1 },
  };
}

/** The appointment account: 10 staff per location, each offering 6 of 20 services there. */
function appointmentAccount(locations: number): ShapeOptions {
  return {
    seed: 7,
    locations,
    staff: locations * 10 + 10,
    services: 60,
    staffPerLocation: 10,
    servicesPerLocation: 20,
    servicesPerStaff: 6,
  };
}

/** Issue 24's bigger account: 25 staff per location, each with 9 slots a day, about 150 booked. */
function busyAccount(locations: number, historyDays: number): BusyAccountSizes {
  return {
    account: { ...appointmentAccount(locations), staff: locations * 25 + 10, staffPerLocation: 25 },
    perStaffPerDay: 9,
    historyDays,
  };
}

/**
 * Issue 22's fleet: `accounts` accounts of 5 locations on 3 worker processes. 2.5 requests/s each:
 * fifty accounts then ask 125/s of the whole machine (each request a limiter grant in Redis, an
 * answer from one of the simulators in the benchmark's own process, rows written by a worker),
 * about what measurement 1 runs through one worker, so the 2 cores are not what binds and the
 * figure measures the queue's sharing. Not a whole number, so that the spacing of grants (400 ms)
 * leaves room for the jitter of their arrival at the simulator: no window of 1 s may hold more
 * than 3. WORKER_CONCURRENCY = accounts: 3 processes make 3 slots per account, and the fair share
 * ceil(slots / accounts) is then exactly 3, so that every account can hold its share at once. With
 * fewer slots the shares round up and overlap (60 slots: ceil(60 / 50) = 2 for 50 accounts, 100 in
 * all): the accounts that took theirs first hold them, and the others wait (measured on a quiet
 * machine: 1.41x the bound with 60 slots, 1.00x with 150). A slot is mostly a job waiting for its
 * account's budget.
 * The backfilling account has the same budget: its chunk jobs (a week each) flood the queue and
 * each waits for its account's budget in a worker slot, which is what fairness has to contain.
 */
function manyAccounts(accounts: number, historyDays: number, maxRps = 2.5): AccountsSizes {
  return {
    accounts,
    locations: 5,
    maxRps,
    workers: 3,
    workerConcurrency: accounts,
    backfill: { maxRps, historyDays, perStaffPerDay: 2 },
  };
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
    account: accountWithWindow(100, 600, 200),
    syncBudget: SYNC_BUDGET,
    writes: { entities: 10_000, links: 100_000, prismaSample: 2_200 },
    memory: { small: account(100, 600, 200), large: account(1000, 6000, 2000), budget: FAST_BUDGET },
    scaleOut: { account: account(100, 600, 200), budget: SHARED_BUDGET, workerConcurrency: 1 },
    appointments: {
      account: appointmentAccount(20),
      perStaffPerDay: 6,
      historyDays: 365,
      monthDays: 30,
      budget: SYNC_BUDGET,
      writes: { days: 30, prismaSample: 2_000 },
      busy: busyAccount(20, 365),
    },
    webhooks: webhookBurst(200, 5),
    accounts: manyAccounts(50, 365),
  },
  quick: {
    name: 'quick',
    latencyMs: 20,
    account: accountWithWindow(20, 600, 200),
    syncBudget: SYNC_BUDGET,
    writes: { entities: 2_000, links: 20_000, prismaSample: 550 },
    memory: { small: account(20, 600, 200), large: account(200, 6000, 2000), budget: FAST_BUDGET },
    scaleOut: { account: account(40, 600, 200), budget: SHARED_BUDGET, workerConcurrency: 1 },
    appointments: {
      account: appointmentAccount(5),
      perStaffPerDay: 6,
      historyDays: 365,
      monthDays: 30,
      budget: SYNC_BUDGET,
      writes: { days: 30, prismaSample: 550 },
    },
    webhooks: webhookBurst(100, 10),
    accounts: manyAccounts(12, 180),
  },
  smoke: {
    name: 'smoke',
    latencyMs: 20,
    account: accountWithWindow(4, 120, 60),
    syncBudget: SYNC_BUDGET,
    writes: { entities: 200, links: 2_000, prismaSample: 110 },
    memory: { small: account(2, 120, 60), large: account(20, 1200, 600), budget: FAST_BUDGET },
    scaleOut: { account: account(4, 120, 60), budget: SHARED_BUDGET, workerConcurrency: 1 },
    appointments: {
      account: appointmentAccount(1),
      perStaffPerDay: 6,
      historyDays: 56,
      monthDays: 14,
      budget: SYNC_BUDGET,
      writes: { days: 14, prismaSample: 110 },
      busy: busyAccount(1, 14),
    },
    webhooks: webhookBurst(10, 5),
    // 10/s: three syncs of 20 s would be most of the smoke test's time.
    accounts: manyAccounts(3, 28, 10),
  },
};
