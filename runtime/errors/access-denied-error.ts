import { NeolithError } from './neolith-error.js';

/** A verified caller is not permitted to do this to this function; the message names both. HTTP 403. */
export class AccessDeniedError extends NeolithError {
  override readonly name = 'AccessDeniedException';
  readonly code = 'AccessDeniedException';
}
