import { NeolithError } from './neolith-error.js';

/** The payload is over the configured limit (6 MB sync, 1 MB async by default). HTTP 413. */
export class RequestTooLargeError extends NeolithError {
  override readonly name = 'RequestTooLargeException';
  readonly code = 'RequestTooLargeException';
}
