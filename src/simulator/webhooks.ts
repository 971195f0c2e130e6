/**
 * Webhooks as TimeTap documents them, and no more: when an appointment is created, edited or
 * deleted, the appointment object is POSTed to the one URL configured in the back office. The
 * docs say nothing else, so the simulator takes the strictest reading a receiver must survive:
 * - one POST per change, at most once: never retried, whatever the receiver answers;
 * - asynchronous: the mutation returns at once, and deliveries run side by side, so they may
 *   arrive out of order (nothing in the docs promises an order);
 * - the body does not say which of the three happened (a deleted appointment is posted as it
 *   last was, with nothing marking it deleted);
 * - no signature and no event header.
 * Each delivery is recorded (with the kind, for the tests' bookkeeping only); a failure is a
 * record, never an exception in the code that mutated the data.
 */
import type { AppointmentChange } from './appointment-store.js';
import type { AppointmentServing } from './serving.js';
import { WEBHOOK_BODY_FORMATS, type WebhookBodyFormat, webhookBody } from './webhook-body.js';
import { type PendingPost, postOnce } from './webhook-post.js';

/** `mixed` alternates, starting with `json`, counted from setWebhook. */
export type WebhookFormat = WebhookBodyFormat | 'mixed';

const WEBHOOK_FORMATS: readonly WebhookFormat[] = [...WEBHOOK_BODY_FORMATS, 'mixed'];

export interface WebhookTarget {
  /** http: or https:. */
  url: string;
  /** Default `json`. */
  format?: WebhookFormat;
  /** Default `application/json`; `''` sends no content-type header (the docs guarantee none). */
  contentType?: string;
  /** Over the whole exchange. Default 5000. */
  timeoutMs?: number;
}

export interface WebhookDelivery {
  calendarId: number;
  /** What happened to the appointment. Bookkeeping only: the body does not say. */
  kind: AppointmentChange['kind'];
  /** The body's spelling (a `mixed` target records which one it sent). */
  format: WebhookBodyFormat;
  /** Exactly what was posted. */
  body: string;
  /** The receiver's HTTP status; 0 while in flight or when none arrived (refused, reset, timeout). */
  status: number;
  /** Why the exchange failed (e.g. `ECONNREFUSED`, `timeout after 5000 ms`); absent otherwise. */
  error?: string;
  /** Epoch milliseconds. */
  sentAt: number;
  /** 0 while in flight. */
  finishedAt: number;
}

export interface WebhookSender {
  set(target: WebhookTarget | undefined): void;
  /** The active target, defaults filled in; undefined when webhooks are off. */
  target(): Readonly<Required<WebhookTarget>> | undefined;
  /** Posts the change, if a target is set and the sender is open. Never throws. */
  send(change: AppointmentChange): void;
  deliveries(): WebhookDelivery[];
  /** Resolves when every delivery started so far has finished. */
  settled(): Promise<void>;
  /** Starts a new, empty deliveries list; deliveries in flight finish on their own records. */
  reset(): void;
  /** Sends nothing more, aborts what is in flight (recorded as failed) and waits for it. */
  close(): Promise<void>;
}

const DEFAULT_WEBHOOK_TIMEOUT_MS = 5000;

function checkWebhookTarget(target: WebhookTarget): Required<WebhookTarget> {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    throw new RangeError('simulator: webhook url must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new RangeError('simulator: webhook url must be an absolute http or https URL');
  const format = target.format ?? 'json';
  if (!WEBHOOK_FORMATS.includes(format))
    throw new RangeError(`simulator: webhook format must be one of ${WEBHOOK_FORMATS.join(', ')}`);
  const contentType = target.contentType ?? 'application/json';
  // A header value: anything else would make node:http throw at send time instead of here.
  if (typeof contentType !== 'string' || !/^[\t\x20-\x7e]*$/.test(contentType))
    throw new RangeError('simulator: webhook contentType must be printable ASCII');
  const timeoutMs = target.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1)
    throw new RangeError('simulator: webhook timeoutMs must be an integer >= 1');
  return { url: url.href, format, contentType, timeoutMs };
}

/** The URL without credentials or query, for a log line (a receiver's URL may carry a secret). */
export function describeWebhookUrl(url: string): string {
  const { origin, pathname } = new URL(url);
  return `${origin}${pathname}`;
}

export function createWebhookSender(deps: {
  /** Read at each change, so that the body is what the GET answers at that moment. */
  serving(): AppointmentServing;
  /** One line per finished delivery (kind, id, status), when the simulator logs. */
  log?: ((line: string) => void) | undefined;
}): WebhookSender {
  let target: Required<WebhookTarget> | undefined;
  let sentToTarget = 0;
  let records: WebhookDelivery[] = [];
  let closed = false;
  const pending = new Map<Promise<void>, PendingPost>();

  const formatOf = (format: WebhookFormat): WebhookBodyFormat => {
    if (format !== 'mixed') return format;
    return sentToTarget % 2 === 0 ? 'json' : 'docs-example';
  };

  return {
    set(next) {
      target = next === undefined ? undefined : checkWebhookTarget(next);
      sentToTarget = 0;
    },
    target: () => target,
    send({ kind, appointment }) {
      if (!target || closed) return;
      const format = formatOf(target.format);
      sentToTarget++;
      // Serialized now: the body is the appointment as it is at the mutation, not when sent.
      const body = webhookBody(appointment, format, deps.serving());
      const record: WebhookDelivery = {
        calendarId: appointment.calendarId,
        kind,
        format,
        body,
        status: 0,
        sentAt: Date.now(),
        finishedAt: 0,
      };
      records.push(record);
      const post = postOnce({
        url: new URL(target.url),
        body,
        contentType: target.contentType,
        timeoutMs: target.timeoutMs,
      });
      const done: Promise<void> = post.outcome.then(({ status, error }) => {
        record.status = status;
        if (error !== undefined) record.error = error;
        record.finishedAt = Date.now();
        pending.delete(done);
        const why = error === undefined ? '' : ` (${error})`;
        deps.log?.(`webhook ${kind} ${record.calendarId} ${format} ${status || '-'}${why}`);
      });
      pending.set(done, post);
    },
    deliveries: () => records,
    async settled() {
      await Promise.all([...pending.keys()]);
    },
    reset() {
      records = [];
    },
    async close() {
      closed = true;
      for (const post of pending.values()) post.abort('simulator closed');
      await Promise.all([...pending.keys()]);
    },
  };
}
