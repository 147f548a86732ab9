/** A running host could not be reached, or refused a request; printed as is, exit code 1. */
export class HostRequestError extends Error {
  override readonly name = 'HostRequestError';

  /** fetch could not reach the host at all (nothing listening, a bad address). */
  static unreachable(baseUrl: string, error: unknown): HostRequestError {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    return new HostRequestError(`cannot reach a neolith host at ${baseUrl} (${cause}); start one with "neolith serve" or pass --url`, { cause: error });
  }

  /** The host refused a request: Lambda's error type, the status and the body's message (its text when not JSON). */
  static refused(response: Response, body: string): HostRequestError {
    let message = body.slice(0, 500);
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the text
    }
    return new HostRequestError(`${response.headers.get('x-amzn-errortype') ?? 'Error'} (${response.status}): ${message}`);
  }

  /** The host answered, but not as a neolith host would: `what` says how (e.g. "the publish without a MessageId"). */
  static notNeolith(baseUrl: string, what: string, cause?: unknown): HostRequestError {
    return new HostRequestError(`${baseUrl} answered ${what}: is it a neolith host?`, cause === undefined ? undefined : { cause });
  }
}
