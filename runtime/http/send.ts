import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpStatusOf, NeolithError, TooManyRequestsError } from '../errors/index.js';
import { awaitsContinue } from './expect-continue.js';

/**
 * Most of a refused request's body the server still reads and drops, so that
 * its client, which sends the body before it reads the answer (fetch, most
 * SDKs), gets to read the answer: a connection closed under an upload is
 * reset, and the client sees a broken pipe instead of the 413. Past this the
 * connection is cut; a client that declares more is told `Connection: close`
 * and not read at all.
 */
export const REFUSED_BODY_DRAIN_BYTES = 16 * 1024 * 1024;

/**
 * Sends a JSON body with a status and extra headers. Sent before the request's
 * body was read (a 413 on its declared length, an unknown function), the rest
 * of the body is read and dropped, up to REFUSED_BODY_DRAIN_BYTES; a client
 * still waiting for 100 Continue, or declaring more, gets `Connection: close`
 * instead, and nothing of its body is waited for (RFC 9110 §10.1.1).
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  const req = res.req;
  const close = bodyUnread(req) && !drainRefusedBody(req);
  res.writeHead(status, {
    'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers,
    ...(close && { connection: 'close' }),
  });
  res.end(text);
}

/** Whether the request declares a body that has not been received in full. */
function bodyUnread(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Reads and drops the rest of a refused body within the budget; false when it will not be sent or is over it. */
function drainRefusedBody(req: IncomingMessage): boolean {
  if (awaitsContinue(req) || Number(req.headers['content-length']) > REFUSED_BODY_DRAIN_BYTES) return false;
  let dropped = 0;
  // A chunked body has no length to judge by: it is cut once it passes the budget.
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > REFUSED_BODY_DRAIN_BYTES) req.destroy();
  });
  req.resume();
  return true;
}

/**
 * Sends an error the way Lambda's API does: the error type in
 * `x-amzn-ErrorType` (what the AWS SDK reads) and `{ Type, message }` in the body.
 */
export function sendError(res: ServerResponse, error: unknown, requestId: string): void {
  if (res.headersSent) {
    res.destroy(error instanceof Error ? error : undefined);
    return;
  }
  const status = httpStatusOf(error);
  if (error instanceof NeolithError) {
    const headers: Record<string, string> = { 'x-amzn-ErrorType': error.code, 'x-amzn-RequestId': requestId };
    if (error instanceof TooManyRequestsError) headers['Retry-After'] = '1';
    sendJson(res, status, error.toJSON(), headers);
    return;
  }
  // Unexpected: log it for the operator, tell the caller no more than it needs.
  process.emitWarning(`neolith: unexpected error serving a request: ${(error as Error)?.stack ?? String(error)}`);
  sendJson(res, 500, { Type: 'Service', message: 'Internal error in the neolith host' }, {
    'x-amzn-ErrorType': 'ServiceException', 'x-amzn-RequestId': requestId,
  });
}
