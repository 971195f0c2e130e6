/**
 * Which TimeTap answers are worth another try, and how long TimeTap asks us to wait. Pure
 * functions, so that the policy can be tested without a server.
 */

/** What the client does with an HTTP status. */
export type ResponseClass = 'ok' | 'unauthorized' | 'not-found' | 'transient' | 'permanent';

/** 408, 425, 429 and every 5xx may go away by themselves; other 4xx will not. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

export function classifyResponse(status: number): ResponseClass {
  if (status >= 200 && status <= 299) return 'ok';
  if (status === 401) return 'unauthorized';
  if (status === 404) return 'not-found';
  if (isTransientStatus(status)) return 'transient';
  return 'permanent';
}

const DELTA_SECONDS = /^\s*(-?\d+(?:\.\d+)?)\s*$/;
/** The three HTTP date forms all open with the weekday; Date.parse alone accepts junk like "x 12". */
const HTTP_DATE = /^\s*(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s/i;

/**
 * Milliseconds to wait according to a `Retry-After` header (delta seconds or an HTTP date),
 * clamped to [0, capMs]: an absurd value must not park a sync for hours, and a date in the past
 * or a negative number means "now" (the regular backoff still applies on top). `undefined` when
 * the header is missing or unreadable.
 */
export function parseRetryAfter(
  header: string | null | undefined,
  now: number,
  capMs: number,
): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const delta = DELTA_SECONDS.exec(header);
  let waitMs: number;
  if (delta?.[1] !== undefined) {
    waitMs = Number(delta[1]) * 1000;
  } else {
    const at = HTTP_DATE.test(header) ? Date.parse(header) : Number.NaN;
    if (Number.isNaN(at)) return undefined;
    waitMs = at - now;
  }
  if (!Number.isFinite(waitMs)) return capMs;
  return Math.min(Math.max(0, Math.ceil(waitMs)), capMs);
}
