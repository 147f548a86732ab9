import type { StreamSink } from './invocation-types.js';

/**
 * A stream sink whose failure stops delivery instead of going unnoticed: the
 * first chunk it cannot take is kept as `failure`, that chunk and every later
 * one are released unsent (a gap would corrupt the stream), and the
 * invocation reports the failure when it ends.
 */
export class GuardedSink {
  failure: unknown;
  readonly #sink: StreamSink;

  constructor(sink: StreamSink) {
    this.#sink = sink;
  }

  readonly sink: StreamSink = (bytes, release, contentType) => {
    if (this.failure !== undefined) {
      release();
      return;
    }
    try {
      this.#sink(bytes, release, contentType);
    } catch (error) {
      this.failure = error ?? new Error('the response stream consumer failed');
      // Unreleased, the bytes would count against the handler's pacing for good.
      release();
    }
  };
}
