/**
 * What stands before the queue dashboard at /admin/queues: the admin token (browsers can only
 * prompt for basic auth, so it is accepted as the basic-auth password, any user name, as well as a
 * bearer header), a budget of failed attempts per client address (which makes wrong tokens wait,
 * never the right one), and a refusal of cross-site writes. Kept apart from the dashboard itself so that the worker loads Bull Board only once an
 * admin has opened it (dashboard.ts).
 */
import type { NextFunction, Request, Response } from 'express';
import { AUTH_REALM, parseCredentials, type TokenCheck } from './auth.js';
import { callerOf } from './caller.js';
import { isCrossSiteWrite } from './cross-site.js';
import type { RateLimiter } from './rate-limit.js';

export const DASHBOARD_PATH = '/admin/queues';

export function createDashboardGuard(tokenCheck: TokenCheck, failures: RateLimiter) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.set('Cache-Control', 'no-store');
    // First, so that a hostile page cannot burn the admin's budget of failed attempts either.
    if (isCrossSiteWrite(req)) {
      res.status(403).type('text/plain').send('cross-site requests may not change the queues\n');
      return;
    }
    const client = callerOf(req);
    if (!tokenCheck.matches(parseCredentials(req.headers.authorization))) {
      const blocked = failures.peek(client);
      if (!blocked.allowed) {
        res.set('Retry-After', String(blocked.retryAfterSeconds));
        res.status(429).type('text/plain').send('too many failed authentications; try again later\n');
        return;
      }
      // A browser's first request carries no credentials (it asks for them after this 401): only
      // a presented, wrong token counts as a failed attempt.
      if (req.headers.authorization !== undefined) failures.take(client);
      res.set('WWW-Authenticate', `Basic realm="${AUTH_REALM}"`);
      res.status(401).type('text/plain').send('authentication required: the password is ADMIN_TOKEN\n');
      return;
    }
    next();
  };
}
