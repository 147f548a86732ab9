import { parseArgs } from 'node:util';
// The module itself, not the http part's face: the CLI loads nothing of a host before it needs it.
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../../http/invocations-limits.js';
import type { Command } from '../command.js';
import { HOST_URL_HELP, hostUrl, requestHost } from '../host-client.js';
import { integerFlag, parseFlags } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';
import { print } from './invocations.js';

export const dlqCommand: Command = {
  name: 'dlq',
  summary: 'list, inspect, redrive or delete dead letters of a running host',
  help: `Usage: neolith dlq list [--function NAME] [--limit N] [--url URL]
       neolith dlq show ID [--url URL]
       neolith dlq redrive ID [--url URL]
       neolith dlq delete ID [--url URL]

Dead letters are async events whose retries ran out or that expired, when the
function's async.onFailure is "dlq" (the default). Redrive enqueues the original
event again as a new invocation (a new request id) and removes the dead letter.

Options:
  --url URL         ${HOST_URL_HELP}
  --function NAME   list: only this function
  --limit N         list: at most N (1–${MAX_LIST_LIMIT}), newest first (default ${DEFAULT_LIST_LIMIT})
  -h, --help        show this help`,
  async run(args) {
    const { values, positionals } = parseFlags(() => parseArgs({ args, strict: true, allowPositionals: true, options: {
      url: { type: 'string' }, function: { type: 'string' }, limit: { type: 'string' },
    } }));
    const url = hostUrl(values.url);
    const [action, id, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError('too many arguments');
    const path = id === undefined ? '' : `/dead-letters/${encodeURIComponent(id)}`;
    if (action === 'list' && !id) {
      const query = new URLSearchParams();
      if (values.function) query.set('function', values.function);
      if (values.limit !== undefined) query.set('limit', String(integerFlag('--limit', values.limit, 1, MAX_LIST_LIMIT)));
      print(await requestHost(url, `/dead-letters?${query}`));
      return 0;
    }
    if (action === 'show' && id) {
      print(await requestHost(url, path));
      return 0;
    }
    if (action === 'redrive' && id) {
      print(await requestHost(url, `${path}/redrive`, { method: 'POST' }));
      return 0;
    }
    if (action === 'delete' && id) {
      await requestHost(url, path, { method: 'DELETE' });
      process.stdout.write(`deleted ${id}\n`);
      return 0;
    }
    throw new UsageError('say "list", "show ID", "redrive ID" or "delete ID"');
  },
};
