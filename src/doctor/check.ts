/**
 * The words of `doctor` (spec.md): each check holds one thing this program assumes about TimeTap
 * against the account, and says `as-assumed`, `different` (and, in `detail`, how the mirror copes),
 * `unknown` (this account could not tell) or `failed` (the check itself could not run). A detail
 * holds property names, counts and status names only: never a value of a record, never a secret.
 */
export type CheckResult = 'as-assumed' | 'different' | 'unknown' | 'failed';

export const CHECK_NAMES = [
  'login',
  'token-format',
  'unauthorized-answer',
  'list-paging',
  'appointment-report',
  'report-count',
  'report-order',
  'status-default',
  'non-client-entries',
  'dates',
  'large-pages',
  'report-range',
  'deleted-appointment',
  'retry-after',
  'time-zones',
] as const;

export type CheckName = (typeof CHECK_NAMES)[number];

export interface Check {
  name: CheckName;
  result: CheckResult;
  detail: string;
}

export interface DoctorResult {
  account: string;
  checks: Check[];
}

export const check = (name: CheckName, result: CheckResult, detail: string): Check => ({
  name,
  result,
  detail,
});

/**
 * 1 when the mirror cannot work with what was found: the login refused, or no appointment report
 * that answers. Every other finding is one the mirror copes with.
 */
export function doctorExitCode(result: DoctorResult): 0 | 1 {
  const fatal = result.checks.some(
    (c) => (c.name === 'login' || c.name === 'appointment-report') && c.result === 'failed',
  );
  return fatal ? 1 : 0;
}
