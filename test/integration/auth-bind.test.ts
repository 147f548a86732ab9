import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serveProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';

const noAuth = resolve(import.meta.dirname, '../fixtures/handlers/api.config.json');
const withAuth = resolve(import.meta.dirname, '../fixtures/http/http.config.json');
const state = tempDir();
afterAll(() => state.remove());

describe('binding beyond loopback', () => {
  it('refuses a non-loopback address without auth, saying why and what to do', async () => {
    const failed = await serveProcess(['--config', noAuth, '--state', state.path, '--host', '0.0.0.0']).then(
      async (server) => {
        await server.stop();
        throw new Error('expected the host to refuse to start');
      },
      (error: Error) => error.message,
    );
    expect(failed).toContain('refusing to listen on 0.0.0.0: the config has no auth section');
    expect(failed).toContain('--insecure');
  });

  it('serves it with --insecure, or when auth is configured', async () => {
    for (const args of [['--config', noAuth, '--insecure'], ['--config', withAuth]]) {
      const server = await serveProcess([...args, '--state', state.path, '--host', '0.0.0.0'], { env: { NEOLITH_TEST_BOB_SECRET: 'b' } });
      expect(server.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      expect(await server.stop()).toBe(0);
    }
  });
});
