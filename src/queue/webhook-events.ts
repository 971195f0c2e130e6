/**
 * The last webhook event received and the last one applied, kept in Redis beside the queue (one
 * small hash), for `status`. Best effort: losing it loses a status line, never an event.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export interface WebhookEventRecord {
  at: string;
  /** Whose appointment; absent in records written before there were accounts, and for a wrong URL. */
  account?: string;
  calendarId?: number;
  /** received: accepted, coalesced or rejected (with its reason); applied: stored or tombstoned. */
  outcome: string;
  lagMs?: number;
}

const KEY = 'webhook-events';

/** `redis`: a connection to the queue's Redis (the queue's own, or a command's). */
export async function recordWebhookEvent(
  redis: Redis,
  queue: Pick<Queue, 'toKey'>,
  field: 'received' | 'applied',
  record: WebhookEventRecord,
): Promise<void> {
  await redis.hset(queue.toKey(KEY), field, JSON.stringify(record));
}

export async function lastWebhookEvents(
  redis: Redis,
  queue: Pick<Queue, 'toKey'>,
): Promise<{ received: WebhookEventRecord | null; applied: WebhookEventRecord | null }> {
  const [received, applied] = await redis.hmget(queue.toKey(KEY), 'received', 'applied');
  return { received: parse(received), applied: parse(applied) };
}

function parse(text: string | null | undefined): WebhookEventRecord | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as WebhookEventRecord;
  } catch {
    return null;
  }
}
