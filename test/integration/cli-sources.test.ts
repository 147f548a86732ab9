/** `neolith publish` and `neolith put-record` against a real `neolith serve`: what they send reaches the subscribed and mapped functions. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { serveProcess, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';
import { neolithProcess } from '../support/cli.js';

const sources = resolve(import.meta.dirname, '../fixtures/handlers/sources.mjs');
const state = tempDir('neolith-cli-sources-');
const out = join(state.path, 'out.jsonl');
let server: ServeProcess;

const neolith = (args: string[]) => neolithProcess(args, state.path);

const lines = (fn: string) => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { name: string; event: any }).filter((l) => l.name === fn) : []);

beforeAll(async () => {
  const config = join(state.path, 'neolith.config.json');
  const fn = { handler: `${sources}#collect`, environment: { OUT: out } };
  writeFileSync(config, JSON.stringify({
    functions: { clicks: fn, gold: fn },
    streams: { clicks: { shards: 2 } },
    topics: { 'user-events': { subscriptions: [{ function: 'gold', filterPolicy: { tier: ['gold'] } }] } },
    eventSourceMappings: [{ source: 'stream:clicks', function: 'clicks', batchSize: 10 }],
  }));
  server = await serveProcess(['--config', config, '--state', join(state.path, 'state')]);
});

afterAll(async () => {
  await server?.stop();
  state.remove();
});

describe('neolith publish / put-record', () => {
  it('print their help', async () => {
    for (const command of ['publish', 'put-record']) {
      const help = await neolith([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: neolith ${command}`);
    }
    expect((await neolith(['--help'])).stdout).toMatch(/publish[\s\S]*put-record/);
  });

  it('put-record appends a record that the stream\'s mapping delivers', async () => {
    const put = await neolith(['put-record', 'clicks', '--partition-key', 'user-1', '--data', '{"click":1}', '--url', server.url]);
    expect(put).toMatchObject({ code: 0, stderr: '' });
    const record = JSON.parse(put.stdout) as { SequenceNumber: string; ShardId: string };
    expect(record).toEqual({ SequenceNumber: expect.stringMatching(/^\d+$/), ShardId: expect.stringMatching(/^shardId-\d{12}$/) });
    await vi.waitFor(() => expect(lines('clicks')).toHaveLength(1), { timeout: 10_000, interval: 20 });
    const [delivered] = lines('clicks')[0]!.event.Records;
    expect(delivered.kinesis).toMatchObject({ partitionKey: 'user-1', sequenceNumber: record.SequenceNumber });
    expect(Buffer.from(delivered.kinesis.data, 'base64').toString()).toBe('{"click":1}');
    expect(delivered.eventID).toBe(`${record.ShardId}:${record.SequenceNumber}`);
  });

  it('publish fans a message out to the subscribers whose filter policy matches', async () => {
    const silver = await neolith(['publish', 'user-events', 'not for gold', '--attributes', '{"tier":"silver"}', '--url', server.url]);
    expect(silver.code).toBe(0);
    const gold = await neolith(['publish', 'user-events', 'hello gold', '--attributes', '{"tier":"gold","spend":150}', '--subject', 'hi', '--url', server.url]);
    expect(gold).toMatchObject({ code: 0, stderr: '' });
    const { MessageId } = JSON.parse(gold.stdout) as { MessageId: string };
    expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);
    await vi.waitFor(() => expect(lines('gold')).toHaveLength(1), { timeout: 10_000, interval: 20 });
    expect(lines('gold')[0]!.event.Records[0].Sns).toMatchObject({
      MessageId, Message: 'hello gold', Subject: 'hi', MessageAttributes: { tier: { Type: 'String', Value: 'gold' }, spend: { Type: 'Number', Value: '150' } },
    });
  });

  it('refuse bad usage with exit code 2 and the help, and host errors with exit code 1', async () => {
    const noKey = await neolith(['put-record', 'clicks', '--data', '1', '--url', server.url]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/--partition-key is required[\s\S]*Usage: neolith put-record/);
    expect((await neolith(['put-record', 'clicks', '--partition-key', 'k', '--data', '{oops', '--url', server.url])).stderr).toContain('--data must be JSON');
    expect((await neolith(['put-record', '--partition-key', 'k', '--data', '1'])).stderr).toContain('give exactly one STREAM');
    expect((await neolith(['publish', 'user-events'])).stderr).toContain('give a TOPIC and a MESSAGE');
    const attrs = await neolith(['publish', 'user-events', 'm', '--attributes', '[1]', '--url', server.url]);
    expect(attrs.code).toBe(2);
    expect(attrs.stderr).toContain('--attributes must be a JSON object (got [1])');
    const unknown = await neolith(['put-record', 'nope', '--partition-key', 'k', '--data', '1', '--url', server.url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^neolith put-record: ResourceNotFoundException \(404\): .*nope/);
    const topic = await neolith(['publish', 'nope', 'm', '--url', server.url]);
    expect(topic.code).toBe(1);
    expect(topic.stderr).toMatch(/^neolith publish: ResourceNotFoundException \(404\)/);
  });
});
