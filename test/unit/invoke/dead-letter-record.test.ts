import { describe, expect, it } from 'vitest';
import type { AttemptOutcome, DeadLetter, FinalCondition, InvocationError, QueuedEvent } from '../../../runtime/backend/index.js';
import { compactDestinationRecord, withFullDestinationRecord } from '../../../runtime/invoke/dead-letter-record.js';
import { destinationRecord } from '../../../runtime/invoke/destination-record.js';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:orders';
const BIG = 'x'.repeat(200_000);
const ERROR: InvocationError = { errorType: 'CardDeclined', errorMessage: `declined ${BIG}`, trace: ['CardDeclined: declined', '    at handler (index.mjs:3:9)'] };

function event(payload = JSON.stringify({ order: 'o1', note: BIG })): QueuedEvent {
  return {
    requestId: 'req-1', functionName: 'orders', payload, acceptedAt: 1_700_000_000_000,
    policy: { maxRetries: 2, maxEventAgeSeconds: 21600, retryDelaysMs: [] },
  };
}

/** What the dispatcher stores for an outcome, and the record it built (as JSON text). */
function routed(condition: FinalCondition, outcome: AttemptOutcome | undefined, error: InvocationError | undefined, queued = event()) {
  const final = {
    event: queued, condition, ...(outcome && { outcome }),
    record: { id: 'req-1', functionName: 'orders', status: condition === 'Success' ? 'SUCCEEDED' : 'FAILED', attempts: 3, createdAt: 1, updatedAt: 1_700_000_000_500, ...(error && { error }) },
  } as const;
  const record = destinationRecord(final, ARN);
  const letter: DeadLetter = {
    id: 'dl-1', createdAt: 2, event: queued, condition, attempts: 3, ...(error && { error }),
    destinationRecord: compactDestinationRecord(record, error),
  };
  return { letter, whole: JSON.stringify(record) };
}

describe('dead letters store the destination record without the event and error they already hold', () => {
  it('a failure: neither payload is stored twice, and reading gives the record as routed, byte for byte', () => {
    const { letter, whole } = routed('RetriesExhausted', { ok: false, error: ERROR, retryable: true }, ERROR);
    const stored = JSON.parse(letter.destinationRecord!) as Record<string, unknown>;
    expect(stored).not.toHaveProperty('requestPayload');
    expect(stored).not.toHaveProperty('responsePayload');
    expect(letter.destinationRecord!.length).toBeLessThan(1000);
    expect(whole.length).toBeGreaterThan(400_000);
    expect(withFullDestinationRecord(letter).destinationRecord).toBe(whole);
  });

  it('an error without a trace reads back with the empty trace Lambda writes', () => {
    const bare: InvocationError = { errorType: 'Error', errorMessage: 'boom' };
    const { letter, whole } = routed('RetriesExhausted', { ok: false, error: bare, retryable: true }, bare);
    expect(letter.destinationRecord).not.toContain('boom');
    expect(JSON.parse(withFullDestinationRecord(letter).destinationRecord!)).toMatchObject({ responsePayload: { errorType: 'Error', errorMessage: 'boom', trace: [] } });
    expect(withFullDestinationRecord(letter).destinationRecord).toBe(whole);
  });

  it('a success (onSuccess: dlq) keeps its response, which the letter holds nowhere else', () => {
    const { letter, whole } = routed('Success', { ok: true, result: JSON.stringify({ charged: 42 }) }, undefined);
    expect(JSON.parse(letter.destinationRecord!)).toMatchObject({ responsePayload: { charged: 42 } });
    expect(JSON.parse(letter.destinationRecord!)).not.toHaveProperty('requestPayload');
    expect(withFullDestinationRecord(letter).destinationRecord).toBe(whole);
  });

  it('a success whose result looks exactly like the error on its record still keeps its result', () => {
    const lookalike = { errorType: ERROR.errorType, errorMessage: ERROR.errorMessage, trace: ERROR.trace };
    const { letter, whole } = routed('Success', { ok: true, result: JSON.stringify(lookalike) }, ERROR);
    expect(JSON.parse(letter.destinationRecord!)).toHaveProperty('responsePayload');
    expect(withFullDestinationRecord(letter).destinationRecord).toBe(whole);
  });

  it('an event that expired before it ran has no response: only the request comes back', () => {
    const { letter, whole } = routed('EventAgeExceeded', undefined, undefined);
    const full = JSON.parse(withFullDestinationRecord(letter).destinationRecord!) as Record<string, unknown>;
    expect(full).not.toHaveProperty('responsePayload');
    expect(full).not.toHaveProperty('responseContext');
    expect(withFullDestinationRecord(letter).destinationRecord).toBe(whole);
  });

  it('a response that is not the letter\'s error (an earlier attempt\'s error kept on the record) is stored whole', () => {
    const earlier: InvocationError = { ...ERROR, trace: ['other'] };
    const { letter, whole } = routed('RetriesExhausted', { ok: false, error: ERROR, retryable: true }, earlier);
    expect(JSON.parse(letter.destinationRecord!)).toMatchObject({ responsePayload: { trace: ERROR.trace } });
    expect(withFullDestinationRecord(letter).destinationRecord).toBe(whole);
  });

  it('a payload that is not JSON text comes back as the same text', () => {
    const { letter, whole } = routed('RetriesExhausted', { ok: false, error: ERROR, retryable: true }, ERROR, event('not json'));
    expect(JSON.parse(withFullDestinationRecord(letter).destinationRecord!)).toMatchObject({ requestPayload: 'not json' });
    expect(withFullDestinationRecord(letter).destinationRecord).toBe(whole);
  });

  it('letters stored whole (before this) and letters without a record are read as they are', () => {
    const { letter, whole } = routed('RetriesExhausted', { ok: false, error: ERROR, retryable: true }, ERROR);
    const old = { ...letter, destinationRecord: whole };
    expect(withFullDestinationRecord(old)).toBe(old);
    const { destinationRecord: _none, ...bare } = letter;
    expect(withFullDestinationRecord(bare)).toBe(bare);
  });
});
