import { InvalidParameterValueError, previewValue } from '../errors/index.js';

/**
 * A request id a caller chooses (`InvokeOptions.requestId`, a redrive's):
 * what every backend can key an event by and `GET /invocations/{id}` can
 * name — 1 to 128 letters, digits, `_` and `-`, not digits alone (BullMQ
 * refuses a number or a `:` as a job id, which the redis backend uses).
 */
export function checkRequestId(id: unknown): string {
  if (typeof id !== 'string' || !REQUEST_ID.test(id) || /^\d+$/.test(id)) {
    throw new InvalidParameterValueError(`requestId must be 1 to 128 letters, digits, _ or -, and not digits alone (got ${previewValue(id)})`);
  }
  return id;
}

const REQUEST_ID = /^[\w-]{1,128}$/;
