import { join } from 'node:path';
import { AccessGate, isLoopback, jobKey, PermissionPolicy, PrincipalDirectory } from '../auth/index.js';
import type { ResolvedAuth, ResolvedConfig } from '../config/index.js';
import { InsecureBindError } from '../errors/index.js';
import type { FunctionRegistry, Invoker } from '../invoke/index.js';
import { FunctionManager } from './function-manager.js';
import type { HttpRoute } from './http-route.js';
import { lambdaApi } from './lambda-api.js';
import { JsonFileManagementStore, type ManagementStore } from './management-store.js';
import { readBody } from './read-body.js';
import { restApi } from './rest-api.js';

/** What the API surface is built from. */
export interface ApiSurfaceParts {
  config: ResolvedConfig;
  invoker: Invoker;
  registry: FunctionRegistry;
  /** Where management changes are kept. @defaultValue `<stateDir>/management.json` */
  store?: ManagementStore;
  /** Clock for signature dates and timestamps. @defaultValue Date.now */
  now?: () => number;
}

/** The Lambda API, REST routes and the auth they share, ready to mount. */
export interface ApiSurface {
  /** Mount in this order. */
  routes: HttpRoute[];
  /** Authentication and permissions; undefined when the config has no `auth` section. */
  access: AccessGate | undefined;
  manager: FunctionManager;
  /**
   * Puts another part's route behind the same authentication (same-account
   * principals, or anonymous callers the anonymous rule accepts) for the
   * paths starting with one of `prefixes`. Returns the route as is when auth is off.
   */
  /** Checks signatures on `prefixes`; a signed body (at most `maxBodyBytes`, default 64 KB) reaches the route as `ctx.body`. */
  guard(route: HttpRoute, prefixes: readonly string[], maxBodyBytes?: number): HttpRoute;
}

/**
 * Builds the HTTP API parts that share principals and permissions: the
 * access gate (once: principals parsed, signers cached), the management
 * state (re-applying saved changes), the Lambda API and the REST routes.
 */
export function createApiSurface(parts: ApiSurfaceParts): ApiSurface {
  const { config, registry, invoker } = parts;
  const arnOf = (name: string) => `arn:aws:lambda:${config.region}:${config.accountId}:function:${name}`;
  const auth = config.http.auth;
  const access = auth
    ? new AccessGate(auth, {
        accountId: config.accountId, region: config.region, arnOf, normaliseKey: (key) => normaliseKey(registry, key),
        jobOf: (functionName) => registry.soleJob(functionName),
        ...(parts.now && { now: parts.now }),
      })
    : undefined;
  // Without auth, statements are still kept and shown by GetPolicy; nothing enforces them.
  const policy = access?.policy ?? new PermissionPolicy({ accountId: config.accountId, permissions: {}, principals: new PrincipalDirectory([]), arnOf });
  const manager = new FunctionManager({
    registry, policy, store: parts.store ?? new JsonFileManagementStore(join(config.stateDir, 'management.json')),
    region: config.region, accountId: config.accountId, concurrencyLimit: config.concurrencyLimit, topics: Object.keys(config.sources.topics),
    ...(parts.now && { now: parts.now }),
  });
  const limits = config.payloadLimits;
  const maxBodyBytes = Math.max(limits.syncRequestBytes, limits.asyncEventBytes);
  const routes: HttpRoute[] = [lambdaApi({ invoker, registry, maxBodyBytes, manager, ...(access && { access }) })];
  const rest = restApi({
    invoker, registry, http: config.http, accountId: config.accountId, maxBodyBytes, ...(access && { access }), ...(parts.now && { now: parts.now }),
  });
  if (rest) routes.push(rest);
  return {
    routes, access, manager,
    guard: (route, prefixes, maxBodyBytes = GUARD_BODY_BYTES) => (access ? guarded(access, route, prefixes, maxBodyBytes) : route),
  };
}

/**
 * Refuses to serve a non-loopback address when anyone reaching it could act
 * without signing: no `auth` section, or `auth.anonymous: "allow"`.
 */
export function assertSafeBind(address: string, auth: ResolvedAuth | undefined, insecure: boolean): void {
  if (insecure || isLoopbackBind(address)) return;
  if (auth && auth.anonymous !== 'allow') return;
  const why = auth
    ? 'auth.anonymous is "allow", so unsigned requests from any machine could invoke and reconfigure every function'
    : 'the config has no auth section, so any machine that reaches this address could invoke and reconfigure every function';
  throw new InsecureBindError(
    `refusing to listen on ${address}: ${why}. Add auth.principals (anonymous callers are then accepted from loopback only), or pass --insecure to serve anyway.`,
  );
}

function isLoopbackBind(address: string): boolean {
  return address === 'localhost' || isLoopback(address);
}

function normaliseKey(registry: FunctionRegistry, key: string): string {
  const target = registry.resolve(key);
  return target.job !== undefined && target.fn.spec.name !== key ? jobKey(target.job) : target.fn.spec.name;
}

/** Bodies of the guarded routes that take no large ones (invocations, logs, the dashboard). */
const GUARD_BODY_BYTES = 64 * 1024;

function guarded(access: AccessGate, route: HttpRoute, prefixes: readonly string[], maxBodyBytes: number): HttpRoute {
  return async (ctx) => {
    const path = ctx.url.pathname;
    if (!prefixes.some((p) => path === p || path.startsWith(`${p}/`))) return route(ctx);
    const { caller, body } = await access.authenticate(ctx.req, () => readBody(ctx.req, maxBodyBytes));
    if (caller) {
      access.policy.checkAccount(caller, 'neolith:ReadInvocations');
      // A function that auth.permissions restrict is seen only by the principals it names, as it is invoked.
      ctx.canRead = (functionName, job) => access.policy.allows(caller, 'lambda:GetFunction', functionName, job);
      // Seeing a function is not making it run: a statement that grants a read grants no invoke.
      ctx.canInvoke = (functionName, job) => access.policy.allows(caller, 'lambda:InvokeFunction', functionName, job);
    }
    // Checking the signature read the stream: the route gets the body from here.
    if (body) ctx.body = body;
    return route(ctx);
  };
}
