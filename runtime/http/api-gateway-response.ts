import { validateHeaderName, validateHeaderValue } from 'node:http';

/** An HTTP response decided from a function's result. */
export interface GatewayResponse {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

/**
 * The result could not be read as a response, or could not be sent as one. An HTTP API (payload
 * 2.0, what routes serve) answers it as a function error, 500 `{"message":"Internal Server Error"}`;
 * a REST API would answer 502 (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html).
 */
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
  // A 1xx is not a final response: sent as one (101 Switching Protocols, say) it would leave the client
  // waiting for the real one, or take over the connection.
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    throw new MalformedResponseError(`statusCode must be an integer from 200 to 599 (got ${JSON.stringify(status)})`);
  }
  // Names are the function's: `__proto__` too must be an own property, not the prototype.
  const headers = Object.create(null) as Record<string, string>;
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object' || Array.isArray(r.headers)) throw new MalformedResponseError('headers must be an object');
    for (const [name, v] of Object.entries(r.headers)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new MalformedResponseError(`header ${printable(name)} must be a string, number or boolean`);
      const lower = name.toLowerCase();
      // The gateway frames the response itself; the function's framing headers would contradict it
      // (Transfer-Encoding next to the Content-Length sent), so they are dropped, as API Gateway does.
      if (HOP_BY_HOP.has(lower)) continue;
      const text = String(v);
      checkHeader(lower, text);
      headers[lower] = text;
    }
  }
  let cookies: string[] = [];
  if (r.cookies !== undefined && r.cookies !== null) {
    if (!Array.isArray(r.cookies) || r.cookies.some((c) => typeof c !== 'string')) throw new MalformedResponseError('cookies must be an array of strings');
    cookies = r.cookies as string[];
    for (const [i, cookie] of cookies.entries()) {
      try {
        validateHeaderValue('set-cookie', cookie);
      } catch {
        throw new MalformedResponseError(`cookies[${i}] has characters not allowed in HTTP headers (CR, LF, NUL or beyond U+00FF)`);
      }
    }
  }
  let body: Buffer;
  if (r.body === undefined || r.body === null) body = Buffer.alloc(0);
  else if (typeof r.body === 'string') body = r.isBase64Encoded === true ? Buffer.from(r.body, 'base64') : Buffer.from(r.body);
  // An object body is sent as its JSON, as API Gateway does.
  else body = Buffer.from(JSON.stringify(r.body));
  headers['content-type'] ??= 'application/json';
  return { statusCode: status, headers, cookies, body };
}

/**
 * Headers that describe one connection, not the response: the gateway's own to set
 * (RFC 9110 §7.6.1, and API Gateway's reserved headers).
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

/**
 * Refuses what Node cannot put on the wire: a name that is not an HTTP token, a value with CR, LF,
 * NUL or a character past U+00FF. Checked here with Node's own rules, so sending never throws
 * halfway through a response and a header can never inject another one.
 */
function checkHeader(name: string, value: string): void {
  try {
    validateHeaderName(name);
  } catch {
    throw new MalformedResponseError(`header name ${printable(name)} is not a valid HTTP header name`);
  }
  try {
    validateHeaderValue(name, value);
  } catch {
    throw new MalformedResponseError(`header ${printable(name)} has a value with characters not allowed in HTTP headers (CR, LF, NUL or beyond U+00FF)`);
  }
}

/** A name from the function, quoted and cut short for a log line. */
function printable(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}
