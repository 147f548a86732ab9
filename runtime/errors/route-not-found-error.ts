import { NeolithError } from './neolith-error.js';

/** No REST route matches the method and path (API Gateway's "Not Found"). HTTP 404. */
export class RouteNotFoundError extends NeolithError {
  override readonly name = 'NotFoundException';
  readonly code = 'NotFoundException';
}
