/**
 * The handlers' client for event sources: `table`, `bucket`, `stream`,
 * `topic`. It runs inside worker threads, so it imports nothing of the host.
 * Inside a neolith environment each operation goes to the host's main thread
 * as a message on the environment's own channel (`HostCall`, no HTTP); the
 * host runs what its HTTP route would run and answers with the same errors.
 * Elsewhere, or when the host serves no host calls, it calls the host's HTTP
 * surface at `NEOLITH_HOST_URL` (set in every environment once the host
 * listens). In-process callers (tests, scripts) use
 * `configureSourcesClient({ url })`, which always takes HTTP.
 */
// The errors' own files, not their part's face: this runs in every environment thread, where each
// module loaded is paid at every cold start (the face is 25 modules, ~9 ms more).
import { ConditionalCheckFailedError } from '../../errors/conditional-check-failed-error.js';
import { InvalidParameterValueError } from '../../errors/invalid-parameter-value-error.js';
import { InvalidRequestContentError } from '../../errors/invalid-request-content-error.js';
import { NeolithError } from '../../errors/neolith-error.js';
import { RequestTooLargeError } from '../../errors/request-too-large-error.js';
import { ResourceNotFoundError } from '../../errors/resource-not-found-error.js';
import { ServiceError } from '../../errors/service-error.js';
import type { HostCall, HostCallFunction, HostCallResult, TableReadFunction } from '../../environment/protocol.js';
import type { TableQuery } from '../pull/tables.js';
import { checkUrlCarriesKey } from '../url-carried-key.js';

let configuredUrl: string | undefined;

/** An SNS message attribute: a String, a Number, a String.Array, or any SNS data type spelled out (`Number.float`, `Binary`, …). */
export type TopicAttribute = string | number | string[] | { DataType: string; StringValue: string };

/** Points the client at a host (instead of `NEOLITH_HOST_URL`). */
export function configureSourcesClient(options: { url?: string }): void {
  configuredUrl = options.url?.replace(/\/$/, '');
}

function baseUrl(): string {
  const url = configuredUrl ?? process.env.NEOLITH_HOST_URL?.replace(/\/$/, '');
  if (!url) throw new ServiceError('neolith sources client: NEOLITH_HOST_URL is not set (is the host listening?); call configureSourcesClient({ url }) outside a handler');
  return url;
}

const HOST_CALL = Symbol.for('neolith.hostCall');

/**
 * The environment's channel to its host (see worker-entry), when running in
 * one. Looked up per call, not at load: the client may be loaded before the
 * channel is published (a config importing `neolith` first).
 */
function hostCallFn(): HostCallFunction | undefined {
  return (globalThis as Record<symbol, unknown>)[HOST_CALL] as HostCallFunction | undefined;
}
/** Set once the host said it serves no host calls: HTTP from then on. */
let hostCallsUnavailable = false;

/**
 * Runs `op` over the environment's channel and resolves with its result, or
 * resolves undefined when the HTTP path must be taken (configured URL, not in
 * an environment, host serves no host calls). Errors arrive typed as HTTP's.
 */
async function viaHost(op: HostCall, transfer?: ArrayBuffer[]): Promise<HostCallResult | undefined> {
  const channel = hostCallFn();
  if (!channel || configuredUrl !== undefined || hostCallsUnavailable) return undefined;
  const reply = await channel(op, transfer);
  if (!reply.error) return reply.result;
  if (reply.error.unavailable) {
    hostCallsUnavailable = true;
    return undefined;
  }
  throw toError(reply.error.type, reply.error.message);
}

/** The environment's own table reads, when its host offers them (see `TableReadsSpec`). */
function tableReadsFn(): TableReadFunction | undefined {
  return (globalThis as Record<symbol, TableReadFunction | undefined>)[TABLE_READS];
}
const TABLE_READS = Symbol.for('neolith.tableReads');
/** Set once a read on an open connection failed for a reason of its own: the host serves them from then on. */
let tableReadsBroken = false;

/**
 * A JSON operation: over the channel when possible, else `POST path` over
 * HTTP. A table read (`read`) inside an environment that may read the tables
 * itself does so, with the host's answers and errors.
 */
async function jsonOp<T>(source: HostCall['source'], name: string, op: string, path: string, body: unknown, read = false): Promise<T> {
  if (configuredUrl === undefined && !hostCallsUnavailable && hostCallFn()) {
    const text = JSON.stringify(body);
    const reads = read && !tableReadsBroken ? tableReadsFn() : undefined;
    if (reads) {
      try {
        return await reads(name, op as Parameters<TableReadFunction>[1], text) as T;
      } catch (error) {
        // The host's errors come back as the client's own classes (the module is the host's copy);
        // anything else is the connection's trouble, not the call's: the host answers instead.
        const type = (error as { code?: unknown })?.code;
        if (typeof type === 'string' && type in ERRORS) throw toError(type, (error as Error).message);
        if ((error as Error)?.name !== 'TableReadsNotOpen') tableReadsBroken = true;
      }
    }
    const result = await viaHost({ source, name, op, body: text } as HostCall);
    if (result) return JSON.parse((result as { json: string }).json) as T;
  }
  return (await (await call('POST', path, body)).json()) as T;
}

async function call(method: string, path: string, body?: unknown, raw?: { data: Uint8Array; contentType: string }): Promise<Response> {
  const res = await fetch(`${baseUrl()}${path}`, {
    method,
    ...(raw
      ? { body: Buffer.from(raw.data) as unknown as BodyInit, headers: { 'content-type': raw.contentType } }
      : body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  if (res.ok || res.status === 404 && method === 'GET' && path.startsWith('/buckets/') && res.headers.get('x-amzn-errortype') === 'NoSuchKey') return res;
  const type = res.headers.get('x-amzn-errortype') ?? 'ServiceException';
  const text = await res.text();
  let message = text;
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? text;
  } catch { /* not JSON */ }
  throw toError(type, message);
}

const ERRORS: Record<string, new (message: string) => NeolithError> = {
  ConditionalCheckFailedException: ConditionalCheckFailedError,
  ResourceNotFoundException: ResourceNotFoundError,
  InvalidParameterValueException: InvalidParameterValueError,
  InvalidRequestContentException: InvalidRequestContentError,
  RequestTooLargeException: RequestTooLargeError,
};

function toError(type: string, message: string): Error {
  const ErrorClass = ERRORS[type] ?? ServiceError;
  return new ErrorClass(message);
}

const seg = encodeURIComponent;

/** Write conditions (see `Tables`). */
export interface WriteCondition {
  ifNotExists?: boolean;
  expectedVersion?: number;
}

/** What a table query asks for: one partition, sort keys by prefix or range (the host's own type, less the cursor). */
export type TableQueryOptions = Omit<TableQuery, 'cursor'>;

/** One page of a query or scan; `next` is set when more may follow. */
export interface ItemsPage<T> {
  items: Array<{ item: T; version: number }>;
  next?: string;
}

/** A DynamoDB-like table. */
export function table<T extends object = Record<string, unknown>>(name: string) {
  const op = <R>(operation: string, body: unknown) => jsonOp<R>('table', name, operation, `/tables/${seg(name)}/${operation}`, body);
  const read = <R>(operation: 'get' | 'batch-get' | 'query' | 'scan', body: unknown) => jsonOp<R>('table', name, operation, `/tables/${seg(name)}/${operation}`, body, true);
  return {
    /** Writes a whole item; rejects with ConditionalCheckFailedError when the condition fails. */
    put: (item: T, condition?: WriteCondition) => op<{ version: number }>('put', { item, condition }),
    /** The item and its version, or undefined. */
    get: async (key: Partial<T>) => (await read<{ found: { item: T; version: number } | null }>('get', { key })).found ?? undefined,
    /** Sets attributes (null removes one); creates the item when missing. */
    update: (key: Partial<T>, changes: Partial<Record<keyof T, unknown>>, condition?: WriteCondition) =>
      op<{ item: T; version: number }>('update', { key, changes, condition }),
    /** Deletes; resolves with the old item, if any. */
    delete: async (key: Partial<T>, condition?: WriteCondition) => (await op<{ old: { item: T; version: number } | null }>('delete', { key, condition })).old ?? undefined,
    /** Several items by key in one round trip (BatchGetItem, at most 100 keys), in the order asked. */
    batchGet: async (keys: Array<Partial<T>>) => (await read<{ found: Array<{ item: T; version: number } | null> }>('batch-get', { keys })).found,
    /** Puts up to 100 items in one round trip, each under `condition`; a failed condition is reported per item, the rest are written. */
    batchPut: async (items: T[], condition?: WriteCondition) =>
      (await op<{ results: Array<{ version: number } | { error: 'ConditionalCheckFailedException' }> }>('batch-put', { items, condition })).results,
    /** One page of every item (Scan); pass `next` back as `cursor` for the next page. */
    scan: (options: { cursor?: string; limit?: number } = {}) => read<ItemsPage<T>>('scan', options),
    /** Every item of the table (Scan, page after page). */
    scanAll: async () => {
      const all: Array<{ item: T; version: number }> = [];
      let cursor: string | undefined;
      do {
        const page = await read<ItemsPage<T>>('scan', cursor === undefined ? {} : { cursor });
        all.push(...page.items);
        cursor = page.next;
      } while (cursor !== undefined);
      return all;
    },
    /** Adds to number attributes atomically (UpdateItem's ADD; missing counts as 0); resolves with the new item. */
    add: (key: Partial<T>, amounts: Partial<Record<keyof T, number>>) => op<{ item: T; version: number }>('add', { key, amounts }),
    /**
     * Items of one partition by sort key: up to `limit` (default 100), page
     * after page when they pass the 1 MB a page holds.
     */
    query: async (query: TableQueryOptions) => {
      const all: Array<{ item: T; version: number }> = [];
      let left = query.limit ?? 100;
      let cursor: string | undefined;
      do {
        const page = await read<ItemsPage<T>>('query', { query: { ...query, limit: left, ...(cursor !== undefined && { cursor }) } });
        all.push(...page.items);
        left -= page.items.length;
        cursor = page.next;
      } while (cursor !== undefined && left > 0);
      return all;
    },
    /** One page of a query (DynamoDB Query): at most `limit` items, stopping at 1 MB; pass `next` back as `cursor`. */
    queryPage: (query: TableQueryOptions & { cursor?: string }) => read<ItemsPage<T>>('query', { query }),
  };
}

/** An S3-like bucket. */
export function bucket(name: string) {
  // The key as one segment ("/" as %2F): segments of "." or ".." would be resolved away by the URL, and
  // "a/../b" written to another bucket than the one named.
  const path = (key: string) => {
    checkUrlCarriesKey(key);
    return `/buckets/${seg(name)}/${seg(key)}`;
  };
  return {
    put: async (key: string, body: string | Uint8Array, contentType = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream') => {
      type Meta = { key: string; size: number; eTag: string };
      // A copy of its own (the caller keeps its bytes), handed over rather than cloned.
      const data = typeof body === 'string' ? new Uint8Array(Buffer.from(body)) : new Uint8Array(body);
      const result = await viaHost({ source: 'bucket', name, op: 'put', key, data, contentType }, [data.buffer as ArrayBuffer]);
      if (result) return JSON.parse((result as { json: string }).json) as Meta;
      return (await (await call('PUT', path(key), undefined, { data: typeof body === 'string' ? Buffer.from(body) : body, contentType })).json()) as Meta;
    },
    get: async (key: string): Promise<{ body: Buffer; contentType: string; eTag: string } | undefined> => {
      const result = await viaHost({ source: 'bucket', name, op: 'get', key });
      if (result) {
        const found = (result as { object: { body: Uint8Array; contentType: string; eTag: string } | null }).object;
        return found ? { body: Buffer.from(found.body.buffer, found.body.byteOffset, found.body.byteLength), contentType: found.contentType, eTag: found.eTag } : undefined;
      }
      const res = await call('GET', path(key));
      if (res.status === 404) return undefined;
      return { body: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get('content-type') ?? '', eTag: (res.headers.get('etag') ?? '').replace(/"/g, '') };
    },
    delete: async (key: string) => {
      if (await viaHost({ source: 'bucket', name, op: 'delete', key })) return;
      await call('DELETE', path(key));
    },
    /** Every object whose key starts with `prefix`, by key (read a page of 1,000 at a time). */
    list: async (prefix = '') => {
      type Listing = { objects: Array<{ key: string; size: number; eTag: string }>; isTruncated: boolean };
      const page = async (startAfter: string): Promise<Listing> => {
        const result = await viaHost({ source: 'bucket', name, op: 'list', prefix, startAfter });
        if (result) return JSON.parse((result as { json: string }).json) as Listing;
        return (await (await call('GET', `/buckets/${seg(name)}?prefix=${seg(prefix)}&start-after=${seg(startAfter)}`)).json()) as Listing;
      };
      const objects: Listing['objects'] = [];
      for (let listing = await page(''); ; listing = await page(objects.at(-1)!.key)) {
        objects.push(...listing.objects);
        if (!listing.isTruncated || listing.objects.length === 0) return objects;
      }
    },
  };
}

/** A Kinesis-like stream. */
export function stream(name: string) {
  const put = (records: Array<{ data: string | Uint8Array | object; partitionKey: string }>) =>
    jsonOp<{ FailedRecordCount: number; Records: Array<{ SequenceNumber: string; ShardId: string }> }>('stream', name, 'records', `/streams/${seg(name)}/records`, {
      records: records.map((r) => ({ partitionKey: r.partitionKey, data: toBase64(r.data) })),
    });
  return {
    /** Data: bytes, text, or any other value as JSON. */
    putRecord: async (record: { data: string | Uint8Array | object; partitionKey: string }) => (await put([record])).Records[0]!,
    putRecords: put,
  };
}

/** An SNS-like topic. */
export function topic(name: string) {
  return {
    publish: (message: string | object, attributes?: Record<string, TopicAttribute>, subject?: string) =>
      jsonOp<{ MessageId: string }>('topic', name, 'publish', `/topics/${seg(name)}`, { message: typeof message === 'string' ? message : JSON.stringify(message), attributes, subject }),
  };
}

function toBase64(data: string | Uint8Array | object): string {
  if (typeof data === 'string') return Buffer.from(data).toString('base64');
  if (data instanceof Uint8Array) return Buffer.from(data).toString('base64');
  return Buffer.from(JSON.stringify(data)).toString('base64');
}
