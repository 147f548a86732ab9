import { NeolithError } from './neolith-error.js';

/** An unsigned request where anonymous callers are not accepted (auth.anonymous). HTTP 403. */
export class MissingAuthenticationTokenError extends NeolithError {
  override readonly name = 'MissingAuthenticationTokenException';
  readonly code = 'MissingAuthenticationTokenException';
}
