/**
 * Checks that the environment (config.ts) and the accounts file (accounts-file.ts) both apply: a
 * TimeTap base URL, a cron pattern the job scheduler accepts, a webhook secret, and the words of a
 * zod issue without the value it quotes. Kept apart so that both read the same rule, and so that
 * the accounts file needs nothing of config.ts at import time.
 */
import { isIP } from 'node:net';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';

/** A TimeTap base URL: http(s), no credentials, no query string (the client appends its own). */
export const timetapBaseUrl = z
  .url({ protocol: /^https?$/ })
  .refine(
    (value) => !/^[a-z]+:\/\/[^/?#]*@/i.test(value),
    'must not contain a user name or password (TimeTap authenticates with the key pair)',
  )
  .refine(
    (value) => !/[?#]/.test(value),
    'must not contain a query string or a fragment: the client appends paths and queries of its own',
  );

/** A path segment of the webhook URL: long, and only characters a URL carries as they are. */
export const WEBHOOK_SECRET_FORMAT = /^[A-Za-z0-9._~-]{24,200}$/;
export const WEBHOOK_SECRET_RULE =
  'must be 24 to 200 characters from A-Z a-z 0-9 . _ ~ - (openssl rand -hex 16 prints one)';

/**
 * The login sends the API key and a signature that never changes (signature.ts): over plain http
 * to another machine, anyone on the path can replay them. This machine (the simulator, a tunnel)
 * is fine; anything else must say so (TIMETAP_ALLOW_INSECURE).
 */
export function insecureUrlProblem(baseUrl: string, allowInsecure: boolean): string | undefined {
  if (allowInsecure) return undefined;
  const { protocol, hostname } = new URL(baseUrl);
  if (protocol !== 'http:' || isLoopback(hostname)) return undefined;
  return (
    'is plain http:// to another machine, which would send the API key and its signature ' +
    'unencrypted: use https://, or set TIMETAP_ALLOW_INSECURE=true on a network you trust'
  );
}

/** `localhost`, 127.0.0.0/8 and ::1: requests that never leave this machine. */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * Why `pattern` cannot drive the job scheduler, or undefined when it can. It is read by
 * cron-parser, the parser (and version) BullMQ's job scheduler uses. The pattern is not quoted:
 * cron-parser's own messages are, so they are not passed on.
 */
export function scheduleProblem(
  pattern: string,
  options: { allowSeconds?: boolean } = {},
): string | undefined {
  const fields = pattern.trim().split(/\s+/).length;
  const shape =
    'must be a cron pattern such as "0 * * * *" (minute hour day-of-month month day-of-week; ' +
    'with 6 fields the first is seconds) or an alias such as @hourly';
  // cron-parser fills in missing fields, so "1 2" would quietly mean something nobody wrote.
  if (!pattern.trim().startsWith('@') && fields !== 5 && fields !== 6) return shape;
  try {
    const expression = CronExpressionParser.parse(pattern, { currentDate: new Date() });
    expression.next();
    // One second of the minute at most: a full sync every few seconds would spend TimeTap's
    // request budget on syncs that overlap (and are skipped) rather than on work.
    if (expression.fields.second.values.length > 1 && options.allowSeconds !== true)
      return 'fires more often than once a minute: give the seconds field (the first of 6) one value, or use 5 fields';
    return undefined;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('Invalid explicit day of month')) {
      return 'never fires: its day of month does not exist in its months (such as 30 February)';
    }
    return shape;
  }
}

/** Zod's messages may quote the received value; only the expectation is kept. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `must be a ${issue.expected}`;
    case 'too_small':
      return issue.inclusive === false
        ? `must be greater than ${String(issue.minimum)}`
        : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'invalid_format':
      return issue.format === 'regex'
        ? (issue.message ?? 'has the wrong format')
        : `must be a valid ${issue.format}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'custom':
      // Our own refinements, whose messages never contain the value.
      return issue.message;
    default:
      return issue.message.includes('received') ? 'is invalid' : issue.message;
  }
}
