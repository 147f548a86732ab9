import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { createGraphQLError } from 'graphql-yoga';
import type { ResolvedGraphqlOptions } from './gateway-options.js';

/** AppSync's OIDC identity, as jobs receive it in `event.identity`. `null` for an anonymous caller. */
export interface OidcIdentity {
  sub: string;
  issuer: string;
  claims: JWTPayload;
}

/**
 * Turns an `Authorization` header into the caller's identity: a verified
 * JWT (HS256 secret or a JWKS, via jose) becomes AppSync's OIDC identity.
 * Refusals are GraphQL errors carrying HTTP 401, so yoga answers with it.
 */
export class IdentityVerifier {
  readonly #auth: ResolvedGraphqlOptions['auth'];
  readonly #key: Uint8Array | JWTVerifyGetKey | undefined;

  constructor(auth: ResolvedGraphqlOptions['auth']) {
    this.#auth = auth;
    const jwt = auth.jwt;
    if (jwt?.secret !== undefined) this.#key = new TextEncoder().encode(jwt.secret);
    else if (jwt?.jwks) this.#key = createLocalJWKSet(jwt.jwks as unknown as Parameters<typeof createLocalJWKSet>[0]);
  }

  /** Resolves the identity for a header value, or rejects with an UNAUTHENTICATED GraphQL error. */
  async identify(authorization: string | null | undefined): Promise<OidcIdentity | null> {
    if (!authorization) {
      if (this.#auth.anonymous) return null;
      throw unauthenticated('this API requires a bearer token (Authorization: Bearer <JWT>)');
    }
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw unauthenticated('the Authorization header must be "Bearer <JWT>"');
    const jwt = this.#auth.jwt;
    if (!jwt || this.#key === undefined) throw unauthenticated('this API does not accept tokens (graphql.auth.jwt is not configured)');
    try {
      const options = {
        ...(jwt.secret !== undefined && { algorithms: ['HS256'] }),
        ...(jwt.issuer !== undefined && { issuer: jwt.issuer }),
        ...(jwt.audience !== undefined && { audience: jwt.audience }),
      };
      const { payload } = typeof this.#key === 'function'
        ? await jwtVerify(match[1]!, this.#key, options)
        : await jwtVerify(match[1]!, this.#key, options);
      if (typeof payload.sub !== 'string') throw unauthenticated('the token has no "sub" claim');
      return { sub: payload.sub, issuer: payload.iss ?? '', claims: payload };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw unauthenticated(`invalid token: ${error.message}`, error.code);
      throw error;
    }
  }
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
