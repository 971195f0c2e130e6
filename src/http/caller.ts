/**
 * The address a request came from, as the limiters count it: Express's `req.ip`, which is the
 * socket's address unless TRUST_PROXY says how many proxies' X-Forwarded-For to believe
 * (server.ts). Behind a proxy that is not trusted every caller has the proxy's address.
 */
import type { Request } from 'express';

export function callerOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
