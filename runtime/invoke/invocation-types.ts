import type { LambdaErrorPayload } from '../environment/index.js';
import type { ThrottleReason } from '../errors/index.js';

/** Lambda's three invocation types. */
export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

/** Options of one invocation. */
export interface InvokeOptions {
  /** @defaultValue "RequestResponse" */
  type?: InvocationType;
  /** `Tail` returns the last 4 KB of the log, base64, in `logResult`. @defaultValue "None" */
  logType?: 'None' | 'Tail';
  /** Client context, as the handler sees it in `context.clientContext`. */
  clientContext?: unknown;
  /** Caller identity, as the handler sees it in `context.identity`. */
  identity?: unknown;
  /** Cancels the invocation: a running one terminates its environment. */
  signal?: AbortSignal;
  /** For a function holding several jobs: which one to run. */
  job?: string;
  /** The payload is an array of events for one batched call (AppSync BatchInvoke). */
  batch?: boolean;
  /**
   * With `batch`: fields every event of the batch has, given once instead of
   * in each item (AppSync's identity, request and info are the same for
   * every item of a resolver's batch). The handler gets each item with these
   * fields added — a batch job's items share the same objects, items run one
   * by one get their own copies; the payload limit and `inputSchema` count
   * them in every item.
   */
  batchShared?: Record<string, unknown>;
  /** Request id to use (async retries keep theirs): 1 to 128 letters, digits, `_` or `-`; a fresh UUID by default. */
  requestId?: string;
}

/** What an invocation returned, in the terms of Lambda's Invoke API. */
export interface InvokeResult {
  requestId: string;
  functionName: string;
  /** 200 (RequestResponse), 202 (Event accepted), 204 (DryRun passed). */
  statusCode: 200 | 202 | 204;
  /** JSON text the function returned, or its error payload; absent for 202/204 and for a streamed response. */
  payload?: string;
  /**
   * A streaming handler's response, buffered (it was invoked with `invoke`):
   * the bytes it wrote, which need not be JSON nor text; `payload` holds them as UTF-8 text.
   */
  payloadBytes?: Uint8Array;
  /** `Unhandled` when the function failed (Lambda's X-Amz-Function-Error). */
  functionError?: 'Unhandled';
  /** The function's error, parsed (when functionError is set). */
  error?: LambdaErrorPayload;
  /**
   * A batch (`options.batch`) whose job is not batch aware ran item by item:
   * the indices of the items whose handler threw, each `{ errorType,
   * errorMessage }` in the payload array. Absent when the job answered the
   * batch itself (its array is then read by AppSync's convention).
   */
  itemErrors?: number[];
  /** Last 4 KB of the log, base64 (LogType Tail). */
  logResult?: string;
  executedVersion: string;
  /** Time inside the handler, ms. */
  durationMs?: number;
  /** Set on a cold start: module-scope init time, ms. */
  initDurationMs?: number;
}

/**
 * Takes a streamed response's bytes in order, as the function writes them
 * (`Invoker.invokeWithResponseStream`). The bytes are the sink's to keep; it
 * calls `release` once they have left (its client took them), which is what
 * paces a handler that waits for 'drain'. The first chunk carries the
 * response's content type.
 */
export type StreamSink = (bytes: Uint8Array, release: () => void, contentType?: string) => void;

/** One finished run, for metrics and records. */
export interface InvocationOutcome {
  requestId: string;
  functionName: string;
  job?: string;
  type: InvocationType;
  durationMs: number;
  initDurationMs?: number;
  memoryMB: number;
  maxMemoryMB: number;
  error?: LambdaErrorPayload;
  environmentId: string;
}

/** One invocation refused for concurrency (TooManyRequestsException), for metrics. */
export interface InvocationThrottle {
  requestId: string;
  functionName: string;
  type: InvocationType;
  reason: ThrottleReason;
}
