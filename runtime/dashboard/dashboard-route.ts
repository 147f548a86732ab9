import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostMetrics, InvocationLog, MetricsSnapshot, ObserveRoute, RecentInvocation } from '../observe/index.js';
import { DASHBOARD_HTML } from './dashboard-page.js';

/** What the dashboard reads. */
export interface DashboardParts {
  metrics: Pick<HostMetrics, 'snapshot'>;
  log: Pick<InvocationLog, 'get'>;
  /** Where the "Open GraphiQL" button points. @defaultValue "/graphql" */
  graphqlPath?: string;
  /** Window of the latency percentiles, ms. @defaultValue 60000 */
  windowMs?: number;
  /** Recent invocations listed. @defaultValue 20 */
  recent?: number;
}

/** A recent invocation with the end of its log. */
export interface DashboardInvocation extends RecentInvocation {
  /** The last lines of the invocation's log (START … REPORT), at most 2 KB. */
  readonly logTail: string;
}

/** The JSON behind the page (`GET /dashboard/state`). */
export interface DashboardState extends Omit<MetricsSnapshot, 'recent'> {
  readonly graphqlPath: string;
  readonly recent: readonly DashboardInvocation[];
}

const TAIL_LINES = 12;
const TAIL_CHARS = 2048;

/**
 * The live dashboard, served by the host itself: the page at `/dashboard`
 * (and at `/` when a browser asks for HTML), its data at `/dashboard/state`.
 */
export function dashboardRoute(parts: DashboardParts): ObserveRoute {
  const page = Buffer.from(DASHBOARD_HTML, 'utf8');
  return async ({ req, res, url, canRead }) => {
    const path = url.pathname;
    const isPage = path === '/dashboard' || path === '/dashboard/' || (path === '/' && wantsHtml(req));
    if (!isPage && path !== '/dashboard/state') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return true;
    }
    if (isPage) {
      send(req, res, 'text/html; charset=utf-8', page);
      return true;
    }
    // A signed caller sees the functions it may read (auth.permissions), as on /logs: their rows, runs and totals.
    const state = await dashboardState(parts, canRead);
    send(req, res, 'application/json', Buffer.from(JSON.stringify(state), 'utf8'));
    return true;
  };
}

/** Builds the dashboard's data: the metrics snapshot, each recent invocation with its log tail. */
export async function dashboardState(parts: DashboardParts, visible?: (functionName: string, job?: string) => boolean): Promise<DashboardState> {
  const snapshot = await parts.metrics.snapshot({ windowMs: parts.windowMs ?? 60_000, recent: parts.recent ?? 20, ...(visible && { visible }) });
  return {
    ...snapshot,
    graphqlPath: parts.graphqlPath ?? '/graphql',
    recent: snapshot.recent.map((inv) => ({ ...inv, logTail: logTail(parts.log.get(inv.requestId)?.text ?? '') })),
  };
}

function logTail(text: string): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const tail = lines.slice(-TAIL_LINES).join('\n');
  return tail.length > TAIL_CHARS ? `…${tail.slice(-TAIL_CHARS)}` : tail;
}

function wantsHtml(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

function send(req: IncomingMessage, res: ServerResponse, type: string, body: Buffer): void {
  res.writeHead(200, {
    'content-type': type, 'content-length': body.byteLength, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
