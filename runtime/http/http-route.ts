import type { IncomingMessage, ServerResponse } from 'node:http';

/** Context of one HTTP request, shared by every route. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** x-amzn-RequestId of this request (and of the invocation it makes). */
  requestId: string;
  /** Aborted when the client goes away before the response is sent. */
  signal: AbortSignal;
  /** The body, when the access guard already read it to check a signature (the stream is spent then). */
  body?: Buffer;
  /**
   * Whether the signed caller may see a function's data (records, dead
   * letters, logs, mappings): set by the access guard for signed callers;
   * absent, every function's data is visible (auth off, or a trusted
   * anonymous caller).
   */
  canRead?: (functionName: string, job?: string) => boolean;
  /**
   * Whether the signed caller may make a function run (map events to it,
   * redrive or drop its dead letters): set with `canRead`, absent likewise.
   */
  canInvoke?: (functionName: string, job?: string) => boolean;
}

/**
 * A part of the HTTP surface. Returns false when the request is not its own,
 * so the next route gets it.
 */
export type HttpRoute = (ctx: RequestContext) => boolean | Promise<boolean>;
