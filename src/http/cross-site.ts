/**
 * Cross-site requests that would change something. Browsers resend basic-auth credentials on their
 * own, so without this check a page on another site could make a logged-in admin's browser queue
 * syncs (`POST /resync`, a plain form POST needs no CORS preflight) or retry and delete jobs in
 * the dashboard. Safe methods stay allowed: they change nothing and the answer is not readable
 * cross-site anyway.
 *
 * Modern browsers say where a request comes from in `Sec-Fetch-Site`; older ones send `Origin` on
 * cross-origin POSTs. Clients that are not browsers (curl, scripts) send neither and pass.
 */
import type { IncomingMessage } from 'node:http';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isCrossSiteWrite(req: IncomingMessage): boolean {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return false;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    // `Origin: null` (sandboxed frames, file://) is a browser that will not say where it is.
    return true;
  }
}
