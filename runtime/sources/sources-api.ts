import type { HttpRoute, RequestContext } from '../http/index.js';
import { readBody, sendJson } from '../http/index.js';
import { InvalidParameterValueError, InvalidRequestContentError, RouteNotFoundError } from '../errors/index.js';
import type { EventSources } from './event-sources.js';

/** Largest JSON body of a data-plane call (a PutRecords of 5 MB as base64, with room). */
const MAX_JSON_BYTES = 8 * 1024 * 1024;
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
    if (mapping) return mappingsApi(sources, ctx, decodeURIComponent(mapping[1] ?? ''));
    if (path.startsWith('/buckets/')) return bucketsApi(sources, ctx, path.slice('/buckets/'.length));
    if (path.startsWith('/topics/')) return topicsApi(sources, ctx, decodeURIComponent(path.slice('/topics/'.length)));
    if (path.startsWith('/streams/')) return streamsApi(sources, ctx, path.slice('/streams/'.length).split('/').map(decodeURIComponent));
    if (path.startsWith('/tables/')) return tablesApi(sources, ctx, path.slice('/tables/'.length).split('/').map(decodeURIComponent));
    return false;
  };
}

async function mappingsApi(sources: EventSources, ctx: RequestContext, uuid: string): Promise<boolean> {
  const m = sources.mappings;
  const method = ctx.req.method;
  const headers = { 'x-amzn-RequestId': ctx.requestId };
  if (uuid === '' && method === 'POST') {
    sendJson(ctx.res, 202, await m.create(await json(ctx)), headers);
  } else if (uuid === '' && method === 'GET') {
    const q = ctx.url.searchParams;
    const maxItems = q.get('MaxItems');
    sendJson(ctx.res, 200, m.list({
      ...(q.get('FunctionName') && { FunctionName: q.get('FunctionName')! }),
      ...(q.get('EventSourceArn') && { EventSourceArn: q.get('EventSourceArn')! }),
      ...(q.get('Marker') && { Marker: q.get('Marker')! }),
      ...(maxItems !== null && { MaxItems: Number(maxItems) }),
    }), headers);
  } else if (uuid !== '' && method === 'GET') {
    sendJson(ctx.res, 200, m.get(uuid), headers);
  } else if (uuid !== '' && method === 'PUT') {
    sendJson(ctx.res, 202, await m.update(uuid, await json(ctx)), headers);
  } else if (uuid !== '' && method === 'DELETE') {
    sendJson(ctx.res, 202, await m.delete(uuid), headers);
  } else {
    throw new RouteNotFoundError(`No event source mapping operation for ${method} ${ctx.url.pathname}`);
  }
  return true;
}

async function bucketsApi(sources: EventSources, ctx: RequestContext, rest: string): Promise<boolean> {
  const slash = rest.indexOf('/');
  const bucket = decodeURIComponent(slash === -1 ? rest : rest.slice(0, slash));
  const key = slash === -1 ? '' : decodeURIComponent(rest.slice(slash + 1));
  const b = sources.buckets;
  const { req, res } = ctx;
  if (key === '' && req.method === 'GET') {
    const limit = Number(ctx.url.searchParams.get('limit') ?? 1000);
    sendJson(res, 200, { objects: await b.list(bucket, ctx.url.searchParams.get('prefix') ?? '', limit) });
    return true;
  }
  switch (req.method) {
    case 'PUT': {
      const body = await readBody(req, b.maxObjectBytes(bucket));
      const meta = await b.put(bucket, key, body, String(req.headers['content-type'] ?? 'application/octet-stream'));
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
  const body = await json(ctx);
  const out = await sources.topics.publish(topic, body.message as string, {
    ...(body.attributes !== undefined && { attributes: body.attributes as Record<string, string> }),
    ...(typeof body.subject === 'string' && { subject: body.subject }),
  });
  sendJson(ctx.res, 200, out);
  return true;
}

async function streamsApi(sources: EventSources, ctx: RequestContext, [stream = '', op = '']: string[]): Promise<boolean> {
  if (ctx.req.method !== 'POST' || op !== 'records') return false;
  const body = await json(ctx);
  if (!Array.isArray(body.records)) throw new InvalidParameterValueError('records must be an array of { data (base64), partitionKey }');
  const records = (body.records as Array<{ data?: unknown; partitionKey?: unknown }>).map((r, i) => {
    if (typeof r?.data !== 'string') throw new InvalidParameterValueError(`records[${i}].data must be base64 text`);
    return { data: Buffer.from(r.data, 'base64'), partitionKey: r.partitionKey as string };
  });
  sendJson(ctx.res, 200, await sources.streams.putRecords(stream, records));
  return true;
}

async function tablesApi(sources: EventSources, ctx: RequestContext, [table = '', op = '']: string[]): Promise<boolean> {
  if (ctx.req.method !== 'POST') return false;
  const t = sources.tables;
  const b = await json(ctx);
  const cond = (b.condition ?? {}) as { ifNotExists?: boolean; expectedVersion?: number };
  switch (op) {
    case 'put':
      sendJson(ctx.res, 200, await t.put(table, b.item as Record<string, unknown>, cond));
      return true;
    case 'get':
      sendJson(ctx.res, 200, { found: (await t.get(table, b.key as Record<string, unknown>)) ?? null });
      return true;
    case 'update':
      sendJson(ctx.res, 200, await t.update(table, b.key as Record<string, unknown>, b.changes as Record<string, unknown>, cond));
      return true;
    case 'delete':
      sendJson(ctx.res, 200, { old: (await t.delete(table, b.key as Record<string, unknown>, cond)) ?? null });
      return true;
    case 'query':
      sendJson(ctx.res, 200, { items: await t.query(table, b.query as Parameters<typeof t.query>[1]) });
      return true;
    case 'batch-get':
      sendJson(ctx.res, 200, { found: await t.batchGet(table, b.keys as Array<Record<string, unknown>>) });
      return true;
    case 'batch-put':
      sendJson(ctx.res, 200, { results: await t.batchPut(table, b.items as Array<Record<string, unknown>>, cond) });
      return true;
    case 'scan':
      sendJson(ctx.res, 200, await t.scan(table, {
        ...(b.cursor !== undefined && { cursor: b.cursor as string }), ...(b.limit !== undefined && { limit: b.limit as number }),
      }));
      return true;
    case 'add':
      sendJson(ctx.res, 200, await t.add(table, b.key as Record<string, unknown>, b.amounts as Record<string, number>));
      return true;
    default:
      return false;
  }
}

async function json(ctx: RequestContext): Promise<Record<string, unknown>> {
  const body = await readBody(ctx.req, MAX_JSON_BYTES);
  if (body.length === 0) return {};
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new InvalidRequestContentError(`Could not parse request body into json: ${(error as Error).message}`, { cause: error });
  }
}
