import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import type { InvocationType } from '../../invoke/index.js';
import type { Command } from '../command.js';
import { layoutFlag, parseFlags } from '../parse-flags.js';
import { HostRequestError } from '../host-request-error.js';
import { hostUrl } from '../host-client.js';
import { UsageError } from '../usage-error.js';

const TYPES = ['RequestResponse', 'Event', 'DryRun'];

export const invokeCommand: Command = {
  name: 'invoke',
  summary: 'invoke a function once and print its result',
  help: `Usage: neolith invoke NAME [options]

Invokes NAME (a function, or a job such as users/getUser) and prints the
result to stdout. Exit code 1 when the function failed.

Options:
  --payload JSON|@FILE  the event (default {})
  --type T              RequestResponse | Event | DryRun (default RequestResponse)
  --log                 print the invocation's log tail to stderr
  --url URL             a running host (e.g. http://127.0.0.1:4000); without it the
                        config is loaded and invoked in this process ($NEOLITH_URL
                        is not read: an in-process invoke is never redirected)
  --config FILE         config file (in-process mode)
  --layout L            nano | micro | mono (in-process mode)
  -h, --help            show this help`,
  async run(args) {
    const { values, positionals } = parseFlags(() => parseArgs({ args, strict: true, allowPositionals: true, options: {
      payload: { type: 'string' }, type: { type: 'string' }, log: { type: 'boolean' }, url: { type: 'string' },
      config: { type: 'string' }, layout: { type: 'string' },
    } }));
    const name = positionals[0];
    if (!name || positionals.length > 1) throw new UsageError('give exactly one function NAME');
    const type = (values.type ?? 'RequestResponse') as InvocationType;
    if (!TYPES.includes(type)) throw new UsageError(`--type must be one of ${TYPES.join(', ')} (got ${JSON.stringify(values.type)})`);
    const payload = readPayload(values.payload);

    if (values.url !== undefined) {
      const url = hostUrl(values.url);
      let response: Response;
      try {
        response = await fetch(`${url}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, {
          method: 'POST',
          headers: { 'X-Amz-Invocation-Type': type, 'X-Amz-Log-Type': values.log ? 'Tail' : 'None', 'content-type': 'application/json' },
          body: payload,
        });
      } catch (error) {
        throw HostRequestError.unreachable(url, error);
      }
      const body = await response.text();
      const log = response.headers.get('x-amz-log-result');
      if (values.log && log) process.stderr.write(Buffer.from(log, 'base64').toString('utf8'));
      if (!response.ok) throw HostRequestError.refused(response, body);
      process.stdout.write(`${body || `(${response.status}, request id ${response.headers.get('x-amzn-requestid')})`}\n`);
      return response.headers.get('x-amz-function-error') ? 1 : 0;
    }

    const layout = layoutFlag(values.layout);
    // Loaded only for an in-process invoke (see serve.ts).
    const { createHost } = await import('../../host.js');
    const host = await createHost({
      ...(values.config && { config: values.config }),
      overrides: { ...(layout && { layout }) },
      // One call's answer is the output: the host's start and close lines would be noise on stderr
      // (warnings still show; NEOLITH_LOG_LEVEL chooses otherwise).
      ...(process.env.NEOLITH_LOG_LEVEL === undefined && { logger: { level: 'warn' } }),
    });
    // Lambda runs handlers in their task root (relative reads such as readFileSync('templates/a.html')).
    process.chdir(host.config.rootDir);
    try {
      const result = await host.invoke(name, Buffer.from(payload), { type, logType: values.log ? 'Tail' : 'None' });
      if (values.log && result.logResult) process.stderr.write(Buffer.from(result.logResult, 'base64').toString('utf8'));
      process.stdout.write(`${result.payload ?? `(${result.statusCode}, request id ${result.requestId})`}\n`);
      return result.functionError ? 1 : 0;
    } finally {
      await host.close();
    }
  },
};

function readPayload(value: string | undefined): string {
  if (value === undefined) return '{}';
  if (!value.startsWith('@')) return value;
  try {
    return readFileSync(value.slice(1), 'utf8');
  } catch (error) {
    throw new UsageError(`--payload ${value}: cannot read the file (${(error as Error).message})`);
  }
}
