/**
 * Config of the HTTP ways in besides GraphQL: REST routes (API Gateway HTTP
 * API), CORS for them, and who may call what (principals, permissions).
 */

// ---------------------------------------------------------------------------
// REST routes
// ---------------------------------------------------------------------------

/** How a REST route checks its caller (API Gateway's authorization types). */
export type RouteAuth = 'none' | 'iam' | 'jwt';

/** A REST route's target with options. */
export interface RouteOptions {
  /** A function name or a job address (`"users/getUser"`). */
  function: string;
  /** `Event` answers 202 with the request id at once and runs the function asynchronously. @defaultValue "RequestResponse" */
  invocation?: 'RequestResponse' | 'Event';
  /**
   * `none`: anyone; `iam`: AWS SigV4 by a principal permitted on the function;
   * `jwt`: `Authorization: Bearer <JWT>` checked with `auth.jwt`.
   * @defaultValue "none" (as API Gateway)
   */
  auth?: RouteAuth;
}

/**
 * Route key (`"GET /users/{id}"`, `"ANY /files/{proxy+}"`, `"$default"`) →
 * target (a function name or job address, or `RouteOptions`).
 * @example { "GET /users/{id}": "users/getUser", "POST /orders": { function: "orders", invocation: "Event" } }
 */
export type RoutesOptions = Record<string, string | RouteOptions>;

/** CORS for the REST routes (API Gateway HTTP API's CORS configuration). */
export interface CorsOptions {
  /** Allowed origins, or `["*"]`. @defaultValue ["*"] */
  allowOrigins?: string[];
  /** @defaultValue ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] */
  allowMethods?: string[];
  /** Request headers a browser may send. @defaultValue ["content-type", "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"] */
  allowHeaders?: string[];
  /** Response headers a browser may read. @defaultValue [] */
  exposeHeaders?: string[];
  /** Allow cookies and credentials; needs explicit origins. @defaultValue false */
  allowCredentials?: boolean;
  /** Seconds a browser may cache a preflight answer. @defaultValue 0 (not sent) */
  maxAge?: number;
}

// ---------------------------------------------------------------------------
// Principals and permissions
// ---------------------------------------------------------------------------

/** A secret given in the file, or read from an environment variable at start. */
export type SecretValue = string | { env: string };

/** A caller that signs its requests with AWS SigV4 (an IAM user's access key). */
export interface PrincipalOptions {
  accessKeyId: SecretValue;
  secretAccessKey: SecretValue;
  /** The principal's AWS account; another account than the host's is cross-account. @defaultValue the host's `accountId` */
  account?: string;
}

/** JWT bearer identity for REST routes with `auth: "jwt"`. Give `secret` or `jwksFile`. */
export interface JwtAuthOptions {
  /** Shared HS256 secret. */
  secret?: SecretValue;
  /** Path of a JWKS JSON file (`{ "keys": [...] }`), relative to the config file. */
  jwksFile?: string;
  /** Required `iss` claim. @defaultValue not checked */
  issuer?: string;
  /** Required `aud` claim (one of). @defaultValue not checked */
  audience?: string | string[];
}

/**
 * Who may call the Lambda API and IAM routes. Without this section every
 * caller that can reach the port may do anything (fine on 127.0.0.1).
 */
export interface AuthOptions {
  /** Principal name → its keys. */
  principals?: Record<string, PrincipalOptions>;
  /**
   * Function name, job address or `"*"` (every function) → principals allowed
   * (names, `"*"` for any principal, or a 12-digit account id). A function
   * listed here may be invoked only by those; an unlisted function by any
   * principal of the host's own account. Cross-account principals need an
   * entry (or an `AddPermission` statement) always.
   * @defaultValue {}
   */
  permissions?: Record<string, string[]>;
  /**
   * Unsigned requests: `loopback-only` accepts them from 127.0.0.1/::1 only,
   * `deny` refuses them (403 MissingAuthenticationTokenException), `allow`
   * accepts them from anywhere.
   * @defaultValue "loopback-only"
   */
  anonymous?: 'loopback-only' | 'deny' | 'allow';
  /** Largest difference between the request's X-Amz-Date and the host clock, seconds. @defaultValue 300 (AWS's 5 minutes) */
  clockSkewSeconds?: number;
  /** Bearer tokens for REST routes with `auth: "jwt"`. */
  jwt?: JwtAuthOptions;
}

// ---------------------------------------------------------------------------
// Resolved forms
// ---------------------------------------------------------------------------

/** One REST route, parsed and checked. */
export interface ResolvedRoute {
  /** The route key as written (`"GET /users/{id}"`), API Gateway's `routeKey`. */
  key: string;
  /** Upper-case method, or `ANY`. */
  method: string;
  /** Path pattern (`/users/{id}`); `$default` for the catch-all route. */
  path: string;
  target: string;
  invocation: 'RequestResponse' | 'Event';
  auth: RouteAuth;
}

export interface ResolvedCors {
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  allowCredentials: boolean;
  maxAge: number;
}

export interface ResolvedPrincipal {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
}

export interface ResolvedJwtAuth {
  secret?: string;
  jwks?: { keys: Array<Record<string, unknown>> };
  issuer?: string;
  audience?: string | string[];
}

export interface ResolvedAuth {
  principals: ResolvedPrincipal[];
  permissions: Record<string, string[]>;
  anonymous: 'loopback-only' | 'deny' | 'allow';
  clockSkewSeconds: number;
  jwt?: ResolvedJwtAuth;
}

/** The HTTP part of the resolved config. */
export interface ResolvedHttpOptions {
  routes: ResolvedRoute[];
  /** Path prefix of the REST routes, `""` or `/segment…` without a trailing slash. */
  routePrefix: string;
  /** CORS for the REST routes; undefined = no CORS headers, OPTIONS is routed like any method. */
  cors?: ResolvedCors;
  /** undefined = auth off: every caller may do anything. */
  auth?: ResolvedAuth;
  /** Host names a loopback-bound host answers besides loopback ones; `.suffix` entries allow subdomains. */
  allowedHosts: string[];
  /** Longest time a client may take to send a whole request (head and body), ms. */
  requestTimeoutMs: number;
}

export const DEFAULT_CORS_OPTIONS: ResolvedCors = {
  allowOrigins: ['*'],
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'],
  allowHeaders: ['content-type', 'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'],
  exposeHeaders: [],
  allowCredentials: false,
  maxAge: 0,
};

export const DEFAULT_HTTP_OPTIONS = {
  routePrefix: '/api',
  anonymous: 'loopback-only' as const,
  clockSkewSeconds: 300,
  requestTimeoutMs: 30_000,
};
