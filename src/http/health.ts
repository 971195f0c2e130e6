/**
 * Liveness and readiness. `/healthz` answers from the handler itself: that the handler runs at
 * all proves the process is alive and its event loop turns, which is all a liveness probe should
 * ask (a dependency outage must not get the process restarted). `/readyz` asks the injected
 * checks, bounded by a timeout so that a hung dependency gives a 503, never a hung probe.
 */
import type { Request, Response } from 'express';
import type { Logger } from '../logger.js';

/** Each check is `true` when healthy, otherwise `false` or a short reason ('timeout', 'down'). */
export type ReadinessChecks = Record<string, boolean | string>;
export type Readiness = () => Promise<ReadinessChecks>;

export const DEFAULT_READINESS_TIMEOUT_MS = 2_000;
const MAX_REASON_LENGTH = 200;

export function healthz(_req: Request, res: Response): void {
  res.set('Cache-Control', 'no-store').type('text/plain').status(200).send('ok');
}

export function createReadyz(deps: {
  readiness: Readiness;
  timeoutMs?: number;
  logger: Logger;
}): (req: Request, res: Response) => Promise<void> {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;
  return async (_req, res) => {
    const checks = await runChecks(deps.readiness, timeoutMs, deps.logger);
    const down = Object.entries(checks)
      .filter(([, value]) => value !== true)
      .map(([name]) => name);
    const ready = down.length === 0 && Object.keys(checks).length > 0;
    res.set('Cache-Control', 'no-store');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', down, checks });
  };
}

async function runChecks(readiness: Readiness, timeoutMs: number, logger: Logger): Promise<ReadinessChecks> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const result = await Promise.race([readiness(), timeout]);
    if (result === 'timeout') {
      logger.warn({ timeoutMs }, 'readiness checks did not answer in time');
      return { readiness: `no answer within ${timeoutMs} ms` };
    }
    return sanitize(result);
  } catch (error) {
    // The error text stays in the log: /readyz is unauthenticated and should not describe hosts.
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'readiness checks failed');
    return { readiness: 'error' };
  } finally {
    clearTimeout(timer);
  }
}

function sanitize(checks: ReadinessChecks): ReadinessChecks {
  const out: ReadinessChecks = {};
  for (const [name, value] of Object.entries(checks)) {
    out[name] = typeof value === 'string' ? value.slice(0, MAX_REASON_LENGTH) : value;
  }
  return out;
}
