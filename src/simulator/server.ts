/**
 * The HTTP side: one node:http server that records every call (call-log.ts), applies latency and
 * faults (send-answer.ts), checks the session token and answers from the routes. It tracks open
 * sockets so that tests can assert that a client leaks no connections, and so that close() can
 * end them all.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gatewayPage } from './answers.js';
import type { RouteHooks } from './appointment-routes.js';
import type { TokenStore } from './auth.js';
import { type CallRecord, createCallLog } from './call-log.js';
import type { Fault, FaultSet } from './faults.js';
import type { HiddenRateLimit } from './hidden-limit.js';
import { type ListSwitches, route } from './routes.js';
import { type Answer, sendAnswer, writeBody } from './send-answer.js';
import type { SimulatorData } from './store.js';

// The simulator's callers know the record from here.
export type { CallRecord } from './call-log.js';

export interface ServerDeps {
  data: SimulatorData;
  tokens: TokenStore;
  faults: FaultSet;
  /** Checked before anything else: a refused request never reaches the service. */
  hiddenLimit: HiddenRateLimit;
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
  stats(): SimulatorStats;
  resetCounters(): void;
  close(): Promise<void>;
}

export interface SimulatorStats {
  logins: number;
  maxInFlight: number;
  inFlight: number;
  openSockets: number;
  /** Requests refused with 429 by the hidden rate limit. */
  rateLimited: number;
}

const LOGIN = '/sessionToken';

export function createSimulatorServer(deps: ServerDeps): SimulatorServer {
  const callLog = createCallLog({ calls: () => deps.calls(), log: deps.log });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    req.resume(); // no endpoint reads a body; drain whatever came
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const record = callLog.open({ method: req.method ?? 'GET', path, query }, res);

    const { retryAfter } = deps.lists().variants;
    const fault = withoutRetryAfter(
      hiddenLimitFault(deps.hiddenLimit.take(Date.now()), retryAfter) ?? deps.faults.match(path, query),
      !retryAfter,
    );
    if (fault?.type === 'revoke') deps.tokens.revokeAll();
    if (path !== LOGIN) record.authorized = deps.tokens.check(bearer(req.headers.authorization), false);

    const latency = deps.latencyMs();
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    // The exchange already ended (the call log stamps it on 'close'): the client gave up while we
    // were "slow".
    if (record.finishedAt !== 0) return;

    record.status = sendAnswer(res, fault, () => {
      const result = answer(deps, req, path, query);
      if (path === LOGIN && result.status === 200) {
        record.authorized = true;
        callLog.countLogin();
      }
      return result;
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        writeBody(res, 500, JSON.stringify({ error: 'Simulator error' }), 'application/json');
      else res.destroy();
      console.error('timetap simulator: internal error', error instanceof Error ? error.message : error);
    });
  });
  const sockets = trackSockets(server);

  return {
    server,
    stats: () => ({
      ...callLog.counters(),
      openSockets: sockets.count(),
      rateLimited: deps.hiddenLimit.refused(),
    }),
    resetCounters() {
      callLog.reset();
      deps.hiddenLimit.resetCount();
    },
    async close() {
      const serverClosed = new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
      });
      const socketsClosed = sockets.destroyAll();
      server.closeAllConnections();
      await Promise.all([serverClosed, socketsClosed]);
    },
  };
}

/** What TimeTap would answer: the login, a 401 without a valid session token, else the routes. */
function answer(deps: ServerDeps, req: IncomingMessage, path: string, query: Record<string, string>): Answer {
  if (req.method !== 'GET') return { status: 404, body: { error: 'Not Found', message: 'no such endpoint' } };
  // The html-401 variant: every 401 is the gateway's HTML page, the login's included.
  const unauthorized = (status: number, message: string): Answer =>
    status === 401 && deps.lists().variants.html401
      ? gatewayPage(401, 'Unauthorized')
      : { status, body: { error: 'Unauthorized', message } };
  if (path === LOGIN) {
    const result = deps.tokens.login(query);
    if (!result.ok) return unauthorized(result.status, result.message);
    return { status: 200, body: { sessionToken: result.token } };
  }
  if (!deps.tokens.check(bearer(req.headers.authorization), true)) {
    return unauthorized(401, 'Session token missing, unknown or expired');
  }
  return route(deps.data, path, query, deps.lists(), deps.hooks);
}

/** The hidden limit's refusal, answered like an injected 429 (see send-answer.ts); Retry-After unless switched off. */
function hiddenLimitFault(retryAfterSeconds: number | undefined, withHeader: boolean): Fault | undefined {
  if (retryAfterSeconds === undefined) return undefined;
  const body = JSON.stringify({ error: 'Too Many Requests', message: 'Rate limit exceeded' });
  return withHeader
    ? { type: 'status', status: 429, retryAfter: String(retryAfterSeconds), body }
    : { type: 'status', status: 429, body };
}

/** Under the retry-after variant (off), no 429 carries Retry-After, an injected one included. */
function withoutRetryAfter(fault: Fault | undefined, strip: boolean): Fault | undefined {
  if (!strip || fault?.type !== 'status' || fault.retryAfter === undefined) return fault;
  const { retryAfter: _dropped, ...rest } = fault;
  return rest;
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1]?.trim();
}

/** Each open socket with a promise of its 'close', so that close() can wait until none is left. */
function trackSockets(server: Server): { count(): number; destroyAll(): Promise<void> } {
  const sockets = new Map<Socket, Promise<void>>();
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
    count: () => sockets.size,
    async destroyAll() {
      const closed = [...sockets.values()];
      for (const socket of sockets.keys()) socket.destroy();
      await Promise.all(closed);
    },
  };
}
