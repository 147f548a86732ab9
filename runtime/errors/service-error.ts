import { NeolithError } from './neolith-error.js';

/** The host could not serve the request (closing, backend down). HTTP 500. */
export class ServiceError extends NeolithError {
  override readonly name = 'ServiceException';
  readonly code = 'ServiceException';
}
