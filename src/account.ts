/**
 * An account: one TimeTap business whose data the mirror keeps. Everything that is per account
 * (its keys, base URL and request budget, its schedule and webhook secret, its session token and
 * learned rate in Redis) is reached through its AccountContext, which every run, step and job
 * carries; nothing else reads the TIMETAP_* variables or the accounts file. Without
 * TIMETAP_ACCOUNTS_FILE there is one account, `default`, made of the TIMETAP_* variables.
 */
import type { TimeTapConfig } from './config.js';
import { ConfigError } from './errors.js';

export const DEFAULT_ACCOUNT = 'default';

export interface AccountContext {
  /** How runs, jobs and log lines name the account. */
  readonly name: string;
  /** Its key pair, base URL and request budget, and the client's settings. */
  readonly timetap: TimeTapConfig;
  /** Where its shared state lives in Redis: session token, request budget, runs' delete budgets. */
  readonly keyPrefix: string;
  /** The cron pattern of its scheduled full sync; checked only when the command schedules. */
  readonly schedule: string;
  /** The path segment of its webhook URL; undefined: it takes no webhooks. */
  readonly webhookSecret?: string | undefined;
}

/**
 * The account of that name. `default` keeps its Redis keys where a single-account worker has
 * always kept them, so that an upgrade keeps the session token and the learned rate; any other
 * account's keys are beside them, under its name.
 */
export function createAccount(
  name: string,
  timetap: TimeTapConfig,
  queuePrefix: string,
  options: { schedule: string; webhookSecret?: string | undefined },
): AccountContext {
  const keyPrefix = name === DEFAULT_ACCOUNT ? `${queuePrefix}:timetap` : `${queuePrefix}:timetap:${name}`;
  return Object.freeze({
    name,
    timetap,
    keyPrefix,
    schedule: options.schedule,
    ...(options.webhookSecret === undefined ? {} : { webhookSecret: options.webhookSecret }),
  });
}

/** The account of that name; a job of an account no longer configured fails with this error. */
export function findAccount(accounts: readonly AccountContext[], name: string | undefined): AccountContext {
  const wanted = name ?? DEFAULT_ACCOUNT;
  const account = accounts.find((a) => a.name === wanted);
  if (account === undefined) throw new UnknownAccountError(wanted);
  return account;
}

/** A configuration problem: the name is not among the configured accounts. */
export class UnknownAccountError extends ConfigError {
  constructor(readonly account: string) {
    super(`account ${JSON.stringify(account)} is not configured`);
  }
}
