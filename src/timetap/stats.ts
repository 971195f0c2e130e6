/** Counters a sync run reports (API calls, retries, re-logins) and the metrics endpoint exports. */

export interface ApiStats {
  /** endpoint label (e.g. 'GET /staff') -> status ('200', '401', 'timeout', 'network') -> count */
  calls: Record<string, Record<string, number>>;
  /** HTTP requests sent, the logins included. */
  apiCalls: number;
  /** Attempts beyond the first, over every call. */
  retries: number;
  /** Logins that replaced a token this client had been using (after a 401 or an idle expiry). */
  relogins: number;
  /** Successful logins performed by this client. */
  logins: number;
  /** Total time requests spent queued in the limiter. */
  limiterWaitMs: number;
  /** When the last request left (epoch ms, taken just before it was sent); undefined before any. */
  lastSentAt?: number;
  /** Records dropped from lists because they had no usable id. */
  skipped: number;
}

export interface StatsRecorder {
  call(endpoint: string, status: string): void;
  add(counter: 'retries' | 'relogins' | 'logins' | 'skipped', by?: number): void;
  limiterWait(ms: number): void;
  sent(at: number): void;
  snapshot(): ApiStats;
}

export function createStatsRecorder(): StatsRecorder {
  const stats: ApiStats = {
    calls: {},
    apiCalls: 0,
    retries: 0,
    relogins: 0,
    logins: 0,
    limiterWaitMs: 0,
    skipped: 0,
  };
  return {
    call(endpoint, status) {
      const byStatus = stats.calls[endpoint] ?? {};
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      stats.calls[endpoint] = byStatus;
      stats.apiCalls += 1;
    },
    add(counter, by = 1) {
      stats[counter] += by;
    },
    limiterWait(ms) {
      stats.limiterWaitMs += ms;
    },
    sent(at) {
      stats.lastSentAt = at;
    },
    snapshot() {
      const calls: ApiStats['calls'] = {};
      for (const [endpoint, byStatus] of Object.entries(stats.calls)) calls[endpoint] = { ...byStatus };
      return { ...stats, calls, limiterWaitMs: Math.round(stats.limiterWaitMs) };
    },
  };
}
