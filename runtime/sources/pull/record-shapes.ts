import type { ItemChange, ShardRecord } from '../../backend/index.js';

/** Kinesis' shard id for shard `n`. */
export function shardId(n: number): string {
  return `shardId-${String(n).padStart(12, '0')}`;
}

/** Where an ARN or shorthand points: a stream or a table's change stream. */
export interface SourceRef {
  kind: 'kinesis' | 'dynamodb';
  name: string;
}

const KINESIS_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/([A-Za-z0-9_.-]+)$/;
const DYNAMODB_ARN = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/([A-Za-z0-9_.-]+)(?:\/stream\/[^/]+)?$/;

/** Parses `stream:<name>`, `table:<name>`, a Kinesis stream ARN or a DynamoDB table (stream) ARN. */
export function parseSourceRef(value: string): SourceRef | undefined {
  if (value.startsWith('stream:')) return { kind: 'kinesis', name: value.slice(7) };
  if (value.startsWith('table:')) return { kind: 'dynamodb', name: value.slice(6) };
  const k = KINESIS_ARN.exec(value);
  if (k) return { kind: 'kinesis', name: k[1]! };
  const d = DYNAMODB_ARN.exec(value);
  if (d) return { kind: 'dynamodb', name: d[1]! };
  return undefined;
}

/** A source as config names it (`stream:NAME`, `table:NAME`): what parseSourceRef reads. */
export function sourceLabelOf(ref: SourceRef): string {
  return `${ref.kind === 'kinesis' ? 'stream' : 'table'}:${ref.name}`;
}

/** The store's stream id of a source. */
export function streamIdOf(ref: SourceRef): string {
  return `${ref.kind}:${ref.name}`;
}

/** DynamoDB's attribute-value form of a JSON value (what `@aws-sdk/util-dynamodb`'s `unmarshall` reads). */
export function marshall(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(marshall) };
  if (typeof value === 'object') return { M: marshallItem(value as Record<string, unknown>) };
  return { S: String(value) };
}

/** Every attribute of an item in attribute-value form. */
export function marshallItem(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, marshall(v)]));
}

/** What record formatting needs to know of the source. */
export interface FormatContext {
  region: string;
  eventSourceArn: string;
  /** Tables: what change records carry. */
  streamViewType?: string;
  accountId: string;
}

/** One Kinesis record as Lambda delivers it. */
export function kinesisRecord(r: ShardRecord, ctx: FormatContext): Record<string, unknown> {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0', partitionKey: r.partitionKey, sequenceNumber: r.sequenceNumber, data: r.data,
      approximateArrivalTimestamp: r.arrivedAt / 1000,
    },
    eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `${shardId(r.shard)}:${r.sequenceNumber}`, eventName: 'aws:kinesis:record',
    invokeIdentityArn: `arn:aws:iam::${ctx.accountId}:role/neolith`, awsRegion: ctx.region, eventSourceARN: ctx.eventSourceArn,
  };
}

/** One DynamoDB Streams record as Lambda delivers it. */
export function dynamodbRecord(r: ShardRecord, ctx: FormatContext): Record<string, unknown> {
  const change = JSON.parse(r.data) as ItemChange;
  const view = ctx.streamViewType ?? 'NEW_AND_OLD_IMAGES';
  const dynamodb: Record<string, unknown> = {
    ApproximateCreationDateTime: Math.floor(r.arrivedAt / 1000), Keys: marshallItem(change.keys),
  };
  if (change.newImage && (view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES')) dynamodb.NewImage = marshallItem(change.newImage);
  if (change.oldImage && (view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES')) dynamodb.OldImage = marshallItem(change.oldImage);
  dynamodb.SequenceNumber = r.sequenceNumber;
  dynamodb.SizeBytes = Buffer.byteLength(r.data);
  dynamodb.StreamViewType = view;
  return {
    eventID: `${r.shard}-${r.sequenceNumber}`, eventName: change.eventName, eventVersion: '1.1', eventSource: 'aws:dynamodb',
    awsRegion: ctx.region, dynamodb, eventSourceARN: ctx.eventSourceArn,
  };
}

/** The sequence number a function reports in `batchItemFailures[].itemIdentifier` for a delivered record. */
export function itemIdentifier(record: ShardRecord): string {
  return record.sequenceNumber;
}
