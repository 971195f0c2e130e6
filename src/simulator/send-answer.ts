/**
 * How an answer reaches the client, or the fault injected in its place: a status of the rule's
 * choosing, a proxy's HTML page, silence, half a body (then a hang or a closed connection), the
 * real answer with one record's id gone, or a page of records never seen before.
 */
import type { ServerResponse } from 'node:http';
import type { Fault } from './faults.js';

export interface Answer {
  status: number;
  /** JSON, unless `contentType` is given: then written as it is. */
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

const ID_FIELDS = ['locationId', 'professionalId', 'reasonId', 'clientId', 'calendarId', 'calendarid'];
const HTML_PAGE =
  '<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head>' +
  '<body><h1>We&rsquo;ll be right back</h1><p>TimeTap is undergoing maintenance.</p></body></html>';

/**
 * Sends `real()` (called only when the fault needs the real answer) or the fault's answer; returns
 * the status sent, 0 when no complete answer was sent.
 */
export function sendAnswer(res: ServerResponse, fault: Fault | undefined, real: () => Answer): number {
  switch (fault?.type) {
    case 'hang':
      return 0;
    case 'status': {
      const body = fault.body ?? JSON.stringify({ error: 'Injected fault', status: fault.status });
      const type = /^\s*[[{]/.test(body) ? 'application/json' : 'text/plain; charset=utf-8';
      writeBody(res, fault.status, body, type, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
      return fault.status;
    }
    case 'html':
      writeBody(res, 200, HTML_PAGE, 'text/html; charset=utf-8');
      return 200;
    case 'stall':
    case 'truncated': {
      const { status, body } = real();
      const bytes = Buffer.from(JSON.stringify(body));
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length });
      const half = bytes.subarray(0, Math.floor(bytes.length / 2));
      if (fault.type === 'stall') {
        res.write(half);
        return 0;
      }
      res.write(half, () => res.destroy());
      return status;
    }
    case 'endless': {
      const result = real();
      const body = result.status === 200 ? endlessPage(result.body, fault) : result.body;
      writeBody(res, result.status, JSON.stringify(body), 'application/json', result.headers);
      return result.status;
    }
    case 'drop-id':
    case 'revoke':
    case undefined: {
      const result = real();
      if (result.contentType !== undefined) {
        writeBody(res, result.status, String(result.body), result.contentType, result.headers);
        return result.status;
      }
      const body =
        fault?.type === 'drop-id' && result.status === 200 ? withoutOneId(result.body) : result.body;
      writeBody(res, result.status, JSON.stringify(body), 'application/json', result.headers);
      return result.status;
    }
    default: {
      const never: never = fault;
      throw new Error(`unknown fault ${JSON.stringify(never)}`);
    }
  }
}

export function writeBody(
  res: ServerResponse,
  status: number,
  body: string,
  type: string,
  headers = {},
): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** The body with one record's id fields gone (top level only: nested objects keep theirs). */
function withoutOneId(body: unknown): unknown {
  const strip = (object: unknown) => {
    if (!object || typeof object !== 'object') return object;
    const copy: Record<string, unknown> = { ...(object as Record<string, unknown>) };
    for (const field of ID_FIELDS) delete copy[field];
    return copy;
  };
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    // A report's wrapper (whatever its property names; it has no id of its own): strip inside its array.
    const arrays = Object.entries(body).filter(([, value]) => Array.isArray(value));
    const [only] = arrays;
    const isWrapper = !ID_FIELDS.some((field) => field in body) && arrays.length === 1 && only;
    return isWrapper ? { ...body, [only[0]]: withoutOneId(only[1]) } : strip(body);
  }
  if (!Array.isArray(body)) return body;
  if (body.length === 0) return body;
  const copy = [...body];
  const middle = Math.floor(copy.length / 2);
  copy[middle] = strip(copy[middle]);
  return copy;
}

/** Ids no generated record has (the generators stay far below), one more each time. */
let nextEndlessId = 900_000_000;

/** A full page of fresh records shaped like the real answer's first (in a report's wrapper too). */
function endlessPage(body: unknown, fault: { records: number; count?: number }): unknown {
  const fresh = (template: unknown) => {
    const copy: Record<string, unknown> = { ...(template as Record<string, unknown>) };
    for (const field of ID_FIELDS) if (field in copy) copy[field] = nextEndlessId++;
    return copy;
  };
  const page = (records: unknown[]) => Array.from({ length: fault.records }, () => fresh(records[0] ?? {}));
  if (Array.isArray(body)) return page(body);
  if (!body || typeof body !== 'object') return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (Array.isArray(value)) out[key] = page(value);
    else out[key] = typeof value === 'number' && fault.count !== undefined ? fault.count : value;
  }
  return out;
}
