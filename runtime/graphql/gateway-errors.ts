import { GraphQLError } from 'graphql';
import { NeolithError, TooManyRequestsError, AbortedError } from '../errors/index.js';

/** `extensions.code` values the gateway sends. */
export const GATEWAY_ERROR_CODES = {
  /** The function failed (threw, timed out, crashed); `errorType` says how. */
  function: 'FUNCTION_ERROR',
  /** The function or the host was at its concurrency limit. */
  throttled: 'THROTTLED',
  /** The request was cancelled (client went away). */
  aborted: 'ABORTED',
  /** The job's payload or response broke a rule (size, schema, batch shape). */
  badRequest: 'BAD_REQUEST',
  /** The host refused (closing, no backend). */
  unavailable: 'SERVICE_UNAVAILABLE',
  /** A bound job was not found at call time (unexpected after start checks). */
  notFound: 'NOT_FOUND',
  /** An async invocation id the caller may not read or that does not exist. */
  forbidden: 'FORBIDDEN',
} as const;

/** A function's error (Lambda's shape) as a GraphQL error; the message is the function's own, never masked. */
export function functionError(error: { errorType?: string; errorMessage?: string } | undefined): GraphQLError {
  return new GraphQLError(error?.errorMessage ?? 'the function failed', {
    extensions: { code: GATEWAY_ERROR_CODES.function, errorType: error?.errorType ?? 'Error' },
  });
}

/**
 * Maps a host refusal to a GraphQL error with a stable code. Anything that
 * is not one of the host's own errors is returned as it is, so yoga masks it
 * outside dev mode.
 */
export function toGraphqlError(error: unknown): unknown {
  if (error instanceof GraphQLError) return error;
  if (error instanceof TooManyRequestsError) {
    return new GraphQLError(error.message, {
      extensions: { code: GATEWAY_ERROR_CODES.throttled, errorType: error.code, reason: error.reason },
    });
  }
  if (error instanceof AbortedError || (error instanceof Error && error.name === 'AbortError')) {
    return new GraphQLError('the request was cancelled', { extensions: { code: GATEWAY_ERROR_CODES.aborted, errorType: 'AbortError' } });
  }
  if (error instanceof NeolithError) {
    const code = error.code === 'ResourceNotFoundException'
      ? GATEWAY_ERROR_CODES.notFound
      : error.code === 'ServiceException'
        ? GATEWAY_ERROR_CODES.unavailable
        : GATEWAY_ERROR_CODES.badRequest;
    return new GraphQLError(error.message, { extensions: { code, errorType: error.code } });
  }
  return error;
}
