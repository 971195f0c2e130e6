/**
 * Politeness towards TimeTap: one limiter for every request of a client (the login included),
 * bounding both the request rate and the requests in flight. Behind an interface so that the
 * worker can plug in a limiter shared by every process through Redis.
 */

export interface RequestLimiter {
  /** Runs `fn` once a slot is free and the rate allows; the slot is held until `fn` settles. */
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

interface Waiter {
  start: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
}

/**
 * Starts are spaced evenly (1/maxRps apart, i.e. a token bucket of depth one): TimeTap publishes
 * no limit, so bursts buy nothing but risk. Waiters are served first come, first served.
 *
 * Every request of a sync waits here under the same shutdown signal, often dozens at once. A
 * listener per waiter would pile up on that one signal (Node warns past ten: a
 * MaxListenersExceededWarning on every full sync), so each signal gets one listener, shared by
 * all the waiters queued under it and removed when the last of them leaves the queue.
 */
export function createLocalLimiter(options: { maxRps: number; maxConcurrency: number }): RequestLimiter {
  if (!(options.maxRps > 0) || !(options.maxConcurrency >= 1)) {
    throw new RangeError('createLocalLimiter needs maxRps > 0 and maxConcurrency >= 1');
  }
  const intervalMs = 1000 / options.maxRps;
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
      const now = performance.now();
      if (nextStartAt > now) {
        if (timer === undefined) {
          timer = setTimeout(
            () => {
              timer = undefined;
              pump();
            },
            Math.ceil(nextStartAt - now),
          );
        }
        return;
      }
      const waiter = queue.shift()!;
      if (waiter.signal) unwatch(waiter.signal);
      inFlight += 1;
      nextStartAt = Math.max(now, nextStartAt) + intervalMs;
      waiter.start();
    }
  };

  const release = () => {
    inFlight -= 1;
    pump();
  };

  return {
    run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        queue.push({
          signal,
          reject,
          start: () => {
            fn().then(resolve, reject).finally(release);
          },
        });
        if (signal) watch(signal);
        pump();
      });
    },
  };
}
