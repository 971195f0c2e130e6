/**
 * The lines `demo --keep-running` prints as jobs finish (describeFinished): a webhook's
 * appointment mirrored, a sync or a backfill ended, a skip; nothing for the steps of a run.
 */
import { describe, expect, it } from 'vitest';
import { describeFinished } from '../../src/commands/demo-keep-running.js';
import { emptyStats } from '../../src/sync/stats.js';

describe('describeFinished', () => {
  it('says which appointment a webhook brought in, and how long after it arrived', () => {
    const event = { calendarId: 20221, outcome: 'tombstoned', lagMs: 1140, stats: emptyStats() };
    expect(describeFinished({ name: 'appointment-event', data: {} }, event)).toBe(
      'webhook: appointment 20221 deleted, mirrored 1.1 s after it arrived',
    );
  });

  it('names a scheduled sync, sums what changed, and reads a backfill that skipped no chunk as a run', () => {
    const stats = emptyStats();
    stats.appointments.inserted = 3;
    stats.appointments.updated = 2;
    stats.staff.revived = 1;
    const run = { runId: 4, scope: 'full', status: 'succeeded', stats, durationMs: 1520, reasons: [] };
    expect(describeFinished({ name: 'full-sync', data: { trigger: 'schedule' } }, run)).toBe(
      'scheduled full sync: succeeded (run 4) in 1.5 s: 3 inserted, 3 updated',
    );
    const backfill = { ...run, scope: 'backfill', chunks: 49, skipped: 0, stats: emptyStats() };
    expect(describeFinished({ name: 'backfill', data: { trigger: 'manual' } }, backfill)).toBe(
      'backfill: succeeded (run 4) in 1.5 s: nothing changed',
    );
  });

  it('says why a sync was skipped, and nothing about the steps of a run', () => {
    expect(
      describeFinished({ name: 'full-sync', data: {} }, { skipped: 'a full sync is already running' }),
    ).toBe('full-sync: skipped: a full sync is already running');
    expect(describeFinished({ name: 'location-walk', data: {} }, { stats: emptyStats() })).toBeUndefined();
  });
});
