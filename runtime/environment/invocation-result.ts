import type { LambdaErrorPayload } from './protocol.js';

/** What one run in an environment produced, as the invoker sees it. */
export interface EnvironmentResult {
  /** JSON text of the handler's result; absent when `error` is set, and when the response was streamed. */
  payload?: string;
  /**
   * A streaming handler's buffered response, as bytes (it need not be JSON,
   * nor text); `payload` then holds the same as UTF-8 text.
   */
  payloadBytes?: Uint8Array;
  /** Lambda's unhandled function error. */
  error?: LambdaErrorPayload;
  /**
   * Set when a batch ran item by item (its job is not batch aware): the
   * indices of the items whose handler threw, each `{ errorType,
   * errorMessage }` in the payload. Every other item is what its handler
   * returned, whatever its shape.
   */
  itemErrors?: number[];
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
  /** JSON text of an object whose fields go into every item of a batch (see `InvokeOptions.batchShared`). */
  batchShared?: string;
  clientContext?: string;
  identity?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Run in an idle or a new environment now, never wait for a busy one by
   * choice (warm-first): a queued event that is claimed runs, or stays in its
   * queue; it does not wait in the pool marked RUNNING.
   */
  startNow?: boolean;
  /**
   * Stream the response (InvokeWithResponseStream): a streaming handler's
   * writes reach `onChunk` as it makes them, up to `limitBytes` in all; a
   * non-streaming handler answers `payload` as usual.
   */
  stream?: ResponseStreamTarget;
}

/** Where a streamed response goes. */
export interface ResponseStreamTarget {
  /** Most bytes a handler may stream; past it the invocation fails with Function.ResponseSizeTooLarge. */
  limitBytes: number;
  /**
   * Called with each chunk in order, before the run resolves; the bytes are
   * the callee's to keep. The callee calls `release` once the bytes have left
   * (its client took them): until then they count against the handler's
   * backpressure. The first chunk carries the content type the handler set.
   */
  onChunk: StreamChunkSink;
}

/** Takes one chunk of a streamed response (see {@link ResponseStreamTarget.onChunk}). */
export type StreamChunkSink = (bytes: Uint8Array, release: () => void, contentType?: string) => void;
