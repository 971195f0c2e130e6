/**
 * Which location, staff member and service a new booking uses: a triple that is linked in the
 * data (the staff member works at the location and offers the service there), consistent with
 * whatever of the three the caller named. Random but seeded, and O(locations) at worst.
 */
import type { GeneratedData } from './data.js';
import type { Random } from './random.js';

export interface Wanted {
  locationId?: number | undefined;
  staffId?: number | undefined;
  reasonId?: number | undefined;
}

export interface Triple {
  locationId: number;
  staffId: number;
  reasonId: number;
}

const ascending = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);

export function pickTriple(
  links: Pick<GeneratedData, 'locations' | 'locationStaff' | 'staffServices'>,
  rng: Random,
  wanted: Wanted,
): Triple {
  const locationIds =
    wanted.locationId === undefined ? ascending(links.locations.keys()) : [wanted.locationId];
  // Start at a random location and take the first that can serve, so that bookings spread out.
  const start = locationIds.length > 0 ? rng.int(0, locationIds.length - 1) : 0;
  for (let k = 0; k < locationIds.length; k++) {
    const locationId = locationIds[(start + k) % locationIds.length] as number;
    const offers = links.staffServices.get(locationId);
    const here = links.locationStaff.get(locationId);
    if (!offers || !here) continue;
    const choices: Triple[] = [];
    const staffIds = wanted.staffId === undefined ? ascending(offers.keys()) : [wanted.staffId];
    for (const staffId of staffIds) {
      if (!here.has(staffId)) continue;
      for (const reasonId of ascending(offers.get(staffId) ?? [])) {
        if (wanted.reasonId === undefined || reasonId === wanted.reasonId)
          choices.push({ locationId, staffId, reasonId });
      }
    }
    if (choices.length > 0) return rng.pick(choices);
  }
  const { locationId, staffId, reasonId } = wanted;
  // All three named but not linked: the caller asked for exactly that (an inconsistent record).
  if (locationId !== undefined && staffId !== undefined && reasonId !== undefined) {
    return { locationId, staffId, reasonId };
  }
  throw new Error(`simulator: no linked location, staff member and service match ${JSON.stringify(wanted)}`);
}
