import { describe, expect, it } from 'vitest';
import { backfillRange, MAX_BACKFILL_DAYS } from '../../src/commands/backfill.js';
import { addDays, dateChunks, parseDate } from '../../src/dates.js';
import { appointmentWindow } from '../../src/sync/appointment-window.js';

/** Every date of a range, once each, in order: what a cut into chunks must cover exactly. */
function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

function covered(chunks: Array<{ startDate: string; endDate: string }>): string[] {
  return chunks.flatMap((c) => days(c.startDate, c.endDate));
}

describe('dates of the appointment walk', () => {
  it('refuses what is not a calendar date', () => {
    for (const bad of ['2026-02-30', '2026-13-01', '26-01-01', '2026-1-1', '']) {
      expect(() => parseDate(bad), bad).toThrow(RangeError);
    }
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2026-03-29', 1)).toBe('2026-03-30'); // a daylight-saving night in Europe
  });

  it('the window runs from pastDays back to futureDays ahead, inclusive', () => {
    expect(appointmentWindow('2026-11-30', 30, 90)).toEqual({
      startDate: '2026-10-31',
      endDate: '2027-02-28',
    });
  });

  it('dateChunks covers every day of the range once, in chunks of at most `days`', () => {
    const chunks = dateChunks({ startDate: '2026-01-01', endDate: '2026-03-01' }, 7);
    expect(covered(chunks)).toEqual(days('2026-01-01', '2026-03-01'));
    expect(chunks[0]).toEqual({ startDate: '2026-01-01', endDate: '2026-01-07' });
    expect(chunks.at(-1)).toEqual({ startDate: '2026-02-26', endDate: '2026-03-01' });
  });

  it('dateChunks cuts two overlapping ranges alike, so a wider backfill finds the chunks of a narrower one', () => {
    const narrow = dateChunks({ startDate: '2025-03-10', endDate: '2025-05-20' }, 7);
    const wide = dateChunks({ startDate: '2024-12-30', endDate: '2025-06-30' }, 7);
    expect(covered(narrow)).toEqual(days('2025-03-10', '2025-05-20'));
    expect(covered(wide)).toEqual(days('2024-12-30', '2025-06-30'));
    for (const chunk of wide) expect(days(chunk.startDate, chunk.endDate).length).toBeLessThanOrEqual(7);
    // Every whole chunk of the narrow range is a chunk of the wide one; only its ends are clipped.
    const wideKeys = new Set(wide.map((c) => `${c.startDate}..${c.endDate}`));
    const inner = narrow.slice(1, -1);
    expect(inner.length).toBeGreaterThan(5);
    for (const chunk of inner) expect(wideKeys.has(`${chunk.startDate}..${chunk.endDate}`)).toBe(true);
    // Before 1970 too (a negative day number).
    const old = dateChunks({ startDate: '1969-12-20', endDate: '1970-01-10' }, 7);
    expect(covered(old)).toEqual(days('1969-12-20', '1970-01-10'));
  });
});

describe('backfill range', () => {
  it('ends the day before the rolling window by default', () => {
    expect(backfillRange({ from: '2025-01-01' }, '2026-10-31')).toEqual({
      from: '2025-01-01',
      to: '2026-10-30',
    });
    expect(backfillRange({ from: '2025-01-01', to: '2025-01-31' }, '2026-10-31')).toEqual({
      from: '2025-01-01',
      to: '2025-01-31',
    });
  });

  it('says what is wrong: a bad date, a reversed range, nothing older than the window, too long a range', () => {
    expect(backfillRange({ from: '2025-02-30' }, '2026-10-31')).toMatch(/--from must be a date/);
    expect(backfillRange({ from: '2025-01-01', to: 'yesterday' }, '2026-10-31')).toMatch(
      /--to must be a date/,
    );
    expect(backfillRange({ from: '2025-02-01', to: '2025-01-01' }, '2026-10-31')).toMatch(/after --to/);
    expect(backfillRange({ from: '2026-11-01' }, '2026-10-31')).toMatch(/inside the rolling window/);
    expect(backfillRange({ from: '1990-01-01' }, '2026-10-31')).toMatch(
      new RegExp(`more than the ${MAX_BACKFILL_DAYS}`),
    );
  });
});
