/**
 * Which service an error came from: a TimeTap request, Postgres or Redis. A command's one-line
 * explanation names that service (cli.ts), so it must not be guessed from a network code: a
 * TimeTap login refused at the TCP level carries `ECONNREFUSED` in its cause chain exactly as a
 * stopped Postgres does, and an operator told "cannot reach Postgres" restarts a healthy
 * database. The outermost error that knows its origin decides: the code inside it is only the
 * reason.
 */
import { type ErrorOrigin, SyncError } from './errors.js';
import { causes } from './failure-reason.js';

export type { ErrorOrigin } from './errors.js';

/** The origin the error (or the first of its causes that knows one) declares; undefined if none does. */
export function errorOrigin(error: unknown): ErrorOrigin | undefined {
  for (const candidate of causes(error)) {
    if (candidate instanceof SyncError && candidate.origin !== undefined) return candidate.origin;
    if (isPrismaError(candidate)) return 'postgres';
  }
  return undefined;
}

/** True when the error may be `origin`'s: it declares that origin, or none at all. */
export function mayComeFrom(error: unknown, origin: ErrorOrigin): boolean {
  const declared = errorOrigin(error);
  return declared === undefined || declared === origin;
}

/** Prisma's errors (PrismaClientKnownRequestError and its siblings, the driver adapter's). */
function isPrismaError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /^PrismaClient\w*Error$|^DriverAdapterError$/.test(error.name);
}
