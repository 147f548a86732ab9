import type { IncomingMessage, ServerResponse } from 'node:http';

/** Requests whose client was told 100 Continue (and so is sending its body). */
const continued = new WeakSet<IncomingMessage>();

/**
 * Sends 100 Continue once something starts reading the request's body (a
 * 'data' or 'readable' listener: readBody, pipe, async iteration), so a
 * request a route refuses first — a declared body over its limit, an unknown
 * function, a caller without permission — gets its error before the client
 * uploads anything. Such an error closes the connection (see sendJson), so
 * the body the client then does not send is not waited for.
 */
export function continueOnRead(req: IncomingMessage, res: ServerResponse): void {
  const onListener = (event: string | symbol): void => {
    if (event !== 'data' && event !== 'readable') return;
    req.off('newListener', onListener);
    if (res.headersSent) return;
    res.writeContinue();
    continued.add(req);
  };
  req.on('newListener', onListener);
}

/** Whether the client holds its body back until it hears 100 Continue, and has not heard it. */
export function awaitsContinue(req: IncomingMessage): boolean {
  return req.headers.expect?.toLowerCase() === '100-continue' && !continued.has(req);
}
