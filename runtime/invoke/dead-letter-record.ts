import type { DeadLetter, InvocationError } from '../backend/index.js';
import { errorResponsePayload, payloadValue } from './destination-record.js';

/**
 * A dead letter keeps its event (to redrive it) and its error; Lambda's
 * destination record repeats both, as `requestPayload` and `responsePayload`
 * — up to 1 MB and 6 MB. So the letter stores the record without them and
 * they are put back when it is read: what a reader sees is unchanged, what
 * is stored is halved for a large event or error.
 */
export function compactDestinationRecord(record: Record<string, unknown>, error: InvocationError | undefined): string {
  const { requestPayload: _fromEvent, responsePayload, ...rest } = record;
  const responseContext = record.responseContext;
  // Only a failure's payload is rebuilt from the error (a success's result is kept whatever it holds).
  const failed = isObject(responseContext) && responseContext.functionError !== undefined;
  const fromError = failed && error !== undefined && isErrorPayload(responsePayload, error);
  return JSON.stringify(fromError || responsePayload === undefined ? rest : { ...rest, responsePayload });
}

/**
 * The letter as the dispatcher routed it: its destination record whole. A
 * record that kept its payloads (stored before they were left out) is as it was.
 */
export function withFullDestinationRecord(letter: DeadLetter): DeadLetter {
  if (letter.destinationRecord === undefined) return letter;
  const stored = JSON.parse(letter.destinationRecord) as Record<string, unknown>;
  if ('requestPayload' in stored) return letter;
  const { version, timestamp, requestContext, responseContext, responsePayload, ...rest } = stored;
  const failed = isObject(responseContext) && responseContext.functionError !== undefined;
  // Rebuilt in the order Lambda writes the record's fields.
  const full: Record<string, unknown> = { version, timestamp, requestContext, requestPayload: payloadValue(letter.event.payload) };
  if (responseContext !== undefined) full.responseContext = responseContext;
  if (responsePayload !== undefined) full.responsePayload = responsePayload;
  else if (failed && letter.error) full.responsePayload = errorResponsePayload(letter.error);
  return { ...letter, destinationRecord: JSON.stringify({ ...full, ...rest }) };
}

/** Whether `payload` is exactly what `errorResponsePayload(error)` rebuilds (only then may it be left out). */
function isErrorPayload(payload: unknown, error: InvocationError): boolean {
  if (!isObject(payload) || Object.keys(payload).length !== 3) return false;
  const trace = error.trace ?? [];
  return payload.errorType === error.errorType && payload.errorMessage === error.errorMessage
    && Array.isArray(payload.trace) && payload.trace.length === trace.length && payload.trace.every((line, i) => line === trace[i]);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
