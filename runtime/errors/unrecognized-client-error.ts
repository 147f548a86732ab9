import { NeolithError } from './neolith-error.js';

/** The request is signed with an access key no principal has (AWS: "The security token included in the request is invalid."). HTTP 403. */
export class UnrecognizedClientError extends NeolithError {
  override readonly name = 'UnrecognizedClientException';
  readonly code = 'UnrecognizedClientException';
}
