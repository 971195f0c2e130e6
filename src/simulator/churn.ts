/**
 * Page churn: a live account changes while a client walks a report's pages. After every N-th
 * report page answered, the simulator books, cancels or deletes one appointment inside the range
 * (and filters) that page was read with, placed so that it hurts a naive walker the most:
 * - book: on the range's first day at 7:00, before every generated appointment, so every later
 *   record moves one place on and the next page repeats the last record of the one before;
 * - delete: the range's first matching appointment, so every later record moves one place back
 *   and the next page skips one;
 * - cancel: the same appointment becomes CANCELLED (it moves only for a walk that filters by a
 *   statusList without CANCELLED).
 * Pages are counted from the last setPageChurn; each action that happened is recorded.
 */
import type { AppointmentFilter } from './appointment-index.js';
import type { AppointmentStatus } from './appointment-objects.js';
import type { SimulatorData } from './store.js';

export interface PageChurn {
  /** Book one new appointment after every N-th report page. */
  bookEvery?: number;
  /** Cancel one (status CANCELLED, kept) after every N-th report page. */
  cancelEvery?: number;
  /** Delete one (gone) after every N-th report page. */
  deleteEvery?: number;
}

export interface ChurnEvent {
  /** The report page (counted since setPageChurn) after which it happened. */
  page: number;
  action: 'book' | 'cancel' | 'delete';
  calendarId: number;
}

export interface Churner {
  set(churn: PageChurn | undefined): void;
  afterReportPage(filter: AppointmentFilter): void;
  events(): ChurnEvent[];
}

const CHURN_START_TIME = 700;

function checkChurn(churn: PageChurn): PageChurn {
  for (const [name, value] of Object.entries(churn)) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1))
      throw new RangeError(`simulator: pageChurn.${name} must be an integer >= 1`);
  }
  return { ...churn };
}

const due = (every: number | undefined, page: number) => every !== undefined && page % every === 0;

/** Books inside the filter: the first combination of the filter's ids that is linked in the data. */
function bookInside(data: SimulatorData, filter: AppointmentFilter): number | undefined {
  const options = <T>(items: readonly T[] | undefined): Array<T | undefined> =>
    items ? [...items] : [undefined];
  const status = filter.statuses?.[0] as AppointmentStatus | undefined;
  for (const locationId of options(filter.locationIds)) {
    for (const staffId of options(filter.staffIds)) {
      for (const reasonId of options(filter.reasonIds)) {
        try {
          return data.bookAppointment({
            startDate: filter.from,
            startTime: CHURN_START_TIME,
            ...(status === undefined ? {} : { status }),
            ...(locationId === undefined ? {} : { location: { locationId } }),
            ...(staffId === undefined ? {} : { staff: { professionalId: staffId } }),
            ...(reasonId === undefined ? {} : { reason: { reasonId } }),
          });
        } catch {
          // Not linked in the data; try the next combination.
        }
      }
    }
  }
  return undefined;
}

export function createChurner(data: SimulatorData): Churner {
  let churn: PageChurn | undefined;
  let page = 0;
  const log: ChurnEvent[] = [];
  return {
    set(next) {
      churn = next === undefined ? undefined : checkChurn(next);
      page = 0;
    },
    afterReportPage(filter) {
      if (!churn) return;
      page++;
      if (due(churn.bookEvery, page)) {
        const calendarId = bookInside(data, filter);
        if (calendarId !== undefined) log.push({ page, action: 'book', calendarId });
      }
      if (due(churn.cancelEvery, page)) {
        const target = data.findAppointments(filter).find((a) => a.status !== 'CANCELLED');
        if (target) {
          data.cancelAppointment(target.calendarId);
          log.push({ page, action: 'cancel', calendarId: target.calendarId });
        }
      }
      if (due(churn.deleteEvery, page)) {
        const target = data.findAppointments(filter)[0];
        if (target) {
          data.deleteAppointment(target.calendarId);
          log.push({ page, action: 'delete', calendarId: target.calendarId });
        }
      }
    },
    events: () => [...log],
  };
}
