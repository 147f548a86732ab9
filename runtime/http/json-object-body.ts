import { isUtf8 } from 'node:buffer';
import { InvalidRequestContentError } from '../errors/index.js';

/**
 * A request body that must be a JSON object (an empty body is `{}`), as the
 * Lambda API words its refusals. Bytes that are not UTF-8 are refused rather
 * than decoded with U+FFFD in their place, which would store text the caller
 * never sent.
 */
export function parseJsonObjectBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  if (!isUtf8(body)) throw new InvalidRequestContentError('Could not parse request body into json: the body is not valid UTF-8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new InvalidRequestContentError(`Could not parse request body into json: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidRequestContentError('Could not parse request body into json: the body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
