/**
 * What the simulator remembers of the calls it was sent: a record per request (tests assert on
 * them), an access-log line as each exchange ends, and the counters behind `stats()` (logins, the
 * requests in flight and their peak), by which tests hold a client to its concurrency budget.
 */
import type { ServerResponse } from 'node:http';

export interface CallRecord {
  method: string;
  /** Pathname only: the login's query string holds secrets. */
  path: string;
  /** In memory only, never printed (it holds the login's secrets). */
  query: Record<string, string>;
  /** Status sent; 0 when no complete answer was sent (hang, stall, client gone). */
  status: number;
  startedAt: number;
  /** When the exchange ended (answer sent or connection closed); 0 while still open. */
  finishedAt: number;
  /** The call carried a valid session token, or was a successful login. */
  authorized: boolean;
}

export interface CallCounters {
  logins: number;
  maxInFlight: number;
  inFlight: number;
}

export interface CallLog {
  /** Records a call as it arrives; the record is finished when `res` closes, however it ends. */
  open(call: Pick<CallRecord, 'method' | 'path' | 'query'>, res: ServerResponse): CallRecord;
  countLogin(): void;
  counters(): CallCounters;
  /** Counts afresh; the requests still in flight are the new peak. */
  reset(): void;
}

export function createCallLog(options: {
  /** Read at each call, so that the simulator can start a new list (resetCalls). */
  calls(): CallRecord[];
  /** Access log; receives method, path and status only. */
  log?: ((line: string) => void) | undefined;
}): CallLog {
  let inFlight = 0;
  let maxInFlight = 0;
  let logins = 0;
  return {
    open(call, res) {
      const record: CallRecord = {
        ...call,
        status: 0,
        startedAt: Date.now(),
        finishedAt: 0,
        authorized: false,
      };
      options.calls().push(record);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('close', () => {
        inFlight--;
        record.finishedAt = Date.now();
        options.log?.(`${record.method} ${record.path} ${record.status || '-'}`);
      });
      return record;
    },
    countLogin() {
      logins++;
    },
    counters: () => ({ logins, maxInFlight, inFlight }),
    reset() {
      logins = 0;
      maxInFlight = inFlight;
    },
  };
}
