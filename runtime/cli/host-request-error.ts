/** A running host could not be reached, or refused a request; printed as is, exit code 1. */
export class HostRequestError extends Error {
  override readonly name = 'HostRequestError';

  /** fetch could not reach the host at all (nothing listening, a bad address). */
  static unreachable(baseUrl: string, error: unknown): HostRequestError {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    return new HostRequestError(`cannot reach a neolith host at ${baseUrl} (${cause}); start one with "neolith serve" or pass --url`, { cause: error });
  }
}
