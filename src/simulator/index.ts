export { expectedSignature } from './auth.js';
export { type DataShape, resolveShape, type ShapeOptions } from './data.js';
export type { Fault, FaultRule } from './faults.js';
export type { Kind, RawObject } from './objects.js';
export type { CallRecord } from './server.js';
export {
  type EmptyListStatus,
  type ListPaging,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from './simulator.js';
export { createSimulatorData, type LinkKind, type SimulatorData, type SimulatorSnapshot } from './store.js';
