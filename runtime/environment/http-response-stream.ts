/**
 * Thread side: `awslambda.HttpResponseStream`, as Lambda's Node runtime has it
 * (`HttpResponseStream` in aws-lambda-nodejs-runtime-interface-client).
 */

/** Lambda's content type for "a JSON prelude, 8 NUL bytes, then the body" (Function URLs read it). */
const METADATA_PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER_LEN = 8;

/** What `from` needs of a response stream. */
interface PreludeTarget {
  setContentType(contentType: string): void;
  _onBeforeFirstWrite: ((write: (chunk: unknown) => void) => void) | undefined;
}

/**
 * Wraps a streaming handler's response in an HTTP response: the metadata
 * (`{ statusCode, headers, cookies }`) goes first, as JSON, then 8 NUL bytes,
 * then whatever the handler writes.
 */
export class HttpResponseStream {
  /**
   * Sets the integration content type now and writes the prelude just before
   * the first write (none if the handler never writes, as in the runtime).
   * Returns the same stream.
   * @example responseStream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'content-type': 'text/html' } });
   */
  static from<T extends PreludeTarget>(underlyingStream: T, prelude: Record<string, unknown>): T {
    underlyingStream.setContentType(METADATA_PRELUDE_CONTENT_TYPE);
    // Taken now, as the runtime does: later changes to `prelude` do not show.
    const metadataPrelude = JSON.stringify(prelude);
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadataPrelude);
      write(new Uint8Array(DELIMITER_LEN));
    };
    return underlyingStream;
  }
}
