import type { HttpRoute, RequestContext } from '../http/index.js';
import { decodePathSegment, parseJsonObjectBody, rawPathOf, readBody, resolvesAway, sendJson } from '../http/index.js';
import { AccessDeniedError, InvalidParameterValueError, ResourceNotFoundError, RouteNotFoundError } from '../errors/index.js';
import type { HostCall, HostCallResult } from '../environment/index.js';
import type { EventSources } from './event-sources.js';
import { decodeStrictBase64 } from './pull/strict-base64.js';
import { tableReadOp } from './pull/table-read-op.js';
import { callTooLarge as tooLarge, MAX_JSON_BYTES, parseCallBody } from './json-call-body.js';

/** S3's largest (and default) max-keys of a ListObjects page. */
const MAX_LIST_KEYS = 1000;
const MAPPINGS = /^\/2015-03-31\/event-source-mappings\/?([^/]*)\/?$/;

/**
 * The event sources' HTTP surface:
 *
 * - `PUT|GET|HEAD|DELETE /buckets/{bucket}/{key}`, `GET /buckets/{bucket}?prefix=` (list)
 * - `POST /topics/{topic}` `{ message, attributes?, subject? }`
 * - `POST /streams/{stream}/records` `{ records: [{ data (base64), partitionKey }] }`
 * - `POST /tables/{table}/{put|get|update|delete|query|batch-get|batch-put|scan|add}` (JSON, see the client)
 * - Lambda's event source mapping API under `/2015-03-31/event-source-mappings/`
 */
export function sourcesApi(sources: EventSources): HttpRoute {
  return async (ctx) => {
    const path = ctx.url.pathname;
    const mapping = MAPPINGS.exec(path);
    if (mapping) return mappingsApi(sources, ctx, decodePathSegment(mapping[1] ?? ''));
    if (path.startsWith('/buckets/')) return bucketsApi(sources, ctx, path.slice('/buckets/'.length));
    if (path.startsWith('/topics/')) return topicsApi(sources, ctx, decodePathSegment(path.slice('/topics/'.length)));
    if (path.startsWith('/streams/')) return streamsApi(sources, ctx, path.slice('/streams/'.length).split('/').map(decodePathSegment));
    if (path.startsWith('/tables/')) return tablesApi(sources, ctx, path.slice('/tables/'.length).split('/').map(decodePathSegment));
    return false;
  };
}

async function mappingsApi(sources: EventSources, ctx: RequestContext, uuid: string): Promise<boolean> {
  const m = sources.mappings;
  const method = ctx.req.method;
  const headers = { 'x-amzn-RequestId': ctx.requestId };
  const { canRead, canInvoke } = ctx;
  // A mapping of a function the caller may not read answers as a missing one; creating, changing or
  // deleting one takes leave to invoke its function (a mapping makes it run).
  const allowed = (may: (functionName: string, job?: string) => boolean, nameOrArn: string) => {
    let target: { functionName: string; job?: string };
    try {
      target = sources.targetOf(nameOrArn);
    } catch (error) {
      // A function gone from the config (its mappings stay): judged by the name its ARN carries.
      if (!(error instanceof ResourceNotFoundError)) throw error;
      target = { functionName: /:function:([^:]+)/.exec(nameOrArn)?.[1] ?? nameOrArn };
    }
    return may(target.functionName, target.job);
  };
  const readable = (nameOrArn: string) => allowed(canRead!, nameOrArn);
  const mine = (uuid: string, toChange = false) => {
    const mapping = m.get(uuid);
    if (canRead && !readable(mapping.FunctionArn)) throw new ResourceNotFoundError(`The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${ctx.requestId})`);
    if (toChange && canInvoke && !allowed(canInvoke, mapping.FunctionArn)) {
      throw new AccessDeniedError(`the caller may read but not change the mappings of function ${mapping.FunctionArn} (auth.permissions grant it no invoke)`);
    }
    return mapping;
  };
  const targetOf = (body: Record<string, unknown>) => {
    // Resolved as the mappings will resolve it: a partial or qualified ARN, a job address.
    if (canInvoke && typeof body.FunctionName === 'string' && !allowed(canInvoke, body.FunctionName)) {
      throw new AccessDeniedError(`the caller may not map events to function ${body.FunctionName} (auth.permissions)`);
    }
    return body;
  };
  if (uuid === '' && method === 'POST') {
    sendJson(ctx.res, 202, await m.create(targetOf(await json(ctx))), headers);
  } else if (uuid === '' && method === 'GET') {
    const q = ctx.url.searchParams;
    const maxItems = q.get('MaxItems');
    const named = q.get('FunctionName');
    if (canRead && named && !readable(named)) throw new AccessDeniedError(`the caller may not read the mappings of function ${named} (auth.permissions)`);
    const page = m.list({
      ...(named && { FunctionName: named }),
      ...(q.get('EventSourceArn') && { EventSourceArn: q.get('EventSourceArn')! }),
      ...(q.get('Marker') && { Marker: q.get('Marker')! }),
      ...(maxItems !== null && { MaxItems: Number(maxItems) }),
    });
    sendJson(ctx.res, 200, canRead
      ? { ...page, EventSourceMappings: page.EventSourceMappings.filter((x) => readable(x.FunctionArn)) }
      : page, headers);
  } else if (uuid !== '' && method === 'GET') {
    sendJson(ctx.res, 200, mine(uuid), headers);
  } else if (uuid !== '' && method === 'PUT') {
    if (canRead) mine(uuid, true);
    sendJson(ctx.res, 202, await m.update(uuid, targetOf(await json(ctx))), headers);
  } else if (uuid !== '' && method === 'DELETE') {
    if (canRead) mine(uuid, true);
    sendJson(ctx.res, 202, await m.delete(uuid), headers);
  } else {
    throw new RouteNotFoundError(`No event source mapping operation for ${method} ${ctx.url.pathname}`);
  }
  return true;
}

async function bucketsApi(sources: EventSources, ctx: RequestContext, rest: string): Promise<boolean> {
  // The URL was resolved before routing: "/buckets/a/../b/k" reached here as bucket b, key k.
  if (resolvesAway(rawPathOf(ctx.req.url ?? '/'))) {
    throw new InvalidParameterValueError('InvalidArgument: a bucket path must not hold "." or ".." segments or a backslash (the URL resolves them): send "/" inside an object key as %2F');
  }
  const slash = rest.indexOf('/');
  const bucket = decodePathSegment(slash === -1 ? rest : rest.slice(0, slash));
  const key = slash === -1 ? '' : decodePathSegment(rest.slice(slash + 1));
  const b = sources.buckets;
  const { req, res } = ctx;
  if (key === '' && req.method === 'GET') {
    const q = ctx.url.searchParams;
    sendJson(res, 200, await b.list(bucket, q.get('prefix') ?? '', listLimit(q.get('limit')), q.get('start-after') ?? ''));
    return true;
  }
  switch (req.method) {
    case 'PUT': {
      const body = ctx.body ?? await readBody(req, b.maxObjectBytes(bucket));
      // An empty Content-Type header is no content type: S3's default, as for none.
      const meta = await b.put(bucket, key, body, req.headers['content-type'] || 'application/octet-stream');
      sendJson(res, 200, meta, { ETag: `"${meta.eTag}"` });
      return true;
    }
    case 'GET':
    case 'HEAD': {
      const found = req.method === 'GET' ? await b.get(bucket, key) : await b.head(bucket, key).then((meta) => meta && { meta, body: undefined });
      if (!found) {
        sendJson(res, 404, { Type: 'User', message: `NoSuchKey: ${key}` }, { 'x-amzn-ErrorType': 'NoSuchKey' });
        return true;
      }
      res.writeHead(200, {
        'content-type': found.meta.contentType, 'content-length': found.meta.size, ETag: `"${found.meta.eTag}"`,
        'last-modified': new Date(found.meta.lastModified).toUTCString(),
        // Objects carry the type their uploader claimed and are served from the API's own origin:
        // a browser neither sniffs them nor runs their scripts (an uploaded text/html or SVG).
        'x-content-type-options': 'nosniff', 'content-security-policy': 'sandbox',
      });
      res.end(found.body);
      return true;
    }
    case 'DELETE':
      await b.delete(bucket, key);
      res.writeHead(204).end();
      return true;
    default:
      return false;
  }
}

async function topicsApi(sources: EventSources, ctx: RequestContext, topic: string): Promise<boolean> {
  if (ctx.req.method !== 'POST') return false;
  sendJson(ctx.res, 200, await topicOp(sources, topic, await json(ctx)));
  return true;
}

function topicOp(sources: EventSources, topic: string, body: Record<string, unknown>): Promise<unknown> {
  // null is JSON's "absent"; any other value goes on to be checked (a number subject is refused, not dropped).
  return sources.topics.publish(topic, body.message as string, {
    ...(body.attributes !== undefined && body.attributes !== null && { attributes: body.attributes as Record<string, string> }),
    ...(body.subject !== undefined && body.subject !== null && { subject: body.subject as string }),
  });
}

async function streamsApi(sources: EventSources, ctx: RequestContext, [stream = '', op = '']: string[]): Promise<boolean> {
  if (ctx.req.method !== 'POST' || op !== 'records') return false;
  sendJson(ctx.res, 200, await streamOp(sources, stream, await json(ctx)));
  return true;
}

function streamOp(sources: EventSources, stream: string, body: Record<string, unknown>): Promise<unknown> {
  if (!Array.isArray(body.records)) throw new InvalidParameterValueError('records must be an array of { data (base64), partitionKey }');
  const records = (body.records as Array<{ data?: unknown; partitionKey?: unknown }>).map((r, i) => {
    if (typeof r?.data !== 'string') throw new InvalidParameterValueError(`records[${i}].data must be base64 text`);
    return { data: decodeStrictBase64(r.data, `records[${i}].data`), partitionKey: r.partitionKey as string };
  });
  return sources.streams.putRecords(stream, records);
}

async function tablesApi(sources: EventSources, ctx: RequestContext, [table = '', op = '']: string[]): Promise<boolean> {
  if (ctx.req.method !== 'POST' || !TABLE_OPS.has(op)) return false;
  sendJson(ctx.res, 200, await tableOp(sources, table, op, await json(ctx)));
  return true;
}

const TABLE_OPS = new Set(['put', 'get', 'update', 'delete', 'query', 'batch-get', 'batch-put', 'scan', 'add']);

/** One table operation (`op` one of TABLE_OPS) on its JSON body; resolves with the JSON answer. */
async function tableOp(sources: EventSources, table: string, op: string, b: Record<string, unknown>): Promise<unknown> {
  const t = sources.tables;
  const read = tableReadOp(t, table, op, b);
  if (read) return read;
  const cond = (b.condition ?? {}) as { ifNotExists?: boolean; expectedVersion?: number };
  switch (op) {
    case 'put':
      return t.put(table, b.item as Record<string, unknown>, cond);
    case 'update':
      return t.update(table, b.key as Record<string, unknown>, b.changes as Record<string, unknown>, cond);
    case 'delete':
      return { old: (await t.delete(table, b.key as Record<string, unknown>, cond)) ?? null };
    case 'batch-put':
      return { results: await t.batchPut(table, b.items as Array<Record<string, unknown>>, cond) };
    case 'add':
      return t.add(table, b.key as Record<string, unknown>, b.amounts as Record<string, number>);
    default:
      throw new RouteNotFoundError(`No table operation ${op}`);
  }
}

/**
 * The same operations for a handler's client calling over its environment's
 * channel (see `HostCall`): what the HTTP routes run, minus HTTP. Rejects
 * with the errors the routes would send (their `code` is the error type).
 */
export function sourcesCall(sources: EventSources): (call: HostCall) => Promise<HostCallResult> {
  return async (call) => {
    if (call.source === 'bucket') {
      const b = sources.buckets;
      switch (call.op) {
        case 'put': {
          const limit = b.maxObjectBytes(call.name);
          if (call.data.byteLength > limit) throw tooLarge(call.data.byteLength, limit);
          const body = Buffer.from(call.data.buffer, call.data.byteOffset, call.data.byteLength);
          return { json: JSON.stringify(await b.put(call.name, call.key, body, call.contentType)) };
        }
        case 'get': {
          const found = await b.get(call.name, call.key);
          return { object: found ? { body: found.body, contentType: found.meta.contentType, eTag: found.meta.eTag } : null };
        }
        case 'delete':
          await b.delete(call.name, call.key);
          return { done: true };
        case 'list':
          return { json: JSON.stringify(await b.list(call.name, call.prefix, 1000, call.startAfter)) };
      }
    }
    const body = parseCallBody(call.body);
    switch (call.source) {
      case 'table':
        return { json: JSON.stringify(await tableOp(sources, call.name, call.op, body)) };
      case 'topic':
        return { json: JSON.stringify(await topicOp(sources, call.name, body)) };
      case 'stream':
        return { json: JSON.stringify(await streamOp(sources, call.name, body)) };
    }
  };
}

/** `?limit=` as S3's max-keys: a whole number; above 1,000 it lists 1,000, and 0 lists nothing. */
function listLimit(text: string | null): number {
  if (text === null) return MAX_LIST_KEYS;
  if (!/^[0-9]{1,10}$/.test(text)) throw new InvalidParameterValueError(`limit must be a whole number, as S3's max-keys (got ${JSON.stringify(text.slice(0, 40))})`);
  return Math.min(Number(text), MAX_LIST_KEYS);
}

async function json(ctx: RequestContext): Promise<Record<string, unknown>> {
  if (ctx.body && ctx.body.length > MAX_JSON_BYTES) throw tooLarge(ctx.body.length, MAX_JSON_BYTES);
  return parseJsonObjectBody(ctx.body ?? await readBody(ctx.req, MAX_JSON_BYTES));
}

/** The largest body a sources route takes (a JSON call or the largest bucket's object): the access guard reads that much. */
export function sourcesMaxBodyBytes(sources: EventSources): number {
  return Math.max(MAX_JSON_BYTES, ...sources.buckets.names().map((name) => sources.buckets.maxObjectBytes(name)));
}
