import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { serveProcess, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';
import { stopAndClean } from '../support/stop-and-clean.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const dirs: Array<{ remove: () => void }> = [];
const servers: ServeProcess[] = [];
const EVENTS = 16;
const redisPrefixes: string[] = [];

afterAll(() => stopAndClean({ servers, dirs, redisPrefixes }));

/** async.config.json with extra keys, written to a temp folder with absolute handler paths. */
function configWith(extra: Record<string, unknown>): string {
  const base = JSON.parse(readFileSync(join(handlers, 'async.config.json'), 'utf8')) as { functions: Record<string, { handler: string }> };
  for (const fn of Object.values(base.functions)) fn.handler = join(handlers, fn.handler);
  const dir = tempDir();
  dirs.push(dir);
  const file = join(dir.path, 'neolith.config.json');
  writeFileSync(file, JSON.stringify({ ...base, ...extra }));
  return file;
}

async function start(args: string[]): Promise<ServeProcess> {
  const server = await serveProcess(args);
  servers.push(server);
  return server;
}

async function sendEvents(url: string): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < EVENTS; n++) {
    const response = await fetch(`${url}/2015-03-31/functions/slow/invocations`, {
      method: 'POST', headers: { 'X-Amz-Invocation-Type': 'Event' }, body: JSON.stringify({ n, ms: 250 }),
    });
    expect(response.status).toBe(202);
    ids.push(response.headers.get('x-amzn-requestid')!);
  }
  return ids;
}

async function runningCount(url: string): Promise<number> {
  const body = await (await fetch(`${url}/invocations?function=slow&status=RUNNING`)).json() as { invocations: unknown[] };
  return body.invocations.length;
}

async function expectAllSucceeded(url: string, ids: string[]): Promise<void> {
  const records = await Promise.all(ids.map(async (id) => (await fetch(`${url}/invocations/${id}?wait=20`)).json() as Promise<{ status: string; result: string }>));
  expect(records.map((r) => r.status)).toEqual(ids.map(() => 'SUCCEEDED'));
  expect(records.map((r) => JSON.parse(r.result).done).sort((a, b) => a - b)).toEqual([...Array(EVENTS).keys()]);
}

describe('a host killed with SIGKILL loses no accepted event', () => {
  it('sqlite: events accepted or running when the host died run after restart', async () => {
    const state = tempDir();
    dirs.push(state);
    const config = join(handlers, 'async.config.json');
    const first = await start(['--config', config, '--state', state.path]);
    const ids = await sendEvents(first.url);
    await vi.waitFor(async () => expect(await runningCount(first.url)).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
    await first.kill();
    const second = await start(['--config', config, '--state', state.path]);
    await expectAllSucceeded(second.url, ids);
    expect(await second.stop(), second?.output()).toBe(0);
  }, 60_000);

  it('redis: events of a killed host are finished by another host on the same Redis', async () => {
    const prefix = `crash-${randomUUID()}`;
    redisPrefixes.push(prefix);
    const config = configWith({ backend: 'redis', redisPrefix: prefix });
    const stateA = tempDir();
    const stateB = tempDir();
    dirs.push(stateA, stateB);
    const a = await start(['--config', config, '--state', stateA.path]);
    const b = await start(['--config', config, '--state', stateB.path]);
    const ids = await sendEvents(a.url);
    await vi.waitFor(async () => expect(await runningCount(a.url)).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
    await a.kill();
    await expectAllSucceeded(b.url, ids);
    expect(await b.stop(), b?.output()).toBe(0);
  }, 60_000);
});
