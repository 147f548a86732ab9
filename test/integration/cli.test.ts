import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serveProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';
import { neolithProcess } from '../support/cli.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const config = resolve(handlers, 'api.config.json');
const state = tempDir();
afterAll(() => state.remove());

const neolith = (args: string[]) => neolithProcess(args, state.path);

// Each test runs 4–10 node processes one after another; a `serve` loads the whole host: ~1.5 s on an idle
// 2-core machine, 2–5 s when the other test file running beside it keeps both cores busy.
describe('neolith CLI', { timeout: 60_000 }, () => {
  it('prints help for the CLI and for each command', async () => {
    const top = await neolith(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/serve[\s\S]*invoke/);
    for (const command of ['serve', 'invoke']) {
      const help = await neolith([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: neolith ${command}`);
    }
  });

  it('says in one line, without a stack, that a host cannot be reached, a --url is not one, or a port is taken', async () => {
    const down = await neolith(['invoke', 'echo', '--url', 'http://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^neolith invoke: cannot reach a neolith host at http:\/\/127\.0\.0\.1:1 \(.+\); start one with "neolith serve" or pass --url\n$/);
    const notUrl = await neolith(['invoke', 'echo', '--url', 'notaurl']);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toContain('--url must be a URL such as http://127.0.0.1:4000 (got "notaurl")');
    const server = await serveProcess(['--config', config, '--state', state.path, '--port', '0']);
    try {
      const port = new URL(server.url).port;
      const taken = await neolith(['serve', '--config', config, '--state', `${state.path}/second`, '--port', port]);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
      // A busy port is not a mistake in the config.
      expect(taken.stderr).not.toContain('Invalid neolith config');
      expect(taken.stderr).not.toContain('    at ');
    } finally {
      await server.stop();
    }
  });

  it('says in one line why it cannot listen on a --host, or use a --state', async () => {
    const foreign = await neolith(['serve', '--config', config, '--state', state.path, '--host', '192.0.2.1', '--port', '0', '--insecure']);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/^neolith serve: cannot listen on 192\.0\.2\.1 port 0: the address is not one of this machine's/m);
    const unnamed = await neolith(['serve', '--config', config, '--state', state.path, '--host', 'no-such-host.invalid', '--port', '0', '--insecure']);
    expect(unnamed.code).toBe(1);
    expect(unnamed.stderr).toMatch(/^neolith serve: cannot listen on no-such-host\.invalid port 0: the host name (does not resolve|could not be resolved)/m);
    const file = `${state.path}/a-file`;
    writeFileSync(file, '');
    const stateless = await neolith(['serve', '--config', config, '--state', `${file}/state`, '--port', '0']);
    expect(stateless.code).toBe(1);
    expect(stateless.stderr).toBe(`neolith serve: cannot create the state directory ${file}/state (--state or stateDir): ENOTDIR: not a directory, mkdir '${file}/state'\n`);
    // Under /proc the kernel refuses to make the folder though its parent exists (Node's recursive mkdir spun forever on it).
    const procState = '/proc/neolith-no-such/state';
    const unmakeable = process.platform === 'linux' ? await neolith(['serve', '--config', config, '--state', procState, '--port', '0']) : undefined;
    if (unmakeable) {
      expect(unmakeable.code).toBe(1);
      expect(unmakeable.stderr).toBe(`neolith serve: cannot create the state directory ${procState} (--state or stateDir): ENOENT: no such file or directory, mkdir '/proc/neolith-no-such'\n`);
    }
    // An IPv6 link-local address without its zone cannot be bound either.
    const zoneless = await neolith(['serve', '--config', config, '--state', state.path, '--host', 'fe80::1', '--port', '0', '--insecure']);
    expect(zoneless.code).toBe(1);
    expect(zoneless.stderr).toMatch(/^neolith serve: cannot listen on fe80::1 port 0: /m);
    for (const result of [foreign, unnamed, stateless, zoneless, ...(unmakeable ? [unmakeable] : [])]) expect(result.stderr).not.toContain('    at ');
  });

  it('refuses unknown commands, flags and values with exit code 2 and the help', async () => {
    expect((await neolith(['frobnicate'])).code).toBe(2);
    const flag = await neolith(['serve', '--nope']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/Unknown option '--nope'[\s\S]*Usage: neolith serve/);
    const layout = await neolith(['serve', '--layout', 'huge']);
    expect(layout.stderr).toContain('--layout must be nano, micro or mono (got "huge")');
    expect((await neolith(['invoke'])).stderr).toContain('give exactly one function NAME');
    expect((await neolith(['invoke', 'echo', '--type', 'Later'])).code).toBe(2);
    expect((await neolith(['invoke', 'echo', '--payload', '@/does/not/exist'])).stderr).toContain('cannot read the file');
  });

  it('reports config mistakes with exit code 1, naming each', async () => {
    const result = await neolith(['invoke', 'echo', '--config', resolve(handlers, 'missing.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('config file must exist');
  });

  it('invokes in-process, printing the result and (with --log) the log tail', async () => {
    const result = await neolith(['invoke', 'echo', '--config', config, '--payload', '{"via":"cli"}', '--log']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).event).toEqual({ via: 'cli' });
    expect(result.stderr).toMatch(/^START RequestId: [\s\S]*REPORT RequestId: .*Init Duration/m);
    const failed = await neolith(['invoke', 'throws', '--config', config]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout).errorType).toBe('ValidationError');
    const dry = await neolith(['invoke', 'strict', '--config', config, '--type', 'DryRun', '--payload', '{}']);
    expect(dry.code).toBe(1);
    expect(dry.stderr).toContain('does not match the inputSchema');
  });

  it('runs handlers in their task root, wherever the CLI was started', async () => {
    const cwdConfig = `${state.path}/cwd.config.json`;
    writeFileSync(cwdConfig, JSON.stringify({ stateDir: `${state.path}/cwd-state`, functions: { cwd: { handler: resolve(handlers, 'cwd.mjs') } } }));
    const result = await neolithProcess(['invoke', 'cwd', '--config', cwdConfig], '/');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ cwd: state.path, root: state.path });
  });

  it('invokes a running host with --url', async () => {
    const server = await serveProcess(['--config', config, '--state', state.path]);
    try {
      const result = await neolith(['invoke', 'echo', '--url', server.url, '--payload', '{"remote":true}']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).event).toEqual({ remote: true });
      const missing = await neolith(['invoke', 'nope', '--url', server.url]);
      expect(missing.code).toBe(1);
      // The message, not the raw JSON body.
      expect(missing.stderr).toMatch(/^neolith invoke: ResourceNotFoundException \(404\): Function not found: \S+nope\n$/);
    } finally {
      expect(await server.stop(), server?.output()).toBe(0);
    }
  });
});

describe('neolith invocations and dlq against a running host', { timeout: 60_000 }, () => {
  it('shows records, lists, and redrives dead letters', async () => {
    const server = await serveProcess(['--config', resolve(handlers, 'async.config.json'), '--state', state.path]);
    try {
      const accepted = await fetch(`${server.url}/2015-03-31/functions/throws/invocations`, { method: 'POST', body: '{"x":1}', headers: { 'X-Amz-Invocation-Type': 'Event' } });
      const id = accepted.headers.get('x-amzn-requestid')!;
      const shown = await neolith(['invocations', 'show', id, '--wait', '10', '--url', server.url]);
      expect(shown.code).toBe(0);
      expect(JSON.parse(shown.stdout)).toMatchObject({ id, status: 'FAILED', attempts: 2 });
      const listed = await neolith(['invocations', 'list', '--function', 'throws', '--url', server.url]);
      expect(JSON.parse(listed.stdout).invocations.map((r: { id: string }) => r.id)).toContain(id);
      const letters = JSON.parse((await neolith(['dlq', 'list', '--url', server.url])).stdout).deadLetters as Array<{ id: string; event: { requestId: string } }>;
      const letter = letters.find((d) => d.event.requestId === id)!;
      expect(letter).toBeDefined();
      expect(JSON.parse((await neolith(['dlq', 'show', letter.id, '--url', server.url])).stdout).condition).toBe('RetriesExhausted');
      const redriven = JSON.parse((await neolith(['dlq', 'redrive', letter.id, '--url', server.url])).stdout);
      expect(redriven.id).not.toBe(id);
      const again = await neolith(['dlq', 'show', letter.id, '--url', server.url]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('ResourceNotFoundException (404)');
      expect((await neolith(['dlq', 'frob', '--url', server.url])).code).toBe(2);
    } finally {
      expect(await server.stop(), server?.output()).toBe(0);
    }
  });

  it('says clearly when no host answers', async () => {
    const result = await neolith(['invocations', 'list', '--url', 'http://127.0.0.1:9']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach a neolith host at http://127.0.0.1:9');
  });
});
