/**
 * Thread side: the `responseStream` a streaming handler writes to, as Lambda's
 * Node runtime hands it over (`ResponseStream` in
 * aws-lambda-nodejs-runtime-interface-client). Imports nothing from the main side.
 */
import { Writable } from 'node:stream';

/** Where the bytes go. Each call gets a fresh buffer of its own: the sink may transfer it. */
export type ResponseSink = (bytes: Uint8Array<ArrayBuffer>) => void;

type WriteCallback = (error: Error | null | undefined) => void;

/** What the runtime sends when a handler sets none. */
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const utf8 = new TextEncoder();

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

  constructor(sink: ResponseSink, limitBytes: number, highWaterMark?: number) {
    super(highWaterMark === undefined ? { decodeStrings: false } : { decodeStrings: false, highWaterMark });
    this.#sink = sink;
    this.#limitBytes = limitBytes;
    // The runtime's stream (an HTTP request) always listens for 'error': a failed write
    // (past the limit, after the end) fails that write, never the thread.
    this.on('error', () => {});
  }

  /** The content type the handler set (`application/octet-stream` by default). */
  get contentType(): string {
    return this.#contentType;
  }

  /** As the runtime: allowed only before the first write. */
  setContentType(contentType: string): void {
    if (this.#writeCalled) throw runtimeError('Runtime.InvalidStreamingOperation', 'Cannot set content-type, too late.');
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
    if (chunk !== undefined && chunk !== null) {
      if (typeof encoding === 'function') {
        callback = encoding;
        encoding = undefined;
      }
      this.write(chunk, encoding);
    }
    return super.end(callback);
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
    this.#sink(bytes);
    callback();
  }
}

/** An Error named as the runtime names its own (`Runtime.InvalidStreamingOperation`, …). */
export function runtimeError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
