/**
 * The bodies of the report endpoints. TimeTap documents paging and a count for
 * `...List/reportWithCount`, but not the wrapper's property names: so take the one array of
 * records and the one count, whatever they are called, or a bare array (no count). A body with two
 * arrays, or with numbers among which none is recognisably the count, is not guessed at: it is
 * unreadable, and the client falls back on `report` + `reportCount` (report-endpoint.ts).
 * `reportCount` is seen answering `{"count": N}`; a bare number, `{totalCount}` and the like read
 * the same.
 */
import { MalformedResponseError } from '../errors.js';

export interface ReportBody {
  records: unknown[];
  /** The total of matching records, when the answer carries one. */
  count?: number;
}

/** A JSON body whose shape is not a report: a sign of the other endpoint pair, not of a glitch. */
export class UnreadableReportError extends MalformedResponseError {}

const COUNT_NAME = /count|total/i;

export function readReportBody(body: unknown, path: string): ReportBody {
  if (Array.isArray(body)) return { records: body };
  const unreadable = (why: string) => new UnreadableReportError(path, why, { retryable: true });
  if (typeof body !== 'object' || body === null) throw unreadable('expected an array or a report object');
  const entries = Object.entries(body as Record<string, unknown>);
  const arrays = entries.filter(([, value]) => Array.isArray(value));
  if (arrays.length !== 1) throw unreadable(`expected one array of records, found ${arrays.length}`);
  const [, records] = arrays[0] as [string, unknown[]];
  const count = countAmong(entries, unreadable);
  return count === undefined ? { records } : { records, count };
}

/** A count answer: a bare number (or digits), or an object whose one count it is. */
export function readCountBody(body: unknown, path: string): number {
  const unreadable = (why: string) => new UnreadableReportError(path, why, { retryable: true });
  const bare = asCount(body);
  if (bare !== undefined) return bare;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw unreadable('expected a number or an object with a count');
  const entries = Object.entries(body as Record<string, unknown>);
  // `{"count": "42"}`: digits are a count only under a count's name.
  const named = entries.filter(([name]) => COUNT_NAME.test(name));
  const count = countAmong(entries, unreadable) ?? (named.length === 1 ? asCount(named[0]?.[1]) : undefined);
  if (count === undefined) throw unreadable('no count in the answer');
  return count;
}

/**
 * The one count among an object's properties: the only number, or the only one named like a
 * count (`count`, `totalCount`, `totalRecords`); undefined when there is no number at all.
 */
function countAmong(
  entries: Array<[string, unknown]>,
  unreadable: (why: string) => Error,
): number | undefined {
  const numbers = entries.flatMap(([name, value]) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? [[name, value] as const] : [],
  );
  const named = numbers.filter(([name]) => COUNT_NAME.test(name));
  const chosen = numbers.length === 1 ? numbers : named;
  if (numbers.length > 0 && chosen.length !== 1) {
    throw unreadable(`cannot tell which of ${numbers.length} numbers is the count`);
  }
  return chosen[0]?.[1];
}

/** A whole number >= 0, as a JSON number or in decimal digits. */
function asCount(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
