import type { LambdaErrorPayload } from './protocol.js';

/** What one run in an environment produced, as the invoker sees it. */
export interface EnvironmentResult {
  /** JSON text of the handler's result; absent when `error` is set. */
  payload?: string;
  /** Lambda's unhandled function error. */
  error?: LambdaErrorPayload;
  /** Init ran for this invocation (a cold start) and took this long. */
  initDurationMs?: number;
  durationMs: number;
  maxMemoryMB: number;
  /** The handler's console output in Lambda's line format. */
  logs: string;
  /** Id of the environment that served it. */
  environmentId: string;
}

/** What the invoker passes down for one run. */
export interface EnvironmentRequest {
  requestId: string;
  payload: string;
  job?: string;
  batch?: boolean;
  clientContext?: string;
  identity?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}
