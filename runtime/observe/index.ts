export { InvocationLog } from './invocation-log.js';
export type { InvocationLogEntry, InvocationLogOptions, InvocationReport } from './invocation-log.js';
export { HostMetrics, DEFAULT_HOST_METRICS_OPTIONS } from './host-metrics.js';
export type { FunctionSnapshot, HostMetricsOptions, MetricsSnapshot, RecentInvocation } from './host-metrics.js';
export { OutcomeRing, nearestRank } from './outcome-ring.js';
export type { LatencySummary, TimedOutcome } from './outcome-ring.js';
export type {
  EnvironmentCounts, IteratorAge, ObservedFunction, ObservedFunctionConfig, ObservedHost, ObservedOutcome, ObservedThrottle,
  QueueSnapshot,
} from './observed-host.js';
export { metricsRoute } from './metrics-route.js';
export { LogsEndpoint } from './logs-endpoint.js';
export type { LogsEndpointParts } from './logs-endpoint.js';
export type { ObserveRequest, ObserveRoute } from './observe-route.js';
export { createHostLogger } from './host-logger.js';
export type { HostLogger, HostLoggerOptions } from './host-logger.js';
export { parsePrometheusText, sumSamples } from './prometheus-text.js';
export type { PrometheusSample } from './prometheus-text.js';
export { estimateConcurrency, estimateFromMetrics, formatFigure } from './concurrency-estimate.js';
export type { ConcurrencyEstimate, MetricsEstimate, ObservedLoad } from './concurrency-estimate.js';
