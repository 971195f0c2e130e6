/**
 * `GET /`: one page that says whether the mirror is fresh and complete, for an admin's browser,
 * behind the admin token (the dashboard's guard). Its data comes from an injected reader (the
 * worker reads the database and Redis, src/commands/status-page-data.ts); the page is rendered
 * here, on the server, as plain HTML with no script: everything in it that came from TimeTap or
 * the database is escaped (html.ts), and its Content-Security-Policy allows nothing but its own
 * style sheet.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { renderStatusPage, STATUS_PAGE_CSS } from './status-page-html.js';

/** One scope's freshness, as `mirror_freshness_view` says it (db/freshness.ts). */
export interface ScopeStatus {
  scope: string;
  lastCompleteRunId: number | null;
  lastCompleteAt: Date | null;
  ageSeconds: number;
  lastRun: { id: number; status: string; finishedAt: Date; reasons: string | null } | null;
  running: { runId: number; since: Date } | null;
  unsuccessfulInARow: number;
  tombstonedRows: number | null;
  guardHeldRows: number | null;
  appointmentRanges: Array<{ startDate: string; endDate: string; complete: boolean }> | null;
  appointmentsComplete: boolean | null;
}

/** What `timetap-sync doctor` last found for an account (`doctor --json`), and when. */
export interface DoctorStatus {
  at: Date;
  checks: Array<{ name: string; result: string; detail: string }>;
}

export interface AccountStatus {
  name: string;
  /** Between two scheduled full syncs; null when the schedule cannot be read. */
  scheduleIntervalSeconds: number | null;
  freshness: ScopeStatus[];
  /** The shared request budget towards TimeTap; null when Redis could not be read. */
  requestRate: {
    text: string;
    rps: number;
    adaptive: boolean;
    throttles?: number;
    lastThrottleAt?: string | null;
  } | null;
  doctor?: DoctorStatus;
}

export interface RunStatus {
  id: number;
  account: string;
  scope: string;
  locationId: number | null;
  trigger: string;
  status: string;
  startedAt: Date;
  durationSeconds: number | null;
  apiCalls: number;
  /** Why it was not a success, one reason a line. */
  reasons: string | null;
}

export interface WebhookEvent {
  at: string;
  calendarId?: number;
  outcome: string;
  lagMs?: number;
}

export interface StatusPageData {
  generatedAt: Date;
  accounts: AccountStatus[];
  /** The latest runs of every account, newest first. */
  runs: RunStatus[];
  /** null when the webhook endpoint is off (no WEBHOOK_SECRET). */
  webhooks: { received: WebhookEvent | null; applied: WebhookEvent | null } | null;
  /** Parts that could not be read, each in a few fixed words ("database: connection refused"). */
  problems: string[];
}

export type ReadStatusPage = () => Promise<StatusPageData>;

const STYLE_HASH = createHash('sha256').update(STATUS_PAGE_CSS).digest('base64');

/** The page's headers: no script may run, nothing may frame it, nothing keeps it. */
export const STATUS_PAGE_HEADERS = {
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
} as const;

export function createStatusRoute(read: ReadStatusPage): (req: Request, res: Response) => Promise<void> {
  return async (_req, res) => {
    const data = await read();
    res.set(STATUS_PAGE_HEADERS).type('text/html; charset=utf-8').send(renderStatusPage(data).text);
  };
}
