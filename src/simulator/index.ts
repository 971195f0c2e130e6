export type { AppointmentFilter } from './appointment-index.js';
export { APPOINTMENT_STATUSES, type Appointment, type AppointmentStatus } from './appointment-objects.js';
export type {
  AppointmentChange,
  AppointmentData,
  AppointmentHooks,
  ClientData,
} from './appointment-store.js';
export { expectedSignature } from './auth.js';
export type { CustomField } from './clients.js';
export {
  type AppointmentOptions,
  type AppointmentRange,
  type DataShape,
  resolveShape,
  type ShapeOptions,
} from './data.js';
export type { Fault, FaultRule } from './faults.js';
export type { Kind, RawObject } from './objects.js';
export type { CallRecord, SimulatorStats } from './server.js';
export {
  type ChurnEvent,
  type EmptyListStatus,
  type ListPaging,
  type PageChurn,
  type ReportPaging,
  type ReportWrapper,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
  type Variants,
  type WebhookDelivery,
  type WebhookFormat,
  type WebhookTarget,
} from './simulator.js';
export { createSimulatorData, type LinkKind, type SimulatorData, type SimulatorSnapshot } from './store.js';
export { type WebhookBodyFormat, webhookBody } from './webhook-body.js';
