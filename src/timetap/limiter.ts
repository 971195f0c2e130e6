/**
 * Politeness towards TimeTap: one limiter for every request of a client (the login included),
 * bounding both the request rate and the requests in flight. Behind an interface so that the
 * worker can plug in a limiter shared by every process through Redis.
 *
 * TimeTap publishes no rate limit; an adaptive limiter learns it (aimd.ts) from what each slot
 * reports of its answer.
 */
import { type AimdSettings, aimdLimited, aimdSucceeded, aimdThrottled, startAimd } from './aimd.js';

/** What the request run in a slot tells the limiter of TimeTap's answer. */
export interface LimiterSlot {
  /** TimeTap answered 429: cut the rate, and pause the whole budget for `retryAfterMs`. */
  throttled(retryAfterMs?: number): void;
  /** TimeTap answered with a success: the rate may grow. */
  succeeded(): void;
}

export interface RequestLimiter {
  /** Runs `fn` once a slot is free and the rate allows; the slot is held until `fn` settles. */
  run<T>(fn: (slot: LimiterSlot) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/** A fixed budget's slot: answers teach it nothing. */
export const FIXED_SLOT: LimiterSlot = Object.freeze({ throttled() {}, succeeded() {} });

interface Waiter {
  start: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
}

export interface LocalLimiterOptions {
  maxRps: number;
  maxConcurrency: number;
  /** Learn the rate, starting at `adaptive.initialRps`; absent: a fixed budget of `maxRps`. */
  adaptive?: AimdSettings;
  /** The clock (ms) of the rate and of the control law; tests inject one. */
  now?: () => number;
}

export interface LocalLimiter extends RequestLimiter {
  /** The request starts per second allowed now. */
  currentRps(): number;
}

/**
 * Starts are spaced evenly (1/rate apart, i.e. a token bucket of depth one): TimeTap publishes
 * no limit, so bursts buy nothing but risk. Waiters are served first come, first served.
 *
 * Every request of a sync waits here under the same shutdown signal, often dozens at once. A
 * listener per waiter would pile up on that one signal (Node warns past ten: a
 * MaxListenersExceededWarning on every full sync), so each signal gets one listener, shared by
 * all the waiters queued under it and removed when the last of them leaves the queue.
 */
export function createLocalLimiter(options: LocalLimiterOptions): LocalLimiter {
  if (!(options.maxRps > 0) || !(options.maxConcurrency >= 1)) {
    throw new RangeError('createLocalLimiter needs maxRps > 0 and maxConcurrency >= 1');
  }
  const clock = options.now ?? (() => performance.now());
  const { adaptive } = options;
  let law = adaptive ? startAimd(adaptive, clock()) : undefined;
  const currentRps = () => law?.rps ?? options.maxRps;
  const maxConcurrency = Math.floor(options.maxConcurrency);
  const queue: Waiter[] = [];
  /** Per signal: its one abort listener and how many queued waiters it covers. */
  const watched = new Map<AbortSignal, { waiting: number; onAbort: () => void }>();
  let inFlight = 0;
  let nextStartAt = 0;
  let timer: NodeJS.Timeout | undefined;

  const watch = (signal: AbortSignal) => {
    const entry = watched.get(signal);
    if (entry) {
      entry.waiting += 1;
      return;
    }
    const onAbort = () => {
      watched.delete(signal);
      const dropped = queue.filter((waiter) => waiter.signal === signal);
      for (const waiter of dropped) queue.splice(queue.indexOf(waiter), 1);
      for (const waiter of dropped) waiter.reject(signal.reason);
    };
    watched.set(signal, { waiting: 1, onAbort });
    signal.addEventListener('abort', onAbort, { once: true });
  };

  const unwatch = (signal: AbortSignal) => {
    const entry = watched.get(signal);
    if (!entry) return;
    entry.waiting -= 1;
    if (entry.waiting > 0) return;
    watched.delete(signal);
    signal.removeEventListener('abort', entry.onAbort);
  };

  const pump = () => {
    while (queue.length > 0 && inFlight < maxConcurrency) {
      const now = clock();
      const interval = 1000 / currentRps();
      // A grant reserves a start on the schedule up to this far ahead, and the request starts
      // then: granting only "now" would let every start slip by the timer's wake-up delay, and
      // the slips add up (about a millisecond a start is a tenth of a 100/s budget). As the
      // shared limiter does (redis/limiter.ts).
      const horizon = Math.max(interval, 5);
      // A 429's Retry-After holds back every request, not only the one that got it.
      const paused = law?.pausedUntil ?? 0;
      const startAt = Math.max(nextStartAt, paused);
      if (startAt - now > (paused > now ? 0 : horizon)) {
        if (law && nextStartAt > now) law = aimdLimited(law, now);
        if (timer === undefined) {
          timer = setTimeout(
            () => {
              timer = undefined;
              pump();
            },
            Math.max(1, Math.ceil(startAt - now - (paused > now ? 0 : horizon))),
          );
        }
        return;
      }
      const waiter = queue.shift()!;
      if (waiter.signal) unwatch(waiter.signal);
      inFlight += 1;
      const slot = Math.max(now, startAt);
      if (law && slot > now) law = aimdLimited(law, now);
      nextStartAt = slot + interval;
      if (slot > now) setTimeout(waiter.start, slot - now);
      else waiter.start();
    }
  };

  /** The slot of a request granted now: its answers steer the law. */
  const slotFor = (grantedAt: number): LimiterSlot => {
    if (!adaptive) return FIXED_SLOT;
    return {
      throttled(retryAfterMs) {
        if (law) law = aimdThrottled(law, adaptive, clock(), { grantedAt, retryAfterMs });
      },
      succeeded() {
        if (law) law = aimdSucceeded(law, adaptive, clock());
      },
    };
  };

  const release = () => {
    inFlight -= 1;
    pump();
  };

  return {
    currentRps,
    run<T>(fn: (slot: LimiterSlot) => Promise<T>, signal?: AbortSignal): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        queue.push({
          signal,
          reject,
          start: () => {
            fn(slotFor(clock())).then(resolve, reject).finally(release);
          },
        });
        if (signal) watch(signal);
        pump();
      });
    },
  };
}
