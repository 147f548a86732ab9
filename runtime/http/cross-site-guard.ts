import type { IncomingMessage } from 'node:http';
import type { HttpRoute } from './http-route.js';
import { sendJson } from './send.js';

/** Methods a cross-site page can send without a preflight only as reads; everything else changes something. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a browser sent this request from a page of another origin. Browsers
 * mark their requests (`Sec-Fetch-Site`, `Origin`); SDKs, the CLI and curl
 * send neither, so they are never refused here.
 */
export function isCrossSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  // The browser's own verdict wins over comparing Origin with a Host a proxy may have rewritten.
  if (site === 'same-origin' || site === 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  if (origin === 'null') return true; // a sandboxed frame, a file:// page
  try {
    return new URL(origin).host !== (req.headers.host ?? '').toLowerCase();
  } catch {
    return true;
  }
}

/**
 * Cross-site request forgery: a page of any origin can make the browser POST
 * (a form, or `fetch` with `text/plain`) to this host; when auth is off, or
 * the browser runs on the host's machine (loopback callers need no
 * signature), that request would invoke and reconfigure functions. The
 * host's own surfaces (`prefixes`: the Lambda API, sources, records, logs)
 * take no writes from another site's pages. GraphQL and the REST routes keep
 * their own CORS and CSRF rules, for the browser apps they serve.
 */
export function crossSiteWriteGuard(prefixes: readonly string[]): HttpRoute {
  return (ctx) => {
    const { req, url } = ctx;
    const path = url.pathname;
    // Following logs is a read that holds one of a few slots: other sites' pages may not take them.
    const holdsSlot = path === '/logs' && url.searchParams.has('follow');
    if ((READS.has(req.method ?? 'GET') && !holdsSlot) || !isCrossSite(req)) return false;
    if (!prefixes.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`))) return false;
    sendJson(ctx.res, 403, {
      Type: 'User',
      message: `Cross-site requests may not change this host: a page of ${req.headers.origin ?? 'another site'} sent ${req.method} ${path}. Call it from an SDK, the CLI or curl, or from a page of this host.`,
    }, { 'x-amzn-ErrorType': 'AccessDeniedException', 'x-amzn-RequestId': ctx.requestId });
    return true;
  };
}
