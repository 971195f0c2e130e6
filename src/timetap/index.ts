/** The TimeTap API client's public surface; other modules import from here only (the records it parses: src/records.ts). */

export {
  createTimeTapApi,
  isLargePageFailure,
  type ListResult,
  MAX_REPORT_DAYS,
  type ReportPage,
  type ReportQuery,
  type SkippedRecord,
  type TimeTapApi,
  type TimeTapApiDeps,
} from './api.js';
export { type ChunkOptions, type ChunkRead, readAppointmentChunk } from './appointment-chunk.js';
export { appointmentKind } from './appointment-kind.js';
export { isCalendarDate } from './appointment-schemas.js';
export { runCheck } from './check.js';
export { createLocalLimiter, type RequestLimiter } from './limiter.js';
export { createTimeTapProbe, type Exchange, type TimeTapProbe } from './probe.js';
export { readCountBody, readReportBody, UnreadableReportError } from './report-body.js';
export {
  createProcessReportMemory,
  REPORT_ENDPOINTS,
  type ReportEndpoint,
  type ReportMemory,
} from './report-endpoint.js';
export { classifyResponse, isTransientStatus, parseRetryAfter, type ResponseClass } from './retry-policy.js';
export type { BackoffOptions } from './retrying.js';
export { createMemorySessionStore, type SessionStore } from './session.js';
export { createSessionGuard, type SessionGuard } from './session-guard.js';
export { computeSignature } from './signature.js';
export type { ApiStats } from './stats.js';
export { isTimeZoneName, locationTimeZone } from './time-zone.js';
