import type { ServerResponse } from 'node:http';
import { EventStreamCodec, type MessageHeaders } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';

/** What InvokeWithResponseStream's last event says (`InvokeWithResponseStreamCompleteEvent`). */
export interface InvokeCompleteEvent {
  /** The function's error type (`Sandbox.Timedout`, `Function.ResponseSizeTooLarge`, the thrown error's name, …). */
  ErrorCode?: string;
  /** The error's message. */
  ErrorDetails?: string;
  /** Last 4 KB of the log, base64 (`X-Amz-Log-Type: Tail`). */
  LogResult?: string;
}

/** Frames and CRCs as the AWS SDK decodes them: the SDK's own codec, not a hand-written one. */
const codec = new EventStreamCodec(toUtf8, fromUtf8);

/**
 * Largest payload of one PayloadChunk frame. An event-stream message may not
 * pass 16 MB, and smaller frames let a big write reach the client piece by piece.
 */
const MAX_FRAME_PAYLOAD = 1024 * 1024;

const PAYLOAD_CHUNK: MessageHeaders = {
  ':event-type': { type: 'string', value: 'PayloadChunk' },
  ':message-type': { type: 'string', value: 'event' },
  ':content-type': { type: 'string', value: 'application/octet-stream' },
};
const INVOKE_COMPLETE: MessageHeaders = {
  ':event-type': { type: 'string', value: 'InvokeComplete' },
  ':message-type': { type: 'string', value: 'event' },
  ':content-type': { type: 'string', value: 'application/json' },
};

/**
 * The body of Lambda's InvokeWithResponseStream answer on an HTTP response:
 * `application/vnd.amazon.eventstream` frames, a `PayloadChunk` event per
 * chunk the function wrote, then one `InvokeComplete`. The status line and
 * headers go out with the first frame, so a refusal before any output (a
 * throttle, say) can still be an ordinary error response. A client that hung
 * up gets nothing more; the invocation runs on, as in Lambda.
 */
export class EventStreamResponse {
  readonly #res: ServerResponse;
  readonly #headers: Record<string, string>;
  /** Releases of chunks waiting for the client to take them: all run if it hangs up. */
  readonly #waiting = new Set<() => void>();

  /** `headers`: sent with status 200 besides the content type (request id, executed version). */
  constructor(res: ServerResponse, headers: Record<string, string>) {
    this.#res = res;
    this.#headers = headers;
    // A client that hung up takes nothing more: the handler must not wait for it.
    res.once('close', () => this.#releaseWaiting());
  }

  /** The status line and headers are out: an error now can only end the stream. */
  get started(): boolean {
    return this.#res.headersSent;
  }

  /**
   * Sends `bytes` as PayloadChunk events, now; `release` runs once the socket
   * took them (at once, or at 'drain'), which paces the handler to its client.
   * The first chunk's `contentType` is the response's Content-Type.
   */
  chunk(bytes: Uint8Array, release: () => void = () => {}, contentType?: string): void {
    if (this.#gone()) {
      release();
      return;
    }
    this.#start(contentType);
    let flushed = true;
    for (let at = 0; at < bytes.byteLength; at += MAX_FRAME_PAYLOAD) {
      flushed = this.#res.write(codec.encode({ headers: PAYLOAD_CHUNK, body: bytes.subarray(at, at + MAX_FRAME_PAYLOAD) }));
    }
    if (flushed) {
      release();
      return;
    }
    // One 'drain' listener for every chunk waiting: they all left when the socket drained.
    if (this.#waiting.size === 0) this.#res.once('drain', () => this.#releaseWaiting());
    this.#waiting.add(release);
  }

  #releaseWaiting(): void {
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const release of waiting) release();
  }

  /** Sends the InvokeComplete event and ends the response. */
  complete(event: InvokeCompleteEvent): void {
    if (this.#gone()) return;
    this.#start();
    this.#res.end(codec.encode({ headers: INVOKE_COMPLETE, body: fromUtf8(JSON.stringify(event)) }));
  }

  /**
   * Lambda's answer carries the stream's content type in Content-Type (the
   * SDK's `ResponseStreamContentType`); the body is event-stream frames whatever it says.
   */
  #start(contentType = 'application/octet-stream'): void {
    if (this.#res.headersSent) return;
    this.#res.writeHead(200, { ...this.#headers, 'content-type': contentType });
  }

  /** The client hung up, or the answer is complete. */
  #gone(): boolean {
    return this.#res.destroyed || this.#res.writableEnded;
  }
}
