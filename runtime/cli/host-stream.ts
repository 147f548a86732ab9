import { HostRequestError } from './host-request-error.js';

/**
 * fetch against a running host when the answer is not one JSON body (the
 * Prometheus text of /metrics, a followed event stream): the Response as it
 * comes. A connection failure or an error status becomes a HostRequestError
 * in the host's words, as `requestHost` does for JSON.
 */
export async function fetchHost(baseUrl: string, path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl.replace(/\/+$/, '')}${path}`, init);
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw HostRequestError.unreachable(baseUrl, error);
  }
  if (!response.ok) throw HostRequestError.refused(response, await response.text());
  return response;
}
