/**
 * Source names come from requests: a name that is an Object method or
 * `__proto__` must find no source (a 404), never a method of the config.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';
import { resolve } from 'node:path';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const HOSTILE = ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf'];

describe('sources API: names that are Object methods', () => {
  const state = tempDir();
  let host: Host;
  let url = '';
  beforeAll(async () => {
    host = await createHost({
      rootDir: handlers,
      config: {
        stateDir: state.path,
        functions: { collect: { handler: './sources.mjs#collect' } },
        buckets: { avatars: { maxObjectBytes: 1024 } },
        topics: { news: { subscriptions: [{ function: 'collect' }] } },
        streams: { clicks: { shards: 1 } },
        tables: { users: { partitionKey: 'id' } },
      },
    });
    url = (await host.listen({ port: 0 })).url;
  });
  afterAll(async () => {
    await host?.close();
    state.remove();
  });

  const call = (method: string, path: string, body?: string) => fetch(`${url}${path}`, { method, ...(body !== undefined && { body, headers: { 'content-type': 'application/json' } }) });

  it.each(HOSTILE)('%s is no bucket, topic, stream or table', async (name) => {
    const n = encodeURIComponent(name);
    const answers = await Promise.all([
      call('PUT', `/buckets/${n}/k`, 'x'),
      call('GET', `/buckets/${n}`),
      call('GET', `/buckets/${n}/k`),
      call('DELETE', `/buckets/${n}/k`),
      call('POST', `/topics/${n}`, JSON.stringify({ message: 'hi' })),
      call('POST', `/streams/${n}/records`, JSON.stringify({ records: [{ data: 'aGk=', partitionKey: 'p' }] })),
      call('POST', `/tables/${n}/put`, JSON.stringify({ item: { id: '1' } })),
      call('POST', `/tables/${n}/get`, JSON.stringify({ key: { id: '1' } })),
    ]);
    for (const res of answers) {
      expect({ url: res.url, status: res.status }).toEqual({ url: res.url, status: 404 });
      expect(await res.text()).toMatch(/not exist|NoSuch|not found/i);
    }
  });

  it.each(HOSTILE)('a mapping on stream or table %s is refused and not stored', async (name) => {
    const before = (await (await call('GET', '/2015-03-31/event-source-mappings/')).json()) as { EventSourceMappings: unknown[] };
    for (const arn of [`arn:aws:kinesis:us-east-1:000000000000:stream/${name}`, `arn:aws:dynamodb:us-east-1:000000000000:table/${name}/stream/2020-01-01T00:00:00.000`]) {
      const res = await call('POST', '/2015-03-31/event-source-mappings/', JSON.stringify({ EventSourceArn: arn, FunctionName: 'collect', StartingPosition: 'LATEST' }));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    const after = (await (await call('GET', '/2015-03-31/event-source-mappings/')).json()) as { EventSourceMappings: unknown[] };
    expect(after.EventSourceMappings).toHaveLength(before.EventSourceMappings.length);
  });

  it('a body for a bucket that is an Object method is never read', async () => {
    // `maxObjectBytes` of "hasOwnProperty" used to be undefined: the whole body was read with no limit.
    const res = await call('PUT', '/buckets/hasOwnProperty/k', 'x'.repeat(2 * 1024 * 1024));
    expect(res.status).toBe(404);
  });
});
