/** An HTTP response decided from a function's result. */
export interface GatewayResponse {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

/** The result could not be read as a response (API Gateway answers 500 "Internal Server Error"). */
export class MalformedResponseError extends Error {
  override readonly name = 'MalformedResponseError';
}

/**
 * Maps a function's JSON result to an HTTP response the way API Gateway does
 * for payload format 2.0: an object with `statusCode` is a response
 * (`headers`, `cookies` → set-cookie, `body`, `isBase64Encoded`); any other
 * value is the body of a 200 `application/json` response (a string as is).
 */
export function gatewayResponse(payload: string): GatewayResponse {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch (error) {
    throw new MalformedResponseError('the function returned invalid JSON', { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('statusCode' in value)) {
    const text = typeof value === 'string' ? value : payload;
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(text) };
  }
  const r = value as Record<string, unknown>;
  const status = r.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new MalformedResponseError(`statusCode must be an integer from 100 to 599 (got ${JSON.stringify(status)})`);
  }
  const headers: Record<string, string> = {};
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object' || Array.isArray(r.headers)) throw new MalformedResponseError('headers must be an object');
    for (const [name, v] of Object.entries(r.headers)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new MalformedResponseError(`header ${name} must be a string, number or boolean`);
      headers[name.toLowerCase()] = String(v);
    }
  }
  let cookies: string[] = [];
  if (r.cookies !== undefined && r.cookies !== null) {
    if (!Array.isArray(r.cookies) || r.cookies.some((c) => typeof c !== 'string')) throw new MalformedResponseError('cookies must be an array of strings');
    cookies = r.cookies as string[];
  }
  let body: Buffer;
  if (r.body === undefined || r.body === null) body = Buffer.alloc(0);
  else if (typeof r.body === 'string') body = r.isBase64Encoded === true ? Buffer.from(r.body, 'base64') : Buffer.from(r.body);
  // An object body is sent as its JSON, as API Gateway does.
  else body = Buffer.from(JSON.stringify(r.body));
  headers['content-type'] ??= 'application/json';
  return { statusCode: status, headers, cookies, body };
}
