import { createHash, randomUUID } from 'node:crypto';
import type { ResolvedSources } from '../../config/index.js';
import { InvalidParameterValueError, previewValue, RequestTooLargeError, ResourceNotFoundError } from '../../errors/index.js';
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

/** SNS's limits on a publish besides the message's size. */
export const PUBLISH_LIMITS = {
  /** Characters of a Subject. */
  maxSubjectLength: 100,
  /** Characters of an attribute's name. */
  maxAttributeNameLength: 256,
} as const;

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
    if (options.subject !== undefined) checkSubject(options.subject);
    // No count limit (SNS caps attributes at 10 only for raw delivery to SQS): they count toward the size instead.
    const attributes = toAttributes(options.attributes ?? {});
    const size = Buffer.byteLength(message) + attributesBytes(attributes);
    if (size > MAX_MESSAGE_BYTES) throw new RequestTooLargeError(`Invalid parameter: Message too long: the message and its attributes must be at most ${MAX_MESSAGE_BYTES} bytes (got ${size})`);
    // Filter policies see a Number attribute (custom types `Number.x` too) as a number, as SNS matches them.
    const plain = Object.fromEntries(Object.entries(attributes).map(([k, a]) => [k, a.Type.split('.')[0] === 'Number' ? Number(a.Value) : a.Type === 'String.Array' ? (JSON.parse(a.Value) as unknown) : a.Value]));
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

/**
 * Checks a Subject by SNS's Publish rule: "Subjects must be UTF-8 text with
 * no line breaks or control characters, and less than 100 characters long"
 * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). Older
 * editions of that page said ASCII text beginning with a letter, number or
 * punctuation mark; the current rule takes UTF-8, and so does this check.
 * "Less than 100 characters" is read as at most 100, as clients checking it
 * ahead of SNS read it. An empty subject is refused, as SNS refuses it
 * ("Invalid parameter: Subject").
 */
function checkSubject(subject: unknown): void {
  const refuse = (why: string): never => {
    throw new InvalidParameterValueError(`Invalid parameter: Subject ${why} (got ${previewValue(subject, 120)})`);
  };
  if (typeof subject !== 'string') refuse('must be a string');
  const text = subject as string;
  if (text.length === 0) refuse('must not be empty');
  // Characters as SNS counts them: code points, so an emoji is one.
  const length = [...text].length;
  if (length > PUBLISH_LIMITS.maxSubjectLength) refuse(`must be at most ${PUBLISH_LIMITS.maxSubjectLength} characters (got ${length} characters)`);
  if (/\p{Cs}/u.test(text)) refuse('must be UTF-8 text (it holds a lone surrogate)');
  // C0 and C1 controls (CR, LF, NUL, ESC, NEL...), DEL, and Unicode's line and paragraph separators.
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text)) refuse('must not contain line breaks or control characters');
}

/**
 * SNS's rule for a message attribute's name: 1 to 256 of A-Z a-z 0-9 _ - .,
 * not starting or ending with a period, no two periods in a row, and not
 * starting with the reserved `AWS.` or `Amazon.` (any case). A name such as
 * `__proto__` satisfies it and is kept as an attribute of its own.
 */
function checkAttributeName(name: string): void {
  const refuse = (why: string): never => {
    throw new InvalidParameterValueError(`Invalid parameter: MessageAttributes name ${JSON.stringify(name.slice(0, 80))}${name.length > 80 ? '...' : ''} ${why}`);
  };
  if (name.length === 0 || name.length > PUBLISH_LIMITS.maxAttributeNameLength) refuse(`must be 1 to ${PUBLISH_LIMITS.maxAttributeNameLength} characters (got ${name.length})`);
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) refuse('may contain only A-Z, a-z, 0-9, underscore (_), hyphen (-) and period (.)');
  if (name.startsWith('.') || name.endsWith('.') || name.includes('..')) refuse('must not start or end with a period, nor hold two periods in a row');
  if (/^(aws|amazon)\./i.test(name)) refuse('must not start with the reserved prefixes AWS. or Amazon.');
}

/** What attributes add to a message's size, as SNS counts it: each name, data type and value. */
function attributesBytes(attributes: Record<string, { Type: string; Value: string }>): number {
  let bytes = 0;
  for (const name of Object.keys(attributes)) {
    const a = attributes[name]!;
    bytes += Buffer.byteLength(name) + Buffer.byteLength(a.Type) + Buffer.byteLength(a.Value);
  }
  return bytes;
}

function toAttributes(input: Record<string, MessageAttributeInput>): Record<string, { Type: string; Value: string }> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InvalidParameterValueError('attributes must be an object');
  const names = Object.keys(input);
  // No prototype: `out.__proto__ = ...` creates an attribute instead of replacing the prototype (and vanishing).
  const out = Object.create(null) as Record<string, { Type: string; Value: string }>;
  for (const name of names) {
    checkAttributeName(name);
    const v = input[name];
    if (typeof v === 'string') out[name] = { Type: 'String', Value: v };
    else if (typeof v === 'number' && Number.isFinite(v)) out[name] = { Type: 'Number', Value: String(v) };
    else if (Array.isArray(v)) out[name] = { Type: 'String.Array', Value: JSON.stringify(checkedArray(name, v)) };
    else if (v && typeof v === 'object' && typeof v.DataType === 'string' && typeof v.StringValue === 'string') out[name] = checkedAttribute(name, v.DataType, v.StringValue);
    else throw new InvalidParameterValueError(`Invalid parameter: MessageAttributes.${name} must be a string, a number, an array of strings or { DataType, StringValue } (got ${previewValue(v)})`);
  }
  return out;
}

/** SNS's String.Array holds strings, numbers, booleans and nulls: never a nested array or object. */
function checkedArray(name: string, items: unknown[]): unknown[] {
  for (const item of items) {
    if (item !== null && typeof item !== 'string' && typeof item !== 'boolean' && !(typeof item === 'number' && Number.isFinite(item))) {
      throw new InvalidParameterValueError(`Invalid parameter: MessageAttributes.${name}: a String.Array holds only strings, numbers, true, false and null (got ${previewValue(item)})`);
    }
  }
  return items;
}

/** SNS's data types, each checked as SNS checks it (a bad one is the caller's 400). */
function checkedAttribute(name: string, type: string, value: string): { Type: string; Value: string } {
  const refuse = (why: string): never => {
    throw new InvalidParameterValueError(`Invalid parameter: MessageAttributes.${name}: ${why} (got ${previewValue(value)})`);
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
    checkedArray(name, parsed as unknown[]);
  } else if (base === 'Number') {
    if (value.trim() === '' || !Number.isFinite(Number(value))) refuse('a Number value must be a finite number');
  } else if (base !== 'String' && base !== 'Binary') {
    refuse(`DataType must be String, Number, Binary or String.Array (got ${previewValue(type, 40)})`);
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
