import type { GraphqlOptions, LayoutName } from './config-types.js';
import type { ResolvedHttpOptions } from './http-options.js';
import type { ResolvedSources } from './sources-options.js';

/** Async policy with every default filled in. */
export interface ResolvedAsyncPolicy {
  maxRetries: number;
  maxEventAgeSeconds: number;
  retryDelaysMs: number[];
  onSuccess?: string;
  onFailure: string;
}

/** One deployable function, whatever layout produced it. */
export interface FunctionSpec {
  name: string;
  /** `handler`: a plain Lambda module; `jobs`: jobs bundled by a layout. */
  kind: 'handler' | 'jobs';
  /** Absolute path of the handler module (kind `handler`). */
  modulePath?: string;
  /** Export holding the handler (kind `handler`). */
  exportName: string;
  /** The handler as Lambda names it, `path/module.export` from the root (kind `handler`). */
  lambdaHandler?: string;
  /** Job name → absolute module path (kind `jobs`). */
  jobs: Record<string, string>;
  memoryMB: number;
  timeoutMs: number;
  reservedConcurrency?: number;
  provisionedConcurrency: number;
  environment: Record<string, string>;
  ephemeralStorageMB: number;
  inputSchema?: Record<string, unknown>;
  /** Input schema per job (kind `jobs`), from `jobs.settings.<job>.inputSchema`. */
  jobSchemas?: Record<string, Record<string, unknown>>;
  async: ResolvedAsyncPolicy;
  /** The config sets `async` for it: it has an EventInvokeConfig from the start (else only once one is put). */
  asyncConfigured?: boolean;
}

/** Payload limits in bytes. */
export interface ResolvedPayloadLimits {
  syncRequestBytes: number;
  syncResponseBytes: number;
  asyncEventBytes: number;
}

/** The validated config with paths absolute and the layout applied. */
export interface ResolvedConfig {
  /** Folder of the config file; relative paths were resolved against it. */
  rootDir: string;
  functions: FunctionSpec[];
  /** Job name → name of the function holding it in this layout. */
  jobToFunction: Record<string, string>;
  layout: LayoutName | 'custom' | 'none';
  concurrencyLimit: number;
  idleTimeoutMs: number;
  spareEnvironments: number;
  /** Infinity when unset (no cap). */
  maxEnvironmentsPerFunction: number;
  scaleOut: 'warm-first' | 'lambda';
  port: number;
  host: string;
  stateDir: string;
  backend: 'sqlite' | 'redis';
  redisUrl: string;
  redisPrefix: string;
  recordRetentionSeconds: number;
  deadLetterRetentionSeconds: number;
  asyncLeaseMs: number;
  payloadLimits: ResolvedPayloadLimits;
  region: string;
  accountId: string;
  /** REST routes, CORS and auth. */
  http: ResolvedHttpOptions;
  /** Buckets, topics, streams, tables and event source mappings. */
  sources: ResolvedSources;
  /** The GraphQL gateway's options as given (the gateway resolves them). */
  graphql?: GraphqlOptions;
}

/** Defaults for every optional field (Lambda's where Lambda has one). */
export const DEFAULT_FUNCTION_SETTINGS = {
  memoryMB: 128,
  timeoutMs: 3000,
  provisionedConcurrency: 0,
  ephemeralStorageMB: 512,
} as const;

export const DEFAULT_ASYNC_POLICY: ResolvedAsyncPolicy = {
  maxRetries: 2,
  maxEventAgeSeconds: 21600,
  retryDelaysMs: [60_000, 120_000],
  onFailure: 'dlq',
};

export const DEFAULT_HOST_OPTIONS = {
  concurrencyLimit: 1000,
  idleTimeoutMs: 300_000,
  spareEnvironments: 1,
  scaleOut: 'warm-first' as const,
  port: 4000,
  host: '127.0.0.1',
  stateDir: '.neolith',
  backend: 'sqlite' as const,
  redisUrl: 'redis://127.0.0.1:6379',
  redisPrefix: 'neolith',
  recordRetentionSeconds: 86_400,
  deadLetterRetentionSeconds: 1_209_600,
  asyncLeaseMs: 30_000,
  region: 'us-east-1',
  accountId: '000000000000',
  payloadLimits: {
    syncRequestBytes: 6 * 1024 * 1024,
    syncResponseBytes: 6 * 1024 * 1024,
    asyncEventBytes: 1024 * 1024,
  },
};
