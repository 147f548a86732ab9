import { parseArgs } from 'node:util';
import type { InvocationLogEntry } from '../../observe/index.js';
import type { Command } from '../command.js';
import { HOST_URL_HELP, hostUrl, requestHost } from '../host-client.js';
import { fetchHost } from '../host-stream.js';
import { integerFlag, parseFlags } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';

export const logsCommand: Command = {
  name: 'logs',
  summary: 'print or follow a function\'s logs from a running host',
  help: `Usage: neolith logs FUNCTION [options]

Prints a function's logs from a running host, as Lambda writes them to
CloudWatch: per invocation START, the function's own output, END and REPORT
(duration, billed duration, memory, init duration on cold starts). FUNCTION
is a function name or a job (users/getUser: the logs of the function holding
it). Logs are kept in the host's memory, the most recent per function.

Options:
  --request-id ID   only that invocation's log
  -f, --follow      keep printing new invocations' logs until interrupted
  --limit N         recent invocations printed first (default 20, or 0 with --follow)
  --json            one JSON entry per line: { requestId, functionName, time, text }
  --url URL         ${HOST_URL_HELP}
  -h, --help        show this help`,
  async run(args) {
    const { values, positionals } = parseFlags(() => parseArgs({ args, strict: true, allowPositionals: true, options: {
      'request-id': { type: 'string' }, follow: { type: 'boolean', short: 'f' }, limit: { type: 'string' }, json: { type: 'boolean' },
      url: { type: 'string' },
    } }));
    const name = positionals[0];
    if (!name || positionals.length > 1) throw new UsageError('give exactly one FUNCTION');
    const requestId = values['request-id'];
    if (requestId !== undefined && values.follow) throw new UsageError('--request-id and --follow do not go together: an invocation\'s log is complete once it is listed');
    const limit = values.limit === undefined ? (values.follow ? 0 : 20) : integerFlag('--limit', values.limit, 0, 1000);
    const url = hostUrl(values.url);
    const print = (entry: InvocationLogEntry) => process.stdout.write(values.json ? `${JSON.stringify(entry)}\n` : entry.text);
    const query = new URLSearchParams({ function: name });
    if (values.follow) return follow(url, query, limit, print);
    if (requestId !== undefined) query.set('requestId', requestId);
    else query.set('limit', String(limit));
    const { entries } = (await requestHost(url, `/logs?${query}`)) as { entries: InvocationLogEntry[] };
    for (const entry of entries) print(entry);
    return 0;
  },
};

/**
 * Reads the host's `text/event-stream` of new entries until SIGINT/SIGTERM
 * (exit 0) or the host ends it. Parsed by hand: the stream is the host's
 * own, one `event: log` with one `data:` line per entry.
 */
async function follow(url: string, query: URLSearchParams, limit: number, print: (entry: InvocationLogEntry) => void): Promise<number> {
  query.set('follow', 'true');
  query.set('limit', String(limit));
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const response = await fetchHost(url, `/logs?${query}`, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
    process.stderr.write(`neolith logs: following ${query.get('function')} on ${url} (Ctrl-C to stop)\n`);
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const lines = block.split('\n');
        if (!lines.includes('event: log')) continue;
        const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        print(JSON.parse(data) as InvocationLogEntry);
      }
    }
    process.stderr.write('neolith logs: the host ended the stream\n');
    return 0;
  } catch (error) {
    if (controller.signal.aborted) return 0;
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
