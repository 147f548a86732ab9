import { fileURLToPath } from 'node:url';
import madge from 'madge';
import { describe, expect, it } from 'vitest';

// The built copy: `npm test` builds first, and the bin runs the built CLI.
const RUN_CLI = fileURLToPath(new URL('../../../dist/runtime/cli/run-cli.js', import.meta.url));

describe('CLI start-up', () => {
  it('loads the host, its backends, the gateway and compare only in the commands that use them', async () => {
    // Static imports only: what every command pays before it runs (~1 s more when the host came along).
    const graph = await madge(RUN_CLI, { detectiveOptions: { es6: { skipAsyncImports: true } } });
    const loaded = Object.keys(graph.obj());
    expect(loaded).toContain('commands/dlq.js');
    expect(loaded.filter((m) => /(^|\/)(host\.js|compare\/|graphql\/|backend\/|environment\/|invoke\/|sources\/)/.test(m))).toEqual([]);
  });
});
