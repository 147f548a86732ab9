import type { FinalEvent } from '../backend/index.js';

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
    requestPayload: parseOr(event.payload),
  };
  if (outcome) {
    record0.responseContext = {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(!outcome.ok && { functionError: 'Unhandled' }),
    };
    record0.responsePayload = outcome.ok
      ? parseOr(outcome.result)
      : { errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage, trace: outcome.error.trace ?? [] };
  }
  return record0;
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
