import { ServiceError } from '../errors/index.js';

/**
 * The backend cannot store or read state: Redis is unreachable, the SQLite
 * file cannot be written, or the backend is closed. Surfaces as Lambda's
 * `ServiceException` (HTTP 500) so an Event call fails loudly rather than
 * pretending it was accepted. `cause` keeps the driver's error.
 */
export class BackendUnavailableError extends ServiceError {
  override readonly name = 'ServiceException';
  override readonly code = 'ServiceException';
}
