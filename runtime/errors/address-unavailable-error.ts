import { NeolithError } from './neolith-error.js';

/**
 * The host cannot bind the address it was given: not one of this machine's, a name that does
 * not resolve, or a port that needs privileges. A fact of the machine, like PortInUseError.
 */
export class AddressUnavailableError extends NeolithError {
  override readonly name = 'AddressUnavailableError';
  readonly code = 'AddressUnavailableError';
}
