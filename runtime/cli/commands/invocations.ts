import { parseArgs } from 'node:util';
// The module itself, not the http part's face: the CLI loads nothing of a host before it needs it.
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, MAX_WAIT_SECONDS, WAIT_SECONDS_PATTERN } from '../../http/invocations-limits.js';
import type { Command } from '../command.js';
import { HOST_URL_HELP, hostUrl, requestHost } from '../host-client.js';
import { decimalFlag, integerFlag, parseFlags } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';

export const invocationsCommand: Command = {
  name: 'invocations',
  summary: 'show async invocation records of a running host',
  help: `Usage: neolith invocations show ID [--wait SECONDS] [--url URL]
       neolith invocations list [--function NAME] [--status S] [--limit N] [--url URL]

Reads async (Event) invocation records: QUEUED → RUNNING → SUCCEEDED | FAILED | EXPIRED,
with attempts, timestamps, result or error, and log tail.

Options:
  --url URL         ${HOST_URL_HELP}
  --wait SECONDS    show: wait up to SECONDS (≤ ${MAX_WAIT_SECONDS}) for the record to be final
  --function NAME   list: only this function
  --status S        list: only QUEUED, RUNNING, SUCCEEDED, FAILED or EXPIRED
  --limit N         list: at most N records (1–${MAX_LIST_LIMIT}), newest first (default ${DEFAULT_LIST_LIMIT})
  -h, --help        show this help`,
  async run(args) {
    const { values, positionals } = parseFlags(() => parseArgs({ args, strict: true, allowPositionals: true, options: {
      url: { type: 'string' }, wait: { type: 'string' }, function: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' },
    } }));
    const url = hostUrl(values.url);
    const [action, id, ...rest] = positionals;
    if (action === 'show' && id && rest.length === 0) {
      let query = '';
      if (values.wait !== undefined) {
        decimalFlag('--wait', values.wait, { max: MAX_WAIT_SECONDS });
        // Sent as written, in the host's own format: a number printed back could read 1e-7.
        if (!WAIT_SECONDS_PATTERN.test(values.wait)) throw new UsageError(`--wait must have at most 6 digits after the point (got ${JSON.stringify(values.wait.slice(0, 64))})`);
        query = `?wait=${values.wait}`;
      }
      print(await requestHost(url, `/invocations/${encodeURIComponent(id)}${query}`));
      return 0;
    }
    if (action === 'list' && !id) {
      const query = new URLSearchParams();
      if (values.function) query.set('function', values.function);
      if (values.status) query.set('status', values.status);
      if (values.limit !== undefined) query.set('limit', String(integerFlag('--limit', values.limit, 1, MAX_LIST_LIMIT)));
      print(await requestHost(url, `/invocations?${query}`));
      return 0;
    }
    throw new UsageError('say "show ID" or "list"');
  },
};

export function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
