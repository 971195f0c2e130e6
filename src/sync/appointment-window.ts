/**
 * The rolling window of appointments that every full sync keeps fresh: APPOINTMENTS_PAST_DAYS back
 * and APPOINTMENTS_FUTURE_DAYS ahead of today, both ends included.
 */
import { addDays, type DateRange } from '../dates.js';

export function appointmentWindow(day: string, pastDays: number, futureDays: number): DateRange {
  return { startDate: addDays(day, -pastDays), endDate: addDays(day, futureDays) };
}
