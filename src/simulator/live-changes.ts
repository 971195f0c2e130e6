/**
 * Live changes: an account that changes by itself on a clock, so that a webhook receiver (or a
 * worker) run against the standalone simulator sees what a live account sends. Every `everyMs`,
 * one mutation, cycling over one appointment at a time: book it, move it a day later, cancel it,
 * delete it; then book the next. Each step is one webhook, of each kind TimeTap posts.
 */
import { formatDay, parseDay } from './dates.js';
import type { SimulatorData } from './store.js';

export interface LiveChanges {
  /** Starts (or restarts) the clock; undefined stops it. */
  set(everyMs: number | undefined): void;
  stop(): void;
}

export function checkLiveChangesMs(everyMs: number | undefined): number | undefined {
  if (everyMs !== undefined && (!Number.isSafeInteger(everyMs) || everyMs < 1))
    throw new RangeError('simulator: liveChangesEveryMs must be an integer >= 1 or undefined');
  return everyMs;
}

export function createLiveChanges(data: SimulatorData): LiveChanges {
  let timer: NodeJS.Timeout | undefined;
  let current: number | undefined;
  let step = 0;

  const change = () => {
    const appointment = current === undefined ? undefined : data.appointments.get(current);
    // Someone else deleted it meanwhile (a test, the page churn): start over with a booking.
    if (current === undefined || !appointment) {
      current = data.bookAppointment();
      step = 1;
      return;
    }
    const id = current;
    switch (step) {
      case 1:
        data.rescheduleAppointment(id, formatDay((parseDay(appointment.startDate) ?? 0) + 1));
        break;
      case 2:
        data.cancelAppointment(id);
        break;
      default:
        data.deleteAppointment(id);
        current = undefined;
    }
    step++;
  };

  const stop = () => {
    clearInterval(timer);
    timer = undefined;
  };
  return {
    set(everyMs) {
      stop();
      if (checkLiveChangesMs(everyMs) === undefined) return;
      timer = setInterval(() => {
        try {
          change();
        } catch {
          // An account where nothing can be booked (no linked staff): try again at the next tick.
          current = undefined;
        }
      }, everyMs);
      // The server keeps a standalone simulator alive; the clock alone must not keep a test's.
      timer.unref();
    },
    stop,
  };
}
