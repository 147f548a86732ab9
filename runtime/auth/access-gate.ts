import type { IncomingMessage } from 'node:http';
import type { ResolvedAuth } from '../config/index.js';
import { MissingAuthenticationTokenError } from '../errors/index.js';
import type { Principal } from './caller.js';
import { JwtVerifier } from './jwt-verifier.js';
import { PermissionPolicy } from './permission-policy.js';
import { PrincipalDirectory } from './principal-directory.js';
import { SigV4Verifier } from './sigv4-verifier.js';

/** What the gate needs of the host. */
export interface AccessGateOptions {
  accountId: string;
  /** ARN of a function. */
  arnOf: (functionName: string) => string;
  /** Maps an `auth.permissions` key (function, job or alias) to a policy key (see `jobKey`). */
  normaliseKey: (key: string) => string;
  /** The job a function runs when called by its own name (see `PermissionPolicyOptions.jobOf`). */
  jobOf?: (functionName: string) => string | undefined;
  /** The host's region: signatures must be scoped to it. */
  region: string;
  /** Clock for the signature date window. @defaultValue Date.now */
  now?: () => number;
}

/** How one surface authenticates its requests. */
export interface AuthenticateOptions {
  /** Refuses unsigned requests whatever the anonymous rule (REST routes with `auth: "iam"`). */
  signedOnly?: boolean;
  /** The SigV4 service names the surface answers to (`lambda`, `execute-api`…); any when absent. */
  services?: readonly string[];
}

/** Who made a request: a verified principal, or `undefined` for an accepted anonymous caller. */
export interface Authenticated {
  caller: Principal | undefined;
  /** The body, when checking the signature needed it read. */
  body?: Buffer;
}

/**
 * The one place requests are authenticated and authorised when `auth` is
 * configured: SigV4 for principals, the anonymous rule for unsigned
 * requests, JWT for REST routes that ask for it, and the permission policy.
 * Built once at start; nothing is parsed per request but the request.
 */
export class AccessGate {
  readonly policy: PermissionPolicy;
  readonly jwt: JwtVerifier | undefined;
  readonly #verifier: SigV4Verifier;
  readonly #anonymous: ResolvedAuth['anonymous'];

  constructor(auth: ResolvedAuth, options: AccessGateOptions) {
    const principals = new PrincipalDirectory(auth.principals);
    this.#verifier = new SigV4Verifier(principals, {
      clockSkewSeconds: auth.clockSkewSeconds, region: options.region, ...(options.now && { now: options.now }),
    });
    this.#anonymous = auth.anonymous;
    const permissions: Record<string, string[]> = {};
    for (const [key, who] of Object.entries(auth.permissions)) {
      const normal = key === '*' ? '*' : options.normaliseKey(key);
      permissions[normal] = [...(permissions[normal] ?? []), ...who];
    }
    this.policy = new PermissionPolicy({
      accountId: options.accountId, permissions, principals, arnOf: options.arnOf, ...(options.jobOf && { jobOf: options.jobOf }),
    });
    this.jwt = auth.jwt ? new JwtVerifier(auth.jwt) : undefined;
  }

  /**
   * Authenticates a request: a signed one is verified (reading its body
   * through `readBody`), an unsigned one is accepted or refused by
   * `auth.anonymous`.
   */
  async authenticate(req: IncomingMessage, readBody: () => Promise<Buffer>, options: AuthenticateOptions = {}): Promise<Authenticated> {
    const authorization = req.headers.authorization;
    if (authorization === undefined || authorization === '') {
      this.#admitAnonymous(req, options.signedOnly === true);
      return { caller: undefined };
    }
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pending = this.#verifier.begin({
      method: req.method ?? 'GET', rawPath: q < 0 ? raw : raw.slice(0, q), rawQuery: q < 0 ? '' : raw.slice(q + 1), headers: req.headers,
    }, authorization, options.services);
    const body = await readBody();
    return { caller: await pending.verify(body), body };
  }

  #admitAnonymous(req: IncomingMessage, signedOnly: boolean): void {
    if (signedOnly || this.#anonymous === 'deny') throw new MissingAuthenticationTokenError('Missing Authentication Token');
    if (this.#anonymous === 'loopback-only' && !isLoopback(req.socket.remoteAddress)) {
      throw new MissingAuthenticationTokenError('Missing Authentication Token: unsigned requests are accepted from loopback only (auth.anonymous is "loopback-only"); sign the request with a principal\'s keys');
    }
  }
}

/** Whether an address is the local machine's (127.0.0.0/8, ::1, or their IPv4-mapped form). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.') || address === 'localhost';
}
