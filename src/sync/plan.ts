/**
 * The plan of a run: which steps it is made of, decided here and nowhere else. `timetap-sync sync`
 * runs a plan in its process (run-sync.ts); the worker runs the same plan as jobs (src/queue/).
 *
 *   account    the account-wide lists; first, since the location steps need its location ids
 *   clients    the account's clients                                    } between the two, every
 *   location   one location's lists and links, one step per location    } step may run at once,
 *   chunk      one range of dates of appointments, one step per chunk   } in any order, anywhere
 *   finish     account-wide tombstones (full runs, on complete evidence), then the run's row
 *
 * A full run is account, then clients, every chunk of the rolling window and every location, then
 * finish; a location sync is that location's step, then finish; a backfill is the chunks of its
 * range not read before, then finish. Whatever runs them
 * takes the steps in between a few at a time, in their order: the clients first (their pages come
 * one after another, the longest chain of requests), then chunks and locations in turn, since a
 * chunk's pages come two at a time while a location's lists are read many at once: side by side,
 * the locations fill what the chunks leave of the request budget, from the start of the run to its
 * end. Nothing waits for another step unless it needs its result.
 */
import { type DateRange, dateChunks, today } from '../dates.js';
import { appointmentWindow } from './appointment-window.js';

/** A step between the account step and the finish. */
export type Step =
  | { kind: 'clients' }
  | { kind: 'location'; locationId: number }
  | { kind: 'chunk'; range: DateRange };

export type StepKind = Step['kind'];

/** What a plan is for: a full sync, a sync of one location, or a backfill of appointment history. */
export type PlanScope = 'full' | 'location' | 'backfill';

export interface WindowSettings {
  appointments: { pastDays: number; futureDays: number; chunkDays: number };
}

/** The steps of a full run between its account step and its finish: clients, then chunks and locations in turn. */
export function fullRunSteps(locationIds: readonly number[], chunks: readonly DateRange[]): Step[] {
  const steps: Step[] = [{ kind: 'clients' }];
  for (let i = 0; i < Math.max(chunks.length, locationIds.length); i++) {
    const range = chunks[i];
    const locationId = locationIds[i];
    if (range !== undefined) steps.push({ kind: 'chunk', range });
    if (locationId !== undefined) steps.push({ kind: 'location', locationId });
  }
  return steps;
}

/** The steps of a location sync (after its own object, read to begin the run): its walk. */
export function locationRunSteps(locationId: number): Step[] {
  return [{ kind: 'location', locationId }];
}

/** The steps of a backfill: its chunks (those an earlier backfill read completely left out). */
export function backfillSteps(chunks: readonly DateRange[]): Step[] {
  return chunks.map((range) => ({ kind: 'chunk', range }));
}

/** The rolling window as of `day` (a resumed run passes the day it started). */
export function windowRange(settings: WindowSettings, day = today()): DateRange {
  const { pastDays, futureDays } = settings.appointments;
  return appointmentWindow(day, pastDays, futureDays);
}

/** The chunks of the rolling window as of `day`. */
export function windowChunks(settings: WindowSettings, day = today()): DateRange[] {
  return dateChunks(windowRange(settings, day), settings.appointments.chunkDays);
}

/** How a step is named in reasons, progress and logs. */
export function stepLabel(step: Step): string {
  return stepNames(step).label;
}

/** A step's name within its run, stable across attempts (the queue makes job ids of it). */
export function stepKey(step: Step): string {
  return stepNames(step).key;
}

function stepNames(step: Step): { label: string; key: string } {
  switch (step.kind) {
    case 'clients':
      return { label: 'clients', key: 'clients' };
    case 'location':
      return { label: `location ${step.locationId}`, key: `location${step.locationId}` };
    case 'chunk':
      return {
        label: `appointments from ${step.range.startDate}`,
        key: `appointments${step.range.startDate}`,
      };
    default: {
      const never: never = step;
      throw new Error(`unknown step ${JSON.stringify(never)}`);
    }
  }
}
