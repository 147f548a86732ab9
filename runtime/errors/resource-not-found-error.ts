import { NeolithError } from './neolith-error.js';

/** The function (or job, or record) named in the request does not exist. HTTP 404. */
export class ResourceNotFoundError extends NeolithError {
  override readonly name = 'ResourceNotFoundException';
  readonly code = 'ResourceNotFoundException';
}
