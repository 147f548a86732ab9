// `neolith invoke` with a payload the host must refuse: not JSON, or over the 6 MB sync limit.
// In-process and against a running host (--url): exit code 1, one clear line on stderr, nothing on
// stdout, and nothing run — the fixture writes a line to $MARK_FILE when it is loaded or invoked.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cliInProcess, neolithProcess } from '../support/cli.js';
import { serveProcess, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';

const dir = tempDir();
const config = join(dir.path, 'marks.config.json');
const markFile = join(dir.path, 'marks.txt');
const bigFile = join(dir.path, 'seven-mb.json');
const SYNC_LIMIT = 6 * 1024 * 1024;
// 7 MB of valid JSON: the size alone is what is wrong with it.
const sevenMb = `[${' '.repeat(7 * 1024 * 1024 - 2)}]`;
let server: ServeProcess;

const neolith = (args: string[]) => neolithProcess(args, dir.path);
/** What ran: one line per environment loaded and per invocation. */
const marks = (): string[] => (existsSync(markFile) ? readFileSync(markFile, 'utf8').split('\n').filter(Boolean) : []);

beforeAll(async () => {
  writeFileSync(config, JSON.stringify({
    stateDir: join(dir.path, 'in-process-state'),
    functions: {
      marks: { handler: resolve(import.meta.dirname, '../fixtures/handlers/marks.mjs'), environment: { MARK_FILE: markFile } },
    },
  }));
  writeFileSync(bigFile, sevenMb);
  server = await serveProcess(['--config', config, '--state', join(dir.path, 'serve-state')]);
});

afterAll(async () => {
  const code = await server?.stop();
  dir.remove();
  expect(code, server?.output()).toBe(0);
});

describe('neolith invoke --payload that is not JSON', () => {
  it('in-process: exit 1, Lambda’s InvalidRequestContent words on stderr, nothing run', async () => {
    const result = await neolith(['invoke', 'marks', '--config', config, '--payload', 'not json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^neolith invoke: Could not parse request body into json: .*"not json" is not valid JSON\n/m);
    expect(result.stderr).not.toContain('    at ');
    expect(marks()).toEqual([]);
  });

  it('with --url: exit 1, the host’s 400 InvalidRequestContentException on stderr, nothing run', async () => {
    const result = await neolith(['invoke', 'marks', '--url', server.url, '--payload', 'not json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^neolith invoke: InvalidRequestContentException \(400\): Could not parse request body into json: .*"not json" is not valid JSON\n$/);
    expect(marks()).toEqual([]);
  });
});

describe('neolith invoke --payload over the 6 MB sync limit', () => {
  it('in-process, from a file: exit 1, RequestTooLarge with the limit and the size, nothing run', async () => {
    const result = await neolith(['invoke', 'marks', '--config', config, '--payload', `@${bigFile}`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^neolith invoke: Request must be smaller than ${SYNC_LIMIT} bytes for the InvokeFunction operation \\(got ${sevenMb.length}\\)\\n`, 'm'));
    expect(result.stderr).not.toContain('    at ');
    expect(marks()).toEqual([]);
  });

  // A 7 MB argv string is past Linux's per-argument limit (128 KB), so the literal form is run in this process.
  it('in-process, given literally: the same refusal', async () => {
    // The host logger writes to fd 2 itself, past cliInProcess's capture: quiet it.
    vi.stubEnv('NEOLITH_LOG_LEVEL', 'silent');
    const result = await cliInProcess('invoke', 'marks', '--config', config, '--payload', sevenMb).finally(() => vi.unstubAllEnvs());
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`neolith invoke: Request must be smaller than ${SYNC_LIMIT} bytes for the InvokeFunction operation (got ${sevenMb.length})\n`);
    expect(marks()).toEqual([]);
  });

  it('with --url: exit 1, the host’s 413 RequestTooLargeException on stderr, nothing run', async () => {
    const result = await neolith(['invoke', 'marks', '--url', server.url, '--payload', `@${bigFile}`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^neolith invoke: RequestTooLargeException \\(413\\): Request must be smaller than ${SYNC_LIMIT} bytes for the InvokeFunction operation \\(got at least ${sevenMb.length}\\)\\n$`));
    expect(marks()).toEqual([]);
  });
});

describe('the same commands with a good payload', () => {
  // Shows the marks above would have been written had anything run.
  it('run the function, in-process and with --url', async () => {
    const local = await neolith(['invoke', 'marks', '--config', config, '--payload', '{"via":"in-process"}']);
    expect(local.code).toBe(0);
    expect(JSON.parse(local.stdout)).toEqual({ marked: { via: 'in-process' } });
    // Only the answer: no host start and close lines from the in-process host.
    expect(local.stderr).toBe('');
    const remote = await neolith(['invoke', 'marks', '--url', server.url, '--payload', '{"via":"url"}']);
    expect(remote.code).toBe(0);
    expect(JSON.parse(remote.stdout)).toEqual({ marked: { via: 'url' } });
    expect(marks()).toEqual(['init', 'invoke {"via":"in-process"}', 'init', 'invoke {"via":"url"}']);
    rmSync(markFile);
  });
});
