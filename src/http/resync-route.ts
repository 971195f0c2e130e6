/**
 * `POST /resync`: asks the workers for an on-demand sync of the whole account or of one location.
 * Order matters:
 * 1. a cross-site request is refused before anything else, so that a hostile page cannot use an
 *    admin's browser (which resends basic-auth credentials by itself) to queue syncs, nor to burn
 *    the admin's budget of failed attempts;
 * 2. a wrong token from a client address with too many failed authentications waits (429), so
 *    that guessing costs time; the right token never does (behind a proxy every caller has the
 *    proxy's address: a guesser would lock the admin out; TRUST_PROXY separates them);
 * 3. requests that passed authentication draw on a budget of their own, so that a flood of
 *    unauthenticated requests can never get the admin's correct token a 429;
 * 4. the body is read only once the caller is known.
 */
import type { Request, Response } from 'express';
import { ACCOUNT_NAME } from '../accounts-file.js';
import { ConfigError, isUnconfirmed } from '../errors.js';
import type { Logger } from '../logger.js';
import { AUTH_REALM, parseCredentials, type TokenCheck } from './auth.js';
import { callerOf } from './caller.js';
import { isCrossSiteWrite } from './cross-site.js';
import type { RateLimiter } from './rate-limit.js';
import { readBody } from './read-body.js';

const MAX_RESYNC_BODY_BYTES = 1024;

export interface ResyncRequestBody {
  /** The account to sync; without it, every configured account (a location needs its account). */
  account?: string;
  locationId?: number;
}

/** One job per account asked for; `jobId` and `existing` are the first one's. */
export type EnqueueResync = (request: ResyncRequestBody) => Promise<{
  jobId: string;
  existing: boolean;
  jobs: Array<{ account: string; jobId: string; existing: boolean }>;
}>;

export interface ResyncRouteDeps {
  tokenCheck: TokenCheck;
  /** Failed authentications per client address (only requests that present a token count). */
  failures: RateLimiter;
  /** Authenticated requests, all clients together (key '*'). */
  authorized: RateLimiter;
  enqueueResync: EnqueueResync;
  logger: Logger;
}

export function createResyncRoute(deps: ResyncRouteDeps): (req: Request, res: Response) => Promise<void> {
  const { tokenCheck, failures, authorized, enqueueResync, logger } = deps;
  return async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (isCrossSiteWrite(req)) {
      res.status(403).json({ error: 'cross-site requests may not queue syncs' });
      return;
    }
    const client = callerOf(req);
    const presented = parseCredentials(req.headers.authorization);
    if (!tokenCheck.matches(presented)) {
      const blocked = failures.peek(client);
      if (!blocked.allowed) {
        res.set('Retry-After', String(blocked.retryAfterSeconds));
        res.status(429).json({ error: 'too many failed authentications from this address; try again later' });
        return;
      }
      // A request without any token guesses nothing: counting it would only let anyone lock the
      // admin's address out.
      if (req.headers.authorization !== undefined) failures.take(client);
      res.set('WWW-Authenticate', `Bearer realm="${AUTH_REALM}"`);
      res.status(401).json({ error: 'missing or wrong admin token (Authorization: Bearer <ADMIN_TOKEN>)' });
      return;
    }
    const budget = authorized.take('*');
    if (!budget.allowed) {
      res.set('Retry-After', String(budget.retryAfterSeconds));
      res.status(429).json({ error: 'too many resync requests; try again later' });
      return;
    }
    const body = await readBody(req, MAX_RESYNC_BODY_BYTES);
    if (body === undefined) {
      // The rest of the body is left unread: close the connection rather than reuse it.
      res.set('Connection', 'close');
      res.status(400).json({ error: `request body is larger than ${MAX_RESYNC_BODY_BYTES} bytes` });
      return;
    }
    const parsed = parseResyncBody(body);
    if (!parsed.ok) {
      res.status(400).json({ error: parsed.message });
      return;
    }
    try {
      const { jobId, existing, jobs } = await enqueueResync(parsed.request);
      logger.info(
        { jobId, existing, locationId: parsed.request.locationId, accounts: jobs.map((j) => j.account) },
        'resync requested over HTTP',
      );
      res.status(202).json({ jobId, existing, jobs });
    } catch (error) {
      if (error instanceof ConfigError) {
        // An unknown account, or a location without its account: the request's fault.
        res.status(400).json({ error: error.message });
        return;
      }
      logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'could not enqueue resync',
      );
      res.set('Retry-After', '10');
      if (isUnconfirmed(error)) {
        // Sent to a Redis that did not answer: the sync may still be queued, and run, once it does.
        res.status(503).json({
          error:
            'Redis did not confirm the resync in time: it was sent but not confirmed, and may still ' +
            'run once Redis answers; asking again is safe (a pending resync is not queued twice)',
          confirmed: false,
        });
        return;
      }
      res.status(503).json({ error: 'could not enqueue the resync: Redis is unreachable; try again later' });
    }
  };
}

/**
 * Accepts an empty body, `{}`, or `{"locationId": <positive safe integer>}`; anything else is
 * refused with a message that says what is accepted, rather than silently running a full sync.
 */
export function parseResyncBody(
  text: string,
): { ok: true; request: ResyncRequestBody } | { ok: false; message: string } {
  const accepted = 'send no body, {}, {"account": "<name>"} or {"locationId": <positive integer>}, or both';
  if (text.trim() === '') return { ok: true, request: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: `request body is not valid JSON; ${accepted}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: `request body must be a JSON object; ${accepted}` };
  }
  const unknown = Object.keys(value).filter((key) => key !== 'locationId' && key !== 'account');
  if (unknown.length > 0) {
    const names = unknown.map((key) => JSON.stringify(key.slice(0, 40))).join(', ');
    return { ok: false, message: `unknown field(s) ${names}; ${accepted}` };
  }
  const request: ResyncRequestBody = {};
  if ('account' in value) {
    const { account } = value;
    if (typeof account !== 'string' || !ACCOUNT_NAME.test(account)) {
      return { ok: false, message: 'account must be an account name ([a-z0-9-]{1,40})' };
    }
    request.account = account;
  }
  if (!('locationId' in value)) return { ok: true, request };
  const { locationId } = value;
  if (typeof locationId !== 'number' || !Number.isSafeInteger(locationId) || locationId <= 0) {
    return { ok: false, message: 'locationId must be a positive integer' };
  }
  return { ok: true, request: { ...request, locationId } };
}
