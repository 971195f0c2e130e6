/**
 * The body of a `...List/report` or `...List/reportWithCount` answer. TimeTap documents paging and
 * a count for these, but not the wrapper's property names: so take the one array of records and
 * the one count, whatever they are called, or a bare array (no count). A body with two arrays, or
 * with numbers among which none is recognisably the count, is not guessed at: it is malformed.
 */
import { MalformedResponseError } from '../errors.js';

export interface ReportBody {
  records: unknown[];
  /** The total of matching records, when the answer carries one. */
  count?: number;
}

const COUNT_NAME = /count|total/i;

export function readReportBody(body: unknown, path: string): ReportBody {
  if (Array.isArray(body)) return { records: body };
  const malformed = (why: string) => new MalformedResponseError(path, why, { retryable: true });
  if (typeof body !== 'object' || body === null) throw malformed('expected an array or a report object');
  const entries = Object.entries(body as Record<string, unknown>);
  const arrays = entries.filter(([, value]) => Array.isArray(value));
  if (arrays.length !== 1) throw malformed(`expected one array of records, found ${arrays.length}`);
  const numbers = entries.filter(
    ([, value]) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0,
  );
  const named = numbers.filter(([name]) => COUNT_NAME.test(name));
  const chosen = numbers.length === 1 ? numbers : named;
  if (numbers.length > 0 && chosen.length !== 1) {
    throw malformed(`cannot tell which of ${numbers.length} numbers is the count`);
  }
  const [, records] = arrays[0] as [string, unknown[]];
  const count = chosen[0]?.[1] as number | undefined;
  return count === undefined ? { records } : { records, count };
}
