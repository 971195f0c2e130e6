/**
 * The worker's Prometheus instruments, all named `timetap_sync_*`, plus Node's default process
 * metrics, on one registry that `GET /metrics` serves. Label values stay few and bounded: scopes,
 * statuses, entity names, and endpoints written as templates ('GET /staff', never with an id),
 * because every distinct label set is a time series kept for as long as the process lives.
 *
 * The freshness gauges (`mirror_age_seconds` and the others labelled by account and scope) are
 * what `mirror_freshness_view` says at the time of the scrape, and `dependency_up` what /readyz
 * would answer then: every worker process reports the same mirror, so the alert rules take the
 * `max` over processes (deploy/prometheus/alerts.yml).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export { Registry } from 'prom-client';

const METRIC_PREFIX = 'timetap_sync_';

/** What a sync did with one row; the `outcome` label of `timetap_sync_rows_total`. */
const ROW_OUTCOMES = ['inserted', 'updated', 'unchanged', 'deleted', 'skipped', 'revived'] as const;
export type RowOutcome = (typeof ROW_OUTCOMES)[number];

/** Why a webhook call was refused; the `reason` label of `timetap_sync_webhook_rejections_total`. */
const WEBHOOK_REJECTIONS = [
  'secret',
  'locked-out',
  'rate',
  'content-type',
  'size',
  'empty',
  'no-id',
  'ambiguous-id',
  'unavailable',
] as const;
export type WebhookRejection = (typeof WEBHOOK_REJECTIONS)[number];

/** The labels of the freshness gauges: one series per account and scope (full, location, backfill). */
const FRESHNESS_LABELS = ['account', 'scope'] as const;
type FreshnessLabel = (typeof FRESHNESS_LABELS)[number];

/** A webhook's appointment is written within a second when the budget is free, minutes in a burst. */
const LAG_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/** From a few seconds (one location) to an hour (a large account on a slow budget). */
const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];

export function createMetrics(registry: Registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics = {
    syncRuns: new Counter<'account' | 'scope' | 'status'>({
      name: `${METRIC_PREFIX}runs_total`,
      help: 'Sync runs that finished, by scope (full, location) and status (succeeded, partial, failed, ...).',
      labelNames: ['account', 'scope', 'status'],
      registers,
    }),
    syncDuration: new Histogram<'account' | 'scope'>({
      name: `${METRIC_PREFIX}run_duration_seconds`,
      help: 'Duration of sync runs in seconds, by account and scope.',
      labelNames: ['account', 'scope'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    rows: new Counter<'account' | 'entity' | 'outcome'>({
      name: `${METRIC_PREFIX}rows_total`,
      help: `Rows written or checked by syncs, by entity and outcome (${ROW_OUTCOMES.join(', ')}).`,
      labelNames: ['account', 'entity', 'outcome'],
      registers,
    }),
    apiCalls: new Counter<'account' | 'endpoint' | 'status'>({
      name: `${METRIC_PREFIX}api_calls_total`,
      help: "Requests to TimeTap, by endpoint template (e.g. 'GET /staff') and HTTP status or error kind.",
      labelNames: ['account', 'endpoint', 'status'],
      registers,
    }),
    apiRetries: new Counter({
      name: `${METRIC_PREFIX}api_retries_total`,
      help: 'Requests to TimeTap that were tried again after a retryable failure.',
      registers,
    }),
    relogins: new Counter({
      name: `${METRIC_PREFIX}relogins_total`,
      help: 'Times a new TimeTap session token was fetched because the previous one was refused.',
      registers,
    }),
    apiRateLimit: new Gauge<'account'>({
      name: `${METRIC_PREFIX}api_rate_limit`,
      help: "Request starts per second the account's shared budget allows towards TimeTap now: learned from 429s when TIMETAP_ADAPTIVE_RATE is on, else TIMETAP_MAX_RPS.",
      labelNames: ['account'],
      registers,
    }),
    lastSuccess: new Gauge<'account' | 'scope'>({
      name: `${METRIC_PREFIX}last_success_timestamp_seconds`,
      help: 'Unix time (seconds) at which the last successful sync finished, by account and scope.',
      labelNames: ['account', 'scope'],
      registers,
    }),
    webhookEvents: new Counter<'outcome'>({
      name: `${METRIC_PREFIX}webhook_events_total`,
      help: 'TimeTap webhooks with the right secret, by outcome: received, accepted (queued), coalesced (its appointment already waits), rejected.',
      labelNames: ['outcome'],
      registers,
    }),
    webhookRejections: new Counter<'reason'>({
      name: `${METRIC_PREFIX}webhook_rejections_total`,
      help: `Webhook calls refused, by reason (${WEBHOOK_REJECTIONS.join(', ')}).`,
      labelNames: ['reason'],
      registers,
    }),
    webhookLag: new Histogram({
      name: `${METRIC_PREFIX}webhook_lag_seconds`,
      help: 'From a webhook received to its appointment written in the mirror, in seconds.',
      buckets: LAG_BUCKETS,
      registers,
    }),
    jobs: new Counter<'name' | 'outcome'>({
      name: `${METRIC_PREFIX}jobs_total`,
      help: 'Queue jobs this process finished, by job name and outcome (completed, failed).',
      labelNames: ['name', 'outcome'],
      registers,
    }),
    mirrorAge: new Gauge<FreshnessLabel>({
      name: `${METRIC_PREFIX}mirror_age_seconds`,
      help: "Seconds since the scope's last run that succeeded (scope full: the mirror's age), or since its first run when none has.",
      labelNames: FRESHNESS_LABELS,
      registers,
    }),
    unsuccessfulRuns: new Gauge<FreshnessLabel>({
      name: `${METRIC_PREFIX}unsuccessful_runs_in_a_row`,
      help: 'Runs of the scope that finished partial, failed or abandoned since its last success.',
      labelNames: FRESHNESS_LABELS,
      registers,
    }),
    guardHeld: new Gauge<FreshnessLabel>({
      name: `${METRIC_PREFIX}guard_held`,
      help: "Rows the mass-delete guard held back in the scope's last finished run: they may be gone, and none was marked deleted (0: the guard held nothing).",
      labelNames: FRESHNESS_LABELS,
      registers,
    }),
    tombstonedRows: new Gauge<FreshnessLabel>({
      name: `${METRIC_PREFIX}tombstoned_rows`,
      help: "Rows the scope's last finished run marked deleted.",
      labelNames: FRESHNESS_LABELS,
      registers,
    }),
    appointmentsComplete: new Gauge<FreshnessLabel>({
      name: `${METRIC_PREFIX}appointments_complete`,
      help: "1 when every date of appointments the scope reads was read completely (full: the last run's window; backfill: every range asked for), else 0.",
      labelNames: FRESHNESS_LABELS,
      registers,
    }),
    scheduleInterval: new Gauge<'account'>({
      name: `${METRIC_PREFIX}schedule_interval_seconds`,
      help: "Seconds between two scheduled full syncs of the account (SYNC_SCHEDULE): the yardstick of the mirror's age.",
      labelNames: ['account'],
      registers,
    }),
    dependencyUp: new Gauge<'dependency'>({
      name: `${METRIC_PREFIX}dependency_up`,
      help: '1 when the dependency (database, redis, worker: consuming the queue) passes its /readyz check at the time of the scrape, else 0.',
      labelNames: ['dependency'],
      registers,
    }),
  };
  return { registry, metrics };
}

/** The instruments that the rest of the worker records into. */
export type Metrics = ReturnType<typeof createMetrics>['metrics'];
