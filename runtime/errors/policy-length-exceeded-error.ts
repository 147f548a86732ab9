import { NeolithError } from './neolith-error.js';

/** A function's resource policy would pass Lambda's 20 KB (AddPermission). HTTP 400. */
export class PolicyLengthExceededError extends NeolithError {
  override readonly name = 'PolicyLengthExceededException';
  readonly code = 'PolicyLengthExceededException';
}
