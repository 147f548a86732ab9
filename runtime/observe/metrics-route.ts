import type { HostMetrics } from './host-metrics.js';
import type { ObserveRoute } from './observe-route.js';

/** `GET /metrics`: the Prometheus text exposition of the host's metrics. */
export function metricsRoute(metrics: Pick<HostMetrics, 'metrics' | 'contentType'>, path = '/metrics'): ObserveRoute {
  return async ({ req, res, url }) => {
    if (url.pathname !== path) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return true;
    }
    const text = await metrics.metrics();
    res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : text);
    return true;
  };
}
