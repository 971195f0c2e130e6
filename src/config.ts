/**
 * One place for configuration: the environment (and `.env`, loaded by the entry point only) is
 * validated once, and every module receives the frozen, typed result. A bad or missing variable
 * is reported together with every other one in a single message; values are never echoed, since
 * several of them are secrets.
 *
 * Each variable is checked against the range its consumer really accepts, so that a bad value
 * stops the program at start with exit code 2 instead of failing later at run time (a timer that
 * overflows, a host name that does not resolve, a cron pattern the job scheduler rejects).
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { type AccountContext, createAccount, DEFAULT_ACCOUNT } from './account.js';
import { type AccountEntry, readAccountsFile } from './accounts-file.js';
import {
  describeIssue,
  insecureUrlProblem,
  scheduleProblem,
  timetapBaseUrl,
  WEBHOOK_SECRET_FORMAT,
  WEBHOOK_SECRET_RULE,
} from './config-checks.js';
import { ConfigError } from './errors.js';

export { scheduleProblem };

/**
 * Which parts of the configuration a command needs; the others may stay unset. `schedule`: the
 * command registers the job scheduler, so SYNC_SCHEDULE must be a pattern it accepts (a command
 * that only reads the pattern, such as `report`, must not fail on it).
 */
export type ConfigNeed = 'timetap' | 'database' | 'redis' | 'schedule';

/** Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer delay fires at once. */
const MAX_TIMER_MS = 2_147_483_647;
/** Redis' default `databases` setting: indexes 0..15. */
const REDIS_DATABASES = 16;
const DEFAULT_SCHEDULE = '0 * * * *';

/** SYNC_LOCATION_CONCURRENCY's default: locations walked at once by a full sync. */
export const DEFAULT_LOCATION_CONCURRENCY = 4;

/** WORKER_CONCURRENCY's default: jobs (a backfill's chunks among them) run at once by a worker. */
export const DEFAULT_WORKER_CONCURRENCY = 4;
/** TimeTap's documented appointment statuses: APPOINTMENTS_STATUSES's default. */
const DEFAULT_APPOINTMENT_STATUSES = ['PENDING', 'OPEN', 'COMPLETED', 'CANCELLED', 'NO_SHOW'] as const;

/**
 * APPOINTMENTS_STATUSES: status names as TimeTap spells them (upper case, `_`), comma-separated
 * without blanks, none twice. Names beyond the documented five pass: TimeTap may know more.
 */
function statusListProblem(text: string): string | undefined {
  const items = text.split(',');
  if (items.some((item) => !/^[A-Z][A-Z_]*$/.test(item)))
    return `must be status names in upper case separated by commas, such as ${DEFAULT_APPOINTMENT_STATUSES.join(',')}`;
  if (new Set(items).size !== items.length) return 'must not name a status twice';
  return undefined;
}

/** The learned rate never drops below this unless TIMETAP_MAX_RPS itself is lower. */
const DEFAULT_MIN_RPS = 0.5;

interface NumberRange {
  whole: boolean;
  min: number;
  /** `min` itself is refused (a positive rate, a ratio above 0). */
  exclusiveMin?: boolean;
  max: number;
  ms?: boolean;
}

// Plain decimal notation only: `Number()` (and z.coerce) would also read "0x10", "1e3", " 5 ".
const WHOLE = /^-?\d+$/;
const DECIMAL = /^-?(?:\d+(?:\.\d+)?|\.\d+)$/;

/** What is wrong with `text` as a number of `range`, in words; undefined when it is fine. */
function numberProblem(text: string, range: NumberRange): string | undefined {
  const unit = range.ms === true ? ' (ms)' : '';
  if (range.whole && !WHOLE.test(text)) return `must be a whole number, in decimal digits${unit}`;
  if (!range.whole && !DECIMAL.test(text)) return `must be a number in decimal notation, such as 2.5${unit}`;
  const value = Number(text);
  if (range.exclusiveMin === true ? value <= range.min : value < range.min) {
    if (range.exclusiveMin === true) return `must be greater than ${range.min}${unit}`;
    return range.whole && range.min === 1
      ? `must be a positive whole number${unit}`
      : `must be at least ${range.min}${unit}`;
  }
  if (value > range.max) return `must be at most ${range.max}${unit}`;
  return undefined;
}

/** What `range` accepts, in words: the configuration reference (docs/configuration.md) shows it. */
function describeRange(range: NumberRange): string {
  const unit = range.ms === true ? 'milliseconds, ' : '';
  if (range.whole) return `${unit}a whole number from ${range.min} to ${range.max}`;
  const low = range.exclusiveMin === true ? `above ${range.min}` : `at least ${range.min}`;
  return `${unit}a number ${low}, at most ${range.max}`;
}

const numberIn = (range: NumberRange) =>
  z
    .string()
    .transform((text, ctx) => {
      const problem = numberProblem(text, range);
      if (problem === undefined) return Number(text);
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    })
    .meta({ accepts: describeRange(range) });
const whole = (min: number, max: number) => numberIn({ whole: true, min, max });
const count = (max: number) => whole(1, max);
/** Milliseconds that end up in a timer: at most what Node's timers hold, or a smaller `max`. */
const ms = (max = MAX_TIMER_MS) => numberIn({ whole: true, min: 1, max, ms: true });

const optionalSecret = z.string().optional();

/** RFC 1123 host names; an all-digit last label is an IPv4 address in disguise, not a name. */
function isHostName(value: string): boolean {
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return false;
  return labels.every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(label));
}

/** The database index in a Redis URL (its path, or ioredis' `db` parameter) must exist. */
function redisUrlProblem(value: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return 'must be a redis:// or rediss:// URL';
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    return 'must be a redis:// or rediss:// URL';
  for (const index of [parsed.pathname.slice(1), parsed.searchParams.get('db')]) {
    if (index === null || index === '') continue;
    if (!/^\d+$/.test(index) || Number(index) >= REDIS_DATABASES) {
      return (
        `has a database index (the path after the host, as in redis://host:6379/0) that is not a ` +
        `whole number from 0 to ${REDIS_DATABASES - 1} (Redis has ${REDIS_DATABASES} databases by default)`
      );
    }
  }
  return undefined;
}

const schema = z.object({
  // Several accounts (accounts-file.ts); read in loadConfig. Unset: the TIMETAP_* keys are `default`.
  TIMETAP_ACCOUNTS_FILE: z.string().optional(),
  TIMETAP_API_KEY: optionalSecret,
  TIMETAP_PRIVATE_KEY: optionalSecret,
  TIMETAP_BASE_URL: timetapBaseUrl.default('https://api.timetap.com/live'),
  // Plain http:// to another machine sends the key and its signature in clear (checked in loadConfig).
  TIMETAP_ALLOW_INSECURE: z.stringbool().default(false),
  TIMETAP_MAX_RPS: numberIn({ whole: false, min: 0, exclusiveMin: true, max: 1000 }).default(5),
  // TimeTap publishes no limit: by default the budget learns it, from TIMETAP_MAX_RPS up (aimd.ts).
  TIMETAP_ADAPTIVE_RATE: z.stringbool().default(true),
  // Unset: four times TIMETAP_MAX_RPS (at most 1000). Checked against TIMETAP_MAX_RPS in loadConfig.
  TIMETAP_MAX_RPS_CEILING: numberIn({ whole: false, min: 0, exclusiveMin: true, max: 1000 }).optional(),
  // Unset: 0.5, or TIMETAP_MAX_RPS when that is lower.
  TIMETAP_MIN_RPS: numberIn({ whole: false, min: 0, exclusiveMin: true, max: 1000 }).optional(),
  TIMETAP_MAX_CONCURRENCY: count(1000).default(4),
  TIMETAP_TIMEOUT_MS: ms().default(30_000),
  TIMETAP_RETRIES: whole(0, 20).default(5),
  TIMETAP_RETRY_BASE_MS: ms().default(500),
  TIMETAP_RETRY_MAX_TIME_MS: ms().default(120_000),
  TIMETAP_RETRY_AFTER_CAP_MS: ms().default(60_000),
  TIMETAP_PAGE_SIZE: count(1000).default(25),
  // Unset: as many pages as hold 100,000 records at the page size asked for (page-limit.ts).
  TIMETAP_MAX_PAGES: count(1_000_000).optional(),
  // A body past it is given up unread (http.ts); 256 MiB stays below V8's longest string.
  TIMETAP_MAX_BODY_BYTES: whole(1024, 256 * 1024 * 1024).optional(),
  TIMETAP_SESSION_IDLE_MS: ms().default(3 * 60 * 60 * 1000 + 45 * 60 * 1000),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: count(1000).default(10),
  DATABASE_CONNECT_TIMEOUT_MS: ms().default(10_000),
  // The client's own timer is set 5 s past it; beyond a day a statement is hung, not slow.
  DATABASE_STATEMENT_TIMEOUT_MS: ms(24 * 60 * 60 * 1000).default(60_000),
  HISTORY_MODE: z.enum(['on', 'off']).default('on'),

  REDIS_URL: z
    .string()
    .superRefine((value, ctx) => {
      const problem = redisUrlProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  QUEUE_PREFIX: z.string().min(1).default('timetap-sync'),
  // BullMQ refuses a queue name with a colon (its key separator).
  QUEUE_NAME: z
    .string()
    .min(1)
    .regex(/^[^:]*$/, 'must not contain ":"')
    .default('sync'),
  // Checked in loadConfig, and only for commands that schedule (see ConfigNeed).
  SYNC_SCHEDULE: z.string().default(DEFAULT_SCHEDULE),
  // For tests and demos of the scheduler: a schedule that fires every few seconds.
  SYNC_SCHEDULE_ALLOW_SECONDS: z.stringbool().default(false),
  SYNC_LOCATION_CONCURRENCY: count(1000).default(DEFAULT_LOCATION_CONCURRENCY),
  SYNC_DELETE_GUARD_RATIO: numberIn({ whole: false, min: 0, exclusiveMin: true, max: 1 }).default(0.5),
  SYNC_ALLOW_MASS_DELETE: z.stringbool().default(false),
  // The rolling window of appointments that every full sync keeps fresh, and how it is cut.
  APPOINTMENTS_PAST_DAYS: whole(0, 3660).default(30),
  APPOINTMENTS_FUTURE_DAYS: whole(0, 3660).default(90),
  APPOINTMENTS_CHUNK_DAYS: whole(1, 366).default(7),
  // Records asked for per page of TimeTap's report endpoints; it answers fewer past its maximum.
  APPOINTMENTS_PAGE_SIZE: count(1000).default(100),
  // Every report asks for these statuses by name: which ones a report without statusList holds
  // is not documented (one account's held only some).
  APPOINTMENTS_STATUSES: z
    .string()
    .transform((text, ctx) => {
      const problem = statusListProblem(text);
      if (problem === undefined) return text.split(',');
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    })
    .default([...DEFAULT_APPOINTMENT_STATUSES]),
  MIRROR_CLIENT_DATA: z.enum(['full', 'pseudonymous', 'none']).default('full'),
  WORKER_CONCURRENCY: count(1000).default(DEFAULT_WORKER_CONCURRENCY),
  JOB_ATTEMPTS: count(100).default(5),
  JOB_BACKOFF_MS: ms().default(5_000),
  // The worker's last-resort exit timer is twice this plus 5 s; an hour is already generous.
  SHUTDOWN_GRACE_MS: ms(60 * 60 * 1000).default(10_000),
  TIMETAP_LIMITER_AUDIT: z.stringbool().default(false),
  // Unset means the default chosen by the code that reads it.
  WORKER_LOCK_DURATION_MS: ms().optional(),
  WORKER_STALLED_INTERVAL_MS: ms().optional(),
  SYNC_STALE_RUN_MS: ms().optional(),
  SYNC_HEARTBEAT_MS: ms().optional(),

  HTTP_HOST: z
    .string()
    .refine(
      (value) => isIP(value) !== 0 || isHostName(value),
      'must be an IP address (IPv6 without brackets) or a host name',
    )
    .default('127.0.0.1'),
  HTTP_PORT: whole(0, 65535).default(3000),
  ADMIN_TOKEN: optionalSecret.refine(
    (v) => v === undefined || v.length >= 16,
    'must be at least 16 characters',
  ),
  // A path segment of the webhook URL: long, and only characters a URL carries as they are.
  WEBHOOK_SECRET: optionalSecret.refine(
    (v) => v === undefined || WEBHOOK_SECRET_FORMAT.test(v),
    WEBHOOK_SECRET_RULE,
  ),
  WEBHOOK_RATE_LIMIT: count(100_000).default(600),
  // Proxies in front of the worker whose X-Forwarded-For is believed; more than 10 is a mistake.
  TRUST_PROXY: whole(0, 10).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
});

type Parsed = z.infer<typeof schema>;

/** Every variable, for the configuration reference (scripts/config-reference.ts). */
export const configSchema = schema;

/**
 * How to reach one TimeTap account and what it may spend: its key pair and base URL, its request
 * budget, and the client's settings (timeouts, retries, paging). Held by an AccountContext
 * (account.ts); nothing else reads the TIMETAP_* variables.
 */
export interface TimeTapConfig {
  apiKey: string;
  privateKey: string;
  baseUrl: string;
  /** The fixed budget, or where a learned one starts. */
  maxRps: number;
  /** The budget learns TimeTap's rate limit within these bounds (aimd.ts); undefined: fixed. */
  adaptiveRate?: { floorRps: number; ceilingRps: number } | undefined;
  maxConcurrency: number;
  timeoutMs: number;
  retries: number;
  retryBaseMs: number;
  retryMaxTimeMs: number;
  retryAfterCapMs: number;
  sessionIdleMs: number;
  /** Records asked for per page of a list (paging.ts). */
  pageSize: number;
  /** The most pages of one list or one read of a range (page-limit.ts); unset: by records. */
  maxPages?: number | undefined;
  /** The longest body read from TimeTap (http.ts); unset: DEFAULT_MAX_BODY_BYTES. */
  maxBodyBytes?: number | undefined;
  /** The account's name when TIMETAP_ACCOUNTS_FILE gives it, for errors that name its keys. */
  accountInFile?: string | undefined;
}

export interface Config {
  /**
   * The accounts the mirror keeps: those of TIMETAP_ACCOUNTS_FILE, or else one named `default`
   * made of the TIMETAP_* variables.
   */
  accounts: readonly AccountContext[];
  database: {
    url: string;
    poolSize: number;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
    /** Whether appointment writes keep every version in `appointment_history` (unset: on). */
    historyMode?: 'on' | 'off';
  };
  redis: { url: string; prefix: string; queueName: string };
  sync: {
    /**
     * SYNC_SCHEDULE: the schedule of every account that sets none of its own (AccountContext).
     * Checked only when the command needs `schedule`; a reader must expect a bad pattern.
     */
    schedule: string;
    locationConcurrency: number;
    deleteGuardRatio: number;
    allowMassDelete: boolean;
    appointments: {
      pastDays: number;
      futureDays: number;
      chunkDays: number;
      pageSize: number;
      /** The `statusList` every appointment report asks for. */
      statuses: readonly string[];
    };
    /** How much personal data of clients the mirror keeps (db/client-data.ts). */
    clientData: 'full' | 'pseudonymous' | 'none';
  };
  worker: {
    concurrency: number;
    attempts: number;
    backoffMs: number;
    shutdownGraceMs: number;
    /** BullMQ's lock and stall-check intervals; unset keeps BullMQ's defaults. */
    lockDurationMs: number | undefined;
    stalledIntervalMs: number | undefined;
    /** When a run without heartbeat counts as dead, and how often runs heartbeat; unset = defaults. */
    staleRunMs: number | undefined;
    heartbeatMs: number | undefined;
    /** Record every grant of the shared request budget in Redis, for benchmarks (limiter-audit.ts). */
    limiterAudit: boolean;
  };
  http: {
    host: string;
    port: number;
    adminToken: string | undefined;
    /** Webhook calls per source address per minute. */
    webhookRateLimit: number;
    /** Proxies in front of the worker whose X-Forwarded-For names the caller (http/server.ts). */
    trustProxy: number;
  };
  logLevel: Parsed['LOG_LEVEL'];
  /** `auto`: JSON for the worker and when stderr is no terminal, human lines otherwise (logger.ts). */
  logFormat: Parsed['LOG_FORMAT'];
}

/** What the accounts file gives for each account: set beside it, which one counts would be a guess. */
const REPLACED_BY_ACCOUNTS_FILE = ['TIMETAP_API_KEY', 'TIMETAP_PRIVATE_KEY', 'WEBHOOK_SECRET'] as const;

const REQUIRED: Record<ConfigNeed, Array<keyof Parsed>> = {
  timetap: ['TIMETAP_API_KEY', 'TIMETAP_PRIVATE_KEY'],
  database: ['DATABASE_URL'],
  redis: ['REDIS_URL'],
  schedule: [],
};

/**
 * Validates `env` and returns the typed configuration. Sections that `needs` does not name may
 * be unset (their fields are then empty strings that no code path reads).
 */
export function loadConfig(given: NodeJS.ProcessEnv, needs: readonly ConfigNeed[]): Config {
  // An empty variable (`DATABASE_URL=` as in a copied .env.example) means unset: the default
  // applies, and a command that does not need it does not complain about it.
  const env = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== ''));
  const result = schema.safeParse(env);
  const problems = new Map<string, string>();
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = String(issue.path[0] ?? 'environment');
      const given = env[name] !== undefined && env[name] !== '';
      if (!problems.has(name)) problems.set(name, given ? describeIssue(issue) : 'is required');
    }
  }
  const parsed = result.success ? result.data : undefined;
  const accountsFile = env.TIMETAP_ACCOUNTS_FILE;
  for (const need of needs) {
    for (const name of REQUIRED[need]) {
      // With the file, the keys are the file's; whether it has them is the file's check.
      if (accountsFile !== undefined && (REPLACED_BY_ACCOUNTS_FILE as readonly string[]).includes(name))
        continue;
      if (!problems.has(name) && (parsed === undefined || parsed[name] === undefined)) {
        if (env[name] === undefined || env[name] === '') problems.set(name, 'is required');
      }
    }
  }
  if (parsed !== undefined) {
    for (const [name, problem] of [...rateBoundProblems(parsed), ...insecureProblems(parsed)])
      if (!problems.has(name)) problems.set(name, problem);
  }
  let entries: AccountEntry[] | undefined;
  if (accountsFile !== undefined) {
    for (const name of REPLACED_BY_ACCOUNTS_FILE) {
      if (env[name] === undefined) continue;
      problems.set(
        name,
        'is set, and so is TIMETAP_ACCOUNTS_FILE, which gives every account its keys and webhook ' +
          `secret: unset ${name}, or move it into the file`,
      );
    }
    const read = readAccountsFile(accountsFile, env, {
      needKeys: needs.includes('timetap'),
      checkSchedules: needs.includes('schedule'),
      allowSeconds: parsed?.SYNC_SCHEDULE_ALLOW_SECONDS ?? env.SYNC_SCHEDULE_ALLOW_SECONDS === 'true',
      allowInsecure: parsed?.TIMETAP_ALLOW_INSECURE ?? env.TIMETAP_ALLOW_INSECURE === 'true',
      minRps: parsed?.TIMETAP_MIN_RPS,
      ceilingRps: parsed?.TIMETAP_MAX_RPS_CEILING,
    });
    if (read.ok) entries = read.accounts;
    else {
      const [only, ...more] = read.problems;
      problems.set(
        'TIMETAP_ACCOUNTS_FILE',
        more.length === 0 && only !== undefined
          ? only
          : `has ${read.problems.length} problems:\n${read.problems.map((line) => `    ${line}`).join('\n')}`,
      );
    }
  }
  if (needs.includes('schedule')) {
    const problem = scheduleProblem(env.SYNC_SCHEDULE ?? DEFAULT_SCHEDULE, {
      allowSeconds: parsed?.SYNC_SCHEDULE_ALLOW_SECONDS === true,
    });
    if (problem !== undefined) problems.set('SYNC_SCHEDULE', problem);
  }
  if (problems.size > 0 || parsed === undefined) {
    const lines = [...problems].map(([name, why]) => `  ${name} ${why}`);
    throw new ConfigError(
      `Invalid configuration (${problems.size} variable${problems.size === 1 ? '' : 's'}):\n${lines.join('\n')}\n` +
        'See .env.example for every variable and its meaning.',
    );
  }
  return Object.freeze(toConfig(parsed, entries));
}

/** The learned rate's bounds must hold the rate it starts at. */
function rateBoundProblems(p: Parsed): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  if (p.TIMETAP_MAX_RPS_CEILING !== undefined && p.TIMETAP_MAX_RPS_CEILING < p.TIMETAP_MAX_RPS)
    problems.push([
      'TIMETAP_MAX_RPS_CEILING',
      'must be at least TIMETAP_MAX_RPS (where the learned rate starts)',
    ]);
  if (p.TIMETAP_MIN_RPS !== undefined && p.TIMETAP_MIN_RPS > p.TIMETAP_MAX_RPS)
    problems.push(['TIMETAP_MIN_RPS', 'must be at most TIMETAP_MAX_RPS (where the learned rate starts)']);
  return problems;
}

/** TIMETAP_BASE_URL over plain http to another machine must be allowed (config-checks.ts). */
function insecureProblems(p: Parsed): Array<[string, string]> {
  const problem = insecureUrlProblem(p.TIMETAP_BASE_URL, p.TIMETAP_ALLOW_INSECURE);
  return problem === undefined ? [] : [['TIMETAP_BASE_URL', problem]];
}

/**
 * `entries`: the accounts file's, each with the TIMETAP_* values for what it leaves unset;
 * without it, the one account of the TIMETAP_* variables.
 */
function toConfig(p: Parsed, entries: readonly AccountEntry[] | undefined): Config {
  const queuePrefix = p.QUEUE_PREFIX;
  const accounts =
    entries === undefined
      ? [
          createAccount(DEFAULT_ACCOUNT, timetapConfig(p), queuePrefix, {
            schedule: p.SYNC_SCHEDULE,
            webhookSecret: p.WEBHOOK_SECRET,
          }),
        ]
      : entries.map((entry) =>
          createAccount(entry.name, timetapConfig(p, entry), queuePrefix, {
            schedule: entry.schedule ?? p.SYNC_SCHEDULE,
            webhookSecret: entry.webhookSecret,
          }),
        );
  return {
    accounts,
    database: {
      url: p.DATABASE_URL ?? '',
      poolSize: p.DATABASE_POOL_SIZE,
      connectTimeoutMs: p.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: p.DATABASE_STATEMENT_TIMEOUT_MS,
      historyMode: p.HISTORY_MODE,
    },
    redis: { url: p.REDIS_URL ?? '', prefix: queuePrefix, queueName: p.QUEUE_NAME },
    sync: {
      schedule: p.SYNC_SCHEDULE,
      locationConcurrency: p.SYNC_LOCATION_CONCURRENCY,
      deleteGuardRatio: p.SYNC_DELETE_GUARD_RATIO,
      allowMassDelete: p.SYNC_ALLOW_MASS_DELETE,
      appointments: {
        pastDays: p.APPOINTMENTS_PAST_DAYS,
        futureDays: p.APPOINTMENTS_FUTURE_DAYS,
        chunkDays: p.APPOINTMENTS_CHUNK_DAYS,
        pageSize: p.APPOINTMENTS_PAGE_SIZE,
        statuses: Object.freeze([...p.APPOINTMENTS_STATUSES]),
      },
      clientData: p.MIRROR_CLIENT_DATA,
    },
    worker: {
      concurrency: p.WORKER_CONCURRENCY,
      attempts: p.JOB_ATTEMPTS,
      backoffMs: p.JOB_BACKOFF_MS,
      shutdownGraceMs: p.SHUTDOWN_GRACE_MS,
      lockDurationMs: p.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: p.WORKER_STALLED_INTERVAL_MS,
      staleRunMs: p.SYNC_STALE_RUN_MS,
      heartbeatMs: p.SYNC_HEARTBEAT_MS,
      limiterAudit: p.TIMETAP_LIMITER_AUDIT,
    },
    http: {
      host: p.HTTP_HOST,
      port: p.HTTP_PORT,
      adminToken: p.ADMIN_TOKEN,
      webhookRateLimit: p.WEBHOOK_RATE_LIMIT,
      trustProxy: p.TRUST_PROXY,
    },
    logLevel: p.LOG_LEVEL,
    logFormat: p.LOG_FORMAT,
  };
}

/**
 * An account's TimeTap settings: its own key pair, and its base URL and budget where the accounts
 * file sets them, else the TIMETAP_* ones; the learned rate's bounds derive from its own start.
 * Every other setting (timeouts, retries, paging) is shared.
 */
function timetapConfig(p: Parsed, entry?: AccountEntry): TimeTapConfig {
  const maxRps = entry?.maxRps ?? p.TIMETAP_MAX_RPS;
  return {
    apiKey: entry === undefined ? (p.TIMETAP_API_KEY ?? '') : entry.apiKey,
    privateKey: entry === undefined ? (p.TIMETAP_PRIVATE_KEY ?? '') : entry.privateKey,
    baseUrl: (entry?.baseUrl ?? p.TIMETAP_BASE_URL).replace(/\/+$/, ''),
    maxRps,
    adaptiveRate: p.TIMETAP_ADAPTIVE_RATE
      ? {
          floorRps: p.TIMETAP_MIN_RPS ?? Math.min(DEFAULT_MIN_RPS, maxRps),
          ceilingRps: p.TIMETAP_MAX_RPS_CEILING ?? Math.min(1000, 4 * maxRps),
        }
      : undefined,
    maxConcurrency: p.TIMETAP_MAX_CONCURRENCY,
    timeoutMs: p.TIMETAP_TIMEOUT_MS,
    retries: p.TIMETAP_RETRIES,
    retryBaseMs: p.TIMETAP_RETRY_BASE_MS,
    retryMaxTimeMs: p.TIMETAP_RETRY_MAX_TIME_MS,
    retryAfterCapMs: p.TIMETAP_RETRY_AFTER_CAP_MS,
    sessionIdleMs: p.TIMETAP_SESSION_IDLE_MS,
    pageSize: p.TIMETAP_PAGE_SIZE,
    maxPages: p.TIMETAP_MAX_PAGES,
    maxBodyBytes: p.TIMETAP_MAX_BODY_BYTES,
    ...(entry === undefined ? {} : { accountInFile: entry.name }),
  };
}
