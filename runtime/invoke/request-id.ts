import { InvalidParameterValueError, previewValue } from '../errors/index.js';

/**
 * A request id a caller chooses (`InvokeOptions.requestId`, a redrive's):
 * what every backend can key an event by and `GET /invocations/{id}` can
 * name: 1 to 128 letters, digits, `_` and `-` (the redis backend's BullMQ
 * job ids may hold no `:`).
 */
export function checkRequestId(id: unknown): string {
  if (typeof id !== 'string' || !REQUEST_ID.test(id)) {
    throw new InvalidParameterValueError(`requestId must be 1 to 128 letters, digits, _ or - (got ${previewValue(id)})`);
  }
  return id;
}

const REQUEST_ID = /^[\w-]{1,128}$/;
