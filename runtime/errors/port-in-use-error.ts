import { NeolithError } from './neolith-error.js';

/** The host's port is held by another process: a fact of the machine, not a mistake in the config. */
export class PortInUseError extends NeolithError {
  override readonly name = 'PortInUseError';
  readonly code = 'PortInUseError';
}
