import type { ResolvedPrincipal } from '../config/index.js';
import type { Principal } from './caller.js';

/** A principal with the secret its signatures are checked with. */
export interface KeyedPrincipal {
  principal: Principal;
  secretAccessKey: string;
}

/**
 * The configured principals, looked up by access key id. Built once at
 * start (secrets from env vars already read), never per request.
 */
export class PrincipalDirectory {
  readonly #byKey = new Map<string, KeyedPrincipal>();
  readonly #byName = new Map<string, Principal>();

  constructor(principals: readonly ResolvedPrincipal[]) {
    for (const p of principals) {
      const principal: Principal = {
        name: p.name, accessKeyId: p.accessKeyId, accountId: p.accountId, arn: `arn:aws:iam::${p.accountId}:user/${p.name}`,
      };
      this.#byKey.set(p.accessKeyId, { principal, secretAccessKey: p.secretAccessKey });
      this.#byName.set(p.name, principal);
    }
  }

  byAccessKey(accessKeyId: string): KeyedPrincipal | undefined {
    return this.#byKey.get(accessKeyId);
  }

  byName(name: string): Principal | undefined {
    return this.#byName.get(name);
  }
}
