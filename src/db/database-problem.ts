/**
 * What a person needs when Postgres cannot be used: one line that names the database and the
 * server (never the password) and says what to do. The drivers say too little (`ECONNREFUSED`)
 * or too much (Prisma's multi-line invocation excerpts with source lines), and both are read
 * here: node-postgres errors (`code` is a Node or SQLSTATE code), Prisma errors (a `P1xxx` code,
 * or the driver adapter's `kind` in `meta`), and the AggregateError that a host with several
 * addresses (localhost: ::1 and 127.0.0.1) produces.
 */
import { mayComeFrom } from '../error-origin.js';
import { type ErrorOrigin, SyncError } from '../errors.js';

/** Why Postgres could not be used. */
export type DatabaseProblemKind = 'unreachable' | 'missing-database' | 'access-denied' | 'missing-schema';

/** Postgres is down, unknown, refuses us, or lacks the database or its schema. */
export class DatabaseProblem extends SyncError {
  override readonly origin: ErrorOrigin | undefined = 'postgres';
  readonly kind: DatabaseProblemKind;
  constructor(kind: DatabaseProblemKind, message: string, cause?: unknown) {
    // Only a server that is down or still starting can get better by itself.
    super(message, { retryable: kind === 'unreachable', cause });
    this.kind = kind;
  }
}

/** Which command met the problem: the advice differs (migrate can create the database). */
export type DatabaseUse = 'migrate' | 'command';

/** The parts of a DATABASE_URL that may be shown: never the password. */
export interface DatabaseTarget {
  database: string;
  host: string;
  port: string;
  user: string | undefined;
}

export function databaseTarget(url: string): DatabaseTarget {
  try {
    const u = new URL(url);
    const user = u.username ? decodeURIComponent(u.username) : undefined;
    // `?host=/run/postgresql` is how a URL names a Unix socket.
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || user || 'postgres';
    return { database, host, port: u.port || u.searchParams.get('port') || '5432', user };
  } catch {
    return { database: '(unknown)', host: 'the configured server', port: '', user: undefined };
  }
}

/** `"timetap" on 127.0.0.1:5432` */
export function describeTarget(target: DatabaseTarget): string {
  return `"${target.database}" on ${serverOf(target)}`;
}

function serverOf(target: DatabaseTarget): string {
  return target.port ? `${target.host}:${target.port}` : target.host;
}

/** The `createdb` line that creates the database on that server, as that user. */
function createdbCommand(target: DatabaseTarget): string {
  const options = [`-h ${target.host}`, `-p ${target.port}`];
  if (target.user) options.push(`-U ${target.user}`);
  return `createdb ${options.join(' ')} ${quoteShell(target.database)}`;
}

function quoteShell(word: string): string {
  return /^[\w.-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

interface Facts {
  kind: DatabaseProblemKind | undefined;
  /** A short reason: "connection refused", the server's own sentence. */
  reason: string | undefined;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
};

/** Reads what kind of problem `error` is, looking through causes and aggregates. */
function factsOf(error: unknown, depth = 0): Facts {
  if (typeof error !== 'object' || error === null || depth > 5) return { kind: undefined, reason: undefined };
  const e = error as {
    code?: unknown;
    message?: unknown;
    errors?: unknown;
    cause?: unknown;
    meta?: {
      driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown; originalMessage?: unknown } };
    };
  };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : '';

  const adapter = e.meta?.driverAdapterError?.cause;
  if (adapter && typeof adapter.kind === 'string') {
    const original = typeof adapter.originalMessage === 'string' ? adapter.originalMessage : undefined;
    switch (adapter.kind) {
      case 'DatabaseNotReachable':
        return { kind: 'unreachable', reason: 'cannot connect' };
      case 'DatabaseDoesNotExist':
        return { kind: 'missing-database', reason: original };
      case 'DatabaseAccessDenied':
      case 'AuthenticationFailed':
        return { kind: 'access-denied', reason: original };
      case 'TableDoesNotExist':
        return { kind: 'missing-schema', reason: original };
      default:
        break;
    }
  }
  if (code !== undefined) {
    const network = NETWORK_REASONS[code];
    if (network) return { kind: 'unreachable', reason: network };
    switch (code) {
      case 'P1001':
      case 'P1002':
      case '57P03': // the database system is starting up / shutting down
        return { kind: 'unreachable', reason: firstLine(message) };
      case 'P1003':
      case '3D000':
        return { kind: 'missing-database', reason: firstLine(message) };
      case 'P1000':
      case 'P1010':
      case '28P01':
      case '28000':
        return { kind: 'access-denied', reason: firstLine(message) };
      case 'P2021':
      case '42P01':
        return { kind: 'missing-schema', reason: firstLine(message) };
      default:
        break;
    }
  }
  // node-postgres's own connect timeout and a server that hung up have no code.
  if (/timeout expired|connection timeout|Connection terminated unexpectedly/i.test(message)) {
    return { kind: 'unreachable', reason: 'no answer within the connect timeout' };
  }
  for (const inner of [...(Array.isArray(e.errors) ? e.errors : []), e.cause]) {
    const facts = factsOf(inner, depth + 1);
    if (facts.kind) return facts;
  }
  return { kind: undefined, reason: undefined };
}

function firstLine(message: string): string | undefined {
  const line = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .at(-1);
  return line === undefined ? undefined : line.replace(/^Raw query failed\. Code: `[^`]*`\. Message: /, '');
}

/**
 * The one-line problem behind `error`, when it is one of Postgres's availability problems;
 * undefined for anything else (a bug, a constraint violation), which keeps its own message, and
 * for an error of another service (a TimeTap request refused at the TCP level has the same codes).
 */
export function explainDatabaseError(
  error: unknown,
  url: string,
  use: DatabaseUse = 'command',
): DatabaseProblem | undefined {
  if (error instanceof DatabaseProblem) return error;
  if (!mayComeFrom(error, 'postgres')) return undefined;
  const { kind, reason } = factsOf(error);
  if (kind === undefined) return undefined;
  return databaseProblem(kind, databaseTarget(url), use, reason, error);
}

export function databaseProblem(
  kind: DatabaseProblemKind,
  target: DatabaseTarget,
  use: DatabaseUse,
  reason?: string,
  cause?: unknown,
): DatabaseProblem {
  const where = describeTarget(target);
  const because = reason ? ` (${reason})` : '';
  switch (kind) {
    case 'unreachable':
      return new DatabaseProblem(
        kind,
        `cannot reach Postgres at ${serverOf(target)} for the database "${target.database}"${because}: ` +
          'start Postgres, or point DATABASE_URL at the right server',
        cause,
      );
    case 'missing-database':
      return new DatabaseProblem(
        kind,
        use === 'migrate'
          ? `the database ${where} does not exist: create it with \`${createdbCommand(target)}\`, ` +
              'or run `timetap-sync migrate --create-database`'
          : `the database ${where} does not exist: create it and its schema with ` +
              `\`timetap-sync migrate --create-database\` (or \`${createdbCommand(target)}\`, then \`timetap-sync migrate\`)`,
        cause,
      );
    case 'access-denied':
      return new DatabaseProblem(
        kind,
        `Postgres at ${serverOf(target)} refused ${target.user ? `the user "${target.user}"` : 'the login'} ` +
          `for the database "${target.database}"${because}: check the user and password in DATABASE_URL`,
        cause,
      );
    case 'missing-schema':
      return new DatabaseProblem(
        kind,
        `the database ${where} has no timetap-sync schema (or an old one)${because}: run \`timetap-sync migrate\` first`,
        cause,
      );
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown database problem ${String(unreachable)}`);
    }
  }
}
