import { InvalidParameterValueError } from '../errors/index.js';

/** Decodes one percent-encoded path segment; malformed encoding is the caller's 400, not a 500. */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidParameterValueError(`The request path has invalid percent-encoding in ${JSON.stringify(segment.slice(0, 100))}`);
  }
}
