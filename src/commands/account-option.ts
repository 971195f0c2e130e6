/**
 * `--account NAME`, which every command that reads or writes the mirror takes: without it the
 * command covers every configured account, with it that one only. A name that is not configured
 * is a usage error that lists the configured ones (names are not secrets).
 */
import { type AccountContext, findAccount, UnknownAccountError } from '../account.js';

export const ACCOUNT_FLAGS = '--account <name>';
export const ACCOUNT_HELP = 'only this account (default: every configured account)';

/** The accounts the command covers, or undefined after saying on `err` that the name is unknown. */
export function selectAccounts(
  accounts: readonly AccountContext[],
  name: string | undefined,
  err: (line: string) => void,
): readonly AccountContext[] | undefined {
  if (name === undefined) return accounts;
  try {
    return [findAccount(accounts, name)];
  } catch (error) {
    if (!(error instanceof UnknownAccountError)) throw error;
    const names = accounts.map((a) => a.name).join(', ');
    err(`error: no account named "${error.account}": this configuration has ${names}`);
    return undefined;
  }
}
