import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { HOST_URL_HELP, hostUrl, requestHost } from '../host-client.js';
import { HostRequestError } from '../host-request-error.js';
import { parseFlags } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';
import { print } from './invocations.js';

/** `neolith put-record STREAM`: Kinesis' PutRecord against a running host. */
export const putRecordCommand: Command = {
  name: 'put-record',
  summary: 'put one record on a stream of a running host (its mappings deliver it in order per shard)',
  help: `Usage: neolith put-record STREAM --partition-key KEY --data JSON [--url URL]

Appends one record to STREAM. The partition key's MD5 picks the shard; the
record's data is the JSON text as given (a mapping's handler reads it base64
encoded in Records[].kinesis.data). Prints the SequenceNumber and ShardId.

Options:
  --partition-key KEY  the partition key (1 to 256 characters)
  --data JSON          the record's data, a JSON value, e.g. '{"click":1}'
  --url URL            ${HOST_URL_HELP}
  -h, --help           show this help`,
  async run(args) {
    const { values, positionals } = parseFlags(() => parseArgs({ args, strict: true, allowPositionals: true, options: {
      url: { type: 'string' }, 'partition-key': { type: 'string' }, data: { type: 'string' },
    } }));
    if (positionals.length !== 1) throw new UsageError('give exactly one STREAM');
    const partitionKey = values['partition-key'];
    if (partitionKey === undefined || partitionKey === '') throw new UsageError('--partition-key is required');
    if (values.data === undefined) throw new UsageError('--data is required');
    try {
      JSON.parse(values.data);
    } catch (error) {
      throw new UsageError(`--data must be JSON (${(error as Error).message})`);
    }
    const url = hostUrl(values.url);
    const out = await requestHost(url, `/streams/${encodeURIComponent(positionals[0]!)}/records`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ records: [{ partitionKey, data: Buffer.from(values.data).toString('base64') }] }),
    }) as { Records?: Array<{ SequenceNumber: string; ShardId: string }> } | undefined;
    const record = out?.Records?.[0];
    if (!record) throw HostRequestError.notNeolith(url, 'the put without a record');
    print(record);
    return 0;
  },
};
