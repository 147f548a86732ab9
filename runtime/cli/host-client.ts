import { HostRequestError } from './host-request-error.js';
import { UsageError } from './usage-error.js';

/** Default address of a running host for commands that talk to one. */
export const DEFAULT_HOST_URL = 'http://127.0.0.1:4000';

/** How a client command's help names where it finds the host. */
export const HOST_URL_HELP = `the running host (default $NEOLITH_URL, else ${DEFAULT_HOST_URL})`;

/**
 * The host a client command talks to: `--url`, else `$NEOLITH_URL`, else the
 * default; a value that is not an http(s) URL is a usage error naming its source.
 */
export function hostUrl(flag: string | undefined): string {
  const fromEnv = process.env.NEOLITH_URL || undefined;
  const [value, source] =
    flag !== undefined ? [flag, '--url'] : fromEnv !== undefined ? [fromEnv, '$NEOLITH_URL'] : [DEFAULT_HOST_URL, 'the default host'];
  const parsed = URL.canParse(value) ? new URL(value) : undefined;
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new UsageError(`${source} must be a URL such as ${DEFAULT_HOST_URL} (got ${JSON.stringify(value)})`);
  }
  return value.replace(/\/+$/, '');
}

/** A JSON request to a running host; a non-2xx answer becomes an Error naming Lambda's error type. */
export async function requestHost(baseUrl: string, path: string, init: RequestInit = {}): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl.replace(/\/$/, '')}${path}`, init);
  } catch (error) {
    throw HostRequestError.unreachable(baseUrl, error);
  }
  const text = await response.text();
  if (!response.ok) throw HostRequestError.refused(response, text);
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw HostRequestError.notNeolith(baseUrl, `${path} with something that is not JSON`, error);
  }
}
