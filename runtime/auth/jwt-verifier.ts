import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { ResolvedJwtAuth } from '../config/index.js';
import { UnauthorizedError } from '../errors/index.js';

/** API Gateway's JWT authorizer output, as handlers see it in `requestContext.authorizer.jwt`. */
export interface JwtAuthorizer {
  claims: JWTPayload;
  scopes: string[] | null;
}

/**
 * Checks `Authorization: Bearer <JWT>` for REST routes with `auth: "jwt"`
 * (HS256 secret or a JWKS, via jose). The key is built once at start.
 */
export class JwtVerifier {
  readonly #options: ResolvedJwtAuth;
  readonly #key: Uint8Array | JWTVerifyGetKey;

  constructor(options: ResolvedJwtAuth) {
    this.#options = options;
    this.#key = options.secret !== undefined
      ? new TextEncoder().encode(options.secret)
      : createLocalJWKSet(options.jwks as unknown as Parameters<typeof createLocalJWKSet>[0]);
  }

  /** Resolves the authorizer context, or rejects with UnauthorizedError (401). */
  async verify(authorization: string | undefined): Promise<JwtAuthorizer> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
    if (!match) throw new UnauthorizedError('Unauthorized');
    const o = this.#options;
    const options = {
      // API Gateway's JWT authorizer requires `exp`: a token without one would be good for ever.
      requiredClaims: ['exp'],
      ...(o.secret !== undefined && { algorithms: ['HS256'] }),
      ...(o.issuer !== undefined && { issuer: o.issuer }),
      ...(o.audience !== undefined && { audience: o.audience }),
    };
    try {
      const { payload } = typeof this.#key === 'function'
        ? await jwtVerify(match[1]!, this.#key, options)
        : await jwtVerify(match[1]!, this.#key, options);
      const scope = typeof payload.scope === 'string' ? payload.scope : typeof payload.scp === 'string' ? payload.scp : undefined;
      return { claims: payload, scopes: scope ? scope.split(' ').filter(Boolean) : null };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw new UnauthorizedError('Unauthorized', { cause: error });
      throw error;
    }
  }
}
