import { describe, expect, it } from 'vitest';
import {
  decideAfterAttempt,
  decideAfterRoutingFailure,
  delayWithinAge,
  isExpired,
  outcomeFromThrown,
  retryDelayMs,
  stalledOutcome,
} from '../../../runtime/backend/attempt-plan.js';
import type { AsyncRetryPolicy, AttemptOutcome, QueuedEvent } from '../../../runtime/backend/index.js';
import { BackendUnavailableError } from '../../../runtime/backend/index.js';
import { InvalidRequestContentError, ResourceNotFoundError, ServiceError, TooManyRequestsError } from '../../../runtime/errors/index.js';

const policy: AsyncRetryPolicy = { maxRetries: 2, retryDelaysMs: [60_000, 120_000], maxEventAgeSeconds: 60 };
const success: AttemptOutcome = { ok: true, result: '1' };
const failure = (retryable: boolean): AttemptOutcome => ({
  ok: false,
  retryable,
  error: { errorType: 'Error', errorMessage: 'x' },
});

describe('decideAfterAttempt', () => {
  it('succeeds on a successful outcome', () => {
    expect(decideAfterAttempt(policy, 1, success)).toEqual({ kind: 'succeed', condition: 'Success' });
  });

  it('retries a retryable failure with the delay configured for that attempt', () => {
    expect(decideAfterAttempt(policy, 1, failure(true))).toEqual({ kind: 'retry', delayMs: 60_000 });
    expect(decideAfterAttempt(policy, 2, failure(true))).toEqual({ kind: 'retry', delayMs: 120_000 });
  });

  it('fails once maxRetries retries were spent', () => {
    expect(decideAfterAttempt(policy, 3, failure(true))).toEqual({ kind: 'fail', condition: 'RetriesExhausted' });
  });

  it('never retries a failure marked not retryable', () => {
    expect(decideAfterAttempt(policy, 1, failure(false))).toEqual({ kind: 'fail', condition: 'RetriesExhausted' });
  });

  it('fails at once with maxRetries 0', () => {
    expect(decideAfterAttempt({ ...policy, maxRetries: 0 }, 1, failure(true))).toEqual({
      kind: 'fail',
      condition: 'RetriesExhausted',
    });
  });
});

describe('retryDelayMs', () => {
  it('repeats the last delay when the list is short', () => {
    expect(retryDelayMs({ ...policy, retryDelaysMs: [5] }, 2)).toBe(5);
  });

  it('is 0 without delays', () => {
    expect(retryDelayMs({ ...policy, retryDelaysMs: [] }, 1)).toBe(0);
  });
});

describe('isExpired', () => {
  const event: QueuedEvent = { requestId: 'r', functionName: 'f', payload: '{}', policy, acceptedAt: 1_000_000 };

  it('is false before the maximum age', () => {
    expect(isExpired(event, 1_000_000 + 59_999)).toBe(false);
  });

  it('is true at and after the maximum age', () => {
    expect(isExpired(event, 1_000_000 + 60_000)).toBe(true);
  });
});

describe('outcomeFromThrown', () => {
  it('keeps the error type, message and stack as a retryable failure', () => {
    const outcome = outcomeFromThrown(new RangeError('boom'));
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: { errorType: 'RangeError', errorMessage: 'boom' } });
    expect(outcome.ok || outcome.error.trace?.[0]).toBe('RangeError: boom');
  });

  it('wraps a thrown non-error', () => {
    expect(outcomeFromThrown('text')).toMatchObject({ ok: false, error: { errorType: 'Error', errorMessage: 'text' } });
  });
});

describe('stalledOutcome', () => {
  it('is a failure that is not retried', () => {
    expect(stalledOutcome(4, 3)).toMatchObject({ ok: false, retryable: false, error: { errorType: 'Neolith.EventStalled' } });
  });
});

describe('decideAfterRoutingFailure', () => {
  const event = { acceptedAt: 1_000_000, policy };
  const now = event.acceptedAt + 1000;

  it('sends the event to another attempt, with the delay of that attempt, while the failure may pass', () => {
    for (const failure of [new ServiceError('host closing'), new BackendUnavailableError('redis away'), new TooManyRequestsError('Rate Exceeded.', 'ReservedFunctionConcurrentInvocationLimitExceeded'), new Error('socket hang up')]) {
      expect(decideAfterRoutingFailure(event, 1, 'Success', failure, now)).toMatchObject({
        kind: 'retry', delayMs: 60_000, error: { errorType: 'Neolith.DestinationFailed' },
      });
    }
  });

  it('stores the outcome as it is with no attempt left, for an expired event, or for a failure that will not pass', () => {
    expect(decideAfterRoutingFailure(event, 3, 'Success', new ServiceError('x'), now)).toBeUndefined();
    expect(decideAfterRoutingFailure(event, 1, 'EventAgeExceeded', new ServiceError('x'), now)).toBeUndefined();
    // Past its maximum age now: another attempt would only expire it and route it a second time.
    expect(decideAfterRoutingFailure(event, 1, 'Success', new ServiceError('x'), event.acceptedAt + 60_000)).toBeUndefined();
    expect(decideAfterRoutingFailure(event, 1, 'Success', new ResourceNotFoundError('Function not found: gone'), now)).toBeUndefined();
    expect(decideAfterRoutingFailure(event, 1, 'RetriesExhausted', new InvalidRequestContentError('schema'), now)).toBeUndefined();
  });
});

describe('delayWithinAge', () => {
  const event = { acceptedAt: 1_000_000, policy };
  it('keeps a delay that ends before the maximum age, and cuts one that would end after it', () => {
    expect(delayWithinAge(event, 10_000, 1_000_000)).toBe(10_000);
    expect(delayWithinAge(event, 120_000, 1_000_000)).toBe(60_000);
    expect(delayWithinAge(event, 60_000, 1_030_000)).toBe(30_000);
    // Past its age already: no wait at all (it is taken and expired).
    expect(delayWithinAge(event, 60_000, 2_000_000)).toBe(0);
  });
});
