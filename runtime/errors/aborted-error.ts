import { NeolithError } from './neolith-error.js';

/** The caller cancelled the invocation through its AbortSignal. */
export class AbortedError extends NeolithError {
  override readonly name = 'AbortError';
  readonly code = 'AbortError';
}
