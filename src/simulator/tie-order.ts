/**
 * A report page when the order is stable only by date and start time (the report-order variant):
 * appointments that share both come in a new order on every request, as a database does when it
 * sorts by those two columns alone. Only the ties that reach into the page are shuffled, so a
 * request costs O(page + ties), not O(range).
 */
import type { Appointment } from './appointment-objects.js';
import type { Random } from './random.js';

const sameSlot = (a: Appointment | undefined, b: Appointment | undefined) =>
  a !== undefined && b !== undefined && a.startDate === b.startDate && a.startTime === b.startTime;

export function pageInTieOrder(
  sorted: readonly Appointment[],
  offset: number,
  size: number,
  rng: Random,
): Appointment[] {
  const end = Math.min(sorted.length, offset + size);
  if (offset >= end) return [];
  // Widen to whole ties: the first one that starts before the page, the last one that ends after.
  let from = offset;
  while (from > 0 && sameSlot(sorted[from - 1], sorted[from])) from--;
  let to = end;
  while (to < sorted.length && sameSlot(sorted[to - 1], sorted[to])) to++;
  const window = sorted.slice(from, to);
  for (let start = 0; start < window.length; ) {
    let stop = start + 1;
    while (stop < window.length && sameSlot(window[start], window[stop])) stop++;
    // Fisher-Yates within the tie [start, stop).
    for (let i = stop - 1; i > start; i--) {
      const j = rng.int(start, i);
      [window[i], window[j]] = [window[j] as Appointment, window[i] as Appointment];
    }
    start = stop;
  }
  return window.slice(offset - from, end - from);
}
