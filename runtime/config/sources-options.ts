/**
 * Config of event sources: buckets and topics (push), streams, tables and
 * event source mappings (pull). Key names of `buckets` follow issue 6 exactly;
 * mapping options are Lambda's parameters in camelCase.
 */

/** One S3-style notification: which changes, under which key prefix/suffix, invoke which function. */
export interface BucketNotificationOptions {
  /** S3 event names: `"ObjectCreated:*"`, `"ObjectCreated:Put"`, `"ObjectRemoved:*"`, `"ObjectRemoved:Delete"`, `"s3:ObjectCreated:*"`. */
  events: string[];
  /** Only keys starting with this. */
  prefix?: string;
  /** Only keys ending with this. */
  suffix?: string;
  /** Function (or job) invoked with `Event`. */
  function: string;
}

/** An S3-like bucket. */
export interface BucketOptions {
  /** @defaultValue [] */
  notifications?: BucketNotificationOptions[];
  /** Largest object, bytes. @defaultValue 10485760 (10 MB) */
  maxObjectBytes?: number;
}

/** One SNS-like subscription. */
export interface TopicSubscriptionOptions {
  /** Function (or job) invoked with `Event` for each matching message. */
  function: string;
  /** SNS subscription filter policy (`{ "kind": ["order"], "total": [{ "numeric": [">", 100] }] }`). */
  filterPolicy?: Record<string, unknown>;
  /** What the policy filters. @defaultValue "MessageAttributes" */
  filterPolicyScope?: 'MessageAttributes' | 'MessageBody';
}

/** An SNS-like topic. */
export interface TopicOptions {
  /** @defaultValue [] */
  subscriptions?: TopicSubscriptionOptions[];
}

/** A Kinesis-like stream. */
export interface StreamOptions {
  /** Shards; a partition key's MD5 picks one. 1–64. @defaultValue 1 */
  shards?: number;
  /** How long records are kept, hours (Kinesis' RetentionPeriodHours, 1–8760). @defaultValue 24 */
  retentionHours?: number;
  /** Largest record data, bytes. @defaultValue 1048576 (Kinesis' 1 MB) */
  maxRecordBytes?: number;
}

/** A DynamoDB-like table with a change stream. */
export interface TableOptions {
  /** Attribute holding the partition key (string or number). */
  partitionKey: string;
  /** Attribute holding the sort key, if the table has one. */
  sortKey?: string;
  /** What change records carry. @defaultValue "NEW_AND_OLD_IMAGES" */
  streamViewType?: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';
  /** Shards of the change stream. 1–64. @defaultValue 1 */
  shards?: number;
  /** Change records are kept this long (DynamoDB Streams: 24). @defaultValue 24 */
  retentionHours?: number;
}

/** An event source mapping in config (Lambda's parameters, camelCase). */
export interface EventSourceMappingOptions {
  /** `"stream:<name>"`, `"table:<name>"`, or the stream's ARN (Kinesis stream, DynamoDB table stream). */
  source: string;
  /** Function (or job) invoked with each batch. */
  function: string;
  /** 1–10000. @defaultValue 100 */
  batchSize?: number;
  /** 0–300. @defaultValue 0 */
  maximumBatchingWindowInSeconds?: number;
  /** @defaultValue "TRIM_HORIZON" in config (the API requires it, as Lambda does) */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  /** Epoch seconds, with AT_TIMESTAMP. */
  startingPositionTimestamp?: number;
  /** Concurrent batches per shard, 1–10. @defaultValue 1 */
  parallelizationFactor?: number;
  /** @defaultValue false */
  bisectBatchOnFunctionError?: boolean;
  /** -1 (until the records expire) to 10000. @defaultValue -1 */
  maximumRetryAttempts?: number;
  /** -1 (never) or 60–604800. @defaultValue -1 */
  maximumRecordAgeInSeconds?: number;
  /** `["ReportBatchItemFailures"]` to let the function report which records failed. @defaultValue [] */
  functionResponseTypes?: Array<'ReportBatchItemFailures'>;
  /** Where discarded batches are described: `"topic:<name>"`, `"bucket:<name>"`, a function, or an SNS/S3/Lambda ARN. */
  onFailure?: string;
  /** @defaultValue true */
  enabled?: boolean;
  /**
   * Lambda's event filtering: only records matching one of the patterns
   * invoke the function; the others are passed over (checkpointed, never
   * delivered). Patterns use EventBridge's syntax over the record as Lambda
   * delivers it (Kinesis `data` parsed as JSON). At most 5.
   * @example `{ filters: [{ pattern: { eventName: ['INSERT'] } }] }`
   * @defaultValue none: every record
   */
  filterCriteria?: { filters: Array<{ pattern: string | Record<string, unknown> }> };
}

/** The sources sections of `neolith.config.*`. */
export interface SourcesConfig {
  buckets?: Record<string, BucketOptions>;
  topics?: Record<string, TopicOptions>;
  streams?: Record<string, StreamOptions>;
  tables?: Record<string, TableOptions>;
  eventSourceMappings?: EventSourceMappingOptions[];
}

/** Sources with defaults applied; mappings keep their options (validated, defaults filled by the sources part). */
export interface ResolvedSources {
  buckets: Record<string, { notifications: BucketNotificationOptions[]; maxObjectBytes: number }>;
  topics: Record<string, { subscriptions: Array<TopicSubscriptionOptions & { filterPolicyScope: 'MessageAttributes' | 'MessageBody' }> }>;
  streams: Record<string, { shards: number; retentionHours: number; maxRecordBytes: number }>;
  tables: Record<string, Required<Omit<TableOptions, 'sortKey'>> & { sortKey?: string }>;
  eventSourceMappings: EventSourceMappingOptions[];
}

/** Defaults of sources. */
export const DEFAULT_SOURCE_OPTIONS = {
  maxObjectBytes: 10 * 1024 * 1024,
  shards: 1,
  retentionHours: 24,
  maxRecordBytes: 1024 * 1024,
  streamViewType: 'NEW_AND_OLD_IMAGES',
} as const;
