/**
 * A circuit breaker over recent data calls: when TimeTap keeps accepting the keys but refusing
 * the session for almost every call (an API user without access to the data), each call would
 * still cost a few logins before it gives up. Once most of the recent calls ended refused, the
 * breaker opens and calls fail at once (SessionBreakerOpenError, which stops the run); after a
 * cool-down one call may try again, and a success closes it.
 *
 * One breaker per run in `timetap-sync sync`, one per process in the worker (shared by its jobs).
 */
import { SessionBreakerOpenError } from '../errors.js';

export interface SessionBreaker {
  /** Throws SessionBreakerOpenError while open. */
  check(): void;
  succeeded(): void;
  refused(): void;
}

export interface SessionBreakerOptions {
  /** How many of the most recent calls are judged. Default 10. */
  window?: number;
  /** Opens when at least this many of them were refused... Default 5. */
  minRefused?: number;
  /** ...and they are at least this share of the window's calls. Default 0.8. */
  ratio?: number;
  /** How long it stays open before one call may try again. Default 60 s. */
  coolDownMs?: number;
  now?: () => number;
}

export function createSessionBreaker(options: SessionBreakerOptions = {}): SessionBreaker {
  const window = options.window ?? 10;
  const minRefused = options.minRefused ?? 5;
  const ratio = options.ratio ?? 0.8;
  const coolDownMs = options.coolDownMs ?? 60_000;
  const now = options.now ?? Date.now;
  let recent: boolean[] = []; // true = refused
  let openUntil = 0;
  let opened: { refused: number; recent: number } | undefined;

  const record = (refused: boolean) => {
    recent.push(refused);
    if (recent.length > window) recent = recent.slice(-window);
    const count = recent.filter(Boolean).length;
    if (count >= minRefused && count >= ratio * recent.length) {
      opened = { refused: count, recent: recent.length };
      openUntil = now() + coolDownMs;
      // Half-open after the cool-down: the next refusal alone opens it again.
      recent = recent.slice(-(minRefused - 1));
    }
  };

  return {
    check() {
      if (opened && now() < openUntil) throw new SessionBreakerOpenError(opened.refused, opened.recent);
    },
    succeeded() {
      if (opened && now() >= openUntil) {
        opened = undefined;
        recent = [];
      }
      record(false);
    },
    refused() {
      record(true);
    },
  };
}
