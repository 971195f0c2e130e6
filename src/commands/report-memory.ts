/**
 * Where the TimeTap client's memory of an account's report endpoints lives: `account_profiles`
 * (db/account-profiles.ts), so that every run, the CLI's `sync` included, starts with the pair that
 * answered last. Read once per memory; written only when the pair changes.
 */

import type { Db } from '../db/database.js';
import { readAccountProfile, recordReportEndpoint } from '../db/index.js';
import { REPORT_ENDPOINTS, type ReportEndpoint, type ReportMemory } from '../timetap/index.js';

export function createAccountReportMemory(db: Db, account: string): ReportMemory {
  let known: Promise<ReportEndpoint | undefined> | undefined;
  return {
    recall() {
      known ??= readAccountProfile(db, account).then((profile) => {
        const endpoint = profile?.reportEndpoint;
        return REPORT_ENDPOINTS.find((e) => e === endpoint);
      });
      return known;
    },
    async remember(endpoint) {
      await recordReportEndpoint(db, endpoint, account);
      known = Promise.resolve(endpoint);
    },
  };
}
