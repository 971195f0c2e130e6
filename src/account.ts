/**
 * An account: one TimeTap business whose data the mirror keeps. Everything that is per account
 * (its keys, base URL and request budget, its session token and learned rate in Redis) is reached
 * through its AccountContext, which every run, step and job carries; nothing else reads the
 * TIMETAP_* variables. There is one account today, `default`, made of those variables.
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
}

/**
 * The account of the TIMETAP_* variables. Its Redis keys are where a single-account worker has
 * always kept them, so that an upgrade keeps the session token and the learned rate.
 */
export function defaultAccount(timetap: TimeTapConfig, queuePrefix: string): AccountContext {
  return Object.freeze({ name: DEFAULT_ACCOUNT, timetap, keyPrefix: `${queuePrefix}:timetap` });
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
