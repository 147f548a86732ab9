/** Provisioned environments whose init fails, hangs or exits: the host still starts, nothing loops. */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecutionEnvironment } from '../../runtime/environment/index.js';
import { createHost } from '../../runtime/index.js';
import { serveProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const state = tempDir();
afterAll(() => state.remove());

describe('provisioned concurrency', () => {
  it('neolith serve starts and listens with a provisioned function (init keeps the process alive)', async () => {
    const server = await serveProcess(['--config', join(handlers, 'provisioned.config.json'), '--state', join(state.path, 'serve')]);
    const response = await fetch(`${server.url}/2015-03-31/functions/warm/invocations`, { method: 'POST', body: '{"p":1}' });
    expect((await response.json() as { event: unknown }).event).toEqual({ p: 1 });
    expect(await server.stop(), server.output()).toBe(0);
  });

  it('an init that never finishes is timed out and its thread terminated', async () => {
    const env = new ExecutionEnvironment(128);
    env.bind({
      functionName: 'hang', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:hang',
      memoryMB: 128, logGroupName: '/aws/lambda/hang', logStreamName: 's', moduleUrl: pathToFileURL(join(handlers, 'hang-init.mjs')).href,
      exportName: 'handler', jobBundle: false, env: {}, tmpDir: join(state.path, 'tmp-hang'), ephemeralStorageMB: 512, maxResponseBytes: 6 * 1024 * 1024,
    });
    const exited = new Promise<void>((done) => env.onExit(() => done()));
    const outcome = await env.initialise(300);
    expect(outcome.error).toEqual({ errorType: 'Sandbox.Timedout', errorMessage: 'Init timed out after 0.30 seconds', trace: [] });
    await exited;
    expect(env.state).toBe('dead');
  });

  it('an environment that exits during provisioned init is not respawned in a loop; the first call reports it', async () => {
    const host = await createHost({
      rootDir: handlers,
      config: { stateDir: join(state.path, 'exit'), spareEnvironments: 0, functions: { doomed: { handler: './exit-init.mjs', provisionedConcurrency: 1 } } },
    });
    try {
      const pool = host.registry.get('doomed')!.pool;
      expect(pool.stats()).toMatchObject({ environments: 0, created: 1 });
      const result = await host.invoke('doomed', {});
      expect(result.error).toMatchObject({ errorType: 'Runtime.ExitError' });
      expect(pool.stats().created).toBe(2);
    } finally {
      await host.close();
    }
  });
});
