/**
 * `POST /webhooks/timetap/<secret>`: TimeTap's webhook, a hint that an appointment changed.
 * TimeTap signs nothing, so the URL holds a secret, compared in constant time. Each account has
 * its own (WEBHOOK_SECRET for `default`, `webhookSecret` in TIMETAP_ACCOUNTS_FILE), and the
 * secret names the account whose appointment it is: TimeTap's payload does not say. A wrong
 * one answers 401 before the body is read (and is never logged), and an address that keeps
 * guessing waits (429) for its next guesses. The right secret is never refused by that lockout:
 * behind a proxy every caller has the proxy's address, and TimeTap does not retry, so a guesser
 * would otherwise lose the real events (TRUST_PROXY gives the limiters each caller's own address).
 * Then, per source address, a rate limit; a content type that can hold the appointment; a body
 * size limit; an appointment id (webhook/payload.ts). The answer is 2xx only once the event is in
 * the queue: with Redis down it is 503 at once, so that the sender may try again, and nothing was
 * acknowledged that could be lost.
 */
import type { Request, Response } from 'express';
import { isUnconfirmed } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics, WebhookRejection } from '../metrics.js';
import { appointmentHintOf } from '../webhook/payload.js';
import { createTokenLookup } from './auth.js';
import { callerOf } from './caller.js';
import type { RateLimiter } from './rate-limit.js';
import { readBody } from './read-body.js';

export const WEBHOOK_PATH = '/webhooks/timetap';
const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

/** What can carry the appointment; a multipart upload, an image or XML cannot (415). */
const ACCEPTED_TYPES =
  /^(|application\/json|application\/[\w.+-]+\+json|text\/json|text\/plain|application\/x-www-form-urlencoded)$/;

export type EnqueueAppointmentEvent = (event: {
  account: string;
  calendarId: number;
  receivedAt: number;
}) => Promise<{ jobId: string; coalesced: boolean }>;

/** An account that takes webhooks, and the path segment of its webhook URL. */
export interface WebhookSecret {
  account: string;
  secret: string;
}

export interface WebhookRouteDeps {
  /** At least one; no two alike (the accounts file refuses that). */
  secrets: readonly WebhookSecret[];
  /** Every call with the right secret, per source address. */
  perSource: RateLimiter;
  /** Calls with a wrong secret, per source address; past it, that address waits. */
  failures: RateLimiter;
  enqueue: EnqueueAppointmentEvent;
  /** Records the last event for `status`; best effort. */
  record?: (event: { at: string; account?: string; calendarId?: number; outcome: string }) => Promise<void>;
  metrics?: Pick<Metrics, 'webhookEvents' | 'webhookRejections'>;
  logger: Logger;
}

export function createWebhookRoute(deps: WebhookRouteDeps): (req: Request, res: Response) => Promise<void> {
  const { perSource, failures, enqueue, metrics, logger } = deps;
  const secrets = createTokenLookup(deps.secrets.map(({ account, secret }) => [account, secret] as const));
  const record = (outcome: string, account?: string, calendarId?: number) => {
    deps
      .record?.({
        at: new Date().toISOString(),
        outcome,
        ...(account === undefined ? {} : { account }),
        ...(calendarId === undefined ? {} : { calendarId }),
      })
      .catch(() => undefined);
  };
  const refuse = (
    account: string | undefined,
    res: Response,
    status: number,
    reason: WebhookRejection,
    error: string,
    retryAfter?: number,
    extra: Record<string, unknown> = {},
  ) => {
    metrics?.webhookRejections.inc({ reason });
    if (reason !== 'secret' && reason !== 'locked-out') {
      metrics?.webhookEvents.inc({ outcome: 'rejected' });
      record(`rejected: ${reason}`, account);
    }
    if (retryAfter !== undefined) res.set('Retry-After', String(retryAfter));
    res.status(status).json({ error, ...extra });
  };

  return async (req, res) => {
    const receivedAt = Date.now();
    res.set('Cache-Control', 'no-store');
    const source = callerOf(req);
    const account = secrets.find(String(req.params.secret ?? ''));
    if (account === undefined) {
      const locked = failures.peek(source);
      if (!locked.allowed) {
        res.set('Connection', 'close'); // its body is left unread
        refuse(
          undefined,
          res,
          429,
          'locked-out',
          'too many calls with a wrong URL from this address',
          locked.retryAfterSeconds,
        );
        return;
      }
      failures.take(source);
      logger.warn({ source }, 'webhook call with a wrong secret refused');
      res.set('Connection', 'close'); // its body is left unread
      refuse(undefined, res, 401, 'secret', 'unknown webhook URL');
      return;
    }
    metrics?.webhookEvents.inc({ outcome: 'received' });
    const budget = perSource.take(source);
    if (!budget.allowed) {
      refuse(account, res, 429, 'rate', 'too many webhook calls from this address', budget.retryAfterSeconds);
      return;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!ACCEPTED_TYPES.test(type)) {
      res.set('Connection', 'close');
      refuse(account, res, 415, 'content-type', 'send the appointment as JSON (application/json)');
      return;
    }
    const body = await readBody(req, MAX_WEBHOOK_BODY_BYTES);
    if (body === undefined) {
      res.set('Connection', 'close');
      refuse(account, res, 413, 'size', `body larger than ${MAX_WEBHOOK_BODY_BYTES} bytes`);
      return;
    }
    const hint = appointmentHintOf(body);
    if (!hint.ok) {
      // The body may hold a client's name and e-mail: only its size and type are logged.
      logger.warn(
        { account, reason: hint.reason, bytes: Buffer.byteLength(body), contentType: type },
        'webhook without a usable appointment id',
      );
      refuse(account, res, 400, hint.reason, 'no appointment id (calendarId) found in the body');
      return;
    }
    let queued: Awaited<ReturnType<EnqueueAppointmentEvent>>;
    try {
      queued = await enqueue({ account, calendarId: hint.calendarId, receivedAt });
    } catch (error) {
      logger.warn(
        { account, err: error instanceof Error ? error.message : String(error) },
        'could not queue a webhook event',
      );
      if (isUnconfirmed(error)) {
        // Sent to a Redis that did not answer: it may still be queued, and applied, once it does.
        const why =
          'Redis did not confirm the event in time: it was sent but not confirmed, and may still ' +
          'be applied once Redis answers; sending it again is safe';
        refuse(account, res, 503, 'unavailable', why, 5, { confirmed: false });
        return;
      }
      refuse(
        account,
        res,
        503,
        'unavailable',
        'could not queue the event: Redis is unreachable; try again later',
        5,
      );
      return;
    }
    metrics?.webhookEvents.inc({ outcome: queued.coalesced ? 'coalesced' : 'accepted' });
    record(queued.coalesced ? 'coalesced' : 'accepted', account, hint.calendarId);
    logger.debug(
      {
        account,
        calendarId: hint.calendarId,
        jobId: queued.jobId,
        coalesced: queued.coalesced,
        readBy: hint.readBy,
      },
      'webhook queued',
    );
    res.status(200).json({ jobId: queued.jobId, coalesced: queued.coalesced });
  };
}
