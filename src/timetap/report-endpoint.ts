/**
 * Which pair of report endpoints answers an account's appointment reports. TimeTap documents
 * `appointmentList/reportWithCount` ("a list of appointments along with a count", its wrapper's
 * names undocumented) and `appointmentList/report` (a bare array) with `reportCount`; public code
 * uses the second pair. The client asks the pair it knows to work; when that answers 404 or a body
 * it cannot read, it tries the other, and what worked is remembered (`ReportMemory`): in the
 * process, and through the memory the wiring injects (a table of the mirror), so that the next
 * run starts with the pair that works. The client itself stores nothing.
 */

import { NotFoundError } from '../errors.js';
import type { Logger } from '../logger.js';
import { UnreadableReportError } from './report-body.js';

/** `reportWithCount`: pages with their count; `report`: bare pages, and `reportCount` for the count. */
export type ReportEndpoint = 'reportWithCount' | 'report';

export const REPORT_ENDPOINTS: readonly ReportEndpoint[] = ['reportWithCount', 'report'];

/** What the client learned of an account's report endpoints, kept where the wiring decides. */
export interface ReportMemory {
  /** The pair that worked last (for this account); undefined: nothing learned yet. */
  recall(): Promise<ReportEndpoint | undefined>;
  /** Called when a pair answered and it is not the one recalled. */
  remember(endpoint: ReportEndpoint): Promise<void>;
}

/** A memory of this process only (the default). */
export function createProcessReportMemory(initial?: ReportEndpoint): ReportMemory {
  let known = initial;
  return {
    recall: async () => known,
    remember: async (endpoint) => {
      known = endpoint;
    },
  };
}

export interface ReportEndpoints {
  /** The pair to ask now. */
  current(): Promise<ReportEndpoint>;
  /**
   * `read` with the current pair; on a 404 or an unreadable body, with the other one. The pair
   * that answered is remembered.
   */
  use<T>(read: (endpoint: ReportEndpoint) => Promise<T>): Promise<T>;
}

export function createReportEndpoints(memory: ReportMemory, logger: Logger): ReportEndpoints {
  let current: Promise<ReportEndpoint> | undefined;
  let remembered: ReportEndpoint | undefined;
  const recall = () => {
    current ??= memory.recall().then(
      (known) => {
        remembered = known;
        return known ?? 'reportWithCount';
      },
      () => 'reportWithCount' as const,
    );
    return current;
  };
  const learned = async (endpoint: ReportEndpoint) => {
    current = Promise.resolve(endpoint);
    if (remembered === endpoint) return;
    if (remembered !== undefined)
      logger.info(
        { from: remembered, to: endpoint },
        'appointment reports now read through another endpoint',
      );
    remembered = endpoint;
    await memory
      .remember(endpoint)
      .catch((error: unknown) =>
        logger.warn(
          { endpoint, err: error instanceof Error ? error.message : String(error) },
          'could not record which report endpoint answers',
        ),
      );
  };
  return {
    current: recall,
    async use(read) {
      const first = await recall();
      try {
        const result = await read(first);
        await learned(first);
        return result;
      } catch (error) {
        if (!isOtherPairSign(error)) throw error;
        const other = first === 'reportWithCount' ? 'report' : 'reportWithCount';
        logger.warn(
          { endpoint: first, why: error instanceof Error ? error.message : String(error), trying: other },
          'appointment report endpoint did not answer as expected',
        );
        const result = await read(other);
        await learned(other);
        return result;
      }
    },
  };
}

/** 404, or a JSON body that is no report: this account speaks the other pair. */
function isOtherPairSign(error: unknown): boolean {
  return error instanceof NotFoundError || error instanceof UnreadableReportError;
}
