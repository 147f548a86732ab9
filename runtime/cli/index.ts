export { runCli } from './run-cli.js';
export { UsageError } from './usage-error.js';
export type { Command } from './command.js';
