/**
 * The handlers' client for event sources: `table`, `bucket`, `stream`,
 * `topic`. It runs inside worker threads, so it imports nothing of the host:
 * it calls the host's HTTP surface at `NEOLITH_HOST_URL` (set in every
 * environment once the host listens), which keeps one code path for both
 * backends and lets the host wake its mappings and notify subscribers at once.
 * In-process callers (tests, scripts) use `configureSourcesClient({ url })`.
 */
import {
  ConditionalCheckFailedError, InvalidParameterValueError, InvalidRequestContentError, NeolithError, RequestTooLargeError,
  ResourceNotFoundError, ServiceError,
} from '../../errors/index.js';

let configuredUrl: string | undefined;

/** Points the client at a host (instead of `NEOLITH_HOST_URL`). */
export function configureSourcesClient(options: { url?: string }): void {
  configuredUrl = options.url?.replace(/\/$/, '');
}

function baseUrl(): string {
  const url = configuredUrl ?? process.env.NEOLITH_HOST_URL?.replace(/\/$/, '');
  if (!url) throw new ServiceError('neolith sources client: NEOLITH_HOST_URL is not set (is the host listening?); call configureSourcesClient({ url }) outside a handler');
  return url;
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

/** A DynamoDB-like table. */
export function table<T extends object = Record<string, unknown>>(name: string) {
  const op = async <R>(operation: string, body: unknown) => (await (await call('POST', `/tables/${seg(name)}/${operation}`, body)).json()) as R;
  return {
    /** Writes a whole item; rejects with ConditionalCheckFailedError when the condition fails. */
    put: (item: T, condition?: WriteCondition) => op<{ version: number }>('put', { item, condition }),
    /** The item and its version, or undefined. */
    get: async (key: Partial<T>) => (await op<{ found: { item: T; version: number } | null }>('get', { key })).found ?? undefined,
    /** Sets attributes (null removes one); creates the item when missing. */
    update: (key: Partial<T>, changes: Partial<Record<keyof T, unknown>>, condition?: WriteCondition) =>
      op<{ item: T; version: number }>('update', { key, changes, condition }),
    /** Deletes; resolves with the old item, if any. */
    delete: async (key: Partial<T>, condition?: WriteCondition) => (await op<{ old: { item: T; version: number } | null }>('delete', { key, condition })).old ?? undefined,
    /** Several items by key in one round trip (BatchGetItem, at most 100 keys), in the order asked. */
    batchGet: async (keys: Array<Partial<T>>) => (await op<{ found: Array<{ item: T; version: number } | null> }>('batch-get', { keys })).found,
    /** Puts up to 100 items in one round trip, each under `condition`; a failed condition is reported per item, the rest are written. */
    batchPut: async (items: T[], condition?: WriteCondition) =>
      (await op<{ results: Array<{ version: number } | { error: 'ConditionalCheckFailedException' }> }>('batch-put', { items, condition })).results,
    /** One page of every item (Scan); pass `next` back as `cursor` for the next page. */
    scan: (options: { cursor?: string; limit?: number } = {}) => op<{ items: Array<{ item: T; version: number }>; next?: string }>('scan', options),
    /** Every item of the table (Scan, page after page). */
    scanAll: async () => {
      const all: Array<{ item: T; version: number }> = [];
      let cursor: string | undefined;
      do {
        const page = await op<{ items: Array<{ item: T; version: number }>; next?: string }>('scan', cursor === undefined ? {} : { cursor });
        all.push(...page.items);
        cursor = page.next;
      } while (cursor !== undefined);
      return all;
    },
    /** Adds to number attributes atomically (UpdateItem's ADD; missing counts as 0); resolves with the new item. */
    add: (key: Partial<T>, amounts: Partial<Record<keyof T, number>>) => op<{ item: T; version: number }>('add', { key, amounts }),
    /** Items of one partition by sort key. */
    query: async (query: { partitionKey: string | number; beginsWith?: string; from?: string | number; to?: string | number; limit?: number; reverse?: boolean }) =>
      (await op<{ items: Array<{ item: T; version: number }> }>('query', { query })).items,
  };
}

/** An S3-like bucket. */
export function bucket(name: string) {
  const path = (key: string) => `/buckets/${seg(name)}/${key.split('/').map(seg).join('/')}`;
  return {
    put: async (key: string, body: string | Uint8Array, contentType = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream') =>
      (await (await call('PUT', path(key), undefined, { data: typeof body === 'string' ? Buffer.from(body) : body, contentType })).json()) as { key: string; size: number; eTag: string },
    get: async (key: string): Promise<{ body: Buffer; contentType: string; eTag: string } | undefined> => {
      const res = await call('GET', path(key));
      if (res.status === 404) return undefined;
      return { body: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get('content-type') ?? '', eTag: (res.headers.get('etag') ?? '').replace(/"/g, '') };
    },
    delete: async (key: string) => {
      await call('DELETE', path(key));
    },
    list: async (prefix = '') => ((await (await call('GET', `/buckets/${seg(name)}?prefix=${seg(prefix)}`)).json()) as { objects: Array<{ key: string; size: number; eTag: string }> }).objects,
  };
}

/** A Kinesis-like stream. */
export function stream(name: string) {
  const put = async (records: Array<{ data: string | Uint8Array | object; partitionKey: string }>) =>
    (await (await call('POST', `/streams/${seg(name)}/records`, {
      records: records.map((r) => ({ partitionKey: r.partitionKey, data: toBase64(r.data) })),
    })).json()) as { FailedRecordCount: number; Records: Array<{ SequenceNumber: string; ShardId: string }> };
  return {
    /** Data: bytes, text, or any other value as JSON. */
    putRecord: async (record: { data: string | Uint8Array | object; partitionKey: string }) => (await put([record])).Records[0]!,
    putRecords: put,
  };
}

/** An SNS-like topic. */
export function topic(name: string) {
  return {
    publish: async (message: string | object, attributes?: Record<string, string | number | string[]>, subject?: string) =>
      (await (await call('POST', `/topics/${seg(name)}`, { message: typeof message === 'string' ? message : JSON.stringify(message), attributes, subject })).json()) as { MessageId: string },
  };
}

function toBase64(data: string | Uint8Array | object): string {
  if (typeof data === 'string') return Buffer.from(data).toString('base64');
  if (data instanceof Uint8Array) return Buffer.from(data).toString('base64');
  return Buffer.from(JSON.stringify(data)).toString('base64');
}
