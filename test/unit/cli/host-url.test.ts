import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_HOST_URL, hostUrl } from '../../../runtime/cli/host-client.js';
import { cliInProcess } from '../../support/cli.js';

describe('hostUrl', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('takes --url, else $NEOLITH_URL, else the default, without a trailing slash', () => {
    vi.stubEnv('NEOLITH_URL', '');
    expect(hostUrl(undefined)).toBe(DEFAULT_HOST_URL);
    vi.stubEnv('NEOLITH_URL', 'http://10.0.0.5:4100/');
    expect(hostUrl(undefined)).toBe('http://10.0.0.5:4100');
    expect(hostUrl('https://h.example:8443//')).toBe('https://h.example:8443');
  });

  it('names where a bad address came from', () => {
    vi.stubEnv('NEOLITH_URL', 'localhost:4000');
    expect(() => hostUrl(undefined)).toThrow('$NEOLITH_URL must be a URL such as http://127.0.0.1:4000 (got "localhost:4000")');
    expect(() => hostUrl('notaurl')).toThrow('--url must be a URL');
    expect(() => hostUrl('ftp://x')).toThrow('--url must be a URL');
    expect(() => hostUrl('')).toThrow('--url must be a URL');
  });
});

describe('client commands read $NEOLITH_URL', () => {
  const paths: string[] = [];
  let server: Server;
  beforeAll(async () => {
    server = createServer((request, response) => {
      paths.push(`${request.method} ${request.url}`);
      response.setHeader('content-type', 'application/json');
      const answers: Record<string, string> = { logs: '{"entries":[]}', topics: '{"MessageId":"m-1"}', streams: '{"Records":[{"SequenceNumber":"1","ShardId":"s"}]}' };
      response.end(paths.length > 5 ? '{}' : (answers[request.url!.split(/[/?]/)[1]!] ?? '{"ok":true}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    vi.stubEnv('NEOLITH_URL', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await new Promise((resolve) => server.close(resolve));
  });

  it('for invocations, dlq, logs, publish and put-record, and --url still wins', async () => {
    for (const argv of [
      ['invocations', 'list'],
      ['dlq', 'list'],
      ['logs', 'fn'],
      ['publish', 'topic', 'hello'],
      ['put-record', 'stream', '--partition-key', 'k', '--data', '{}'],
    ]) {
      const result = await cliInProcess(...argv);
      expect(result, argv.join(' ')).toMatchObject({ code: 0, stderr: '' });
    }
    expect(paths.map((path) => path.split('?')[0])).toEqual([
      'GET /invocations', 'GET /dead-letters', 'GET /logs', 'POST /topics/topic', 'POST /streams/stream/records',
    ]);
    const overridden = await cliInProcess('dlq', 'list', '--url', 'http://127.0.0.1:9');
    expect(overridden.code).toBe(1);
    expect(overridden.stderr).toContain('cannot reach a neolith host at http://127.0.0.1:9');
    expect(paths).toHaveLength(5);
  });

  it('say so when the host answers without what a neolith host sends', async () => {
    for (const argv of [['publish', 'topic', 'hello'], ['put-record', 'stream', '--partition-key', 'k', '--data', '{}']]) {
      const result = await cliInProcess(...argv);
      expect(result.code, argv[0]).toBe(1);
      expect(result.stderr).toMatch(/^neolith \S+: http:\/\/127\.0\.0\.1:\d+ answered the \S+ without a \S+: is it a neolith host\?\n$/);
    }
  });
});
