/**
 * A Redis that accepts connections and then answers nothing (hung, or behind a network that drops
 * everything) gives ioredis no error: its connection stays `ready` and every command waits for
 * ever. Two things here make such a Redis visible, and logged like a stopped one:
 * - `withAnswerDeadline`, for a caller that must answer quickly (the worker's HTTP handlers): at
 *   once RedisUnavailableError while the connection is down (nothing was sent: "try again later"
 *   is the whole truth), and within `timeoutMs` RedisUnconfirmedError while Redis is silent: the
 *   command was sent (or waits in the offline queue) and may still be carried out when Redis
 *   answers, so the caller must say "not confirmed", never "not done". It is not taken back: an
 *   undo is one more command that may arrive late too, and a late resync or event does what was
 *   asked for.
 * - `watchForHang`, for a worker that nobody calls: a PING now and then under the same deadline.
 * Either tells the connection's outage log of the hang, and of its end when the late answer comes.
 */
import type { Redis } from 'ioredis';
import type { OutageLog } from '../outage-log.js';
import { RedisUnavailableError, RedisUnconfirmedError, redisHost } from './connection.js';

/** How long a command may go unanswered before Redis counts as hung. */
const ANSWER_TIMEOUT_MS = 3_000;

/** ioredis states of a connection that was lost, where a command would wait for its return. */
const LOST = new Set(['reconnecting', 'close', 'end']);

export interface AnswerDeadline {
  redis: Redis;
  redisUrl: string;
  timeoutMs?: number;
  outages?: OutageLog;
}

export async function withAnswerDeadline<T>(deps: AnswerDeadline, action: () => Promise<T>): Promise<T> {
  const timeoutMs = deps.timeoutMs ?? ANSWER_TIMEOUT_MS;
  if (LOST.has(deps.redis.status)) {
    throw new RedisUnavailableError(`Redis at ${redisHost(deps.redisUrl)} is unreachable`, {
      retryable: true,
    });
  }
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const running = action();
  // A late answer ends the hang; a late failure is no sign that Redis is back.
  running.then(
    () => {
      if (late) deps.outages?.restored();
    },
    () => undefined,
  );
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      late = true;
      deps.outages?.lost(`no answer within ${timeoutMs / 1000} s`);
      reject(new RedisUnconfirmedError(deps.redisUrl, timeoutMs));
    }, timeoutMs);
  });
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * PINGs `redis` every `everyMs` while it is `ready` (a lost connection reports itself), one at a
 * time: a PING still unanswered is not joined by another. Returns the function that stops it.
 */
export function watchForHang(deps: AnswerDeadline & { everyMs?: number }): () => void {
  let waiting = false;
  const timer = setInterval(() => {
    if (waiting || deps.redis.status !== 'ready') return;
    waiting = true;
    const ping = deps.redis.ping();
    ping.then(
      () => {
        waiting = false;
      },
      () => {
        waiting = false;
      },
    );
    withAnswerDeadline(deps, () => ping).catch(() => undefined);
  }, deps.everyMs ?? 10_000);
  timer.unref();
  return () => clearInterval(timer);
}
