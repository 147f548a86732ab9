import { NeolithError } from './neolith-error.js';

/**
 * A table write's condition did not hold (`ifNotExists`, `expectedVersion`):
 * DynamoDB's ConditionalCheckFailedException. Nothing was written. HTTP 400,
 * as DynamoDB answers.
 */
export class ConditionalCheckFailedError extends NeolithError {
  override readonly name = 'ConditionalCheckFailedException';
  readonly code = 'ConditionalCheckFailedException';
}
