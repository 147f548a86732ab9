/**
 * Bounds on a function's error payload, applied on both sides of the thread
 * boundary: the worker bounds what it sends (a 16 MB message must not be
 * cloned to the host at all), and the host bounds what it receives and what
 * it builds itself from a dying thread's uncaught exception. Plain functions
 * with no imports beyond protocol types, so the thread can load this file.
 *
 * Lambda holds an error payload to the function's response limit (6 MB for a
 * synchronous invoke): past it the caller gets `Function.ResponseSizeTooLarge`
 * instead. https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
import type { LambdaErrorPayload } from './protocol.js';

/**
 * Longest `errorType` kept, in UTF-16 code units; a longer one is cut to it.
 * The type is a name callers branch on and metrics label by (a label per
 * distinct value), never a place for data: 256 holds any real one
 * (`Runtime.UnhandledPromiseRejection` is 33).
 */
export const MAX_ERROR_TYPE_CHARS = 256;

/** `{"errorType":"","errorMessage":"","trace":[]}`: the JSON around the three fields' text. */
const FRAME_BYTES = 45;

/** Code units whose JSON is not their plain UTF-8 (escapes, surrogates): only then is a string walked. */
const NEEDS_WALK = /[\u0000-\u001f"\\\ud800-\udfff]/;

/**
 * `error` as the caller may see it: its `errorType` cut to
 * {@link MAX_ERROR_TYPE_CHARS}, and, when its JSON (as the Invoke API sends
 * it) is over `limitBytes`, replaced whole by a `Function.ResponseSizeTooLarge`
 * error saying how many bytes it was. Returns `error` itself when it fits,
 * which every error of ordinary size does after a sum of its lengths.
 */
export function boundErrorPayload(error: LambdaErrorPayload, limitBytes: number): LambdaErrorPayload {
  let { errorType } = error;
  if (errorType.length > MAX_ERROR_TYPE_CHARS) errorType = truncate(errorType, MAX_ERROR_TYPE_CHARS);
  const { errorMessage, trace } = error;
  // No code unit takes more than 6 bytes of JSON (`\u001f`), and each trace line adds at most 3
  // (quotes, comma): under this, the payload fits without looking at a character.
  let chars = errorType.length + errorMessage.length;
  for (const line of trace) chars += line.length;
  if (chars * 6 + trace.length * 3 + FRAME_BYTES <= limitBytes) {
    return errorType === error.errorType ? error : { ...error, errorType };
  }
  const bytes = payloadJsonBytes(errorType, errorMessage, trace);
  if (bytes <= limitBytes) return errorType === error.errorType ? error : { ...error, errorType };
  return errorTooLarge(errorType, bytes, limitBytes);
}

/** Lambda's failure for an error payload past the limit, naming the error it replaces and its size. */
function errorTooLarge(errorType: string, bytes: number, limitBytes: number): LambdaErrorPayload {
  return {
    errorType: 'Function.ResponseSizeTooLarge',
    errorMessage: `Response payload size exceeded maximum allowed payload size (${limitBytes} bytes): the function's error (${errorType}) is ${bytes} bytes.`,
    trace: [],
  };
}

/** UTF-8 bytes of `JSON.stringify({ errorType, errorMessage, trace })`, without making that string. */
export function payloadJsonBytes(errorType: string, errorMessage: string, trace: readonly string[]): number {
  // Each line is quoted; lines after the first follow a comma.
  let bytes = FRAME_BYTES + jsonStringBytes(errorType) + jsonStringBytes(errorMessage) + Math.max(0, trace.length * 3 - 1);
  for (const line of trace) bytes += jsonStringBytes(line);
  return bytes;
}

/** UTF-8 bytes JSON.stringify writes for `text`, quotes left out. */
function jsonStringBytes(text: string): number {
  // Text with nothing to escape and no surrogates is its UTF-8 as it is (a native count).
  if (!NEEDS_WALK.test(text)) return Buffer.byteLength(text, 'utf8');
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) bytes += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6;
    else if (c === 0x22 || c === 0x5c) bytes += 2;
    else if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate: well-formed JSON.stringify writes it as `\udxxx`.
      bytes += 6;
    } else bytes += 3;
  }
  return bytes;
}

/** The first `chars` code units of `text`, one fewer rather than half a surrogate pair. */
function truncate(text: string, chars: number): string {
  const last = text.charCodeAt(chars - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? chars - 1 : chars);
}
