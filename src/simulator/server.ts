/**
 * The HTTP side: one node:http server that logs every call, applies latency and faults, checks
 * the session token and answers from the routes. It tracks in-flight requests and open sockets
 * so that tests can assert a client's concurrency budget and that it leaks no connections.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RouteHooks } from './appointment-routes.js';
import type { TokenStore } from './auth.js';
import type { Fault, FaultSet } from './faults.js';
import { type ListSwitches, route } from './routes.js';
import type { SimulatorData } from './store.js';

export interface CallRecord {
  method: string;
  /** Pathname only: the login's query string holds secrets. */
  path: string;
  /** In memory only, never printed (it holds the login's secrets). */
  query: Record<string, string>;
  /** Status sent; 0 when no complete answer was sent (hang, stall, client gone). */
  status: number;
  startedAt: number;
  /** When the exchange ended (answer sent or connection closed); 0 while still open. */
  finishedAt: number;
  /** The call carried a valid session token, or was a successful login. */
  authorized: boolean;
}

export interface ServerDeps {
  data: SimulatorData;
  tokens: TokenStore;
  faults: FaultSet;
  latencyMs(): number;
  /** Read at each call, so that a test can flip the switches while the server runs. */
  lists(): ListSwitches;
  /** Called by the endpoints (the report's page churn). */
  hooks?: RouteHooks;
  calls(): CallRecord[];
  /** Access log; receives method, path and status only. */
  log?: (line: string) => void;
}

export interface SimulatorServer {
  server: Server;
  stats(): { logins: number; maxInFlight: number; inFlight: number; openSockets: number };
  resetCounters(): void;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const ID_FIELDS = ['locationId', 'professionalId', 'reasonId', 'clientId', 'calendarId', 'calendarid'];
const HTML_PAGE =
  '<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head>' +
  '<body><h1>We&rsquo;ll be right back</h1><p>TimeTap is undergoing maintenance.</p></body></html>';

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1]?.trim();
}

function write(res: ServerResponse, status: number, body: string, type: string, headers = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** The body with one record's id fields gone (top level only: nested objects keep theirs). */
function withoutOneId(body: unknown): unknown {
  const strip = (object: unknown) => {
    if (!object || typeof object !== 'object') return object;
    const copy: Record<string, unknown> = { ...(object as Record<string, unknown>) };
    for (const field of ID_FIELDS) delete copy[field];
    return copy;
  };
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    // A report's wrapper (whatever its property names; it has no id of its own): strip inside its array.
    const arrays = Object.entries(body).filter(([, value]) => Array.isArray(value));
    const [only] = arrays;
    const isWrapper = !ID_FIELDS.some((field) => field in body) && arrays.length === 1 && only;
    return isWrapper ? { ...body, [only[0]]: withoutOneId(only[1]) } : strip(body);
  }
  if (!Array.isArray(body)) return body;
  if (body.length === 0) return body;
  const copy = [...body];
  const middle = Math.floor(copy.length / 2);
  copy[middle] = strip(copy[middle]);
  return copy;
}

export function createSimulatorServer(deps: ServerDeps): SimulatorServer {
  // Each socket with a promise of its 'close', so that close() can wait until openSockets is 0.
  const sockets = new Map<Socket, Promise<void>>();
  let inFlight = 0;
  let maxInFlight = 0;
  let logins = 0;

  const answer = (req: IncomingMessage, path: string, query: Record<string, string>): Answer => {
    if (req.method !== 'GET')
      return { status: 404, body: { error: 'Not Found', message: 'no such endpoint' } };
    if (path === '/sessionToken') {
      const result = deps.tokens.login(query);
      if (!result.ok)
        return { status: result.status, body: { error: 'Unauthorized', message: result.message } };
      logins++;
      return { status: 200, body: { sessionToken: result.token } };
    }
    if (!deps.tokens.check(bearer(req.headers.authorization), true)) {
      return {
        status: 401,
        body: { error: 'Unauthorized', message: 'Session token missing, unknown or expired' },
      };
    }
    return route(deps.data, path, query, deps.lists(), deps.hooks);
  };

  const respond = (res: ServerResponse, fault: Fault | undefined, real: () => Answer): number => {
    switch (fault?.type) {
      case 'hang':
        return 0;
      case 'status': {
        const body = fault.body ?? JSON.stringify({ error: 'Injected fault', status: fault.status });
        const type = /^\s*[[{]/.test(body) ? 'application/json' : 'text/plain; charset=utf-8';
        write(res, fault.status, body, type, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
        return fault.status;
      }
      case 'html':
        write(res, 200, HTML_PAGE, 'text/html; charset=utf-8');
        return 200;
      case 'stall':
      case 'truncated': {
        const { status, body } = real();
        const bytes = Buffer.from(JSON.stringify(body));
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length });
        const half = bytes.subarray(0, Math.floor(bytes.length / 2));
        if (fault.type === 'stall') {
          res.write(half);
          return 0;
        }
        res.write(half, () => res.destroy());
        return status;
      }
      case 'drop-id':
      case 'revoke':
      case undefined: {
        const result = real();
        const body =
          fault?.type === 'drop-id' && result.status === 200 ? withoutOneId(result.body) : result.body;
        write(res, result.status, JSON.stringify(body), 'application/json', result.headers);
        return result.status;
      }
      default: {
        const never: never = fault;
        throw new Error(`unknown fault ${JSON.stringify(never)}`);
      }
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    req.resume(); // no endpoint reads a body; drain whatever came
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const record: CallRecord = {
      method: req.method ?? 'GET',
      path,
      query,
      status: 0,
      startedAt: Date.now(),
      finishedAt: 0,
      authorized: false,
    };
    deps.calls().push(record);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let closed = false;
    res.on('close', () => {
      closed = true;
      inFlight--;
      record.finishedAt = Date.now();
      deps.log?.(`${record.method} ${path} ${record.status || '-'}`);
    });

    const fault = deps.faults.match(path, query);
    if (fault?.type === 'revoke') deps.tokens.revokeAll();
    if (path !== '/sessionToken')
      record.authorized = deps.tokens.check(bearer(req.headers.authorization), false);

    const latency = deps.latencyMs();
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    if (closed) return; // the client gave up while we were "slow"

    record.status = respond(res, fault, () => {
      const result = answer(req, path, query);
      if (path === '/sessionToken') record.authorized = result.status === 200;
      return result;
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) write(res, 500, JSON.stringify({ error: 'Simulator error' }), 'application/json');
      else res.destroy();
      console.error('timetap simulator: internal error', error instanceof Error ? error.message : error);
    });
  });
  server.on('connection', (socket) => {
    sockets.set(
      socket,
      new Promise((resolve) =>
        socket.once('close', () => {
          sockets.delete(socket);
          resolve();
        }),
      ),
    );
  });

  return {
    server,
    stats: () => ({ logins, maxInFlight, inFlight, openSockets: sockets.size }),
    resetCounters() {
      logins = 0;
      maxInFlight = inFlight;
    },
    async close() {
      const socketsClosed = [...sockets.values()];
      const serverClosed = new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
      });
      for (const socket of sockets.keys()) socket.destroy();
      server.closeAllConnections();
      await Promise.all([serverClosed, ...socketsClosed]);
    },
  };
}
