import type { GraphqlOptions, ResolvedCors } from '../config/index.js';
import type { InvokeOptions, InvokeResult } from '../invoke/index.js';
import type { SigV4Gate } from './identity-verifier.js';

/** One async invocation's record, as the gateway reads it (the backend's `InvocationRecord`). */
export interface InvocationRecordView {
  readonly id: string;
  readonly functionName: string;
  readonly job?: string;
  readonly status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'EXPIRED';
  readonly attempts: number;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms. */
  readonly updatedAt: number;
  /** JSON text of the result. */
  readonly result?: string;
  readonly error?: { readonly errorType: string; readonly errorMessage: string };
  readonly identity?: unknown;
}

/**
 * Invocation records and their change feed: the part of the host's
 * `invocations` the gateway needs for async mutations.
 */
export interface InvocationRecords {
  get(id: string): Promise<InvocationRecordView | undefined>;
  /** Every record change, from every host sharing the store; returns the unsubscribe function. */
  watch(listener: (record: InvocationRecordView) => void): () => void;
}

/** What the gateway needs from a host: its config, a way to invoke, and (for async mutations) records. */
export interface GatewayHost {
  readonly config: {
    readonly rootDir: string;
    readonly layout: string;
    readonly graphql?: GraphqlOptions;
    /** The host's CORS policy (top-level `cors`), shared with the REST routes; none: same-origin only. */
    readonly http?: { readonly cors?: ResolvedCors; readonly auth?: unknown };
  };
  invoke(name: string, payload: unknown, options?: InvokeOptions): Promise<InvokeResult>;
  /** Resolves a job or function name; throws for an unknown one. */
  readonly registry: { resolve(name: string): unknown };
  /** Records of Event invocations; without it `Query.invocation` and `Subscription.invocation` answer with an error. */
  readonly invocations?: InvocationRecords;
  /**
   * The host's HTTP API surface; its `access` gate (present when the config
   * has `auth.principals`) verifies SigV4-signed GraphQL requests. Read per
   * request, so a host that builds it later is seen.
   */
  readonly api?: { readonly access: SigV4Gate | undefined } | undefined;
}
