import { describe, expect, it } from 'vitest';
import { localStart, wallClockMs } from '../../src/db/appointments.js';

/** The former reading, through a regular expression and Date, kept as the reference. */
function reference(date: string | undefined, hhmm: number | undefined): number | undefined {
  if (date === undefined || hhmm === undefined) return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match || !Number.isInteger(hhmm) || hhmm < 0 || hhmm > 2400) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (hhmm % 100 >= 60 || year < 1) return undefined;
  const midnight = new Date(0);
  midnight.setUTCFullYear(year, month - 1, day);
  if (midnight.getUTCMonth() !== month - 1 || midnight.getUTCDate() !== day) return undefined;
  return midnight.getTime() + (Math.floor(hhmm / 100) * 60 + (hhmm % 100)) * 60_000;
}

function referenceLocalStart(date: string, hhmm: number): string | undefined {
  const ms = reference(date, hhmm);
  if (ms === undefined) return undefined;
  const iso = new Date(ms).toISOString();
  return /^\d{4}-/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : undefined;
}

describe('the wall clock of an appointment, read digit by digit', () => {
  it('agrees with the Date-based reading on random and edge dates and times', () => {
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return Math.floor((seed / 2_147_483_648) * n);
    };
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    const dates = [
      '0000-01-01',
      '0001-01-01',
      '0004-02-29',
      '0100-02-29',
      '0400-02-29',
      '1900-02-29',
      '2000-02-29',
      '2024-02-29',
      '2025-02-29',
      '9999-12-31',
      '2026-13-01',
      '2026-00-10',
      '2026-04-31',
      '2026-1-01',
      '2026-01-01 ',
      '２０２６-01-01',
      '2026/01/01',
      '',
      'x',
      '2026-01-0a',
    ];
    for (let i = 0; i < 20_000; i++) {
      const date =
        i < dates.length
          ? (dates[i] as string)
          : `${pad(random(10_000), 4)}-${pad(random(14), 2)}-${pad(random(33), 2)}`;
      const time = [random(2_500), 2400, 2360, 0, -1, 12.5][random(6)] as number;
      expect(wallClockMs(date, time), `${date} ${time}`).toBe(reference(date, time));
      expect(localStart({ startDate: date, startTime: time }), `${date} ${time}`).toBe(
        referenceLocalStart(date, time),
      );
    }
  });
});
