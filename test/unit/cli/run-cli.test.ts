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
