/**
 * `doctor`: holds what this program assumes about TimeTap against one account, check by check
 * (check.ts). Read-only and small: a few dozen requests, through the client's own request budget
 * and session; the checks that look at records use what the report probes already read. A check
 * that cannot run fails alone; when the login fails, nothing else is tried.
 */
import type { AccountContext } from '../account.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Redactor } from '../redact.js';
import { createTimeTapProbe, MAX_REPORT_DAYS, type ReportMemory } from '../timetap/index.js';
import { CHECK_NAMES, type Check, check, type DoctorResult } from './check.js';
import type { DoctorContext } from './context.js';
import {
  datesCheck,
  nonClientEntriesCheck,
  reportOrderCheck,
  statusDefaultCheck,
  timeZonesCheck,
} from './record-checks.js';
import {
  appointmentReportCheck,
  largePagesCheck,
  listPagingCheck,
  reportCountCheck,
  reportRangeCheck,
} from './report-checks.js';
import {
  deletedAppointmentCheck,
  loginCheck,
  retryAfterCheck,
  tokenFormatCheck,
  unauthorizedAnswerCheck,
} from './session-checks.js';

export interface DoctorDeps {
  account: AccountContext;
  /** The appointment settings the mirror reads reports with (APPOINTMENTS_*). */
  appointments: Config['sync']['appointments'];
  logger: Logger;
  redactor: Redactor;
  /** Where the client keeps which report pair answers (the mirror's, when there is one). */
  reportMemory?: ReportMemory;
  fetch?: typeof fetch;
  now?: Date;
}

/** Retries of one request: a doctor reports what it meets rather than waiting it out. */
const DOCTOR_RETRIES = 2;

export async function runDoctor(deps: DoctorDeps): Promise<DoctorResult & { calls: number }> {
  const { timetap } = deps.account;
  const probe = createTimeTapProbe({
    config: { ...timetap, retries: Math.min(timetap.retries, DOCTOR_RETRIES) },
    logger: deps.logger,
    redactor: deps.redactor,
    ...(deps.reportMemory ? { reportMemory: deps.reportMemory } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  const { appointments } = deps;
  const ctx: DoctorContext = {
    probe,
    range: probeRange(deps.now ?? new Date(), appointments.pastDays, appointments.futureDays),
    statuses: appointments.statuses,
    pageSize: appointments.pageSize,
    records: new Map(),
  };
  const checks: Check[] = [await loginCheck(ctx)];
  if (checks[0]?.result !== 'failed') {
    checks.push(tokenFormatCheck(ctx));
    checks.push(await unauthorizedAnswerCheck(ctx));
    checks.push(await appointmentReportCheck(ctx));
    checks.push(await reportCountCheck(ctx));
    checks.push(await listPagingCheck(ctx));
    checks.push(await reportOrderCheck(ctx));
    checks.push(await statusDefaultCheck(ctx));
    checks.push(await largePagesCheck(ctx));
    checks.push(await reportRangeCheck(ctx));
    checks.push(await deletedAppointmentCheck(ctx));
    checks.push(await timeZonesCheck(ctx));
    checks.push(nonClientEntriesCheck(ctx));
    checks.push(datesCheck(ctx));
    checks.push(retryAfterCheck(ctx));
  }
  const done = new Set(checks.map((c) => c.name));
  for (const name of CHECK_NAMES)
    if (!done.has(name)) checks.push(check(name, 'unknown', 'not tried: the login failed'));
  checks.sort((a, b) => CHECK_NAMES.indexOf(a.name) - CHECK_NAMES.indexOf(b.name));
  // Details are built from names and counts; the redactor is the last word all the same.
  const scrubbed = checks.map((c) => ({ ...c, detail: deps.redactor.scrub(c.detail) }));
  return { account: deps.account.name, checks: scrubbed, calls: probe.exchanges().length };
}

/** The rolling window around today, cut to MAX_REPORT_DAYS: where the account's appointments are. */
function probeRange(now: Date, pastDays: number, futureDays: number): { startDate: string; endDate: string } {
  const day = (offset: number) => new Date(now.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  const half = Math.floor((MAX_REPORT_DAYS - 1) / 2);
  const back = Math.min(pastDays, half + Math.max(0, half - futureDays));
  const ahead = Math.min(futureDays, MAX_REPORT_DAYS - 1 - back);
  return { startDate: day(-back), endDate: day(ahead) };
}
