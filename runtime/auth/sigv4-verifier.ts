import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { InvalidSignatureError, UnrecognizedClientError } from '../errors/index.js';
import type { Principal } from './caller.js';
import type { PrincipalDirectory } from './principal-directory.js';

/** The parts of a request a signature covers. */
export interface SignedRequest {
  method: string;
  /** The path exactly as sent (still percent-encoded): SigV4 signs the encoded form. */
  rawPath: string;
  /** The query string as sent, without `?`. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
}

/** A signature whose key and date checked out; `verify` checks the rest once the body is read. */
export interface PendingSignature {
  principal: Principal;
  /** Recomputes the signature over the request and body; rejects with InvalidSignatureError on a mismatch. */
  verify(body: Uint8Array): Promise<Principal>;
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;._-]+),\s*Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const SIGNATURE_MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * Checks AWS Signature Version 4 the way AWS does: the key must belong to a
 * principal, X-Amz-Date must be within the clock-skew window, and the
 * signature recomputed with `@smithy/signature-v4` (the signer the AWS SDK
 * itself uses) over the same signed headers must match. One signer per
 * principal is kept, so its derived signing keys are cached across requests.
 */
export class SigV4Verifier {
  readonly #principals: PrincipalDirectory;
  readonly #skewMs: number;
  readonly #now: () => number;
  readonly #region: string;
  readonly #signers = new Map<string, SignatureV4>();

  constructor(principals: PrincipalDirectory, options: { clockSkewSeconds: number; region: string; now?: () => number }) {
    this.#principals = principals;
    this.#skewMs = options.clockSkewSeconds * 1000;
    this.#region = options.region;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Checks what can be checked before the body is read: the Authorization
   * header's form, the key, the credential scope (the host's region, one of
   * `services` when given), the date. Throws Lambda's errors.
   */
  begin(request: SignedRequest, authorization: string, services?: readonly string[]): PendingSignature {
    const match = AUTHORIZATION.exec(authorization.trim());
    if (!match) {
      throw new InvalidSignatureError('Authorization header must be "AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, SignedHeaders=<headers>, Signature=<hex>"');
    }
    const [, accessKeyId = '', day = '', region = '', service = '', signedList = '', signature = ''] = match;
    const keyed = this.#principals.byAccessKey(accessKeyId);
    if (!keyed) throw new UnrecognizedClientError('The security token included in the request is invalid.');
    // A signature scoped elsewhere was made for another endpoint: AWS refuses it before looking at it.
    if (region !== this.#region) throw new InvalidSignatureError(`Credential should be scoped to a valid region. (the host's region is '${this.#region}', not '${region}')`);
    if (services && !services.includes(service)) {
      throw new InvalidSignatureError(`Credential should be scoped to correct service: '${services[0]}'. (not '${service}')`);
    }
    const amzDate = single(request.headers['x-amz-date']);
    const date = amzDate === undefined ? undefined : parseAmzDate(amzDate);
    if (amzDate === undefined || date === undefined) {
      throw new InvalidSignatureError('Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header in ISO 8601 basic format (20150830T123600Z).');
    }
    if (!amzDate.startsWith(day)) throw new InvalidSignatureError(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${day}' != '${amzDate.slice(0, 8)}'`);
    this.#checkSkew(amzDate, date);
    const signed = signedList.split(';');
    if (!signed.includes('host')) throw new InvalidSignatureError("'Host' must be a signed header");
    for (const name of signed) {
      if (request.headers[name] === undefined) throw new InvalidSignatureError(`Signed header ${JSON.stringify(name)} is missing from the request`);
    }
    return {
      principal: keyed.principal,
      verify: async (body) => {
        // A signed x-amz-content-sha256 stands in for the body in the signature: it must be the body's hash.
        const declared = single(request.headers['x-amz-content-sha256']);
        if (declared !== undefined && declared !== createHash('sha256').update(body).digest('hex')) {
          throw new InvalidSignatureError('The provided x-amz-content-sha256 header does not match what was computed.');
        }
        const signer = this.#signer(accessKeyId, keyed.secretAccessKey);
        const headers: Record<string, string> = {};
        for (const name of signed) headers[name] = headerValue(request.headers[name]!);
        const recomputed = await signer.sign({
          method: request.method, protocol: 'http:', hostname: headers.host ?? '', path: request.rawPath,
          query: parseQuery(request.rawQuery), headers, body,
        }, { signingDate: date, signingRegion: region, signingService: service, signableHeaders: new Set(signed) });
        const expected = /Signature=([0-9a-f]{64})/.exec(String(recomputed.headers.authorization))?.[1] ?? '';
        if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) throw new InvalidSignatureError(SIGNATURE_MISMATCH);
        return keyed.principal;
      },
    };
  }

  #checkSkew(amzDate: string, date: Date): void {
    const now = this.#now();
    const minutes = `${Math.round(this.#skewMs / 60_000)} min.`;
    if (date.getTime() < now - this.#skewMs) {
      throw new InvalidSignatureError(`Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - this.#skewMs)} (${formatAmzDate(now)} - ${minutes})`);
    }
    if (date.getTime() > now + this.#skewMs) {
      throw new InvalidSignatureError(`Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + this.#skewMs)} (${formatAmzDate(now)} + ${minutes})`);
    }
  }

  #signer(accessKeyId: string, secretAccessKey: string): SignatureV4 {
    let signer = this.#signers.get(accessKeyId);
    if (!signer) {
      signer = new SignatureV4({
        credentials: { accessKeyId, secretAccessKey }, region: 'us-east-1', service: 'lambda',
        sha256: Hash.bind(null, 'sha256'),
        // Only what the client signed is signed again: no x-amz-content-sha256 of our own.
        applyChecksum: false,
      });
      this.#signers.set(accessKeyId, signer);
    }
    return signer;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** SigV4 joins repeated headers with commas (Node joins most with ", "; set-cookie is never signed). */
function headerValue(value: string | string[]): string {
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAmzDate(text: string): Date | undefined {
  const m = AMZ_DATE.exec(text);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The query as the signer wants it: decoded keys and values, repeats as arrays. */
function parseQuery(raw: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  if (raw === '') return query;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    const prev = query[key];
    query[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return query;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new InvalidSignatureError('The query string is not valid percent-encoding');
  }
}
