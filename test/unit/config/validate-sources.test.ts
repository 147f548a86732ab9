/** One test per rule of the sources sections (buckets, topics, streams, tables, eventSourceMappings): each mistake → one exact problem. */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../runtime/index.js';
import { resolveConfig, validateConfig } from '../../../runtime/config/index.js';

const handlers = resolve(import.meta.dirname, '../../fixtures/handlers');
const functions = { functions: { fn: { handler: './echo.mjs' } } };
const problemsOf = (raw: Record<string, unknown>) => validateConfig({ ...functions, ...raw }).problems;
/** Problems found when resolving (names of functions and sources), after the shape passed. */
function resolveProblems(raw: Record<string, unknown>): string[] {
  try {
    resolveConfig({ ...functions, ...raw }, handlers);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
}

describe('sources config: shapes', () => {
  it('accepts every section fully and correctly set', () => {
    const full = {
      buckets: { avatars: { maxObjectBytes: 1024, notifications: [{ events: ['ObjectCreated:*', 's3:ObjectRemoved:Delete'], prefix: 'u/', suffix: '.png', function: 'fn' }] } },
      topics: { 'user-events': { subscriptions: [{ function: 'fn', filterPolicy: { tier: ['gold'] }, filterPolicyScope: 'MessageBody' }] } },
      streams: { clicks: { shards: 4, retentionHours: 48, maxRecordBytes: 1000 } },
      tables: { orders: { partitionKey: 'id', sortKey: 'at', streamViewType: 'NEW_IMAGE', shards: 2, retentionHours: 24 } },
      eventSourceMappings: [
        { source: 'stream:clicks', function: 'fn', batchSize: 10, maximumBatchingWindowInSeconds: 1, startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp: 1,
          parallelizationFactor: 2, bisectBatchOnFunctionError: true, maximumRetryAttempts: 3, maximumRecordAgeInSeconds: 60,
          functionResponseTypes: ['ReportBatchItemFailures'], onFailure: 'topic:user-events', enabled: false,
          filterCriteria: { filters: [{ pattern: { data: { kind: ['click'] } } }, { pattern: '{"partitionKey":["k"]}' }] } },
        { source: 'table:orders', function: 'fn' },
      ],
    };
    expect(problemsOf(full)).toEqual([]);
    expect(resolveProblems(full)).toEqual([]);
  });

  it.each([
    // buckets
    ['a bucket name outside S3\'s rule', { buckets: { Bad_Name: {} } }, 'buckets.Bad_Name must have a name of 3–63 lowercase letters, digits, "." or "-" (got "Bad_Name")'],
    ['a bucket that is not an object', { buckets: { avatars: 3 } }, 'buckets.avatars must be an object (got 3)'],
    ['an unknown bucket option', { buckets: { avatars: { size: 1 } } }, 'buckets.avatars.size is not a known option (known: notifications, maxObjectBytes)'],
    ['maxObjectBytes out of range', { buckets: { avatars: { maxObjectBytes: 0 } } }, 'buckets.avatars.maxObjectBytes must be an integer from 1 to 5368709120 (got 0)'],
    ['notifications not an array', { buckets: { avatars: { notifications: {} } } }, 'buckets.avatars.notifications must be an array (got {})'],
    ['a notification that is not an object', { buckets: { avatars: { notifications: ['fn'] } } }, 'buckets.avatars.notifications[0] must be an object (got "fn")'],
    ['an unknown notification option', { buckets: { avatars: { notifications: [{ events: ['ObjectCreated:*'], function: 'fn', queue: 'q' }] } } },
      'buckets.avatars.notifications[0].queue is not a known option (known: events, prefix, suffix, function)'],
    ['an unknown S3 event name', { buckets: { avatars: { notifications: [{ events: ['ObjectCreated'], function: 'fn' }] } } },
      'buckets.avatars.notifications[0].events must be a non-empty array of ObjectCreated:*, ObjectCreated:Put, ObjectCreated:Post, ObjectCreated:Copy, ObjectCreated:CompleteMultipartUpload, ObjectRemoved:*, ObjectRemoved:Delete, ObjectRemoved:DeleteMarkerCreated (got ["ObjectCreated"])'],
    ['a prefix that is not a string', { buckets: { avatars: { notifications: [{ events: ['ObjectCreated:*'], prefix: 1, function: 'fn' }] } } },
      'buckets.avatars.notifications[0].prefix must be a string (got 1)'],
    ['a suffix that is not a string', { buckets: { avatars: { notifications: [{ events: ['ObjectCreated:*'], suffix: false, function: 'fn' }] } } },
      'buckets.avatars.notifications[0].suffix must be a string (got false)'],
    ['a notification without a function', { buckets: { avatars: { notifications: [{ events: ['ObjectCreated:*'] }] } } },
      'buckets.avatars.notifications[0].function must be a non-empty string (got undefined)'],
    // topics
    ['a topic name outside SNS\'s rule', { topics: { 'bad name': {} } }, 'topics.bad name must have a name of 1–256 letters, digits, "-" or "_" (got "bad name")'],
    ['an unknown topic option', { topics: { t: { fifo: true } } }, 'topics.t.fifo is not a known option (known: subscriptions)'],
    ['subscriptions not an array', { topics: { t: { subscriptions: 'fn' } } }, 'topics.t.subscriptions must be an array (got "fn")'],
    ['an unknown subscription option', { topics: { t: { subscriptions: [{ function: 'fn', protocol: 'lambda' }] } } },
      'topics.t.subscriptions[0].protocol is not a known option (known: function, filterPolicy, filterPolicyScope)'],
    ['a subscription without a function', { topics: { t: { subscriptions: [{}] } } }, 'topics.t.subscriptions[0].function must be a non-empty string (got undefined)'],
    ['a filter policy that is not an object', { topics: { t: { subscriptions: [{ function: 'fn', filterPolicy: '{}' }] } } },
      'topics.t.subscriptions[0].filterPolicy must be an object (got "{}")'],
    ['an unknown filterPolicyScope', { topics: { t: { subscriptions: [{ function: 'fn', filterPolicyScope: 'Body' }] } } },
      'topics.t.subscriptions[0].filterPolicyScope must be "MessageAttributes" or "MessageBody" (got "Body")'],
    // streams
    ['a stream name outside Kinesis\' rule', { streams: { 'a b': {} } }, 'streams.a b must have a name of 1–128 letters, digits, ".", "-" or "_" (got "a b")'],
    ['an unknown stream option', { streams: { s: { partitions: 2 } } }, 'streams.s.partitions is not a known option (known: shards, retentionHours, maxRecordBytes)'],
    ['shards out of range', { streams: { s: { shards: 65 } } }, 'streams.s.shards must be an integer from 1 to 64 (got 65)'],
    ['retentionHours out of range', { streams: { s: { retentionHours: 0 } } }, 'streams.s.retentionHours must be an integer from 1 to 8760 (got 0)'],
    ['maxRecordBytes out of range', { streams: { s: { maxRecordBytes: 1.5 } } }, 'streams.s.maxRecordBytes must be an integer from 1 to 10485760 (got 1.5)'],
    // tables
    ['a table name outside DynamoDB\'s rule', { tables: { ab: { partitionKey: 'id' } } }, 'tables.ab must have a name of 3–255 letters, digits, ".", "-" or "_" (got "ab")'],
    ['an unknown table option', { tables: { users: { partitionKey: 'id', gsi: [] } } },
      'tables.users.gsi is not a known option (known: partitionKey, sortKey, streamViewType, shards, retentionHours)'],
    ['a table without a partition key', { tables: { users: {} } }, 'tables.users.partitionKey must be a non-empty string (got undefined)'],
    ['a sort key that is not a string', { tables: { users: { partitionKey: 'id', sortKey: 3 } } }, 'tables.users.sortKey must be a non-empty string (got 3)'],
    ['a sort key equal to the partition key', { tables: { users: { partitionKey: 'id', sortKey: 'id' } } }, 'tables.users.sortKey must differ from partitionKey (got "id")'],
    ['an unknown streamViewType', { tables: { users: { partitionKey: 'id', streamViewType: 'ALL' } } },
      'tables.users.streamViewType must be KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES (got "ALL")'],
    ['table shards out of range', { tables: { users: { partitionKey: 'id', shards: 0 } } }, 'tables.users.shards must be an integer from 1 to 64 (got 0)'],
    ['table retentionHours out of range', { tables: { users: { partitionKey: 'id', retentionHours: 9000 } } }, 'tables.users.retentionHours must be an integer from 1 to 8760 (got 9000)'],
    // eventSourceMappings: shapes
    ['mappings not an array', { eventSourceMappings: {} }, 'eventSourceMappings must be an array (got {})'],
    ['a mapping that is not an object', { eventSourceMappings: [1] }, 'eventSourceMappings[0] must be an object (got 1)'],
    ['an unknown mapping option', { eventSourceMappings: [{ source: 'stream:s', function: 'fn', batch: 1 }] },
      'eventSourceMappings[0].batch is not a known option (known: source, function, batchSize, maximumBatchingWindowInSeconds, startingPosition, startingPositionTimestamp, parallelizationFactor, bisectBatchOnFunctionError, maximumRetryAttempts, maximumRecordAgeInSeconds, functionResponseTypes, onFailure, enabled, filterCriteria)'],
    ['a mapping without a source', { eventSourceMappings: [{ function: 'fn' }] }, 'eventSourceMappings[0].source must be a non-empty string (got undefined)'],
    ['a mapping without a function', { eventSourceMappings: [{ source: 'stream:s' }] }, 'eventSourceMappings[0].function must be a non-empty string (got undefined)'],
    // eventSourceMappings: Lambda's parameter ranges
    ['batchSize out of Lambda\'s range', { eventSourceMappings: [{ source: 'stream:s', function: 'fn', batchSize: 10_001 }] },
      'eventSourceMappings[0].batchSize must be an integer from 1 to 10000 (got 10001)'],
    ['maximumBatchingWindowInSeconds out of range', { eventSourceMappings: [{ source: 'stream:s', function: 'fn', maximumBatchingWindowInSeconds: 301 }] },
      'eventSourceMappings[0].maximumBatchingWindowInSeconds must be an integer from 0 to 300 (got 301)'],
    ['parallelizationFactor out of range', { eventSourceMappings: [{ source: 'stream:s', function: 'fn', parallelizationFactor: 11 }] },
      'eventSourceMappings[0].parallelizationFactor must be an integer from 1 to 10 (got 11)'],
    ['maximumRetryAttempts out of range', { eventSourceMappings: [{ source: 'stream:s', function: 'fn', maximumRetryAttempts: -2 }] },
      'eventSourceMappings[0].maximumRetryAttempts must be an integer from -1 to 10000 (got -2)'],
    ['maximumRecordAgeInSeconds between -1 and 60', { eventSourceMappings: [{ source: 'stream:s', function: 'fn', maximumRecordAgeInSeconds: 30 }] },
      'eventSourceMappings[0].maximumRecordAgeInSeconds must be -1 or an integer from 60 to 604800 (got 30)'],
    ['bisectBatchOnFunctionError not a boolean', { eventSourceMappings: [{ source: 'stream:s', function: 'fn', bisectBatchOnFunctionError: 'yes' }] },
      'eventSourceMappings[0].bisectBatchOnFunctionError must be true or false (got "yes")'],
    ['enabled not a boolean', { eventSourceMappings: [{ source: 'stream:s', function: 'fn', enabled: 1 }] },
      'eventSourceMappings[0].enabled must be true or false (got 1)'],
    ['an unknown startingPosition', { eventSourceMappings: [{ source: 'stream:s', function: 'fn', startingPosition: 'EARLIEST' }] },
      'eventSourceMappings[0].startingPosition must be TRIM_HORIZON, LATEST or AT_TIMESTAMP (got "EARLIEST")'],
    ['AT_TIMESTAMP on a table stream', { eventSourceMappings: [{ source: 'table:t', function: 'fn', startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp: 1 }] },
      'eventSourceMappings[0].startingPosition AT_TIMESTAMP is supported for Kinesis streams only, as in Lambda (got a DynamoDB stream)'],
    ['AT_TIMESTAMP without a timestamp', { eventSourceMappings: [{ source: 'stream:s', function: 'fn', startingPosition: 'AT_TIMESTAMP' }] },
      'eventSourceMappings[0].startingPositionTimestamp must be epoch seconds when StartingPosition is AT_TIMESTAMP (got undefined)'],
    ['an unknown function response type', { eventSourceMappings: [{ source: 'stream:s', function: 'fn', functionResponseTypes: ['Partial'] }] },
      'eventSourceMappings[0].functionResponseTypes must be [] or ["ReportBatchItemFailures"] (got ["Partial"])'],
    ['filterCriteria whose pattern is not a JSON object', { eventSourceMappings: [{ source: 'stream:s', function: 'fn', filterCriteria: { filters: [{ pattern: '[1]' }] } }] },
      'eventSourceMappings[0].filterCriteria must be { Filters: [{ Pattern: "<a JSON object>" }] } with 0 to 5 filters (got {"Filters":[{"Pattern":"[1]"}]})'],
    ['an empty onFailure', { eventSourceMappings: [{ source: 'stream:s', function: 'fn', onFailure: '' }] },
      'eventSourceMappings[0].onFailure must be a destination ARN, "topic:<name>", "bucket:<name>" or a function name (got "")'],
  ])('%s → one clear problem', (_rule, raw, message) => {
    expect(problemsOf(raw)).toEqual([message]);
  });
});

describe('sources config: names', () => {
  it.each([
    ['a notification naming no function', { buckets: { avatars: { notifications: [{ events: ['ObjectCreated:*'], function: 'nope' }] } } },
      'buckets.avatars.notifications[0].function must name a function or job of this layout (got "nope")'],
    ['a subscription naming no function', { topics: { t: { subscriptions: [{ function: 'nope' }] } } },
      'topics.t.subscriptions[0].function must name a function or job of this layout (got "nope")'],
    ['a mapping naming no function', { streams: { s: {} }, eventSourceMappings: [{ source: 'stream:s', function: 'nope' }] },
      'eventSourceMappings[0].function must name a function or job of this layout (got "nope")'],
    ['a mapping on an undeclared stream', { eventSourceMappings: [{ source: 'stream:s', function: 'fn' }] },
      'eventSourceMappings[0].source must name a stream of this config ("stream:<name>") (got "stream:s")'],
    ['a mapping on an undeclared table', { eventSourceMappings: [{ source: 'table:t', function: 'fn' }] },
      'eventSourceMappings[0].source must name a table of this config ("table:<name>") (got "table:t")'],
    ['a mapping source that is neither a name nor an ARN', { eventSourceMappings: [{ source: 'queue:q', function: 'fn' }] },
      'eventSourceMappings[0].source must be "stream:<name>", "table:<name>" or a Kinesis / DynamoDB stream ARN (got "queue:q")'],
  ])('%s → one clear problem', (_rule, raw, message) => {
    expect(resolveProblems(raw)).toEqual([message]);
  });
});
