import type { ServerResponse } from 'node:http';
import { httpStatusOf, NeolithError, TooManyRequestsError } from '../errors/index.js';

/** Sends a JSON body with a status and extra headers. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
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
