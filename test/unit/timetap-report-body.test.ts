import { describe, expect, it } from 'vitest';
import { MalformedResponseError } from '../../src/errors.js';
import { readReportBody } from '../../src/timetap/report-body.js';

describe('readReportBody', () => {
  it('takes the one array and the one count whatever they are called, or a bare array', () => {
    expect(readReportBody([{ a: 1 }], '/x')).toEqual({ records: [{ a: 1 }] });
    expect(readReportBody({ objects: [1, 2], count: 7 }, '/x')).toEqual({ records: [1, 2], count: 7 });
    expect(readReportBody({ data: [], totalRecords: 0 }, '/x')).toEqual({ records: [], count: 0 });
    expect(readReportBody({ list: [1], pageNumber: 2, pageSize: 25, totalCount: 40 }, '/x')).toEqual({
      records: [1],
      count: 40,
    });
    expect(readReportBody({ rows: [1] }, '/x')).toEqual({ records: [1] });
  });

  it('refuses to guess: two arrays, or numbers none of which is recognisably the count', () => {
    for (const body of [{ a: [], b: [] }, { rows: [], x: 1, y: 2 }, null, 'text', { count: 3 }]) {
      expect(() => readReportBody(body, '/x')).toThrow(MalformedResponseError);
    }
  });
});
