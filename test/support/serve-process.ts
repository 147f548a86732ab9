import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll } from 'vitest';

const CLI = resolve(import.meta.dirname, '../../dist/runtime/cli/main.js');

/** A `neolith serve` child process on a free port. */
export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

/**
 * Children still running. A test that times out never reaches its own stop(), and vitest ends a worker
 * kept alive by their pipes with SIGTERM, which runs no 'exit' handler: they are killed once the test
 * file's tests have run (registered as the file imports this module).
 */
const live = new Set<ChildProcess>();
afterAll(() => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts `neolith serve ARGS --port 0` and resolves once it says where it listens. */
export function serveProcess(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  live.add(child);
  void exited.then(() => live.delete(child));
  return new Promise((resolveStart, rejectStart) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        resolveStart({
          url: match[1]!,
          child,
          output: () => output,
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
          kill: async () => {
            child.kill('SIGKILL');
            await exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    void exited.then((code) => rejectStart(new Error(`neolith serve exited with ${code} before listening:\n${output}`)));
  });
}
