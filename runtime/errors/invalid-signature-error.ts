import { NeolithError } from './neolith-error.js';

/** The SigV4 signature does not match, is malformed, or its date is outside the clock-skew window. HTTP 403. */
export class InvalidSignatureError extends NeolithError {
  override readonly name = 'InvalidSignatureException';
  readonly code = 'InvalidSignatureException';
}
