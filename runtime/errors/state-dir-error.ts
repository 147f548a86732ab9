import { NeolithError } from './neolith-error.js';

/** The state directory (`--state` or `stateDir`) cannot be created: a fact of the machine, not a mistake in the config's form. */
export class StateDirError extends NeolithError {
  override readonly name = 'StateDirError';
  readonly code = 'StateDirError';
}
