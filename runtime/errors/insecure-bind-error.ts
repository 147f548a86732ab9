import { NeolithError } from './neolith-error.js';

/** The host was asked to listen on a non-loopback address without auth, and --insecure was not given. */
export class InsecureBindError extends NeolithError {
  override readonly name = 'InsecureBindError';
  readonly code = 'InsecureBindError';
}
