/**
 * One appointment that a webhook said changed, read at its own URL (`GET /appointments/{id}`)
 * and written with the time it was read: the webhook's body is only a hint, never the truth.
 * Found, it is stored as a chunk stores it (the nested objects filling gaps); 404 tombstones it.
 * A window walk and a webhook's read race freely: an older read never overwrites a newer one
 * (db/appointments.ts), whichever finishes last.
 *
 * An event is answered by any read of the appointment that began after the event arrived: when
 * the mirror's row was read since (by a chunk, or by the job of an earlier event that waited for
 * its turn in the request budget), nothing is fetched. That is what keeps a burst of events for
 * one appointment at one read, even when events arrive while its job runs (enqueue.ts).
 */
import { appointmentReadAt, tombstoneAppointments } from '../db/index.js';
import { NotFoundError } from '../errors.js';
import { type StoreDeps, storeAppointments } from './appointment-store.js';
import { writeOf } from './location-walk.js';
import { addCounts, emptyStats, type RunStats } from './stats.js';

export interface AppointmentRefresh {
  calendarId: number;
  /**
   * stored: TimeTap has it (created, edited, cancelled); tombstoned: 404 at its own URL;
   * current: read since the event arrived, nothing fetched.
   */
  outcome: 'stored' | 'tombstoned' | 'current';
  stats: RunStats;
}

export async function refreshAppointment(
  deps: StoreDeps,
  calendarId: number,
  /** When the event arrived: a row read after it already answers it. */
  since?: Date,
): Promise<AppointmentRefresh> {
  const stats = emptyStats();
  if (since !== undefined) {
    const readAt = await appointmentReadAt(deps.db, deps.account.name, calendarId);
    if (readAt !== undefined && readAt > since) return { calendarId, outcome: 'current', stats };
  }
  const startedAt = Date.now();
  // When this job's client sent its last request (the read, its last attempt): TimeTap read the
  // appointment after that, so the time is never later than the truth, and as close to it as
  // this process can know (a busy process may send a request long after its turn in the budget).
  const readTime = () => new Date(deps.api.stats().lastSentAt ?? startedAt);
  try {
    const appointment = await deps.api.getAppointment(calendarId);
    await storeAppointments(deps, [appointment], readTime(), stats);
    return { calendarId, outcome: 'stored', stats };
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  addCounts(stats, 'appointments', {
    deleted: await tombstoneAppointments(deps.db, [calendarId], { readAt: readTime(), ...writeOf(deps) }),
  });
  return { calendarId, outcome: 'tombstoned', stats };
}
