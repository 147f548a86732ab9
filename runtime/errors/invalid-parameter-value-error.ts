import { NeolithError } from './neolith-error.js';

/** A request parameter (header, query, path) has a value Lambda would refuse. HTTP 400. */
export class InvalidParameterValueError extends NeolithError {
  override readonly name = 'InvalidParameterValueException';
  readonly code = 'InvalidParameterValueException';
}
