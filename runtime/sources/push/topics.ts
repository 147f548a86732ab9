import { createHash, randomUUID } from 'node:crypto';
import type { ResolvedSources } from '../../config/index.js';
import { InvalidParameterValueError, RequestTooLargeError, ResourceNotFoundError } from '../../errors/index.js';
import type { InvokeOptions, InvokeResult } from '../../invoke/index.js';
import { matchesPolicy } from './filter-policy.js';

/** A message attribute: a plain value, or SNS's `{ DataType, StringValue }`. */
export type MessageAttributeInput = string | number | string[] | { DataType: string; StringValue: string };

/** Options of {@link Topics.publish}. */
export interface PublishOptions {
  attributes?: Record<string, MessageAttributeInput>;
  subject?: string;
}

/** SNS's 256 KB message limit. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** What topics are built from. */
export interface TopicsParts {
  config: ResolvedSources['topics'];
  region: string;
  accountId: string;
  invoke: (name: string, payload: unknown, options: InvokeOptions) => Promise<InvokeResult>;
}

/**
 * SNS-like topics: a publish fans out to every subscribed function whose
 * filter policy matches, each as its own `Event` invocation (durable in the
 * async queue, retried, routed to destinations) with SNS's record shape.
 */
export class Topics {
  readonly #p: TopicsParts;

  constructor(parts: TopicsParts) {
    this.#p = parts;
  }

  names(): string[] {
    return Object.keys(this.#p.config);
  }

  /** The topic's ARN; throws ResourceNotFoundError for an unknown topic. */
  arn(name: string): string {
    if (!this.#p.config[name]) throw new ResourceNotFoundError(`Topic does not exist: ${JSON.stringify(name)} (known: ${this.names().join(', ') || 'none'})`);
    return `arn:aws:sns:${this.#p.region}:${this.#p.accountId}:${name}`;
  }

  /** Publishes a message; resolves once every matching subscriber's event is durable. */
  async publish(name: string, message: string, options: PublishOptions = {}): Promise<{ MessageId: string; deliveries: number }> {
    const topicArn = this.arn(name);
    if (typeof message !== 'string') throw new InvalidParameterValueError(`message must be a string (got ${typeof message})`);
    const size = Buffer.byteLength(message);
    if (size > MAX_MESSAGE_BYTES) throw new RequestTooLargeError(`Invalid parameter: Message too long: must be at most ${MAX_MESSAGE_BYTES} bytes (got ${size})`);
    const attributes = toAttributes(options.attributes ?? {});
    const plain = Object.fromEntries(Object.entries(attributes).map(([k, a]) => [k, a.Type === 'Number' ? Number(a.Value) : a.Type === 'String.Array' ? (JSON.parse(a.Value) as unknown) : a.Value]));
    let body: Record<string, unknown> | undefined;
    const messageId = randomUUID();
    let deliveries = 0;
    const subscriptions = this.#p.config[name]!.subscriptions;
    await Promise.all(subscriptions.map(async (s, i) => {
      if (s.filterPolicy) {
        if (s.filterPolicyScope === 'MessageBody') {
          body ??= parseBody(message);
          if (!body || !matchesPolicy(s.filterPolicy, body)) return;
        } else if (!matchesPolicy(s.filterPolicy, plain)) return;
      }
      deliveries++;
      const subscriptionArn = `${topicArn}:${subscriptionId(name, i, s.function)}`;
      const record = {
        Records: [{
          EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: subscriptionArn,
          Sns: {
            Type: 'Notification', MessageId: messageId, TopicArn: topicArn, Subject: options.subject ?? null, Message: message,
            Timestamp: new Date().toISOString(), SignatureVersion: '1', Signature: 'neolith', SigningCertUrl: '', UnsubscribeUrl: '',
            MessageAttributes: attributes,
          },
        }],
      };
      await this.#p.invoke(s.function, record, { type: 'Event' });
    }));
    return { MessageId: messageId, deliveries };
  }
}

function toAttributes(input: Record<string, MessageAttributeInput>): Record<string, { Type: string; Value: string }> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InvalidParameterValueError('attributes must be an object');
  const out: Record<string, { Type: string; Value: string }> = {};
  for (const [name, v] of Object.entries(input)) {
    if (typeof v === 'string') out[name] = { Type: 'String', Value: v };
    else if (typeof v === 'number' && Number.isFinite(v)) out[name] = { Type: 'Number', Value: String(v) };
    else if (Array.isArray(v)) out[name] = { Type: 'String.Array', Value: JSON.stringify(v) };
    else if (v && typeof v === 'object' && typeof v.DataType === 'string' && typeof v.StringValue === 'string') out[name] = checkedAttribute(name, v.DataType, v.StringValue);
    else throw new InvalidParameterValueError(`Invalid parameter: MessageAttributes.${name} must be a string, a number, an array of strings or { DataType, StringValue } (got ${JSON.stringify(v)})`);
  }
  return out;
}

/** SNS's data types, each checked as SNS checks it (a bad one is the caller's 400). */
function checkedAttribute(name: string, type: string, value: string): { Type: string; Value: string } {
  const refuse = (why: string): never => {
    throw new InvalidParameterValueError(`Invalid parameter: MessageAttributes.${name}: ${why} (got ${JSON.stringify(value).slice(0, 80)})`);
  };
  const base = type.split('.')[0];
  if (type === 'String.Array') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return refuse('a String.Array value must be a JSON array');
    }
    if (!Array.isArray(parsed)) refuse('a String.Array value must be a JSON array');
  } else if (base === 'Number') {
    if (value.trim() === '' || !Number.isFinite(Number(value))) refuse('a Number value must be a finite number');
  } else if (base !== 'String' && base !== 'Binary') {
    refuse(`DataType must be String, Number, Binary or String.Array (got ${JSON.stringify(type).slice(0, 40)})`);
  }
  return { Type: type, Value: value };
}

function parseBody(message: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(message) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function subscriptionId(topic: string, index: number, fn: string): string {
  const h = createHash('sha256').update(`${topic}\0${index}\0${fn}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
