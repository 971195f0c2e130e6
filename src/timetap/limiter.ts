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
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * Starts are spaced evenly (1/maxRps apart, i.e. a token bucket of depth one): TimeTap publishes
 * no limit, so bursts buy nothing but risk. Waiters are served first come, first served.
 */
export function createLocalLimiter(options: { maxRps: number; maxConcurrency: number }): RequestLimiter {
  if (!(options.maxRps > 0) || !(options.maxConcurrency >= 1)) {
    throw new RangeError('createLocalLimiter needs maxRps > 0 and maxConcurrency >= 1');
  }
  const intervalMs = 1000 / options.maxRps;
  const maxConcurrency = Math.floor(options.maxConcurrency);
  const queue: Waiter[] = [];
  let inFlight = 0;
  let nextStartAt = 0;
  let timer: NodeJS.Timeout | undefined;

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
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
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
        const waiter: Waiter = {
          signal,
          start: () => {
            fn().then(resolve, reject).finally(release);
          },
          onAbort: () => {
            const index = queue.indexOf(waiter);
            if (index >= 0) queue.splice(index, 1);
            reject(signal?.reason);
          },
        };
        signal?.addEventListener('abort', waiter.onAbort, { once: true });
        queue.push(waiter);
        pump();
      });
    },
  };
}
