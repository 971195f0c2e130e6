/**
 * The per-request retry budget: bounded in attempts (config.retries) and in total time
 * (config.retryMaxTimeMs), exponential backoff with jitter, `Retry-After` honoured (already capped
 * by the policy). The waits happen here, between attempts, so no limiter slot is held while
 * sleeping. Malformed bodies get at most two retries of their own, whatever the budget.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import type { TimeTapConfig } from '../config.js';
import {
  describeError,
  isRetryable,
  MalformedResponseError,
  NetworkError,
  SyncError,
  TimeTapHttpError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import type { StatsRecorder } from './stats.js';

const MAX_MALFORMED_RETRIES = 2;

export interface BackoffOptions {
  /** First backoff, before jitter (which multiplies by 1..2). */
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
}

/** Per call: failures that the caller handles better than another try at the same request. */
export interface RetryOptions {
  /** True: fail at once with this error, retryable or not (a large page's 504: ask smaller pages). */
  giveUpOn?(error: unknown): boolean;
}

export type Retrying = <T>(path: string, attempt: () => Promise<T>, options?: RetryOptions) => Promise<T>;

export function createRetrying(deps: {
  config: TimeTapConfig;
  logger: Logger;
  stats: StatsRecorder;
  signal: AbortSignal | undefined;
  backoff?: BackoffOptions;
}): Retrying {
  const { config, logger, stats, signal } = deps;
  const minTimeout = deps.backoff?.minTimeoutMs ?? config.retryBaseMs;
  const maxTimeout = deps.backoff?.maxTimeoutMs ?? 15_000;

  return async function retrying<T>(
    path: string,
    attempt: () => Promise<T>,
    options: RetryOptions = {},
  ): Promise<T> {
    const mayRetry = (error: unknown) =>
      isRetryable(error) && !signal?.aborted && options.giveUpOn?.(error) !== true;
    const startedAt = performance.now();
    let malformed = 0;
    try {
      return await pRetry(
        async (attemptNumber) => {
          if (attemptNumber > 1) stats.add('retries');
          try {
            return await attempt();
          } catch (error) {
            if (error instanceof MalformedResponseError && error.retryable) {
              malformed += 1;
              if (malformed > MAX_MALFORMED_RETRIES) throw finalMalformed(error);
            }
            throw error;
          }
        },
        {
          retries: config.retries,
          maxRetryTime: config.retryMaxTimeMs,
          factor: 2,
          minTimeout,
          maxTimeout,
          randomize: true,
          signal,
          shouldRetry: ({ error }) => mayRetry(error),
          onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
            if (!mayRetry(error) || retriesLeft <= 0) return;
            const retryAfterMs = error instanceof TimeTapHttpError ? error.retryAfterMs : undefined;
            const remainingMs = config.retryMaxTimeMs - (performance.now() - startedAt);
            // Waiting longer than the whole budget only to give up afterwards helps no one.
            if (retryAfterMs !== undefined && retryAfterMs >= remainingMs) throw error;
            const backoffMs = Math.min(minTimeout * 2 ** (attemptNumber - 1), maxTimeout);
            logger.warn(
              {
                path,
                attempt: attemptNumber,
                why: describeError(error),
                delayMs: (retryAfterMs ?? 0) + backoffMs,
                retryAfterMs,
                backoffMs,
                jitter: 'backoff x1-2',
              },
              'retrying TimeTap request',
            );
            if (retryAfterMs !== undefined && retryAfterMs > 0)
              await sleep(retryAfterMs, undefined, { signal });
          },
        },
      );
    } catch (error) {
      // p-retry and the limiter reject with the signal's own reason on shutdown; keep errors typed.
      if (!(error instanceof SyncError) && signal?.aborted) {
        throw new NetworkError(path, 'aborted by shutdown', { retryable: false, cause: error });
      }
      throw error;
    }
  };
}

function finalMalformed(error: MalformedResponseError): MalformedResponseError {
  const why = error.message.split(': ').slice(1).join(': ') || 'malformed body';
  return new MalformedResponseError(error.path, `${why} (still after ${MAX_MALFORMED_RETRIES} retries)`, {
    retryable: false,
  });
}
