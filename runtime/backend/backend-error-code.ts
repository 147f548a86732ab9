import { BackendUnavailableError } from './backend-unavailable-error.js';
import { DeadLetterNotFoundError } from './dead-letter-not-found-error.js';
import { DuplicateRequestIdError } from './duplicate-request-id-error.js';

/**
 * What a driver reports when an operation cannot succeed. Drivers classify
 * their own exceptions into these codes; {@link toBackendError} is the one
 * place that turns a code into an error, so SQLite and Redis say the same
 * thing for the same condition (bullmq's `finished-errors.ts`).
 */
export type BackendErrorCode =
  | 'BACKEND_UNAVAILABLE'
  | 'BACKEND_CLOSED'
  | 'DUPLICATE_REQUEST_ID'
  | 'DUPLICATE_DEAD_LETTER'
  | 'DEAD_LETTER_NOT_FOUND';

/** Context for the message; `cause` is the driver's error when there is one. */
export interface BackendErrorDetail {
  readonly kind: 'sqlite' | 'redis';
  readonly operation: string;
  readonly id?: string;
  readonly cause?: unknown;
}

/** Turn a backend error code into the typed error callers branch on. */
export function toBackendError(code: BackendErrorCode, detail: BackendErrorDetail): Error {
  const where = `${detail.kind} backend ${detail.operation}`;
  const options = detail.cause === undefined ? undefined : { cause: detail.cause };
  switch (code) {
    case 'BACKEND_UNAVAILABLE': {
      const reason = detail.cause instanceof Error ? `: ${detail.cause.message}` : '';
      return new BackendUnavailableError(`${where} failed, the backend is unavailable${reason}`, options);
    }
    case 'BACKEND_CLOSED':
      return new BackendUnavailableError(`${where} refused: the backend is closed`, options);
    case 'DUPLICATE_REQUEST_ID':
      return new DuplicateRequestIdError(`${where}: an event with request id ${detail.id} was already accepted`, options);
    case 'DUPLICATE_DEAD_LETTER':
      return new DuplicateRequestIdError(`${where}: dead letter ${detail.id} already exists`, options);
    case 'DEAD_LETTER_NOT_FOUND':
      // Worded as the HTTP API's show and delete word a missing letter: the caller sees one message for one fact.
      return new DeadLetterNotFoundError(`Dead letter not found: ${detail.id}`, options);
  }
}
