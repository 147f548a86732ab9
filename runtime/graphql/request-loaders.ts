import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import type { DirectLambdaEvent } from './direct-lambda-event.js';
import { functionError, GATEWAY_ERROR_CODES, toGraphqlError } from './gateway-errors.js';
import type { GatewayHost } from './gateway-host.js';

/** A field bound to a job by `@fn`. */
export interface FieldBinding {
  /** `Type.field`. */
  coordinate: string;
  job: string;
  invocation: 'REQUEST_RESPONSE' | 'EVENT';
  /** Most events in one batched invocation, 1–2000. */
  maxBatchSize: number;
}

/** Lambda's synchronous request limit, which a batch invocation's payload must fit. */
const BATCH_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Largest `maxBatchSize` a field may ask for, and the default. */
export const MAX_BATCH_SIZE = 2000;
export const DEFAULT_MAX_BATCH_SIZE = 100;

/**
 * One request's DataLoaders, one per bound field, created on first use and
 * dropped with the request (never shared: results must not leak between
 * callers). Each loader sends the events collected in one tick as ONE
 * invocation carrying the array (AppSync's BatchInvoke).
 */
export class RequestLoaders {
  readonly #host: GatewayHost;
  readonly #maxCalls: number;
  readonly #loaders = new Map<string, DataLoader<DirectLambdaEvent, unknown>>();
  #calls = 0;
  /** Bytes of the request's variables as JSON: every event carries them (AppSync's `info.variables`). */
  #variablesBytes: number | undefined;

  constructor(host: GatewayHost, maxCalls = Number.POSITIVE_INFINITY) {
    this.#host = host;
    this.#maxCalls = maxCalls;
  }

  /** Queues one field's event; resolves with the job's answer for it. */
  load(binding: FieldBinding, event: DirectLambdaEvent): Promise<unknown> {
    // Counted as fields resolve, before any batch is built: a query that fans out over nested lists
    // stops here, with a clear error, instead of building millions of events.
    if (++this.#calls > this.#maxCalls) {
      return Promise.reject(new GraphQLError(
        `this request resolves more than ${this.#maxCalls} fields through functions (graphql.maxFunctionCalls); ask for fewer items or less nesting`,
        { extensions: { code: GATEWAY_ERROR_CODES.badRequest } },
      ));
    }
    let loader = this.#loaders.get(binding.coordinate);
    if (!loader) {
      // Keys are fresh objects per call, so the cache would never hit; batching is the point.
      loader = new DataLoader((events) => this.#dispatch(binding, events), { cache: false, maxBatchSize: binding.maxBatchSize });
      this.#loaders.set(binding.coordinate, loader);
    }
    return loader.load(event);
  }

  /**
   * One invocation for a batch. A rejection here rejects every waiter
   * (DataLoader's failed dispatch); an item error fails that item only.
   */
  async #dispatch(binding: FieldBinding, events: readonly DirectLambdaEvent[]): Promise<unknown[]> {
    // Refused before serialising: N events × a large variables object would be built in full first.
    this.#variablesBytes ??= Buffer.byteLength(JSON.stringify(events[0]?.info.variables ?? {}));
    if (this.#variablesBytes * events.length > BATCH_PAYLOAD_BYTES) {
      throw new GraphQLError(
        `the batch for ${binding.coordinate} would exceed ${BATCH_PAYLOAD_BYTES} bytes: each of its ${events.length} events carries the request's ${this.#variablesBytes} bytes of variables`,
        { extensions: { code: GATEWAY_ERROR_CODES.badRequest, errorType: 'RequestTooLargeException' } },
      );
    }
    let result;
    try {
      const shared = sharedContext(events);
      result = shared
        ? await this.#host.invoke(binding.job, events.map((event) => ({ arguments: event.arguments, source: event.source })), { batch: true, batchShared: shared })
        : await this.#host.invoke(binding.job, events, { batch: true });
    } catch (error) {
      throw toGraphqlError(error);
    }
    if (result.functionError) throw functionError(result.error);
    const items: unknown = JSON.parse(result.payload ?? 'null');
    if (!Array.isArray(items) || items.length !== events.length) {
      const got = Array.isArray(items) ? `an array of ${items.length}` : typeof items;
      throw new GraphQLError(
        `job ${binding.job} returned ${got} for a batch of ${events.length}: a batch job must return an array of the same length and order`,
        { extensions: { code: GATEWAY_ERROR_CODES.function, errorType: 'Neolith.BatchLengthMismatch' } },
      );
    }
    // Items of a job run item by item are errors only where its handler threw: an answer shaped like
    // `{ errorMessage }` is data. A batch-aware job's items follow AppSync's per-item error convention.
    const thrown = result.itemErrors && new Set(result.itemErrors);
    return items.map((item, i) => ((thrown ? thrown.has(i) : isItemError(item)) ? functionError(item as { errorType?: string; errorMessage?: string }) : item));
  }
}

/**
 * The identity, request and info of a batch whose events all have the same
 * (one request, one field, one selection: the usual case), to send once
 * rather than in every item; undefined when an alias or fragment gave some
 * items another selection.
 */
function sharedContext(events: readonly DirectLambdaEvent[]): Pick<DirectLambdaEvent, 'identity' | 'request' | 'info'> | undefined {
  const first = events[0];
  if (!first || events.length < 2) return undefined;
  for (const event of events) {
    if (event.identity !== first.identity || event.request.headers !== first.request.headers) return undefined;
    const info = event.info;
    if (info.selectionSetList !== first.info.selectionSetList || info.selectionSetGraphQL !== first.info.selectionSetGraphQL
      || info.variables !== first.info.variables || info.fieldName !== first.info.fieldName || info.parentTypeName !== first.info.parentTypeName) return undefined;
  }
  return { identity: first.identity, request: first.request, info: first.info };
}

/**
 * A failed batch item, as the host reports one (`{ errorType, errorMessage }`)
 * or as an AppSync batch handler returns one (`{ data, errorMessage, errorType }`).
 */
function isItemError(item: unknown): item is { errorType?: string; errorMessage: string } {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return false;
  const record = item as Record<string, unknown>;
  if (typeof record.errorMessage !== 'string') return false;
  return Object.keys(record).every((key) => key === 'errorMessage' || key === 'errorType' || key === 'data' || key === 'trace');
}
