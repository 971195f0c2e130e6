/** The one account of a configuration made of the TIMETAP_* variables (`default`). */
import type { AccountContext } from '../../src/account.js';
import type { Config } from '../../src/config.js';

export function soleAccount(config: Pick<Config, 'accounts'>): AccountContext {
  const [account, ...others] = config.accounts;
  if (account === undefined || others.length > 0) {
    throw new Error(`expected one account, found ${config.accounts.length}`);
  }
  return account;
}
