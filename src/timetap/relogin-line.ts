/**
 * The line of calls waiting for a fresh session token, first come first served. TimeTap may kill
 * a token after a few calls (or rotate it) while several calls are in flight; if every call raced
 * for each fresh token, one would win, the others would lose again, and an unlucky call could lose
 * for ever. So the calls whose token died queue here, in the order of their first 401:
 * - one login at a time (through the session store: single-flight across processes too);
 * - the fresh token is *tried* by the call at the head of the line alone: no other call of this
 *   process uses it until that call's answer arrived. A 401 on that first, exclusive use is real
 *   evidence that the session is refused (authorized.ts reads it): the token did not die, so
 *   the next call in line tries the same token, alone again, rather than a login replacing it.
 *   Were it replaced, the refused call would come back to a token the others had used (and were
 *   kept off while it was tried), and read its next 401 as a death: a login per 401, up to
 *   MAX_CYCLES, instead of a refusal per login. Refused a second time in a row, the token is
 *   given up (more likely dead, e.g. used up by another process, than refused to two calls);
 * - a call is never handed the token it came back with (it waits for the next one);
 * - once it passed, the token goes to the calls still waiting: first as many as the last dead
 *   token served, then in growing waves while every call of a wave passes, so that a token that
 *   dies after a few calls is not thrown at fifty calls of which forty-seven lose, and a token
 *   that lives on serves everyone. A wave in which a call lost ends the token's turn: the next
 *   login serves the rest.
 * Each call waits at most for the calls ahead of it, a plain expiry still costs one login, and
 * a call that lost comes back with its original place. While the line is being served, new calls
 * join its end rather than try a token that is most likely dead. One line per process
 * (session-guard.ts).
 */

export type TurnOutcome = 'passed' | 'refused' | 'none';

/**
 * A token handed to a call: `trial` (tried alone), `wave` (after the trial passed) or `current`
 * (the store's token, for a call outside the line). Every turn is reported once.
 */
export interface Turn {
  token: string;
  kind: 'trial' | 'wave' | 'current';
  report(outcome: TurnOutcome): void;
}

export interface ReloginLine {
  /**
   * A turn for a call that has no token yet: the store's token, or, while the line is being
   * served, a place at its end (a token on trial is never handed out here).
   */
  current(read: () => Promise<string | undefined>, login: () => Promise<string>): Promise<Turn>;
  /** For a call whose token `stale` failed it (died or refused it): waits for its turn. */
  next(ticket: number, stale: string | undefined, login: () => Promise<string>): Promise<Turn>;
  /** The place in the line of a call that met its first 401 now. */
  ticket(): number;
  /** Whether `token` is on trial, or a login for a trial is under way (no other call may use it). */
  onTrial(token: string): boolean;
  /** Whether the line is being served: tokens are dying, calls outside it should join it. */
  busy(): boolean;
}

export type Refresh = (stale: string | undefined, login: () => Promise<string>) => Promise<string>;

interface Waiter {
  ticket: number;
  /** The token that failed this call, if any: never handed to it again. */
  stale: string | undefined;
  login: () => Promise<string>;
  resolve: (turn: Turn) => void;
  reject: (error: unknown) => void;
}

/** How many calls a token served before it died, as far as this process saw (token-uses.ts). */
export type Served = (token: string) => number;

const noReport = () => {};

export function createReloginLine(refresh: Refresh, served: Served): ReloginLine {
  const waiting: Waiter[] = [];
  let serving: Promise<void> | undefined;
  let trial: { token: string | undefined; over: Promise<void> } | undefined;
  let tickets = 0;
  /** The newest token known to be dead: a login replaces it (the store logs in only then). */
  let dead: string | undefined;
  /** Calls a token lasts, learnt from the last one that died in this episode. */
  let lifetime = Number.POSITIVE_INFINITY;
  let failedProbes = 0;
  let sinceProbe = 0;

  /** Hands `token` to these waiters; resolves with how each turn went. */
  const handOut = (waiters: Waiter[], token: string, kind: Turn['kind']): Promise<TurnOutcome[]> =>
    Promise.all(
      waiters.map(
        (waiter) =>
          new Promise<TurnOutcome>((resolve) => {
            let reported = false;
            const report = (outcome: TurnOutcome) => {
              if (reported) return;
              reported = true;
              resolve(outcome);
            };
            waiter.resolve({ token, kind, report });
          }),
      ),
    );

  /** Takes up to `count` waiters, in line order, that `token` has not failed. */
  const take = (count: number, token: string): Waiter[] => {
    waiting.sort((a, b) => a.ticket - b.ticket);
    const taken: Waiter[] = [];
    for (let i = 0; i < waiting.length && taken.length < count; ) {
      const waiter = waiting[i] as Waiter;
      if (waiter.stale === token) i++;
      else taken.push(...waiting.splice(i, 1));
    }
    return taken;
  };
  const mayTake = (token: string) => waiting.some((waiter) => waiter.stale !== token);

  /** One token: its trial by the head of the line, then its waves. */
  async function serveToken(head: Waiter): Promise<void> {
    let end = () => {};
    const over = new Promise<void>((resolve) => {
      end = resolve;
    });
    // The trial starts before the login: the token that lands in the store is on trial at once.
    trial = { token: undefined, over };
    let token: string;
    try {
      token = await refresh(dead, head.login);
      // `dead` may be older than the token that failed the head (calls come back in any order):
      // the store would then hand that token back, and its 401 would prove nothing.
      if (token === head.stale) token = await refresh(token, head.login);
      trial.token = token;
      let trier: Waiter | undefined = head;
      for (let tries = 1; (await handOut([trier], token, 'trial')).includes('refused'); tries++) {
        if (tries >= 2) {
          dead = token;
          return;
        }
        [trier] = take(1, token);
        if (trier === undefined) return;
      }
    } finally {
      trial = undefined;
      end();
    }
    // First what the last token lasted; beyond that, it may last longer: one call, then twice as
    // many each time a wave passed (as TCP's slow start probes), until a call loses it.
    // A probe that failed makes the next ones rarer (every 2nd, 4th... token, at most every 16th).
    let size = lifetime - 1;
    let probe = 1;
    while (mayTake(token)) {
      if (size <= 0 && ++sinceProbe < Math.min(16, 2 ** failedProbes)) {
        dead = token;
        return;
      }
      const probing = size <= 0;
      const wave = take(probing ? probe : size, token);
      if (probing) {
        sinceProbe = 0;
        probe *= 2;
      }
      size = 0;
      const lost = (await handOut(wave, token, 'wave')).includes('refused');
      if (probing) failedProbes = lost ? failedProbes + 1 : 0;
      if (lost) {
        dead = token;
        lifetime = Math.max(1, served(token));
        return;
      }
    }
  }

  async function serve(): Promise<void> {
    while (waiting.length > 0) {
      waiting.sort((a, b) => a.ticket - b.ticket);
      const head = waiting.shift() as Waiter;
      try {
        await serveToken(head);
      } catch (error) {
        // The login failed (wrong keys, TimeTap down): every waiter learns it and decides.
        for (const waiter of [head, ...waiting.splice(0)]) waiter.reject(error);
      }
    }
  }

  const kick = () => {
    if (serving !== undefined) return;
    serving = serve().finally(() => {
      serving = undefined;
      if (waiting.length > 0) kick();
      // The episode is over; the next one learns afresh what a token lasts.
      else {
        lifetime = Number.POSITIVE_INFINITY;
        failedProbes = 0;
      }
    });
  };

  const next = (ticket: number, stale: string | undefined, login: () => Promise<string>) =>
    new Promise<Turn>((resolve, reject) => {
      if (stale !== undefined) {
        dead = stale;
        lifetime = Math.max(1, served(stale));
      }
      waiting.push({ ticket, stale, login, resolve, reject });
      kick();
    });

  return {
    async current(read, login) {
      // While tokens are dying, the current one is most likely dead too: wait in line instead
      // of spending a request to find out.
      if (serving !== undefined) return next(++tickets, undefined, login);
      const token = (await read()) ?? (await refresh(undefined, login));
      return { token, kind: 'current', report: noReport };
    },
    next,
    ticket: () => ++tickets,
    busy: () => serving !== undefined,
    onTrial: (token) => trial !== undefined && (trial.token === undefined || trial.token === token),
  };
}
