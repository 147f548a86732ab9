#!/usr/bin/env node
// The `neolith` bin: runs the CLI and sets the exit code.
import { runCli } from './run-cli.js';

// Lambda runs functions in UTC; environments are threads of this process and share its time zone.
process.env.TZ = 'UTC';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`neolith: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
