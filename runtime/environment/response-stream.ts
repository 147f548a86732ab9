/**
 * Thread side: the `responseStream` a streaming handler writes to, as Lambda's
 * Node runtime hands it over (`ResponseStream` in
 * aws-lambda-nodejs-runtime-interface-client). Imports nothing from the main side.
 */
import { Writable } from 'node:stream';

/**
 * Where the bytes go. Each call gets a fresh buffer of its own: the sink may
 * transfer it. The first call also says the content type the handler set.
 */
export type ResponseSink = (bytes: Uint8Array<ArrayBuffer>, contentType?: string) => void;

/**
 * Backpressure from the host: `inFlight[0]` counts the bytes handed to the
 * sink that the host has not yet passed to its client. Past `highBytes` a
 * write's callback waits until it is back under half of that, so `write()`
 * returns false and 'drain' comes when the client has read — a handler that
 * waits for 'drain' keeps pace with its client, as with Lambda's runtime.
 */
export interface ResponsePacing {
  readonly inFlight: Int32Array;
  readonly highBytes: number;
}

/** How often a paced write looks again at what the host has passed on. */
const PACING_POLL_MS = 2;

type WriteCallback = (error: Error | null | undefined) => void;

/** What the runtime sends when a handler sets none. */
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const utf8 = new TextEncoder();
/**
 * Node's rule for header values (`checkInvalidHeaderChar` in node:_http_common), written out: importing
 * node:http for it would load the HTTP stack into every environment's thread at its cold start.
 */
const INVALID_HEADER_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * A Writable that hands every chunk to its sink as it is written (no
 * buffering: the callback is called at once, so `highWaterMark` only paces a
 * writer that waits for 'drain' after a large chunk). Past `limitBytes` in
 * all it fails the write and marks itself `overflowed`.
 */
export class ResponseStream extends Writable {
  /**
   * Runs once, before the first write, with a writer for what must come first
   * (`HttpResponseStream.from` puts its prelude there). Named as in Lambda's runtime.
   */
  _onBeforeFirstWrite: ((write: (chunk: unknown) => void) => void) | undefined;
  /** The writes went past the limit: the stream failed, and the invocation fails with it. */
  overflowed = false;
  #contentType = DEFAULT_CONTENT_TYPE;
  #writeCalled = false;
  #bytes = 0;
  readonly #sink: ResponseSink;
  readonly #limitBytes: number;
  readonly #pacing: ResponsePacing | undefined;
  #sent = false;

  constructor(sink: ResponseSink, limitBytes: number, highWaterMark?: number, pacing?: ResponsePacing) {
    super(highWaterMark === undefined ? { decodeStrings: false } : { decodeStrings: false, highWaterMark });
    this.#sink = sink;
    this.#limitBytes = limitBytes;
    this.#pacing = pacing;
    // The runtime's stream (an HTTP request) always listens for 'error': a failed write
    // (past the limit, after the end) fails that write, never the thread.
    this.on('error', () => {});
  }

  /** The content type the handler set (`application/octet-stream` by default). */
  get contentType(): string {
    return this.#contentType;
  }

  /**
   * As the runtime: allowed only before the first write, and only a value an
   * HTTP header can carry — the runtime sets it as a header, where Node
   * refuses one with CR, LF or NUL with a TypeError. Refused here, the handler
   * sees the mistake; taken, the host could not send the response it names.
   */
  setContentType(contentType: string): void {
    if (this.#writeCalled) throw runtimeError('Runtime.InvalidStreamingOperation', 'Cannot set content-type, too late.');
    if (typeof contentType !== 'string' || INVALID_HEADER_CHAR.test(contentType)) {
      const got = typeof contentType === 'string' ? JSON.stringify(contentType.slice(0, 100)) : `a ${typeof contentType}`;
      const error = new TypeError(`Invalid content type (got ${got}): it must be a string an HTTP header can carry, without CR, LF, NUL or characters beyond U+00FF`);
      (error as TypeError & { code: string }).code = 'ERR_INVALID_CHAR';
      throw error;
    }
    this.#contentType = contentType;
  }

  override write(chunk: unknown, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    // As the runtime: what is neither text nor bytes is written as its JSON.
    const data = typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk);
    if (!this.#writeCalled) {
      this.#writeCalled = true;
      if (typeof this._onBeforeFirstWrite === 'function') this._onBeforeFirstWrite((first) => super.write(first));
    }
    return super.write(data, encoding as BufferEncoding, callback);
  }

  // Writable.end(chunk) writes without calling `write`: route it there, so the
  // prelude hook and the JSON rule apply to a body given to end() alone too.
  override end(chunk?: unknown, encoding?: BufferEncoding | (() => void), callback?: () => void): this {
    if (typeof chunk === 'function') return super.end(chunk as () => void);
    // As Node's own: end(chunk, callback) and end(undefined, callback) both call back.
    if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    return super.end(callback);
  }

  // A type set for an empty body still names the response (the runtime sends it as a header either way).
  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#sent && this.#contentType !== DEFAULT_CONTENT_TYPE) {
      this.#sent = true;
      this.#sink(new Uint8Array(0), this.#contentType);
    }
    callback();
  }

  override _write(chunk: string | Uint8Array, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // A copy of our own, which the sink may transfer: the handler may reuse its buffer, and
    // Buffer.from(text) may hand out a slice of a pool shared with the rest of the thread.
    const bytes = typeof chunk === 'string'
      ? encoding === 'utf8' || encoding === 'utf-8' ? utf8.encode(chunk) : new Uint8Array(Buffer.from(chunk, encoding))
      : new Uint8Array(chunk);
    if (bytes.byteLength === 0) {
      callback();
      return;
    }
    this.#bytes += bytes.byteLength;
    if (this.#bytes > this.#limitBytes) {
      this.overflowed = true;
      callback(runtimeError('Function.ResponseSizeTooLarge', `Response payload size exceeded maximum allowed payload size (${this.#limitBytes} bytes).`));
      return;
    }
    // Counted before the sink: it may transfer the buffer, which leaves it empty here.
    const size = bytes.byteLength;
    if (this.#sent) this.#sink(bytes);
    else {
      this.#sent = true;
      this.#sink(bytes, this.#contentType);
    }
    const pacing = this.#pacing;
    if (!pacing || Atomics.add(pacing.inFlight, 0, size) + size <= pacing.highBytes) {
      callback();
      return;
    }
    const low = pacing.highBytes / 2;
    const check = (): void => {
      if (this.destroyed || Atomics.load(pacing.inFlight, 0) <= low) callback();
      else setTimeout(check, PACING_POLL_MS);
    };
    setTimeout(check, PACING_POLL_MS);
  }
}

/** An Error named as the runtime names its own (`Runtime.InvalidStreamingOperation`, …). */
export function runtimeError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
