/**
 * The demo account: a small chain of 8 locations with 7 staff and 10 services each, every staff
 * member offering 4 of their location's services, plus a few staff and services at no location.
 * Two new hires offer nothing yet, so that the report has something to point out.
 */
import { type Simulator, startSimulator } from '../simulator/index.js';

export async function startDemoSimulator(): Promise<Simulator> {
  const simulator = await startSimulator({
    seed: 7,
    locations: 8,
    staffPerLocation: 7,
    servicesPerLocation: 10,
    servicesPerStaff: 4,
  });
  for (const [locationId, offers] of [...simulator.data.staffServices].slice(0, 2)) {
    const newHire = [...offers.keys()].at(-1);
    if (newHire === undefined) continue;
    for (const serviceId of [...(offers.get(newHire) ?? [])]) {
      simulator.data.unlinkStaffService(locationId, newHire, serviceId);
    }
  }
  return simulator;
}
