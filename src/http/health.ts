/**
 * Liveness and readiness. `/healthz` answers from the handler itself: that the handler runs at
 * all proves the process is alive and its event loop turns, which is all a liveness probe should
 * ask (a dependency outage must not get the process restarted). `/readyz` runs the injected
 * checks side by side, one per dependency (`database`, `redis`, `worker`), each bounded by its
 * own timeout: a hung Redis must not hide that the database answers, nor be reported as some
 * anonymous "readiness" failure.
 *
 * `/readyz` is unauthenticated, so its answer says which dependency is down and why in a few
 * fixed words (failure-reason.ts), never an error's text: drivers put hosts, user names and SQL
 * in those. The text goes to the debug log, which the redactor scrubs. Probes ask every few
 * seconds for as long as an outage lasts: the outage itself is logged by the dependency's
 * outage log (outage-log.ts), not once per probe.
 */
import type { Request, Response } from 'express';
import { failureReason } from '../failure-reason.js';
import type { Logger } from '../logger.js';

/**
 * One dependency's check: `true` when healthy, otherwise a short reason chosen by the caller
 * ('unreachable', 'not consuming'): a fixed phrase, never an error's text. A check that throws is
 * reported with the failure's kind (failure-reason.ts).
 */
export type ReadinessCheck = () => Promise<true | string>;
export type ReadinessChecks = Readonly<Record<string, ReadinessCheck>>;

export interface ReadinessReport {
  status: 'ready' | 'not ready';
  down: string[];
  checks: Record<string, true | string>;
}

export const DEFAULT_READINESS_TIMEOUT_MS = 2_000;
const MAX_REASON_LENGTH = 80;

export function healthz(_req: Request, res: Response): void {
  res.set('Cache-Control', 'no-store').type('text/plain').status(200).send('ok');
}

export function createReadyz(deps: {
  checks: ReadinessChecks;
  timeoutMs?: number;
  logger: Logger;
}): (req: Request, res: Response) => Promise<void> {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;
  return async (_req, res) => {
    const report = await checkReadiness(deps.checks, timeoutMs, deps.logger);
    res.set('Cache-Control', 'no-store');
    res.status(report.status === 'ready' ? 200 : 503).json(report);
  };
}

/** Every check at once, each bounded by `timeoutMs`; never throws. */
export async function checkReadiness(
  checks: ReadinessChecks,
  timeoutMs: number,
  logger: Logger,
): Promise<ReadinessReport> {
  const names = Object.keys(checks);
  const results = await Promise.all(
    names.map((name) => runCheck(name, checks[name] as ReadinessCheck, timeoutMs, logger)),
  );
  const out: Record<string, true | string> = {};
  names.forEach((name, i) => {
    out[name] = results[i] as true | string;
  });
  const down = names.filter((name) => out[name] !== true);
  const ready = names.length > 0 && down.length === 0;
  return { status: ready ? 'ready' : 'not ready', down, checks: out };
}

async function runCheck(
  name: string,
  check: ReadinessCheck,
  timeoutMs: number,
  logger: Logger,
): Promise<true | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    const result = await Promise.race([check(), timeout]);
    if (result === true) return true;
    logger.debug({ check: name, reason: result }, 'readiness check failed');
    return oneShortLine(result);
  } catch (error) {
    const reason = failureReason(error);
    logger.debug(
      { check: name, reason, err: error instanceof Error ? error.message : String(error) },
      'readiness check failed',
    );
    return reason;
  } finally {
    clearTimeout(timer);
  }
}

function oneShortLine(text: string): string {
  const line = (text.split('\n')[0] ?? '').trim();
  return line === '' ? 'down' : line.slice(0, MAX_REASON_LENGTH);
}
