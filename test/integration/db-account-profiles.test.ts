/**
 * What the mirror learned of an account's API (`account_profiles`): the report pair, read back by
 * the memory the commands give the TimeTap client (so that the CLI's `sync` remembers it too),
 * written only when it changes; and the last doctor's result, per account.
 */
import { describe, expect, it } from 'vitest';
import { createAccountReportMemory } from '../../src/commands/report-memory.js';
import {
  readAccountProfile,
  recordDoctorResult,
  recordReportEndpoint,
} from '../../src/db/account-profiles.js';
import type { Db } from '../../src/db/database.js';
import { useTestDatabase } from '../helpers/use-database.js';

let db: Db;

useTestDatabase(['account_profiles'], (database) => {
  db = database.db;
});

const rowVersion = async (account: string) => {
  const [row] = await db.$queryRaw<Array<{ xmin: string }>>`
    SELECT xmin::text FROM account_profiles WHERE account = ${account}`;
  return row?.xmin;
};

describe('account_profiles', () => {
  it('remembers the report pair per account, writing only a change', async () => {
    expect(await readAccountProfile(db)).toBeUndefined();
    await recordReportEndpoint(db, 'report');
    const version = await rowVersion('default');
    await recordReportEndpoint(db, 'report');
    expect(await rowVersion('default')).toBe(version);
    await recordReportEndpoint(db, 'reportWithCount', 'other');
    expect((await readAccountProfile(db))?.reportEndpoint).toBe('report');
    expect((await readAccountProfile(db, 'other'))?.reportEndpoint).toBe('reportWithCount');
  });

  it('gives the client a memory that a later process recalls', async () => {
    const first = createAccountReportMemory(db, 'default');
    expect(await first.recall()).toBeUndefined();
    await first.remember('report');
    const later = createAccountReportMemory(db, 'default');
    expect(await later.recall()).toBe('report');
    expect(await createAccountReportMemory(db, 'elsewhere').recall()).toBeUndefined();
  });

  it('keeps the last doctor result beside the report pair', async () => {
    await recordReportEndpoint(db, 'report');
    const result = { account: 'default', checks: [{ name: 'login', result: 'as-assumed', detail: 'ok' }] };
    await recordDoctorResult(db, result);
    const profile = await readAccountProfile(db);
    expect(profile).toMatchObject({ reportEndpoint: 'report', doctor: result });
    expect(profile?.doctorAt).toBeInstanceOf(Date);
  });
});
