import { InvalidParameterValueError, previewValue } from '../errors/index.js';

/**
 * A request id a caller chooses (`InvokeOptions.requestId`, a redrive's):
 * what every backend can key an event by and `GET /invocations/{id}` can
 * name — 1 to 128 letters, digits, `_` and `-`, and not an integer (BullMQ
 * refuses an id that reads as one, `-5` too, or holds a `:`: the redis
 * backend keys its jobs by request id).
 */
export function checkRequestId(id: unknown): string {
  // BullMQ's own test (Job.validateOptions): an id equal to its parseInt is an integer.
  if (typeof id !== 'string' || !REQUEST_ID.test(id) || String(Number.parseInt(id, 10)) === id) {
    throw new InvalidParameterValueError(`requestId must be 1 to 128 letters, digits, _ or -, and not an integer (got ${previewValue(id)})`);
  }
  return id;
}

const REQUEST_ID = /^[\w-]{1,128}$/;
