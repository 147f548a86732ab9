/**
 * Misuse of the sources' HTTP API through a real host on port 0, on both
 * backends: each malformed input is a 400 with Lambda's error type and a
 * message naming the rule, never a 500 or a silently changed write.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucket, configureSourcesClient, createHost, type Host } from '../../runtime/index.js';
import { numberKeyText } from '../../runtime/sources/pull/tables.js';
import { deleteRedisKeys } from '../support/delete-redis-keys.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');

describe.each(['sqlite', 'redis'] as const)('sources API input (%s)', (backend) => {
  const state = tempDir();
  const prefix = `test-input-${randomUUID()}`;
  let host: Host;
  let url = '';

  beforeAll(async () => {
    const fn = { handler: './sources.mjs#collect', environment: { OUT: join(state.path, 'out.jsonl') } };
    host = await createHost({
      rootDir: handlers,
      config: {
        stateDir: state.path, backend, redisPrefix: prefix,
        functions: { collect: fn, failures: fn },
        buckets: { uploads: {}, many: {} },
        topics: { 'user-events': { subscriptions: [{ function: 'collect' }] } },
        streams: { clicks: {} },
        tables: { items: { partitionKey: 'id' }, readings: { partitionKey: 'sensor', sortKey: 'at' } },
      },
    });
    url = (await host.listen({ port: 0 })).url;
  });

  afterAll(async () => {
    try {
      await host?.close();
    } finally {
      state.remove();
      if (backend === 'redis') {
        const redis = new Redis('redis://127.0.0.1:6379');
        await deleteRedisKeys(redis, `${prefix}:*`);
        await redis.quit();
      }
    }
  });

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; type: string | null; json: any }> {
    const response = await fetch(url + path, { method, ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
    return { status: response.status, type: response.headers.get('x-amzn-errortype'), json: await response.json() };
  }
  /** Expects Lambda's 400 for a bad parameter, with `words` in its message. */
  function expect400(r: { status: number; type: string | null; json: any }, words: string): void {
    expect({ status: r.status, type: r.type }).toEqual({ status: 400, type: 'InvalidParameterValueException' });
    expect(r.json.message).toContain(words);
  }

  describe('tables', () => {
    it('keeps a string key that spells a number key apart from the number', async () => {
      const forged = numberKeyText(5);
      expect((await call('POST', '/tables/items/put', { item: { id: 5, who: 'number' } })).json).toEqual({ version: 1 });
      expect((await call('POST', '/tables/items/put', { item: { id: forged, who: 'string' } })).json).toEqual({ version: 1 });
      expect((await call('POST', '/tables/items/get', { key: { id: 5 } })).json).toEqual({ found: { item: { id: 5, who: 'number' }, version: 1 } });
      expect((await call('POST', '/tables/items/get', { key: { id: forged } })).json).toEqual({ found: { item: { id: forged, who: 'string' }, version: 1 } });
    });

    it('keeps an attribute named __proto__ on update, as on put', async () => {
      const r = await call('POST', '/tables/items/update', '{"key":{"id":"p2"},"changes":{"__proto__":{"admin":true},"b":2}}');
      expect(r.status).toBe(200);
      const got = await fetch(`${url}/tables/items/get`, { method: 'POST', body: '{"key":{"id":"p2"}}' });
      expect(await got.text()).toBe('{"found":{"item":{"id":"p2","__proto__":{"admin":true},"b":2},"version":1}}');
    });

    it('refuses changes and amounts given as arrays', async () => {
      expect400(await call('POST', '/tables/items/update', { key: { id: 'p3' }, changes: ['x', 'y'] }), 'changes must be an object mapping attribute names to values (got ["x","y"])');
      expect400(await call('POST', '/tables/items/add', { key: { id: 'p3' }, amounts: [1] }), 'amounts must be an object mapping attribute names to finite numbers (got [1])');
      expect((await call('POST', '/tables/items/get', { key: { id: 'p3' } })).json).toEqual({ found: null });
    });

    it('refuses an add that overflows, and keeps the stored number', async () => {
      await call('POST', '/tables/items/add', { key: { id: 'c2' }, amounts: { n: 1.7e308 } });
      expect400(await call('POST', '/tables/items/add', { key: { id: 'c2' }, amounts: { n: 1.7e308 } }), 'Number overflow: adding 1.7e+308 to attribute n (1.7e+308) gives Infinity');
      expect((await call('POST', '/tables/items/get', { key: { id: 'c2' } })).json).toEqual({ found: { item: { id: 'c2', n: 1.7e308 }, version: 1 } });
    });

    it('refuses a condition, a stream partition key and a topic attribute nested past what JSON.stringify takes with a 400, not a 500', async () => {
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      expect400(await call('POST', '/tables/items/put', `{"item":{"id":"d"},"condition":{"expectedVersion":${deep}}}`), 'expectedVersion must be a non-negative integer (got an array JSON cannot show');
      expect400(await call('POST', '/streams/clicks/records', `{"records":[{"data":"eA==","partitionKey":${deep}}]}`), 'partitionKey must be a string of 1 to 256 characters');
      expect400(await call('POST', '/topics/user-events', `{"message":"m","attributes":{"a":${deep}}}`), 'a String.Array holds only strings, numbers, true, false and null');
      expect400(await call('POST', '/topics/user-events', `{"message":"m","attributes":{"a":{"DataType":"String.Array","StringValue":"[[1]]"}}}`), 'a String.Array holds only');
      expect((await call('POST', '/tables/items/get', { key: { id: 'd' } })).json).toEqual({ found: null });
    });

    it('refuses an item nested past 32 levels with a 400, not a 500', async () => {
      const body = `{"item":{"id":"deep","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`;
      expect400(await call('POST', '/tables/items/put', body), 'Nesting Levels have exceeded supported limits: attribute x nests lists and maps more than 32 levels deep');
      expect400(await call('POST', '/tables/items/update', `{"key":{"id":"deep"},"changes":{"x":${'['.repeat(33)}${']'.repeat(33)}}}`), 'more than 32 levels deep');
    });

    it('refuses query bounds that are objects or arrays', async () => {
      expect400(await call('POST', '/tables/readings/query', { query: { partitionKey: 's1', from: {} } }), 'from must be a string or a finite number');
      expect400(await call('POST', '/tables/readings/query', { query: { partitionKey: 's1', to: [1] } }), 'to must be a string or a finite number');
      expect400(await call('POST', '/tables/readings/query', { query: { partitionKey: 's1', beginsWith: { a: 1 } } }), 'beginsWith must be a string (got {"a":1})');
      expect400(await call('POST', '/tables/readings/query', { query: null }), 'query must be an object');
      expect400(await call('POST', '/tables/readings/query', { query: { partitionKey: 's1', cursor: 12 } }), 'cursor must be the "next" of the previous page');
      expect400(await call('POST', '/tables/readings/query', { query: { partitionKey: 's1', cursor: `["${'x'.repeat(10_000)}"]` } }), 'cursor must be the "next"');
    });
  });

  describe('streams', () => {
    it('refuses record data that is not standard base64, and stores none of the call', async () => {
      for (const data of ['!!!', 'YQ', '-_-_', 'YW Jj']) {
        expect400(await call('POST', '/streams/clicks/records', { records: [{ data: 'YQ==', partitionKey: 'p' }, { data, partitionKey: 'p' }] }), `records[1].data must be standard base64`);
      }
      const ok = await call('POST', '/streams/clicks/records', { records: [{ data: 'YQ==', partitionKey: 'p' }] });
      expect(ok.status).toBe(200);
      expect(ok.json.Records).toHaveLength(1);
    });

    it('refuses a partition key holding a lone surrogate, which would be stored as U+FFFD', async () => {
      expect400(await call('POST', '/streams/clicks/records', '{"records":[{"data":"YQ==","partitionKey":"p"},{"data":"YQ==","partitionKey":"\\ud800abc"}]}'),
        'records[1].partitionKey must be well-formed Unicode text: it holds a lone surrogate');
    });
  });

  describe('buckets', () => {
    it.each(['abc', '1.5', '-1', '1e3', ''])('refuses a list limit of %j with a 400', async (limit) => {
      expect400(await call('GET', `/buckets/uploads?limit=${limit}`), `limit must be a whole number, as S3's max-keys (got ${JSON.stringify(limit)})`);
    });

    it('lists with a valid limit: as S3\'s max-keys, 0 lists nothing and above 1000 lists 1000', async () => {
      for (const key of ['a', 'b', 'c']) await fetch(`${url}/buckets/uploads/${key}`, { method: 'PUT', body: key });
      const r = await call('GET', '/buckets/uploads?limit=2');
      expect(r.status).toBe(200);
      expect(r.json.objects.map((o: { key: string }) => o.key)).toEqual(['a', 'b']);
      expect((await call('GET', '/buckets/uploads?limit=0')).json.objects).toEqual([]);
      expect((await call('GET', '/buckets/uploads?limit=5000')).json.objects.map((o: { key: string }) => o.key)).toEqual(['a', 'b', 'c']);
      // S3's paging: isTruncated while more follow, the next page after the last key (start-after).
      expect(r.json.isTruncated).toBe(true);
      const next = (await call('GET', '/buckets/uploads?limit=2&start-after=b')).json;
      expect(next).toEqual({ objects: [expect.objectContaining({ key: 'c' })], isTruncated: false });
    });

    it('lists every object of a bucket through the sources client, past 1,000, page by page', async () => {
      for (let i = 0; i < 1005; i++) await host.sources.buckets.put('many', `k${String(i).padStart(5, '0')}`, Buffer.from('x'), 'text/plain');
      configureSourcesClient({ url });
      try {
        const keys = (await bucket('many').list('k')).map((o) => o.key);
        expect(keys).toHaveLength(1005);
        expect(keys.at(-1)).toBe('k01004');
      } finally {
        configureSourcesClient({});
      }
    });

    it('refuses a raw path whose "." or ".." segments or backslash the URL would resolve into another bucket or key', async () => {
      for (const path of ['/buckets/uploads/../items/k', '/buckets/uploads/a/%2e%2E/k', '/buckets/uploads/./k', '/buckets/uploads/a\\b']) {
        const answer = await new Promise<{ status: number; body: string }>((done, fail) => {
          // node:http sends the path as given; fetch would resolve it before sending.
          const { hostname, port } = new URL(url);
          request({ hostname, port, path, method: 'PUT' }, (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
            res.on('end', () => done({ status: res.statusCode!, body }));
          }).on('error', fail).end('x');
        });
        expect(answer.status, path).toBe(400);
        expect(JSON.parse(answer.body).message, path).toContain('send "/" inside an object key as %2F');
      }
      expect((await call('GET', '/buckets/uploads?prefix=k')).json.objects).toEqual([]);
    });

    it('keeps keys with "." and ".." segments in their bucket through the sources client; "." and ".." alone are refused', async () => {
      configureSourcesClient({ url });
      try {
        const files = bucket('uploads');
        for (const key of ['../items/k', 'a/./b', 'a/../b']) expect((await files.put(key, 'x')).key).toBe(key);
        expect((await files.list('a/')).map((o) => o.key)).toEqual(['a/../b', 'a/./b']);
        expect((await files.get('../items/k'))?.body.toString()).toBe('x');
        for (const key of ['.', '..']) await expect(files.put(key, 'x')).rejects.toThrow(`an object key may not be "${key}"`);
      } finally {
        configureSourcesClient({});
      }
    });

    it('stores an object sent with an empty Content-Type under S3\'s default type', async () => {
      const put = await fetch(`${url}/buckets/uploads/empty-type`, { method: 'PUT', body: 'x', headers: { 'content-type': '' } });
      expect(put.status).toBe(200);
      expect((await fetch(`${url}/buckets/uploads/empty-type`)).headers.get('content-type')).toBe('application/octet-stream');
    });
  });

  describe('topics', () => {
    it('refuses a subject that is not a string, too long or holds a line break', async () => {
      expect400(await call('POST', '/topics/user-events', { message: 'x', subject: 5 }), 'Invalid parameter: Subject must be a string (got 5)');
      expect400(await call('POST', '/topics/user-events', { message: 'x', subject: 's'.repeat(101) }), 'Subject must be at most 100 characters (got 101 characters)');
      expect400(await call('POST', '/topics/user-events', { message: 'x', subject: 'a\r\nb' }), 'Subject must not contain line breaks or control characters');
    });

    it('takes more than 10 attributes, and refuses names outside SNS\'s rule', async () => {
      const many = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, 'v']));
      expect((await call('POST', '/topics/user-events', { message: 'x', attributes: many })).status).toBe(200);
      expect400(await call('POST', '/topics/user-events', { message: 'x', attributes: { 'bad name': 'v' } }), 'may contain only A-Z, a-z, 0-9, underscore (_), hyphen (-) and period (.)');
    });
  });

  describe('event source mappings', () => {
    const base = { FunctionName: 'collect', EventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/clicks', StartingPosition: 'LATEST' };

    it('refuses an on-failure destination that names no function', async () => {
      expect400(await call('POST', '/2015-03-31/event-source-mappings', { ...base, DestinationConfig: { OnFailure: { Destination: 'nonexistent-fn' } } }),
        'DestinationConfig.OnFailure.Destination names no function of this host: "nonexistent-fn"');
      expect((await call('GET', '/2015-03-31/event-source-mappings')).json.EventSourceMappings).toEqual([]);
    });

    it('refuses a filter pattern past 4096 characters', async () => {
      const Pattern = JSON.stringify({ data: { kind: ['x'.repeat(100_000)] } });
      expect400(await call('POST', '/2015-03-31/event-source-mappings', { ...base, FilterCriteria: { Filters: [{ Pattern }] } }),
        `FilterCriteria.Filters[0].Pattern must be at most 4096 characters, Lambda's limit (got ${Pattern.length})`);
    });

    it('refuses parameters nested past what JSON.stringify takes with a 400, not a 500', async () => {
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      for (const param of ['BatchSize', 'FunctionResponseTypes', 'StartingPositionTimestamp', 'MaximumRecordAgeInSeconds']) {
        const body = JSON.stringify(base).replace(/}$/, `,"${param}":${deep}}`);
        expect400(await call('POST', '/2015-03-31/event-source-mappings', body), 'JSON cannot show (nested too deep');
      }
      expect((await call('GET', '/2015-03-31/event-source-mappings')).json.EventSourceMappings).toEqual([]);
    });

    it('refuses a StartingPositionTimestamp in the future', async () => {
      expect400(await call('POST', '/2015-03-31/event-source-mappings', { ...base, StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: 1e300 }),
        'StartingPositionTimestamp must be epoch seconds no later than now');
      expect((await call('GET', '/2015-03-31/event-source-mappings')).json.EventSourceMappings).toEqual([]);
    });
  });
});
