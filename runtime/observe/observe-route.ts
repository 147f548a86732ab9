import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The part of an HTTP request an observe/ route reads. Structurally the
 * http part's `RequestContext` (observe/ sits below http/ and imports
 * nothing from it), so these routes go straight into `HttpServer.use`.
 */
export interface ObserveRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** Whether the caller may see a function's logs (see the HTTP server's RequestContext); absent, every function's. */
  readonly canRead?: (functionName: string, job?: string) => boolean;
}

/** A route: false when the request is not its own. */
export type ObserveRoute = (ctx: ObserveRequest) => boolean | Promise<boolean>;
