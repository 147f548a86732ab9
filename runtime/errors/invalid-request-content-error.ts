import { NeolithError } from './neolith-error.js';

/** The request body is not valid JSON, or does not match the function's inputSchema. HTTP 400. */
export class InvalidRequestContentError extends NeolithError {
  override readonly name = 'InvalidRequestContentException';
  readonly code = 'InvalidRequestContentException';
}
