import type { ServerResponse } from 'node:http';
import { AccessDeniedError, InvalidParameterValueError, ResourceNotFoundError } from '../errors/index.js';
import type { InvocationLog, InvocationLogEntry } from './invocation-log.js';
import type { ObserveRequest, ObserveRoute } from './observe-route.js';

/** What the logs endpoint reads. */
export interface LogsEndpointParts {
  log: Pick<InvocationLog, 'get' | 'recent' | 'follow'>;
  /**
   * Turns what a caller names (a function, an ARN, a job such as
   * `users/getUser`) into the function whose log holds it; throws
   * `ResourceNotFoundError` for an unknown name. @defaultValue the name as given
   */
  resolveFunction?: (name: string) => string;
  /** Comment sent on idle follow streams so proxies keep them open, ms. @defaultValue 15000 */
  heartbeatMs?: number;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** A follower this far behind (bytes waiting besides the newest frame) is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** Followers at once, per host: each holds a socket and up to MAX_BUFFERED_BYTES plus one frame. */
export const MAX_FOLLOWERS = 100;

/**
 * The latest entry's event-stream frames: the log hands each new entry to
 * every follower in one synchronous pass, so one slot builds each frame once
 * however many follow, and keeps no copy of older entries.
 */
let latest: { entry: InvocationLogEntry; json?: string; text?: string } | undefined;

function frameOf(entry: InvocationLogEntry, format: 'json' | 'text'): string {
  if (latest?.entry !== entry) latest = { entry };
  return latest[format] ??= `event: log\nid: ${entry.requestId.replace(/[\r\n]/g, '')}\n${format === 'text'
    // Every line ending the event stream knows (CRLF, LF, a lone CR) starts a data line: a CR left inside one would end it early.
    ? entry.text.replace(/\n$/, '').split(/\r\n|\r|\n/).map((l) => `data: ${l}`).join('\n')
    : `data: ${JSON.stringify(entry)}`}\n\n`;
}

/**
 * `GET /logs`: function logs (START / output / END / REPORT, as Lambda
 * writes them to CloudWatch) by function or by request id, and followed live.
 *
 * - `?function=NAME[&limit=N]` — the last N entries (default 100, at most 1000), oldest first; an
 *   async request retried is one entry holding each attempt once, placed by its last attempt
 * - `?requestId=ID[&function=NAME]` — one invocation's log (every attempt); 404 when unknown
 * - `&follow=true` — `text/event-stream`: the last `limit` entries (default 0), then each new one
 *   as an `event: log` whose data is the entry's JSON (a retry's entry: that attempt's log only);
 *   without `function`, every function's
 * - `&format=text` — the log text itself instead of JSON entries
 *
 * Follow streams are ended by `close()` (the host calls it before the
 * server closes, which would otherwise wait on them).
 */
export class LogsEndpoint {
  readonly #parts: LogsEndpointParts;
  readonly #streams = new Set<() => void>();
  #closed = false;

  constructor(parts: LogsEndpointParts) {
    this.#parts = parts;
  }

  /** The route to add to the HTTP server. */
  readonly route: ObserveRoute = (ctx) => {
    if (ctx.url.pathname !== '/logs' && ctx.url.pathname !== '/logs/') return false;
    if (ctx.req.method !== 'GET') {
      ctx.res.writeHead(405, { allow: 'GET' });
      ctx.res.end();
      return true;
    }
    this.#serve(ctx);
    return true;
  };

  /** Ends every follow stream. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    for (const end of [...this.#streams]) end();
    return Promise.resolve();
  }

  #serve({ res, url, canRead = () => true }: ObserveRequest): void {
    const query = url.searchParams;
    const name = query.get('function') ?? query.get('functionName') ?? undefined;
    const functionName = name === undefined || name === '' ? undefined : (this.#parts.resolveFunction?.(name) ?? name);
    if (functionName !== undefined && !canRead(functionName)) {
      throw new AccessDeniedError(`the caller may not read the logs of function ${functionName} (auth.permissions)`);
    }
    const requestId = query.get('requestId') ?? undefined;
    const follow = booleanParam(query, 'follow');
    const format = query.get('format') ?? 'json';
    if (format !== 'json' && format !== 'text') throw new InvalidParameterValueError(`format must be json or text (got ${JSON.stringify(format.slice(0, 64))})`);
    const limit = limitParam(query, follow ? 0 : DEFAULT_LIMIT);

    if (follow) {
      if (requestId !== undefined) throw new InvalidParameterValueError('follow cannot be combined with requestId: an invocation\'s log is complete once it is listed');
      this.#follow(res, functionName, limit, format, canRead);
      return;
    }
    if (requestId !== undefined) {
      const entry = this.#parts.log.get(requestId);
      if (!entry || (functionName !== undefined && entry.functionName !== functionName) || !canRead(entry.functionName, entry.job)) {
        throw new ResourceNotFoundError(`No log for request ${requestId}${functionName ? ` of function ${functionName}` : ''} (logs are kept in memory, the most recent per function)`);
      }
      send(res, format, [entry]);
      return;
    }
    if (functionName === undefined) throw new InvalidParameterValueError('give function=NAME or requestId=ID');
    // A job the caller may not read is left out of its function's log (short page rather than a leak).
    send(res, format, this.#parts.log.recent(functionName, limit).filter((entry) => entry.job === undefined || canRead(functionName, entry.job)));
  }

  #follow(
    res: ServerResponse, functionName: string | undefined, limit: number, format: 'json' | 'text',
    canRead: (functionName: string, job?: string) => boolean,
  ): void {
    if (this.#closed) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('the host is closing\n');
      return;
    }
    if (this.#streams.size >= MAX_FOLLOWERS) {
      res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-ErrorType': 'TooManyRequestsException' });
      res.end(JSON.stringify({ Type: 'User', message: `at most ${MAX_FOLLOWERS} log followers at once; close one (or poll /logs without follow)` }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    let stop = () => {};
    let heartbeat: NodeJS.Timeout | undefined;
    const end = () => {
      if (!this.#streams.delete(end)) return;
      stop();
      clearInterval(heartbeat);
      res.end();
    };
    this.#streams.add(end);
    const write = (entry: InvocationLogEntry) => {
      if (functionName !== undefined && entry.functionName !== functionName) return;
      if (!canRead(entry.functionName, entry.job)) return;
      const frame = frameOf(entry, format);
      res.write(frame);
      // Behind means more than the limit waiting besides this frame: one large entry never drops a reader that keeps up.
      if (res.writableLength > MAX_BUFFERED_BYTES + frame.length) end();
    };
    // Backlog and subscription in one synchronous step: no entry can fall between them.
    res.write(': following\n\n');
    if (functionName !== undefined && limit > 0) for (const entry of this.#parts.log.recent(functionName, limit)) write(entry);
    if (!this.#streams.has(end)) return;
    stop = this.#parts.log.follow(write);
    heartbeat = setInterval(() => res.write(': ping\n\n'), this.#parts.heartbeatMs ?? 15_000).unref();
    res.once('close', end);
  }
}

function send(res: ServerResponse, format: 'json' | 'text', entries: InvocationLogEntry[]): void {
  const body = format === 'text' ? entries.map((e) => e.text).join('') : JSON.stringify({ entries });
  res.writeHead(200, {
    'content-type': format === 'text' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

function booleanParam(query: URLSearchParams, key: string): boolean {
  const value = query.get(key);
  if (value === null || value === 'false' || value === '0') return false;
  if (value === '' || value === 'true' || value === '1') return true;
  throw new InvalidParameterValueError(`${key} must be true or false (got ${JSON.stringify(value.slice(0, 64))})`);
}

function limitParam(query: URLSearchParams, fallback: number): number {
  const value = query.get('limit');
  if (value === null) return fallback;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
    throw new InvalidParameterValueError(`limit must be an integer from 0 to ${MAX_LIMIT} (got ${JSON.stringify(value.slice(0, 64))})`);
  }
  return limit;
}
