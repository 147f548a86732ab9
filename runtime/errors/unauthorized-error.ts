import { NeolithError } from './neolith-error.js';

/** A REST route with JWT auth got no bearer token or an invalid one (API Gateway's 401). HTTP 401. */
export class UnauthorizedError extends NeolithError {
  override readonly name = 'UnauthorizedException';
  readonly code = 'UnauthorizedException';
}
