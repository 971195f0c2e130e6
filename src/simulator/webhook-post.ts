/**
 * One webhook POST: sent once on a fresh connection (no agent, so no keep-alive socket outlives
 * it and nothing is retried underneath), bounded by a timeout over the whole exchange, and never
 * throwing: whatever happens comes back as a status (0 when no answer arrived) and an error.
 * Only `content-type` and `content-length` are set: TimeTap documents no signature, no event
 * header, no user agent, so a receiver must not need any.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface PostOutcome {
  /** The receiver's HTTP status; 0 when none arrived (refused, reset, timeout, aborted). */
  status: number;
  /** Why the exchange did not finish normally; absent when an answer was read to its end. */
  error?: string;
}

export interface PostRequest {
  url: URL;
  body: string;
  /** '' sends no content-type header. */
  contentType: string;
  timeoutMs: number;
}

export interface PendingPost {
  outcome: Promise<PostOutcome>;
  /** Ends the exchange now (the simulator closing); the outcome records `reason`. */
  abort(reason: string): void;
}

const describe = (error: unknown): string => {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
};

export function postOnce({ url, body, contentType, timeoutMs }: PostRequest): PendingPost {
  let finish: (outcome: PostOutcome) => void = () => {};
  const outcome = new Promise<PostOutcome>((resolve) => {
    finish = resolve;
  });
  let status = 0;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const settle = (error?: string) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    finish(error === undefined ? { status } : { status, error });
  };

  const bytes = Buffer.from(body, 'utf8');
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  let req: ReturnType<typeof httpRequest>;
  try {
    req = send(url, {
      method: 'POST',
      agent: false,
      headers: {
        ...(contentType === '' ? {} : { 'content-type': contentType }),
        'content-length': bytes.length,
      },
    });
  } catch (error) {
    settle(describe(error));
    return { outcome, abort: () => {} };
  }
  const end = (error: string) => {
    settle(error);
    req.destroy();
  };
  timer = setTimeout(() => end(`timeout after ${timeoutMs} ms`), timeoutMs);
  req.on('error', (error) => settle(describe(error)));
  req.on('response', (res) => {
    status = res.statusCode ?? 0;
    res.on('error', (error) => settle(describe(error)));
    res.on('end', () => settle());
    res.on('close', () => settle(res.complete ? undefined : 'connection closed before the answer ended'));
    res.resume(); // the answer's body means nothing to TimeTap; read it so the exchange ends
  });
  req.end(bytes);
  return { outcome, abort: end };
}
