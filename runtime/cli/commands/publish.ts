import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { HOST_URL_HELP, hostUrl, requestHost } from '../host-client.js';
import { HostRequestError } from '../host-request-error.js';
import { parseFlags } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';
import { print } from './invocations.js';

/** `neolith publish TOPIC MESSAGE`: SNS's Publish against a running host. */
export const publishCommand: Command = {
  name: 'publish',
  summary: 'publish a message to a topic of a running host (its subscribers are invoked async)',
  help: `Usage: neolith publish TOPIC MESSAGE [--attributes JSON] [--subject TEXT] [--url URL]

Publishes MESSAGE (text, sent as it is) to TOPIC. Every subscribed function
whose filter policy matches is invoked with Event and SNS's record shape.
Prints the MessageId.

Options:
  --attributes JSON  message attributes, e.g. '{"tier":"gold","spend":150}'
                     (string, number or array of strings each)
  --subject TEXT     the message's subject
  --url URL          ${HOST_URL_HELP}
  -h, --help         show this help`,
  async run(args) {
    const { values, positionals } = parseFlags(() => parseArgs({ args, strict: true, allowPositionals: true, options: {
      url: { type: 'string' }, attributes: { type: 'string' }, subject: { type: 'string' },
    } }));
    if (positionals.length !== 2) throw new UsageError('give a TOPIC and a MESSAGE');
    const [topic, message] = positionals as [string, string];
    const attributes = values.attributes === undefined ? undefined : parseJsonObject('--attributes', values.attributes);
    const url = hostUrl(values.url);
    const out = await requestHost(url, `/topics/${encodeURIComponent(topic)}`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message, ...(attributes && { attributes }), ...(values.subject !== undefined && { subject: values.subject }) }),
    }) as { MessageId?: unknown } | undefined;
    if (typeof out?.MessageId !== 'string') throw HostRequestError.notNeolith(url, 'the publish without a MessageId');
    print({ MessageId: out.MessageId });
    return 0;
  },
};

/** Parses a flag's JSON object value, or throws a UsageError naming the flag. */
export function parseJsonObject(flag: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag} must be JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${flag} must be a JSON object (got ${text})`);
  return value as Record<string, unknown>;
}
