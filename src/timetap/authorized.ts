/**
 * One data call with a session token, and what a 401 means. A 401 on a data call never means
 * that the keys are wrong (only `/sessionToken` refusing them does, see api.ts): with several
 * calls in flight, the token a call used may have been consumed, rotated or expired by the time
 * it arrived, even right after a login. So a 401 is first read (token-uses.ts), after a short
 * jittered pause that lets the answers of the other calls in flight arrive (`readingPause`):
 * - the token died (it served calls, none after ours): the call takes its place in the line for a
 *   fresh token (relogin-line.ts) and replays; as often as it takes;
 * - the token outlived the 401 (a later call succeeded with it), or a fresh token was refused on
 *   its first, exclusive use: evidence of a refusal. After `MAX_REFUSALS` of them the call fails
 *   with SessionRefusedError: its scope fails, not the run;
 * - `MAX_CYCLES` bounds every call whatever the verdicts, so that no call loops without end.
 * Refusals and successes feed the breaker (session-breaker.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionRefusedError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { HttpAnswer } from './http.js';
import type { Turn, TurnOutcome } from './relogin-line.js';
import type { SessionGuard } from './session-guard.js';

/** Refusal evidences after which a call gives up. */
export const MAX_REFUSALS = 3;
/** A safety net over the 401s of one call, whatever the verdicts. */
const MAX_CYCLES = 50;

export interface Sent {
  answer: HttpAnswer;
  /** The token the request carried. */
  token: string;
  /** performance.now() just before the request left and just after its answer arrived. */
  sentAt: number;
  answeredAt: number;
}

export interface AuthorizedDeps {
  guard: SessionGuard;
  logger: Logger;
  signal: AbortSignal | undefined;
  /**
   * One exchange inside a limiter slot; `authorize` picks its token once the slot is ours, or
   * gives the slot up unsent (undefined).
   */
  send(
    endpoint: string,
    path: string,
    url: string,
    authorize: () => Promise<string | undefined>,
  ): Promise<Sent | undefined>;
  /** One login exchange; stores the new token before resolving. */
  login(): Promise<string>;
  /** Each use extends the session's idle expiry in the store. */
  sessionIdleMs: number;
  /** The pause before a 401 is read, in ms, given the round trip of the call it answered. */
  pauseMs?: (roundTripMs: number) => number;
}

/**
 * The answers of the calls sent about when ours was are on their way: half a round trip of ours
 * (10-250 ms), jittered up to twice that so that the callers of one expiry spread apart.
 */
function readingPause(roundTripMs: number): number {
  return Math.min(Math.max(roundTripMs / 2, 10), 250) * (1 + Math.random());
}

export type AuthorizedExchange = (endpoint: string, path: string, url: string) => Promise<HttpAnswer>;

export function createAuthorizedExchange(deps: AuthorizedDeps): AuthorizedExchange {
  const { guard, signal } = deps;
  const { store, uses, line, breaker } = guard;
  const pauseMs = deps.pauseMs ?? readingPause;

  async function accepted(sent: Sent): Promise<void> {
    uses.succeeded(sent.token, sent.sentAt);
    breaker.succeeded();
    await Promise.all([store.markUsed?.(sent.token), store.touch?.(sent.token, deps.sessionIdleMs)]).catch(
      (error: unknown) => deps.logger.debug({ err: error }, 'could not record the use of the session token'),
    );
  }

  /**
   * The token a turn sends with, chosen in the limiter slot. A turn of the line keeps its token
   * (the line accounts for it). A call outside the line takes the store's newest token unless it
   * is on trial, or gives its slot up to join the line when tokens started dying meanwhile.
   */
  async function tokenFor(turn: Turn): Promise<string | undefined> {
    if (turn.kind !== 'current') return turn.token;
    if (line.busy()) return undefined;
    const newest = await store.get();
    return newest !== undefined && !line.onTrial(newest) ? newest : turn.token;
  }

  /** Sends with a turn's token; the line hears how it went, whatever happens. */
  async function sendTurn(
    endpoint: string,
    path: string,
    url: string,
    turn: Turn,
  ): Promise<Sent | undefined> {
    let outcome: TurnOutcome = 'none';
    try {
      const sent = await deps.send(endpoint, path, url, () => tokenFor(turn));
      if (sent) outcome = sent.answer.status === 401 ? 'refused' : 'passed';
      return sent;
    } finally {
      turn.report(outcome);
    }
  }

  return async function authorized(endpoint, path, url) {
    breaker.check();
    let turn = await line.current(() => store.get(), deps.login);
    // The call's place in the line, taken at its first 401 and kept: it never loses its turn.
    let ticket: number | undefined;
    const inLine = () => {
      ticket ??= line.ticket();
      return ticket;
    };
    let refusals = 0;
    let cycles = 0;
    for (;;) {
      const sent = await sendTurn(endpoint, path, url, turn);
      if (sent === undefined) {
        // Gave its slot up unsent: tokens are dying, so it waits in line instead.
        turn = await line.next(inLine(), undefined, deps.login);
        continue;
      }
      if (sent.answer.status !== 401) {
        // Any other answer (a 404 or a 500 too) shows that TimeTap accepted the token.
        await accepted(sent);
        return sent.answer;
      }
      cycles++;
      await sleep(pauseMs(sent.answeredAt - sent.sentAt), undefined, { signal });
      const usedElsewhere = (await store.wasUsed?.(sent.token).catch(() => true)) ?? false;
      const verdict = uses.verdict(sent.token, sent.answeredAt, usedElsewhere);
      if (verdict !== 'consumed') refusals++;
      if (refusals >= MAX_REFUSALS || cycles >= MAX_CYCLES) {
        breaker.refused();
        deps.logger.warn({ endpoint, path, cycles, refusals }, 'TimeTap refused the session');
        throw new SessionRefusedError(endpoint, path);
      }
      // The token still works for other calls: a login would only replace it. Try it again.
      if (verdict === 'alive') turn = { token: sent.token, kind: 'wave', report: () => {} };
      else turn = await line.next(inLine(), sent.token, deps.login);
    }
  };
}
