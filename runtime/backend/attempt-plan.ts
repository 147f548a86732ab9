import { httpStatusOf } from '../errors/index.js';
import type { AsyncRetryPolicy, AttemptOutcome, FinalCondition, InvocationError, InvocationRecord, InvocationStatus, QueuedEvent } from './backend.js';

/**
 * The decisions both backends share, kept pure so they agree exactly: when an
 * event is too old to run, and what follows an attempt.
 */

/** What happens after an attempt. */
export type AttemptDecision =
  | { readonly kind: 'succeed'; readonly condition: FinalCondition }
  | { readonly kind: 'retry'; readonly delayMs: number }
  | { readonly kind: 'fail'; readonly condition: FinalCondition };

/** Whether the event is older than its maximum age at `now` (Lambda checks before each attempt). */
export function isExpired(event: Pick<QueuedEvent, 'acceptedAt' | 'policy'>, now: number): boolean {
  return now - event.acceptedAt >= event.policy.maxEventAgeSeconds * 1000;
}

/**
 * A retry's delay, ending no later than the event's maximum age: an event
 * whose next attempt would come after it is taken then and expired (Lambda
 * discards an event once it reaches its maximum age), not kept QUEUED for
 * the rest of the delay.
 */
export function delayWithinAge(event: Pick<QueuedEvent, 'acceptedAt' | 'policy'>, delayMs: number, now: number): number {
  return Math.max(0, Math.min(delayMs, event.acceptedAt + event.policy.maxEventAgeSeconds * 1000 - now));
}

/**
 * The record a final write starts from: a success does not carry the error an
 * earlier attempt left while retrying (the success is the outcome, as in
 * Lambda); a failure or an expiry keeps it.
 */
export function finalRecordBase(record: InvocationRecord, status: InvocationStatus): InvocationRecord {
  if (status !== 'SUCCEEDED' || record.error === undefined) return record;
  const { error: _earlier, ...rest } = record;
  return rest;
}

/** Delay before the attempt after `failedAttempt` (1-based); the last configured delay repeats. */
export function retryDelayMs(policy: AsyncRetryPolicy, failedAttempt: number): number {
  const delays = policy.retryDelaysMs;
  if (delays.length === 0) return 0;
  return delays[Math.min(failedAttempt - 1, delays.length - 1)] ?? 0;
}

/** Decide what follows attempt number `attempt` that ended with `outcome`. */
export function decideAfterAttempt(policy: AsyncRetryPolicy, attempt: number, outcome: AttemptOutcome): AttemptDecision {
  if (outcome.ok) return { kind: 'succeed', condition: 'Success' };
  if (outcome.retryable && attempt <= policy.maxRetries) {
    return { kind: 'retry', delayMs: retryDelayMs(policy, attempt) };
  }
  return { kind: 'fail', condition: 'RetriesExhausted' };
}

/**
 * The attempt ended for good but its destination could not be reached
 * (`onFinal` rejected). While the policy allows another attempt, the event
 * is not past its maximum age and the failure may pass (a backend or host
 * fault, a throttle), the event runs again later with the routing failure
 * as its last error: the outcome is not stored as final without having been
 * delivered. Otherwise — no attempt left, an expired event, or a failure
 * that will not pass (no such destination function, a record its schema
 * refuses) — the outcome is stored as it is and the failure reported.
 */
export function decideAfterRoutingFailure(
  event: Pick<QueuedEvent, 'acceptedAt' | 'policy'>, attempt: number, condition: FinalCondition, failure: unknown, now = Date.now(),
): { readonly kind: 'retry'; readonly delayMs: number; readonly error: InvocationError } | undefined {
  const policy = event.policy;
  if (condition === 'EventAgeExceeded' || attempt > policy.maxRetries || isExpired(event, now)) return undefined;
  const status = httpStatusOf(failure);
  if (status >= 400 && status < 500 && status !== 429) return undefined;
  const reason = failure instanceof Error ? failure.message : String(failure);
  return {
    kind: 'retry',
    delayMs: retryDelayMs(policy, attempt),
    error: { errorType: 'Neolith.DestinationFailed', errorMessage: `the ${condition === 'Success' ? 'success' : 'failure'} destination could not be reached: ${reason}` },
  };
}

/** A handler that threw instead of resolving a failure is a bug in the caller; the attempt still fails, retryably. */
export function outcomeFromThrown(error: unknown): AttemptOutcome {
  const err = error instanceof Error ? error : new Error(String(error));
  const invocationError: InvocationError = {
    errorType: err.name || 'Error',
    errorMessage: err.message,
    ...(err.stack ? { trace: err.stack.split('\n') } : {}),
  };
  return { ok: false, error: invocationError, retryable: true };
}

/** The failure of an event whose host died with it more than `maxStalledCount` times; not retried. */
export function stalledOutcome(stalls: number, maxStalledCount: number): AttemptOutcome {
  return {
    ok: false,
    retryable: false,
    error: {
      errorType: 'Neolith.EventStalled',
      errorMessage: `the host running this event stopped ${stalls} times before it finished (maxStalledCount ${maxStalledCount})`,
    },
  };
}

/** Default `onError`: an error nobody awaits is logged, never swallowed. */
export function logBackendError(error: unknown): void {
  console.error('[neolith backend]', error);
}
