/**
 * `timetap-sync check`: proves that the keys work and the base URL answers, by logging in and
 * counting the locations, for each account. Prints one line per account; never a secret.
 */
import type { AccountContext } from '../account.js';
import { AuthError, describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type Redactor, safeUrl } from '../redact.js';
import { createTimeTapApi } from './api.js';

export async function runCheck(deps: {
  config: { accounts: readonly AccountContext[] };
  logger: Logger;
  redactor: Redactor;
  out: (line: string) => void;
  /** Where the failure goes: stderr for the command. */
  err: (line: string) => void;
}): Promise<number> {
  const { config, logger, redactor, out, err } = deps;
  let failed = 0;
  for (const account of config.accounts) {
    // One account says nothing of its name; several say whose line it is.
    const whose = config.accounts.length > 1 ? `${account.name}: ` : '';
    const api = createTimeTapApi({ config: account.timetap, logger, redactor });
    try {
      await api.login();
      const locations = await api.listLocations();
      const skipped =
        locations.skipped.length > 0 ? `, ${locations.skipped.length} skipped without an id` : '';
      const base = safeUrl(account.timetap.baseUrl).replace(/\/$/, '');
      out(`${whose}ok: ${locations.items.length} locations (base URL ${base})${skipped}`);
    } catch (error) {
      const reason = error instanceof AuthError ? error.message : describeError(error);
      err(`${whose}error: ${redactor.scrub(reason)}`);
      failed += 1;
    }
  }
  return failed === 0 ? 0 : 1;
}
