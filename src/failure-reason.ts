/**
 * A dependency's failure in a few fixed words ("connection refused", "authentication failed"),
 * for answers that leave the process without authentication (/readyz) and for one-line command
 * errors. Error texts are never quoted: drivers put hosts, user names, SQL and sometimes URLs in
 * them. The full text belongs in a log line, which the redactor scrubs.
 */

export type FailureReason =
  | 'connection refused'
  | 'host not found'
  | 'host unreachable'
  | 'connection reset'
  | 'connection closed'
  | 'timed out'
  | 'authentication failed'
  | 'database does not exist'
  | 'schema not migrated'
  | 'too many connections'
  | 'tls error'
  | 'error';

const BY_CODE: Record<string, FailureReason> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'host unreachable',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'timed out',
  // Postgres SQLSTATEs
  '28P01': 'authentication failed',
  '28000': 'authentication failed',
  '3D000': 'database does not exist',
  '42P01': 'schema not migrated',
  '53300': 'too many connections',
};

/** Prisma's driver adapter names the failure's kind (meta.driverAdapterError.cause.kind). */
const BY_PRISMA_KIND: Record<string, FailureReason> = {
  DatabaseNotReachable: 'connection refused',
  DatabaseDoesNotExist: 'database does not exist',
  AuthenticationFailed: 'authentication failed',
  DatabaseAccessDenied: 'authentication failed',
  ConnectionClosed: 'connection closed',
  SocketTimeout: 'timed out',
  TooManyConnections: 'too many connections',
  TlsConnectionError: 'tls error',
  TableDoesNotExist: 'schema not migrated',
};

const BY_MESSAGE: Array<[RegExp, FailureReason]> = [
  [
    /WRONGPASS|NOAUTH|invalid password|invalid username-password|password authentication failed/i,
    'authentication failed',
  ],
  [/ECONNREFUSED|can't reach database server/i, 'connection refused'],
  [/ENOTFOUND|EAI_AGAIN/, 'host not found'],
  [/timed? ?out|ETIMEDOUT/i, 'timed out'],
  [/ECONNRESET|EPIPE/, 'connection reset'],
  [/connection is closed|stream isn't writeable|connection terminated/i, 'connection closed'],
  [/does not exist in the current database|relation .* does not exist/i, 'schema not migrated'],
];

export function failureReason(error: unknown): FailureReason {
  for (const candidate of causes(error)) {
    const code = (candidate as { code?: unknown }).code;
    if (typeof code === 'string' && BY_CODE[code]) return BY_CODE[code];
    const kind = prismaKind(candidate);
    if (kind && BY_PRISMA_KIND[kind]) return BY_PRISMA_KIND[kind];
  }
  for (const candidate of causes(error)) {
    const message = candidate instanceof Error ? candidate.message : String(candidate);
    for (const [pattern, reason] of BY_MESSAGE) if (pattern.test(message)) return reason;
  }
  return 'error';
}

/** The error, its causes and the members of an AggregateError (a refused dual-stack connect). */
export function* causes(error: unknown, depth = 0): Generator<unknown> {
  if (error === undefined || error === null || depth > 5) return;
  yield error;
  if (typeof error !== 'object') return;
  if (error instanceof AggregateError) for (const inner of error.errors) yield* causes(inner, depth + 1);
  yield* causes((error as { cause?: unknown }).cause, depth + 1);
}

function prismaKind(error: unknown): string | undefined {
  const meta = (error as { meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } }).meta;
  const kind = meta?.driverAdapterError?.cause?.kind;
  return typeof kind === 'string' ? kind : undefined;
}
