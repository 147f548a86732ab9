import { NeolithError } from '../errors/index.js';
import type { Command } from './command.js';
import { dlqCommand } from './commands/dlq.js';
import { invocationsCommand } from './commands/invocations.js';
import { invokeCommand } from './commands/invoke.js';
import { serveCommand } from './commands/serve.js';
import { logsCommand } from './commands/logs.js';
import { estimateCommand } from './commands/estimate.js';
import { compareCommand } from './commands/compare.js';
import { publishCommand } from './commands/publish.js';
import { putRecordCommand } from './commands/put-record.js';
import { HostRequestError } from './host-request-error.js';
import { UsageError } from './usage-error.js';

const commands: Command[] = [serveCommand, invokeCommand, invocationsCommand, dlqCommand, logsCommand, estimateCommand, compareCommand, publishCommand, putRecordCommand];

const overview = `Usage: neolith <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`).join('\n')}

Run "neolith <command> --help" for a command's options.`;

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // No command is a usage error: the usage goes to stderr, as for every other one.
    process.stderr.write(`${overview}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${overview}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`neolith: unknown command "${name}"\n\n${overview}\n`);
    return 2;
  }
  // After "--" every argument is a value, "-h" too.
  const end = rest.indexOf('--');
  const flags = end < 0 ? rest : rest.slice(0, end);
  if (flags.includes('--help') || flags.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`neolith ${name}: ${error.message}\n\n${command.help}\n`);
      return 2;
    }
    if (error instanceof NeolithError || error instanceof HostRequestError) {
      process.stderr.write(`neolith ${name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

