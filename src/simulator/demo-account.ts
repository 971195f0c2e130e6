/**
 * The demo's account, which `timetap-sync demo` and `timetap-sync simulator` (without shape
 * options) serve alike: a small chain of 8 locations with 7 staff and 10 services each, every
 * staff member offering 4 of their location's services, a few staff and services at no location,
 * and a year of appointments. Two new hires offer nothing yet, so that the report has something
 * to point out.
 */
import type { SimulatorOptions } from './simulator.js';
import type { SimulatorData } from './store.js';

export const DEMO_ACCOUNT = {
  seed: 7,
  locations: 8,
  staffPerLocation: 7,
  servicesPerLocation: 10,
  servicesPerStaff: 4,
} as const satisfies SimulatorOptions;

/** The options that shape an account: given any of them, the account is not the demo's. */
export const SHAPE_OPTIONS = [
  'seed',
  'locations',
  'staff',
  'services',
  'staffPerLocation',
  'servicesPerLocation',
  'servicesPerStaff',
] as const;

/** The last staff member of the first two locations offers nothing there. */
export function hireWithoutServices(data: SimulatorData): void {
  for (const [locationId, offers] of [...data.staffServices].slice(0, 2)) {
    const newHire = [...offers.keys()].at(-1);
    if (newHire === undefined) continue;
    for (const serviceId of [...(offers.get(newHire) ?? [])]) {
      data.unlinkStaffService(locationId, newHire, serviceId);
    }
  }
}
