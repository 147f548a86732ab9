import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { vi } from 'vitest';
import { runCli } from '../../runtime/cli/index.js';

/** What one CLI run printed, and its exit code. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const CLI = resolve(import.meta.dirname, '../../dist/runtime/cli/main.js');

/** Runs the built `neolith` bin in a child process, in `cwd`. */
export async function neolithProcess(args: string[], cwd: string): Promise<CliResult> {
  try {
    // A CLI that hangs is killed rather than outliving its test.
    // The host's log level is the test's to choose, not the shell's that runs the suite.
    const env = { ...process.env };
    delete env.NEOLITH_LOG_LEVEL;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd, timeout: 30_000, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs the CLI in this process, capturing what it prints. */
export async function cliInProcess(...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    return { code: await runCli(argv), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}
