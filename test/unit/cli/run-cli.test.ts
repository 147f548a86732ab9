import { describe, expect, it } from 'vitest';
import { cliInProcess } from '../../support/cli.js';

describe('neolith with no command', () => {
  it('is a usage error: the usage on stderr, exit 2 (help asked for goes to stdout, exit 0)', async () => {
    const none = await cliInProcess();
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toContain('Usage: neolith <command>');
    const help = await cliInProcess('--help');
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: neolith <command>');
  });
});

describe('flag values checked before any host is asked', () => {
  it('refuses bad --limit, --url and --window-ms with exit 2 and the help', async () => {
    const cases: Array<[string[], string]> = [
      [['dlq', 'list', '--limit', '0x5', '--url', 'http://127.0.0.1:1'], '--limit must be an integer from 1 to 1000 (got "0x5")'],
      [['invocations', 'list', '--limit', '5000', '--url', 'http://127.0.0.1:1'], '--limit must be an integer from 1 to 1000 (got "5000")'],
      [['logs', 'echo', '--limit', '1e2', '--url', 'http://127.0.0.1:1'], '--limit must be an integer from 0 to 1000 (got "1e2")'],
      [['estimate', '--url', 'notaurl'], '--url must be a URL such as'],
      [['estimate', '--url', 'http://127.0.0.1:1', '--window-ms', '99999999999'], '--window-ms must be a number from 0 to 3600000'],
      [['estimate', '--rate', '0x10', '--duration-ms', '5'], '--rate must be a non-negative number (got "0x10")'],
      [['invocations', 'show', 'some-id', '--wait', '1e0', '--url', 'http://127.0.0.1:1'], '--wait must be a number from 0 to 20 (got "1e0")'],
      [['invocations', 'show', 'some-id', '--wait', '21', '--url', 'http://127.0.0.1:1'], '--wait must be a number from 0 to 20 (got "21")'],
      [['invocations', 'show', 'some-id', '--wait', '1.1234567', '--url', 'http://127.0.0.1:1'], '--wait must have at most 6 digits after the point (got "1.1234567")'],
    ];
    for (const [argv, message] of cases) {
      const result = await cliInProcess(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toContain(message);
    }
  });

  it('reads "-h" after "--" as an argument, not a request for help', async () => {
    const result = await cliInProcess('estimate', '--', '-h');
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain('unexpected argument "-h"');
  });
});

