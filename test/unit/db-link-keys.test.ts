import { describe, expect, it } from 'vitest';
import { linkKeyColumns } from '../../src/db/links.js';

describe('linkKeyColumns', () => {
  it('sends each link once, sorted by its keys, whatever order and repeats the walk saw', () => {
    const columns = linkKeyColumns({
      staffIds: [7, 3, 7, 1],
      serviceIds: [20, 10, 20],
      staffServices: [
        [7, 20],
        [3, 30],
        [7, 10],
        [3, 30],
        [7, 20],
        [1, 30],
      ],
    });
    expect(columns.location_staff).toEqual([[1, 3, 7]]);
    expect(columns.location_services).toEqual([[10, 20]]);
    expect(columns.staff_services).toEqual([
      [1, 3, 7, 7],
      [30, 30, 10, 20],
    ]);
  });

  it('keeps pairs that share one key but not the other', () => {
    const columns = linkKeyColumns({
      staffIds: [],
      serviceIds: [],
      staffServices: [
        [2, 5],
        [5, 2],
        [2, 2],
      ],
    });
    expect(columns.staff_services).toEqual([
      [2, 2, 5],
      [2, 5, 2],
    ]);
  });
});
