import type { IncomingMessage } from 'node:http';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { createGraphQLError } from 'graphql-yoga';
import type { Principal } from '../auth/index.js';
import { AccessDeniedError, InvalidSignatureError, MissingAuthenticationTokenError, UnrecognizedClientError } from '../errors/index.js';
import type { ResolvedGraphqlOptions } from './gateway-options.js';

/** AppSync's OIDC identity, as jobs receive it in `event.identity`. `null` for an anonymous caller. */
export interface OidcIdentity {
  sub: string;
  issuer: string;
  claims: JWTPayload;
}

/** AppSync's IAM identity, as jobs receive it in `event.identity` for a SigV4-signed request. */
export interface IamIdentity {
  accountId: string;
  cognitoIdentityPoolId: null;
  cognitoIdentityId: null;
  sourceIp: string[];
  /** The principal's name in `auth.principals`. */
  username: string;
  userArn: string;
  cognitoIdentityAuthType: null;
  cognitoIdentityAuthProvider: null;
}

/** Who called the gateway: a JWT's OIDC identity or a SigV4 principal's IAM identity; `null` when anonymous. */
export type GatewayIdentity = OidcIdentity | IamIdentity;

/**
 * The host's SigV4 machinery (`host.api.access`, an `AccessGate`): verifies a
 * signed request over the given body, and knows the host's account.
 */
export interface SigV4Gate {
  authenticate(req: IncomingMessage, readBody: () => Promise<Buffer>, options?: { signedOnly?: boolean; services?: readonly string[] }): Promise<{ caller: Principal | undefined }>;
  readonly policy: { checkAccount(caller: Principal, action: string): void };
}

/** The request a SigV4 signature is checked against: the node request and the body bytes the gateway read. */
export interface SignedGatewayRequest {
  req: IncomingMessage;
  /** The body exactly as read (undefined for GET/HEAD: the empty body). */
  body: Buffer | undefined;
}

/** The action a SigV4 principal must be allowed for GraphQL (its own account's principals are). */
const GRAPHQL_ACTION = 'appsync:GraphQL';
/** AppSync's own service name; `lambda` too, so one set of SDK signing settings reaches the whole host. */
const GRAPHQL_SIGNING = { signedOnly: true, services: ['appsync', 'lambda'] } as const;
const SIGV4_PREFIX = 'AWS4-';

/**
 * Turns an `Authorization` header into the caller's identity: a verified
 * JWT (HS256 secret or a JWKS, via jose) becomes AppSync's OIDC identity; a
 * SigV4 signature (`AWS4-HMAC-SHA256 …`) by one of `auth.principals`,
 * checked by the host's access gate over the body the gateway read, becomes
 * AppSync's IAM identity. Refusals are GraphQL errors carrying HTTP 401/403,
 * so yoga answers with it.
 */
export class IdentityVerifier {
  readonly #auth: ResolvedGraphqlOptions['auth'];
  readonly #key: Uint8Array | JWTVerifyGetKey | undefined;
  readonly #sigv4: () => SigV4Gate | undefined;
  /** Verified (or refused) signatures by request: a graphql-ws connection's operations share its upgrade request's. */
  readonly #signed = new WeakMap<IncomingMessage, Promise<IamIdentity>>();

  /** `sigv4` returns the host's access gate (undefined when the host has no `auth.principals`). */
  constructor(auth: ResolvedGraphqlOptions['auth'], sigv4: () => SigV4Gate | undefined = () => undefined) {
    this.#auth = auth;
    this.#sigv4 = sigv4;
    const jwt = auth.jwt;
    if (jwt?.secret !== undefined) this.#key = new TextEncoder().encode(jwt.secret);
    else if (jwt?.jwks) this.#key = createLocalJWKSet(jwt.jwks as unknown as Parameters<typeof createLocalJWKSet>[0]);
  }

  /**
   * Resolves the identity for a header value, or rejects with an
   * UNAUTHENTICATED (401) or FORBIDDEN (403) GraphQL error. `signed` is the
   * request a SigV4 header is verified against; without it (a header from
   * graphql-ws connectionParams) a SigV4 header is refused.
   */
  async identify(authorization: string | null | undefined, signed?: SignedGatewayRequest): Promise<GatewayIdentity | null> {
    if (!authorization) {
      if (this.#auth.anonymous) return null;
      throw unauthenticated(this.#sigv4()
        ? 'this API requires a bearer token (Authorization: Bearer <JWT>) or a SigV4 signature (Authorization: AWS4-HMAC-SHA256 …)'
        : 'this API requires a bearer token (Authorization: Bearer <JWT>)');
    }
    if (authorization.startsWith(SIGV4_PREFIX)) {
      if (!signed || signed.req.headers.authorization !== authorization) return this.#identifySigned(authorization, signed);
      let verified = this.#signed.get(signed.req);
      if (!verified) {
        verified = this.#identifySigned(authorization, signed);
        this.#signed.set(signed.req, verified);
      }
      return verified;
    }
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw unauthenticated('the Authorization header must be "Bearer <JWT>"');
    const jwt = this.#auth.jwt;
    if (!jwt || this.#key === undefined) throw unauthenticated('this API does not accept tokens (graphql.auth.jwt is not configured)');
    try {
      const options = {
        // A token without an expiry would be good for ever: AppSync and API Gateway require `exp`.
        requiredClaims: ['exp'],
        ...(jwt.secret !== undefined && { algorithms: ['HS256'] }),
        ...(jwt.issuer !== undefined && { issuer: jwt.issuer }),
        ...(jwt.audience !== undefined && { audience: jwt.audience }),
      };
      const { payload } = typeof this.#key === 'function'
        ? await jwtVerify(match[1]!, this.#key, options)
        : await jwtVerify(match[1]!, this.#key, options);
      // An empty subject names nobody: it must not pass for a user, nor for the anonymous caller.
      if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthenticated('the token has no "sub" claim');
      return { sub: payload.sub, issuer: payload.iss ?? '', claims: payload };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw unauthenticated(`invalid token: ${error.message}`, error.code);
      throw error;
    }
  }

  async #identifySigned(authorization: string, signed: SignedGatewayRequest | undefined): Promise<IamIdentity> {
    const gate = this.#sigv4();
    if (!gate) throw unauthenticated('this API does not accept SigV4 signatures (auth.principals is not configured)');
    // The header must be the request's own: a signature in graphql-ws connectionParams covers nothing verifiable.
    if (!signed || signed.req.headers.authorization !== authorization) {
      throw unauthenticated('a SigV4 signature must sign the HTTP request itself (WebSocket: sign the upgrade request)', 'InvalidSignatureException');
    }
    const body = signed.body ?? Buffer.alloc(0);
    let caller: Principal | undefined;
    try {
      ({ caller } = await gate.authenticate(signed.req, () => Promise.resolve(body), GRAPHQL_SIGNING));
      if (!caller) throw new MissingAuthenticationTokenError('Missing Authentication Token');
      gate.policy.checkAccount(caller, GRAPHQL_ACTION);
    } catch (error) {
      throw sigv4Refusal(error);
    }
    const sourceIp = signed.req.socket.remoteAddress;
    return {
      accountId: caller.accountId,
      cognitoIdentityPoolId: null,
      cognitoIdentityId: null,
      sourceIp: sourceIp === undefined ? [] : [sourceIp],
      username: caller.name,
      userArn: caller.arn,
      cognitoIdentityAuthType: null,
      cognitoIdentityAuthProvider: null,
    };
  }
}

/** Maps the access gate's Lambda errors to GraphQL errors: an unknown key 401, a bad signature or a foreign account 403. */
function sigv4Refusal(error: unknown) {
  if (error instanceof UnrecognizedClientError || error instanceof MissingAuthenticationTokenError) {
    return unauthenticated(error.message, error.code);
  }
  if (error instanceof InvalidSignatureError || error instanceof AccessDeniedError) {
    return createGraphQLError(error.message, { extensions: { code: 'FORBIDDEN', reason: error.code, http: { status: 403 } } });
  }
  return error;
}

function unauthenticated(message: string, reason?: string) {
  return createGraphQLError(message, {
    extensions: {
      code: 'UNAUTHENTICATED',
      ...(reason !== undefined && { reason }),
      http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } },
    },
  });
}
