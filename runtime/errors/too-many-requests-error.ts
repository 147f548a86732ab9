import { NeolithError } from './neolith-error.js';

/** Why a sync invocation was throttled; the values are Lambda's `Reason` field. */
export type ThrottleReason =
  | 'ReservedFunctionConcurrentInvocationLimitExceeded'
  | 'ConcurrentInvocationLimitExceeded';

/**
 * A sync invocation over the function's reserved concurrency or the host-wide
 * limit. Refused at once, never queued (Lambda's throttling). HTTP 429.
 */
export class TooManyRequestsError extends NeolithError {
  override readonly name = 'TooManyRequestsException';
  readonly code = 'TooManyRequestsException';

  constructor(
    message: string,
    readonly reason: ThrottleReason,
  ) {
    super(message);
  }

  override toJSON(): { Type: string; Message: string; message: string; Reason: string } {
    return { ...super.toJSON(), Reason: this.reason };
  }
}
