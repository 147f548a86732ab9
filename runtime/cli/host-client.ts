import { HostRequestError } from './host-request-error.js';

/** Default address of a running host for commands that talk to one. */
export const DEFAULT_HOST_URL = 'http://127.0.0.1:4000';

/** A JSON request to a running host; a non-2xx answer becomes an Error naming Lambda's error type. */
export async function requestHost(baseUrl: string, path: string, init: RequestInit = {}): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl.replace(/\/$/, '')}${path}`, init);
  } catch (error) {
    throw HostRequestError.unreachable(baseUrl, error);
  }
  const text = await response.text();
  if (!response.ok) {
    const type = response.headers.get('x-amzn-errortype') ?? 'Error';
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: keep the text
    }
    throw new HostRequestError(`${type} (${response.status}): ${message}`);
  }
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HostRequestError(`${baseUrl} answered ${path} with something that is not JSON: is it a neolith host?`, { cause: error });
  }
}
