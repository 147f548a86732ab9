import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { DEFAULT_HTTP_OPTIONS } from '../config/index.js';
import { continueOnRead } from './expect-continue.js';
import { HostHeaderGuard } from './host-header-guard.js';
import type { HttpRoute, RequestContext } from './http-route.js';
import { sendError, sendJson } from './send.js';

/** Options of the HTTP server. */
export interface HttpServerOptions {
  /** @defaultValue 4000 */
  port?: number;
  /** @defaultValue "127.0.0.1" */
  host?: string;
  /** Largest request head, bytes. @defaultValue 16384 */
  maxHeaderSize?: number;
  /** Names besides loopback ones a loopback-bound server answers to (see HostHeaderGuard). @defaultValue [] */
  allowedHosts?: readonly string[];
  /**
   * Longest time a client may take to send a whole request, head and body,
   * counted from its first byte (from the connection, for its first request).
   * Past it the request is answered 408 RequestTimeoutException and the
   * connection closed. It bounds receiving only: once the request is in, its
   * handler may run as long as its function's timeout allows (up to 900 s).
   * The head alone must arrive within 10 s, or within this if shorter.
   * A client that reads nothing of its response for this long is cut too.
   * @defaultValue 30000
   */
  requestTimeoutMs?: number;
}

/** How long close() waits for open connections before cutting them. */
const CLOSE_GRACE_MS = 10_000;
/** Longest time a request's head may take to arrive (node's `headersTimeout`, 60 s by default). */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * The host's one HTTP port: a list of routes tried in order, each a part of
 * the surface (Lambda API, GraphQL, health). Unknown paths get Lambda's 404.
 */
export class HttpServer {
  readonly #server: Server;
  readonly #routes: HttpRoute[] = [];
  readonly #options: Required<HttpServerOptions>;
  readonly #hosts: HostHeaderGuard;
  #closed: Promise<void> | undefined;
  /** Open connections that have not sent a request yet. */
  readonly #unserved = new Set<Socket>();

  constructor(options: HttpServerOptions = {}) {
    this.#options = {
      port: 4000, host: '127.0.0.1', maxHeaderSize: 16384, allowedHosts: [], requestTimeoutMs: DEFAULT_HTTP_OPTIONS.requestTimeoutMs, ...options,
    };
    this.#hosts = new HostHeaderGuard(this.#options.host, this.#options.allowedHosts);
    const requestTimeout = this.#options.requestTimeoutMs;
    // node refuses a headersTimeout longer than the requestTimeout.
    const headersTimeout = Math.min(HEADERS_TIMEOUT_MS, requestTimeout);
    this.#server = createServer({
      maxHeaderSize: this.#options.maxHeaderSize,
      // node counts both from the start of a request (of the connection, for its first) and stops watching
      // a request once its body is complete (ConnectionsList::Expired in src/node_http_parser.cc): a handler
      // running long after its request arrived is never cut.
      requestTimeout,
      headersTimeout,
      // node looks for expired requests only this often (every 30 s by default), so a timeout fires up to
      // this late: look often enough that it fires within a tenth of its length, at most once a second.
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(headersTimeout / 10))),
    }, (req, res) => void this.#handle(req, res));
    this.#server.keepAliveTimeout = 5_000;
    this.#server.on('connection', (socket: Socket) => {
      this.#unserved.add(socket);
      socket.once('close', () => this.#unserved.delete(socket));
    });
    // A client that stops reading its response would hold the socket and the unsent bytes for ever.
    // node times a socket out after this long without progress either way (a write the kernel is
    // still taking counts as progress); with a listener here it leaves the decision to cutStalled.
    this.#server.timeout = requestTimeout;
    this.#server.on('timeout', cutStalled);
    this.#server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      refuseMalformed(error, socket, `the request's head must arrive within ${headersTimeout} ms and all of it within ${requestTimeout} ms`);
    });
    // Expect: 100-continue. Left to node, 100 Continue goes out before any route looks at the request,
    // and the client uploads the whole body just to hear it is too large or its function unknown.
    this.#server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      continueOnRead(req, res);
      void this.#handle(req, res);
    });
    this.#routes.push(({ url, res }) => {
      if (url.pathname !== '/healthz') return false;
      sendJson(res, 200, { status: 'ok' });
      return true;
    });
  }

  /** Adds a route; routes are tried in the order added. */
  use(route: HttpRoute): this {
    this.#routes.push(route);
    return this;
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<{ port: number; host: string; url: string }> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off('error', reject);
        const { port } = this.#server.address() as AddressInfo;
        const host = this.#options.host;
        resolve({ port, host, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` });
      });
    });
  }

  /** Whether a request names this server by a name it answers to (WebSocket upgrades check it too). */
  acceptsHost(req: IncomingMessage): boolean {
    return this.#hosts.allows(req);
  }

  /** The underlying node server (for WebSocket upgrades). */
  get server(): Server {
    return this.#server;
  }

  /**
   * Stops accepting, closes idle keep-alive connections, lets requests in
   * flight finish, and after `graceMs` closes whatever is still open (a stream
   * a client keeps reading, a socket nobody answers) so close always ends. Idempotent.
   */
  close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      if (!this.#server.listening) return resolve();
      const cut = setTimeout(() => this.#server.closeAllConnections(), graceMs);
      this.#server.close(() => {
        clearTimeout(cut);
        resolve();
      });
      this.#server.closeIdleConnections();
      // node counts a connection that has sent nothing yet (a client's spare, a browser's preconnect) as
      // busy, and would wait for its client to drop it: nothing is in flight on it, so it goes too. One
      // that has sent bytes (a request's head on its way, a WebSocket's upgrade) has the grace period.
      for (const socket of this.#unserved) if (socket.bytesRead === 0) socket.destroy();
    });
    return this.#closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    servedSockets.add(req.socket);
    this.#unserved.delete(req.socket);
    const requestId = randomUUID();
    const controller = new AbortController();
    // 'close' before the response finished means the client went away: cancel its work.
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendJson(res, 400, { Type: 'User', message: 'Malformed request URL' }, { 'x-amzn-ErrorType': 'InvalidParameterValueException' });
      return;
    }
    if (!this.#hosts.allows(req)) {
      sendJson(res, 403, {
        Type: 'User',
        message: `Host ${JSON.stringify(String(req.headers.host).slice(0, 100))} is not allowed: this host listens on loopback and answers loopback names only (localhost, 127.0.0.1, [::1]); add the name to allowedHosts in neolith.config.ts to use it`,
      }, { 'x-amzn-ErrorType': 'AccessDeniedException', 'x-amzn-RequestId': requestId });
      return;
    }
    const ctx: RequestContext = { req, res, url, requestId, signal: controller.signal };
    try {
      for (const route of this.#routes) {
        if (await route(ctx)) return;
      }
      sendJson(res, 404, { Type: 'User', message: `No route for ${req.method} ${url.pathname}` }, {
        'x-amzn-ErrorType': 'UnknownOperationException', 'x-amzn-RequestId': requestId,
      });
    } catch (error) {
      // The client went away mid-request (mid-body: the read fails with "aborted"; a route waiting on
      // ctx.signal rejects with its reason): nobody to answer, and not the host's fault. Other errors
      // are reported even then.
      if (controller.signal.aborted && (error === controller.signal.reason || isClientAbort(error))) {
        res.destroy();
        return;
      }
      sendError(res, error, requestId);
    }
  }
}

/**
 * A socket without progress for the request timeout: cut it if a response is
 * waiting for the client to read it, or if it is idle between requests (the
 * keep-alive timeout, which node would cut itself without a listener). A
 * handler still working on its answer is left alone: its function's timeout
 * bounds it.
 */
function cutStalled(socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (inFlight ? socket.writableLength > 0 : servedSockets.has(socket)) socket.destroy();
  // Otherwise a connection still to send its first request: its head timeout answers it 408.
}

/** Connections that have had a request: one idle without a response in flight is between requests. */
const servedSockets = new WeakSet<Duplex>();

/**
 * Answers a request node refused before any route saw it (header overflow, bad framing, too slow) in
 * Lambda's error shape, then closes the connection: the rest of what the client sends cannot be parsed.
 */
function refuseMalformed(error: NodeJS.ErrnoException, socket: Duplex, timeoutRule: string): void {
  // A response this socket already began cannot be followed by another; node's own handler only cuts it then.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, type, message] = error.code === 'HPE_HEADER_OVERFLOW'
    ? ['431 Request Header Fields Too Large', 'RequestHeaderFieldsTooLargeException', 'Request header fields too large']
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      // RequestTimeoutException is an error code the AWS SDK retries as transient.
      ? ['408 Request Timeout', 'RequestTimeoutException', `Request not received in time: ${timeoutRule}`]
      : ['400 Bad Request', 'BadRequestException', 'Malformed HTTP request'];
  const body = JSON.stringify({ Type: 'User', message });
  // Destroyed once written: node leaves the socket to this handler, and an HTTP socket is half-open, so
  // end() alone would go on reading whatever a slow client still sends.
  socket.end(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`
    + `x-amzn-ErrorType: ${type}\r\nconnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/** A read that failed because the client closed its connection. */
function isClientAbort(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ECONNABORTED' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (error as Error | undefined)?.message === 'aborted';
}
