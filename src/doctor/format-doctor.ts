/** `doctor`'s human output: one line per check, then what it means for the mirror. */
import { CHECK_NAMES, type DoctorResult, doctorExitCode } from './check.js';

export function formatDoctor(result: DoctorResult, about: { baseUrl: string; calls: number }): string[] {
  const nameWidth = Math.max(...CHECK_NAMES.map((n) => n.length));
  const lines = [`doctor: account ${result.account} at ${about.baseUrl} (${about.calls} requests)`];
  for (const c of result.checks)
    lines.push(`  ${c.result.padEnd(10)}  ${c.name.padEnd(nameWidth)}  ${c.detail}`);
  const differ = result.checks.filter((c) => c.result === 'different').length;
  if (doctorExitCode(result) === 1) {
    const fatal = result.checks.find(
      (c) => c.result === 'failed' && (c.name === 'login' || c.name === 'appointment-report'),
    );
    lines.push(`the mirror cannot work with this account: ${fatal?.name}: ${fatal?.detail}`);
  } else {
    lines.push(
      differ === 0
        ? 'the mirror can work with this account: everything checked is as it assumes'
        : `the mirror can work with this account; ${differ} check(s) found TimeTap answering differently, and it copes as each says (docs/doctor.md)`,
    );
  }
  lines.push(
    'attach the output of `timetap-sync doctor --json` to a bug report: it holds no value of a record and no secret',
  );
  return lines;
}
