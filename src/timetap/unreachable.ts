/**
 * The one line a command prints when TimeTap itself could not be reached (no answer at all, as
 * opposed to an answer that is an error): it names TimeTap and the host of TIMETAP_BASE_URL, so
 * that nobody looks for the fault in Postgres or Redis, whose failures carry the same codes.
 */
import { NetworkError } from '../errors.js';
import { failureReason } from '../failure-reason.js';
import { ExchangeError } from './http.js';

/** undefined unless `error` is a TimeTap request that failed before any answer came. */
export function explainUnreachableTimeTap(error: unknown, baseUrl: string): string | undefined {
  if (!(error instanceof NetworkError)) return undefined;
  if (error instanceof ExchangeError && error.label !== 'network') return undefined;
  const reason = failureReason(error);
  const because = reason === 'error' ? '' : ` (${reason})`;
  return `cannot reach TimeTap at ${hostOf(baseUrl)}${because}: check TIMETAP_BASE_URL and that this machine can reach it`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'TIMETAP_BASE_URL';
  }
}
