/**
 * One place for configuration: the environment (and `.env`, loaded by the entry point only) is
 * validated once, and every module receives the frozen, typed result. A bad or missing variable
 * is reported together with every other one in a single message; values are never echoed, since
 * several of them are secrets.
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';

/** Which parts of the configuration a command needs; the others may stay unset. */
export type ConfigNeed = 'timetap' | 'database' | 'redis';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalSecret = z.string().optional();
/** Unset means the default chosen by the code that reads it. */
const optionalPositiveInt = z.coerce.number().int().positive().optional();
const url = z.url({ protocol: /^https?$/ });

const schema = z.object({
  TIMETAP_API_KEY: optionalSecret,
  TIMETAP_PRIVATE_KEY: optionalSecret,
  TIMETAP_BASE_URL: url
    .refine(
      (value) => !/^[a-z]+:\/\/[^/?#]*@/i.test(value),
      'must not contain a user name or password (TimeTap authenticates with the key pair)',
    )
    .default('https://api.timetap.com/live'),
  TIMETAP_MAX_RPS: z.coerce.number().positive().max(1000).default(5),
  TIMETAP_MAX_CONCURRENCY: positiveInt(4),
  TIMETAP_TIMEOUT_MS: positiveInt(30_000),
  TIMETAP_RETRIES: z.coerce.number().int().min(0).max(20).default(5),
  TIMETAP_RETRY_BASE_MS: positiveInt(500),
  TIMETAP_RETRY_MAX_TIME_MS: positiveInt(120_000),
  TIMETAP_RETRY_AFTER_CAP_MS: positiveInt(60_000),
  TIMETAP_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(25),
  TIMETAP_SESSION_IDLE_MS: positiveInt(3 * 60 * 60 * 1000 + 45 * 60 * 1000),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: positiveInt(10),
  DATABASE_CONNECT_TIMEOUT_MS: positiveInt(10_000),
  DATABASE_STATEMENT_TIMEOUT_MS: positiveInt(60_000),

  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  QUEUE_PREFIX: z.string().min(1).default('timetap-sync'),
  QUEUE_NAME: z.string().min(1).default('sync'),
  SYNC_SCHEDULE: z.string().min(9).default('0 * * * *'),
  SYNC_LOCATION_CONCURRENCY: positiveInt(4),
  SYNC_DELETE_GUARD_RATIO: z.coerce.number().gt(0).max(1).default(0.5),
  SYNC_ALLOW_MASS_DELETE: z.stringbool().default(false),
  WORKER_CONCURRENCY: positiveInt(4),
  JOB_ATTEMPTS: positiveInt(5),
  JOB_BACKOFF_MS: positiveInt(5_000),
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
  TIMETAP_LIMITER_AUDIT: z.stringbool().default(false),
  WORKER_LOCK_DURATION_MS: optionalPositiveInt,
  WORKER_STALLED_INTERVAL_MS: optionalPositiveInt,
  SYNC_STALE_RUN_MS: optionalPositiveInt,
  SYNC_HEARTBEAT_MS: optionalPositiveInt,

  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  ADMIN_TOKEN: optionalSecret.refine(
    (v) => v === undefined || v.length >= 16,
    'must be at least 16 characters',
  ),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

type Parsed = z.infer<typeof schema>;

export interface Config {
  timetap: {
    apiKey: string;
    privateKey: string;
    baseUrl: string;
    maxRps: number;
    maxConcurrency: number;
    timeoutMs: number;
    retries: number;
    retryBaseMs: number;
    retryMaxTimeMs: number;
    retryAfterCapMs: number;
    sessionIdleMs: number;
    /** Records asked for per page of a list (paging.ts). */
    pageSize: number;
  };
  database: { url: string; poolSize: number; connectTimeoutMs: number; statementTimeoutMs: number };
  redis: { url: string; prefix: string; queueName: string };
  sync: {
    schedule: string;
    locationConcurrency: number;
    deleteGuardRatio: number;
    allowMassDelete: boolean;
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
  http: { host: string; port: number; adminToken: string | undefined };
  logLevel: Parsed['LOG_LEVEL'];
}

const REQUIRED: Record<ConfigNeed, Array<keyof Parsed>> = {
  timetap: ['TIMETAP_API_KEY', 'TIMETAP_PRIVATE_KEY'],
  database: ['DATABASE_URL'],
  redis: ['REDIS_URL'],
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
  for (const need of needs) {
    for (const name of REQUIRED[need]) {
      if (!problems.has(name) && (parsed === undefined || parsed[name] === undefined)) {
        if (env[name] === undefined || env[name] === '') problems.set(name, 'is required');
      }
    }
  }
  if (problems.size > 0 || parsed === undefined) {
    const lines = [...problems].map(([name, why]) => `  ${name} ${why}`);
    throw new ConfigError(
      `Invalid configuration (${problems.size} variable${problems.size === 1 ? '' : 's'}):\n${lines.join('\n')}\n` +
        'See .env.example for every variable and its meaning.',
    );
  }
  return Object.freeze(toConfig(parsed));
}

/** Zod's messages may quote the received value; only the expectation is kept. */
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `must be a ${issue.expected}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'invalid_format':
      return issue.format === 'regex'
        ? (issue.message ?? 'has the wrong format')
        : `must be a valid ${issue.format}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    default:
      return issue.message.includes('received') ? 'is invalid' : issue.message;
  }
}

function toConfig(p: Parsed): Config {
  return {
    timetap: {
      apiKey: p.TIMETAP_API_KEY ?? '',
      privateKey: p.TIMETAP_PRIVATE_KEY ?? '',
      baseUrl: p.TIMETAP_BASE_URL.replace(/\/+$/, ''),
      maxRps: p.TIMETAP_MAX_RPS,
      maxConcurrency: p.TIMETAP_MAX_CONCURRENCY,
      timeoutMs: p.TIMETAP_TIMEOUT_MS,
      retries: p.TIMETAP_RETRIES,
      retryBaseMs: p.TIMETAP_RETRY_BASE_MS,
      retryMaxTimeMs: p.TIMETAP_RETRY_MAX_TIME_MS,
      retryAfterCapMs: p.TIMETAP_RETRY_AFTER_CAP_MS,
      sessionIdleMs: p.TIMETAP_SESSION_IDLE_MS,
      pageSize: p.TIMETAP_PAGE_SIZE,
    },
    database: {
      url: p.DATABASE_URL ?? '',
      poolSize: p.DATABASE_POOL_SIZE,
      connectTimeoutMs: p.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: p.DATABASE_STATEMENT_TIMEOUT_MS,
    },
    redis: { url: p.REDIS_URL ?? '', prefix: p.QUEUE_PREFIX, queueName: p.QUEUE_NAME },
    sync: {
      schedule: p.SYNC_SCHEDULE,
      locationConcurrency: p.SYNC_LOCATION_CONCURRENCY,
      deleteGuardRatio: p.SYNC_DELETE_GUARD_RATIO,
      allowMassDelete: p.SYNC_ALLOW_MASS_DELETE,
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
    http: { host: p.HTTP_HOST, port: p.HTTP_PORT, adminToken: p.ADMIN_TOKEN },
    logLevel: p.LOG_LEVEL,
  };
}
