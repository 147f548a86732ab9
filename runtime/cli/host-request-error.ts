/** A running host could not be reached, or refused a request; printed as is, exit code 1. */
export class HostRequestError extends Error {
  override readonly name = 'HostRequestError';
}
