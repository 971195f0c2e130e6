/**
 * `timetap-sync doctor` against the simulator: as documented (and guessed) it finds every check
 * as assumed; under each variant TimeTap may show it names that variant's check `different` and
 * every other one `as-assumed`; it stays within a few dozen requests, prints no value of a record
 * and no secret, exits 1 when the mirror cannot work (keys refused, no report that answers), and
 * records its result, and the report pair it learned, in the mirror when there is one.
 */
import { beforeEach, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { readAccountProfile } from '../../src/db/account-profiles.js';
import { CHECK_NAMES, type CheckName, type DoctorResult } from '../../src/doctor/check.js';
import { runDoctor } from '../../src/doctor/run-doctor.js';
import { createLogger } from '../../src/logger.js';
import { createRedactor } from '../../src/redact.js';
import type { Simulator, Variants } from '../../src/simulator/index.js';
import { ALL_VARIANTS, DEFAULT_VARIANTS } from '../../src/simulator/variants.js';
import { soleAccount } from '../helpers/account.js';
import { runCli } from '../helpers/cli.js';
import type { TestDatabase } from '../helpers/database.js';
import { simulatorEnv } from '../helpers/sync.js';
import { useSyncFixture } from '../helpers/use-sync-fixture.js';

const TODAY = new Date().toISOString().slice(0, 10);
/** The check names spec.md fixes (CHECK_NAMES adds four). */
const SPEC_CHECKS =
  'login token-format list-paging appointment-report report-count report-order status-default non-client-entries deleted-appointment retry-after time-zones'.split(
    ' ',
  );
const WINDOW = { APPOINTMENTS_PAST_DAYS: '14', APPOINTMENTS_FUTURE_DAYS: '14' };
let sim: Simulator;
let database: TestDatabase;

useSyncFixture(
  {
    simulator: { seed: 5, locations: 5, today: TODAY, appointments: { perStaffPerDay: 2 } },
    simulatorPer: 'file',
  },
  (fixture) => ({ sim, database } = fixture),
);
beforeEach(() => {
  sim.setVariants(DEFAULT_VARIANTS);
  sim.setReportPaging({});
  sim.clearFaults();
  sim.resetCalls();
  // One 429 to read: with Retry-After, unless the variant takes it away.
  sim.inject({
    path: '/appointmentList/reportCount',
    times: 1,
    fault: { type: 'status', status: 429, retryAfter: '0' },
  });
});

async function doctor(): Promise<DoctorResult & { calls: number }> {
  const config = loadConfig(simulatorEnv(sim, WINDOW), ['timetap']);
  const account = soleAccount(config);
  const redactor = createRedactor([account.timetap.apiKey, account.timetap.privateKey]);
  return runDoctor({
    account,
    appointments: config.sync.appointments,
    logger: createLogger({ level: 'silent', redactor }),
    redactor,
  });
}

const results = (result: DoctorResult) => Object.fromEntries(result.checks.map((c) => [c.name, c.result]));
const differing = (result: DoctorResult) =>
  result.checks.filter((c) => c.result !== 'as-assumed').map((c) => `${c.name}: ${c.result}: ${c.detail}`);

const VARIANTS: Array<{ name: string; variants: Partial<Variants>; cap?: number; check: CheckName }> = [
  { name: 'report order by date and time', variants: { reportOrder: 'date-time' }, check: 'report-order' },
  { name: 'no reportWithCount', variants: { reportWithCount: 'absent' }, check: 'appointment-report' },
  {
    name: 'an unreadable reportWithCount',
    variants: { reportWithCount: 'unreadable' },
    check: 'appointment-report',
  },
  { name: 'reportCount a bare number', variants: { reportCount: 'number' }, check: 'report-count' },
  {
    name: 'statusList by default OPEN,PENDING',
    variants: { statusDefault: ['OPEN', 'PENDING'] },
    check: 'status-default',
  },
  { name: 'HTML 401', variants: { html401: true }, check: 'unauthorized-answer' },
  { name: '429 without Retry-After', variants: { retryAfter: false }, check: 'retry-after' },
  { name: 'dotted tokens', variants: { tokenStyle: 'dotted' }, check: 'token-format' },
  { name: 'report pages capped at 10', variants: {}, cap: 10, check: 'list-paging' },
  { name: 'time-off and class entries', variants: { nonClientEntries: true }, check: 'non-client-entries' },
  { name: 'time zones of every form', variants: { locationTimeZones: 'mixed' }, check: 'time-zones' },
  { name: 'impossible dates', variants: { impossibleDates: true }, check: 'dates' },
  { name: '504 on large pages', variants: { gatewayTimeoutAbove: 99 }, check: 'large-pages' },
  { name: 'ranges of at most 93 days', variants: { maxReportDays: 93 }, check: 'report-range' },
];

describe('doctor', () => {
  it('finds every check as assumed against the simulator’s defaults, within a few dozen requests', async () => {
    const result = await doctor();
    expect(differing(result)).toEqual([]);
    // Every check of the spec's list (and the ones added since), in that order.
    expect(result.checks.map((c) => c.name)).toEqual([...CHECK_NAMES]);
    expect(CHECK_NAMES).toEqual(expect.arrayContaining(SPEC_CHECKS));
    expect(result.calls).toBeLessThanOrEqual(40);
    expect(sim.calls.length).toBe(result.calls);
  });

  it.each(VARIANTS.map((v) => [v.name, v] as const))(
    'names %s different, and nothing else',
    async (_name, v) => {
      sim.setVariants(v.variants);
      if (v.cap) sim.setReportPaging({ maxPageSize: v.cap });
      const result = await doctor();
      const found = results(result);
      expect(found[v.check], differing(result).join('\n')).toBe('different');
      expect(differing(result).filter((line) => !line.startsWith(`${v.check}:`))).toEqual([]);
      expect(result.calls).toBeLessThanOrEqual(40);
    },
  );

  it('names every variant different when TimeTap shows them all at once', async () => {
    sim.setVariants({ ...ALL_VARIANTS, gatewayTimeoutAbove: undefined });
    sim.setReportPaging({ maxPageSize: 10 });
    const found = results(await doctor());
    for (const name of VARIANTS.map((v) => v.check).filter((c) => c !== 'large-pages'))
      expect(found[name], name).toBe('different');
    expect(found.login).toBe('as-assumed');
    expect(found['deleted-appointment']).toBe('as-assumed');
  });
});

describe('timetap-sync doctor', () => {
  it('prints JSON without a value of a record or a secret, records it in the mirror, and exits 0', async () => {
    sim.setVariants({ reportWithCount: 'absent' });
    const env = { ...simulatorEnv(sim, WINDOW), DATABASE_URL: database.url };
    const run = await runCli(['doctor', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout) as DoctorResult;
    expect(printed.account).toBe('default');
    expect(printed.checks.find((c) => c.name === 'appointment-report')?.result).toBe('different');
    for (const c of printed.checks) expect(Object.keys(c)).toEqual(['name', 'result', 'detail']);

    // No secret, and no value of any record the simulator holds (names, e-mails, phones, notes).
    const values = [
      sim.credentials.apiKey,
      sim.credentials.privateKey,
      ...[...sim.data.clients.values()].flatMap((c) => [
        c.firstName,
        c.lastName,
        c.emailAddress,
        c.cellPhone,
      ]),
      ...[...sim.data.locations.values()].map((l) => l.locationName),
      ...[...sim.data.staff.values()].flatMap((s) => [s.email, s.userName]),
      ...sim.data.findAppointments({ from: TODAY, to: TODAY }).map((a) => String(a.calendarId)),
    ].filter((v): v is string => typeof v === 'string' && v.length > 3);
    for (const value of values) expect(run.stdout + run.stderr).not.toContain(value);
    expect(run.stdout).not.toMatch(/st[:.]api[:.]api[:.][0-9a-f]/);

    const profile = await readAccountProfile(database.db);
    expect(profile?.reportEndpoint).toBe('report');
    expect(profile?.doctor).toEqual(printed);

    // `status` shows what the mirror learned of the account: the report pair, the last doctor.
    const status = await runCli(['status'], {
      ...env,
      REDIS_URL: inject('redisUrl'),
      QUEUE_PREFIX: 'tts-doctor-status',
    });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(
      /TimeTap account: appointment reports through report \+ reportCount; doctor at \S+: \d+ as-assumed, 1 different/,
    );
  });

  it('exits 1 when the keys are refused, naming the login; 2 for an account it does not know', async () => {
    const env = { ...simulatorEnv(sim, WINDOW), TIMETAP_PRIVATE_KEY: 'not-the-private-key' };
    const refused = await runCli(['doctor'], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/failed\s+login/);
    expect(refused.stdout).toContain('the mirror cannot work with this account: login');
    expect(refused.stdout).not.toContain('not-the-private-key');
    const unknown = await runCli(['doctor', '--account', 'other'], simulatorEnv(sim, WINDOW));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no account named "other"');
  });

  it('exits 1 when no report pair answers', async () => {
    sim.inject({ path: /^\/appointmentList\//, fault: { type: 'status', status: 404 } });
    const run = await runCli(['doctor'], simulatorEnv(sim, WINDOW));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /failed\s+appointment-report\s+reportWithCount answered 404 and report: TimeTap answered 404/,
    );
  });
});
