import { NeolithError } from './neolith-error.js';

/** The request conflicts with the current state (a permission statement id already in use). HTTP 409. */
export class ResourceConflictError extends NeolithError {
  override readonly name = 'ResourceConflictException';
  readonly code = 'ResourceConflictException';
}
