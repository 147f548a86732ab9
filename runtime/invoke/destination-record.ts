import type { FinalEvent, InvocationError } from '../backend/index.js';

/**
 * Lambda's destination record for an async invocation's outcome — what an
 * onSuccess / onFailure destination receives.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
export function destinationRecord(final: FinalEvent, functionArn: string): Record<string, unknown> {
  const { event, record, condition, outcome } = final;
  const record0: Record<string, unknown> = {
    version: '1.0',
    timestamp: new Date(record.updatedAt).toISOString(),
    requestContext: {
      requestId: event.requestId,
      functionArn: `${functionArn}:$LATEST`,
      condition,
      approximateInvokeCount: record.attempts,
    },
    requestPayload: payloadValue(event.payload),
  };
  if (outcome) {
    record0.responseContext = {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(!outcome.ok && { functionError: 'Unhandled' }),
    };
    record0.responsePayload = outcome.ok
      ? payloadValue(outcome.result)
      : errorResponsePayload(outcome.error);
  }
  return record0;
}

/** A failed invocation's `responsePayload`: Lambda's error payload, its trace always present. */
export function errorResponsePayload(error: InvocationError): { errorType: string; errorMessage: string; trace: readonly string[] } {
  return { errorType: error.errorType, errorMessage: error.errorMessage, trace: error.trace ?? [] };
}

/** A payload's JSON value, or the text itself when it is not JSON. */
export function payloadValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
