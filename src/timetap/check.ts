/**
 * `timetap-sync check`: proves that the keys work and the base URL answers, by logging in and
 * counting the locations. Prints one line; never a secret.
 */
import type { Config } from '../config.js';
import { AuthError, describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type Redactor, safeUrl } from '../redact.js';
import { createTimeTapClient } from './client.js';

export async function runCheck(deps: {
  config: Config;
  logger: Logger;
  redactor: Redactor;
  out: (line: string) => void;
  /** Where the failure goes: stderr for the command. */
  err: (line: string) => void;
}): Promise<number> {
  const { config, logger, redactor, out, err } = deps;
  const client = createTimeTapClient({ config: config.timetap, logger, redactor });
  try {
    await client.login();
    const locations = await client.listLocations();
    const skipped = locations.skipped.length > 0 ? `, ${locations.skipped.length} skipped without an id` : '';
    out(
      `ok: ${locations.items.length} locations (base URL ${safeUrl(config.timetap.baseUrl).replace(/\/$/, '')})${skipped}`,
    );
    return 0;
  } catch (error) {
    const reason = error instanceof AuthError ? error.message : describeError(error);
    err(`error: ${redactor.scrub(reason)}`);
    return 1;
  }
}
