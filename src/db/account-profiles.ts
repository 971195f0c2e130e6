/**
 * What this program learned of each TimeTap account's API (`account_profiles`), keyed by the
 * account's name (`default` for the one account of the TIMETAP_* variables): which pair of report
 * endpoints answers its appointment reports, so that every run (the CLI's `sync` included) starts
 * with the pair that works, and what the last `doctor` found. Nothing here is a secret or a value
 * of a record: endpoint names, check names, results, counts.
 */
import { DEFAULT_ACCOUNT } from '../account.js';
import type { Db } from './database.js';

export interface AccountProfile {
  account: string;
  reportEndpoint: string | undefined;
  reportEndpointAt: Date | undefined;
  /** The last doctor's result as it printed it (`doctor --json`). */
  doctor: unknown;
  doctorAt: Date | undefined;
}

interface ProfileRow {
  account: string;
  report_endpoint: string | null;
  report_endpoint_at: Date | null;
  doctor: unknown;
  doctor_at: Date | null;
}

/** The account's profile; undefined when nothing was learned of it yet. */
export async function readAccountProfile(
  db: Db,
  account = DEFAULT_ACCOUNT,
): Promise<AccountProfile | undefined> {
  const [row] = await db.$queryRaw<ProfileRow[]>`
    SELECT account, report_endpoint, report_endpoint_at, doctor, doctor_at
    FROM account_profiles WHERE account = ${account}`;
  if (!row) return undefined;
  return {
    account: row.account,
    reportEndpoint: row.report_endpoint ?? undefined,
    reportEndpointAt: row.report_endpoint_at ?? undefined,
    doctor: row.doctor ?? undefined,
    doctorAt: row.doctor_at ?? undefined,
  };
}

/** Records the pair that answered; a row that already says so is not written. */
export async function recordReportEndpoint(
  db: Db,
  endpoint: string,
  account = DEFAULT_ACCOUNT,
): Promise<void> {
  await db.$executeRaw`
    INSERT INTO account_profiles AS p (account, report_endpoint, report_endpoint_at)
    VALUES (${account}, ${endpoint}, now())
    ON CONFLICT (account) DO UPDATE
      SET report_endpoint = excluded.report_endpoint, report_endpoint_at = excluded.report_endpoint_at
      WHERE p.report_endpoint IS DISTINCT FROM excluded.report_endpoint`;
}

/** Records what a doctor found (its JSON result). */
export async function recordDoctorResult(db: Db, result: unknown, account = DEFAULT_ACCOUNT): Promise<void> {
  const json = JSON.stringify(result);
  await db.$executeRaw`
    INSERT INTO account_profiles (account, doctor, doctor_at) VALUES (${account}, ${json}::jsonb, now())
    ON CONFLICT (account) DO UPDATE SET doctor = excluded.doctor, doctor_at = excluded.doctor_at`;
}
