import { NeolithError } from '../errors/index.js';
import type { Command } from './command.js';
import { invokeCommand } from './commands/invoke.js';
import { serveCommand } from './commands/serve.js';
import { UsageError } from './usage-error.js';

const commands: Command[] = [serveCommand, invokeCommand];

const overview = `Usage: neolith <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`).join('\n')}

Run "neolith <command> --help" for a command's options.`;

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${overview}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`neolith: unknown command "${name}"\n\n${overview}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
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
    if (error instanceof NeolithError) {
      process.stderr.write(`neolith ${name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

