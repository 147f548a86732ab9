// The errors' own files, not their face: environment threads load this module (see client/sources-client.ts).
import { InvalidRequestContentError } from '../errors/invalid-request-content-error.js';
import { RequestTooLargeError } from '../errors/request-too-large-error.js';

/** Largest JSON body of a data-plane call (a PutRecords of 5 MB as base64, with room). */
export const MAX_JSON_BYTES = 8 * 1024 * 1024;

/** As `readBody` words it. */
export function callTooLarge(size: number, limit: number): RequestTooLargeError {
  return new RequestTooLargeError(`Request must be smaller than ${limit} bytes for the InvokeFunction operation (got at least ${size})`);
}

/** A JSON call body given as text (a handler's call over its channel, or read directly): the HTTP route's size limit and parse rules. */
export function parseCallBody(text: string): Record<string, unknown> {
  if (text.length * 3 > MAX_JSON_BYTES) {
    const size = Buffer.byteLength(text);
    if (size > MAX_JSON_BYTES) throw callTooLarge(size, MAX_JSON_BYTES);
  }
  return parseJsonObject(text);
}

/** A JSON object, or InvalidRequestContentError (`''` is `{}`). */
export function parseJsonObject(text: string): Record<string, unknown> {
  if (text.length === 0) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new InvalidRequestContentError(`Could not parse request body into json: ${(error as Error).message}`, { cause: error });
  }
}
