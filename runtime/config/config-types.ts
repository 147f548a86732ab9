import type { AuthOptions, CorsOptions, RoutesOptions } from './http-options.js';
import type { SourcesConfig } from './sources-options.js';

/** How jobs are packaged into functions. Switching it never changes job code. */
export type LayoutName = 'nano' | 'micro' | 'mono';

/**
 * An explicit layout: function name → job patterns (`"users/getUser"` or a
 * whole domain, `"users/*"`). Every job must land in exactly one function.
 */
export type LayoutMap = Record<string, string[]>;

/** Async invocation policy of a function (Lambda's EventInvokeConfig). */
export interface AsyncOptions {
  /** Retries after the first attempt, 0–2. @defaultValue 2 */
  maxRetries?: number;
  /** Events older than this are dropped as EXPIRED, 60–21600. @defaultValue 21600 */
  maxEventAgeSeconds?: number;
  /** Delay before each retry in ms. @defaultValue [60000, 120000] (Lambda's 1 and 2 minutes) */
  retryDelaysMs?: number[];
  /** Destination for successful events: a function name, `"topic:<name>"` or `"dlq"`. */
  onSuccess?: string;
  /** Destination for failed or expired events: a function name, `"topic:<name>"` or `"dlq"`. @defaultValue "dlq" */
  onFailure?: string;
}

/** Limits and settings shared by plain functions and layout-built functions. */
export interface FunctionSettings {
  /** Heap limit of each environment, 128–10240. @defaultValue 128 */
  memoryMB?: number;
  /** Invocation timeout, 1–900000 ms. @defaultValue 3000 */
  timeoutMs?: number;
  /** Most concurrent invocations of this function; 0 disables it. @defaultValue unreserved (host limit) */
  reservedConcurrency?: number;
  /** Environments kept initialised at all times. @defaultValue 0 */
  provisionedConcurrency?: number;
  /** Environment variables seen by this function only. @defaultValue {} */
  environment?: Record<string, string>;
  /** Size of each environment's /tmp, 512–10240 MB. @defaultValue 512 */
  ephemeralStorageMB?: number;
  /** JSON Schema the payload must match (checked by DryRun and before every run). */
  inputSchema?: Record<string, unknown>;
  /** Async (Event) retry and destination policy. */
  async?: AsyncOptions;
}

/** A plain Lambda handler function: `{ handler: "./path/file.mjs#handler" }`. */
export interface FunctionOptions extends FunctionSettings {
  /** Module path relative to the config file, then `#export` (default `handler`). */
  handler: string;
}

/** Jobs under a resolvers folder, packaged by a layout. */
export interface JobsOptions {
  /** Folder holding `<domain>/<job>.ts` modules, relative to the config file. @defaultValue "resolvers" */
  dir?: string;
  /** How jobs are grouped into functions. @defaultValue "micro" */
  layout?: LayoutName | LayoutMap;
  /** Settings for every layout-built function. */
  defaults?: FunctionSettings;
  /**
   * Settings per job (`"orders/placeOrder": { timeoutMs: 10000 }`). A function
   * holding several jobs takes the largest memory, timeout and storage of them.
   */
  settings?: Record<string, FunctionSettings>;
}

/** Payload limits, in bytes (Lambda's today by default). */
export interface PayloadLimits {
  /** @defaultValue 6291456 (6 MB) */
  syncRequestBytes?: number;
  /** @defaultValue 6291456 (6 MB) */
  syncResponseBytes?: number;
  /** @defaultValue 1048576 (1 MB) */
  asyncEventBytes?: number;
}

/** JWT verification for the GraphQL gateway (`Authorization: Bearer <JWT>`). Give `secret` or `jwksFile`. */
export interface GraphqlJwtOptions {
  /** Shared HS256 secret. */
  secret?: string;
  /** Path of a JWKS JSON file (`{ "keys": [...] }`), relative to the config file. */
  jwksFile?: string;
  /** Required `iss` claim. @defaultValue not checked */
  issuer?: string;
  /** Required `aud` claim (one of). @defaultValue not checked */
  audience?: string | string[];
}

/** Who may call the GraphQL gateway. */
export interface GraphqlAuthOptions {
  /** Verify bearer tokens; without it every caller is anonymous. */
  jwt?: GraphqlJwtOptions;
  /** Accept requests without a token (identity `null`). @defaultValue true */
  anonymous?: boolean;
}

/** The GraphQL gateway at `/graphql`: schema folder, abuse limits, identity. */
export interface GraphqlOptions {
  /** Folder of `*.graphql` SDL files, relative to the config file. @defaultValue "schema" */
  schemaDir?: string;
  /** Deepest selection allowed. @defaultValue 10 */
  maxDepth?: number;
  /** Most aliases in one operation. @defaultValue 15 */
  maxAliases?: number;
  /** Most tokens in one document. @defaultValue 1000 */
  maxTokens?: number;
  /** Highest estimated cost of one operation. @defaultValue 5000 */
  maxCost?: number;
  /** Most directives in one operation. @defaultValue 50 */
  maxDirectives?: number;
  /** Largest request body, bytes. @defaultValue 1048576 (1 MB) */
  maxRequestBytes?: number;
  /**
   * Most function-bound field resolutions (batch items) in one request: nested lists multiply them
   * (50 posts × their authors × their posts …), which the cost estimate cannot see. @defaultValue 10000
   */
  maxFunctionCalls?: number;
  /** Hide the message of unexpected errors ("Unexpected error."); function errors are never masked. @defaultValue true */
  maskErrors?: boolean;
  auth?: GraphqlAuthOptions;
  /** Who may read an async invocation: its caller only, or anyone. @defaultValue "owner" */
  invocationVisibility?: 'owner' | 'all';
}

/** The whole `neolith.config.*` file. Every field is optional. */
export interface NeolithConfig extends SourcesConfig {
  /** Plain Lambda handler functions by name. */
  functions?: Record<string, FunctionOptions>;
  /** Jobs packaged by a layout; omit to serve plain functions only. */
  jobs?: JobsOptions | false;
  /** Host-wide concurrent invocations. @defaultValue 1000 */
  concurrencyLimit?: number;
  /** Idle time after which a warm environment is recycled. @defaultValue 300000 */
  idleTimeoutMs?: number;
  /** Pre-booted generic environments kept ready to become any function. @defaultValue 1 */
  spareEnvironments?: number;
  /**
   * Most environments one function runs at once (1–1000). A call that finds
   * them all busy waits for one to be free instead of starting another, as
   * serverless-offline and SAM local run calls one at a time. Unset: no cap,
   * a new environment per concurrent call, as Lambda scales out.
   */
  maxEnvironmentsPerFunction?: number;
  /**
   * How a function's environments grow when a call finds them all busy.
   * `"warm-first"`: the call waits for a busy one when that one is expected
   * to be free and done with it before a cold start would be (judged from
   * the function's measured warm and cold call times), else starts another;
   * short calls under load then share a few warm environments. `"lambda"`:
   * always start another, as Lambda scales out (one environment per
   * concurrent call). Both stop at `maxEnvironmentsPerFunction`.
   * @defaultValue "warm-first"
   */
  scaleOut?: 'warm-first' | 'lambda';
  /** @defaultValue 4000 */
  port?: number;
  /** @defaultValue "127.0.0.1" */
  host?: string;
  /** Where durable state lives, relative to the config file. @defaultValue ".neolith" */
  stateDir?: string;
  /** Durable backend. @defaultValue "sqlite" */
  backend?: 'sqlite' | 'redis';
  /** @defaultValue "redis://127.0.0.1:6379" */
  redisUrl?: string;
  /** Namespace of every Redis key and channel; hosts sharing it share the work. @defaultValue "neolith" */
  redisPrefix?: string;
  /** Async invocation records are kept this long after they end. @defaultValue 86400 */
  recordRetentionSeconds?: number;
  /** Dead letters are kept this long after they are stored (an SQS queue keeps at most 14 days). @defaultValue 1209600 */
  deadLetterRetentionSeconds?: number;
  /**
   * How long a claimed async event stays claimed without renewal: after a host
   * dies, its running events are retried after about this long. @defaultValue 30000
   */
  asyncLeaseMs?: number;
  payloadLimits?: PayloadLimits;
  /** Region and account used in ARNs. @defaultValue { region: "us-east-1", accountId: "000000000000" } */
  region?: string;
  accountId?: string;
  /** The GraphQL gateway; omit for the defaults. */
  graphql?: GraphqlOptions;
  /** REST routes (API Gateway HTTP API, payload format 2.0): `"GET /users/{id}": "users/getUser"`. @defaultValue {} */
  routes?: RoutesOptions;
  /** Path prefix the REST routes are served under. @defaultValue "/api" */
  routePrefix?: string;
  /** CORS for the REST routes: `true` for the defaults, or the options. @defaultValue false */
  cors?: boolean | CorsOptions;
  /** Principals (SigV4 keys), permissions and anonymous access. @defaultValue off: every caller may do anything */
  auth?: AuthOptions;
  /**
   * Host names besides loopback ones (`localhost`, `*.localhost`, `127.x.x.x`,
   * `[::1]`) that requests to a host listening on loopback may name in their
   * `Host` header; `".example.test"` allows every subdomain. Others are refused,
   * so a web page cannot reach this host by DNS rebinding. @defaultValue []
   */
  allowedHosts?: string[];
  /**
   * Longest time a client may take to send a whole request, head and body, in
   * ms (1000–900000); a slower one is answered 408 RequestTimeoutException and
   * its connection closed. It bounds receiving only, not how long the
   * function then runs. The head alone must arrive within 10 s. A client
   * that reads nothing of its response for this long is disconnected too.
   * @defaultValue 30000
   */
  requestTimeoutMs?: number;
}

/** Identity helper for typed config files. */
export function defineConfig(config: NeolithConfig): NeolithConfig {
  return config;
}
