import { NeolithError } from '../errors/index.js';

/**
 * An event with this request id was already accepted. Lambda's
 * `ResourceConflictException` (HTTP 409): request ids are unique per event.
 */
export class DuplicateRequestIdError extends NeolithError {
  override readonly name = 'ResourceConflictException';
  readonly code = 'ResourceConflictException';
}
