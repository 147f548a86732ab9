// Its own file, not the errors' face: environment threads load this module (see client/sources-client.ts).
import { InvalidParameterValueError } from '../errors/invalid-parameter-value-error.js';

/**
 * Refuses an object key no URL path can carry: a path resolves "." and ".."
 * away, percent-encoded or not. Checked by the bucket and by the HTTP client
 * alike, so a key is kept off every transport, not only off HTTP.
 */
export function checkUrlCarriesKey(key: string): void {
  if (key === '.' || key === '..') throw new InvalidParameterValueError(`InvalidArgument: an object key may not be "${key}": a URL path cannot carry it`);
}
