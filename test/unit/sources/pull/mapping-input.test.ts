/**
 * Misuse of CreateEventSourceMapping and UpdateEventSourceMapping, over a
 * real SQLite store with functions faked: filter patterns past Lambda's 4096
 * characters, absurd StartingPositionTimestamps, and on-failure destinations
 * that name nothing here are refused with InvalidParameterValueError (400),
 * not accepted to fail later (a discarded batch's record would be lost).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteSourceStore } from '../../../../runtime/backend/index.js';
import { InvalidParameterValueError, ResourceNotFoundError } from '../../../../runtime/errors/index.js';
import { EventSourceMappings, type EventSourceMappingsParts } from '../../../../runtime/sources/pull/event-source-mappings.js';
import { Streams } from '../../../../runtime/sources/pull/streams.js';
import { Tables } from '../../../../runtime/sources/pull/tables.js';
import { tempDir } from '../../../support/temp-dir.js';

const FUNCTIONS = new Set(['worker', 'failures']);
const ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/clicks';

describe('event source mapping input', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  function setup(parts: Partial<EventSourceMappingsParts> = {}) {
    const dir = tempDir('neolith-mappings-');
    const store = new SqliteSourceStore(dir.path);
    const streams = new Streams(store, { clicks: { shards: 1, retentionHours: 24, maxRecordBytes: 1024 } });
    const tables = new Tables(store, {}, () => {});
    const sent: string[] = [];
    const mappings = new EventSourceMappings({
      store, streams, tables, region: 'us-east-1', accountId: '000000000000',
      invoke: async () => { throw new Error('not invoked in these tests'); },
      functionArn: (name) => {
        const bare = name.replace(/^arn:aws:lambda:us-east-1:000000000000:function:/, '');
        if (!FUNCTIONS.has(bare)) throw new ResourceNotFoundError(`Function not found: ${name}`);
        return `arn:aws:lambda:us-east-1:000000000000:function:${bare}`;
      },
      sendToDestination: async (destination) => {
        sent.push(destination);
      },
      topicNames: () => ['alerts'],
      bucketNames: () => ['dead-letters'],
      onError: (error) => {
        throw error;
      },
      ...parts,
    });
    cleanups.push(() => dir.remove(), () => store.close(), () => mappings.close());
    return mappings;
  }
  /** A disabled mapping's create input: no pollers are started. */
  const input = (extra: Record<string, unknown>) => ({ FunctionName: 'worker', EventSourceArn: ARN, StartingPosition: 'LATEST', Enabled: false, ...extra });
  async function refusal(call: Promise<unknown>): Promise<string> {
    const error = await call.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidParameterValueError);
    return (error as Error).message;
  }

  describe('FilterCriteria', () => {
    const pattern = (length: number) => {
      const base = JSON.stringify({ data: { kind: [''] } });
      return JSON.stringify({ data: { kind: ['x'.repeat(length - base.length)] } });
    };

    it('takes a pattern of 4096 characters and refuses 4097, Lambda\'s limit', async () => {
      const mappings = setup();
      expect(pattern(4096)).toHaveLength(4096);
      const created = await mappings.create(input({ FilterCriteria: { Filters: [{ Pattern: pattern(4096) }] } }));
      expect(created.FilterCriteria?.Filters[0]?.Pattern).toHaveLength(4096);
      expect(await refusal(mappings.update(created.UUID, { FilterCriteria: { Filters: [{ Pattern: '{}' }, { Pattern: pattern(4097) }] } })))
        .toBe('FilterCriteria.Filters[1].Pattern must be at most 4096 characters, Lambda\'s limit (got 4097)');
      expect(mappings.get(created.UUID).FilterCriteria?.Filters[0]?.Pattern).toHaveLength(4096);
    });

    it('refuses a huge pattern at create', async () => {
      const mappings = setup();
      expect(await refusal(mappings.create(input({ FilterCriteria: { Filters: [{ Pattern: pattern(100_000) }] } }))))
        .toBe('FilterCriteria.Filters[0].Pattern must be at most 4096 characters, Lambda\'s limit (got 100000)');
      expect(mappings.list().EventSourceMappings).toEqual([]);
    });

    it('refuses a pattern no record could match, naming where, rather than skip every record', async () => {
      const mappings = setup();
      expect(await refusal(mappings.create(input({ FilterCriteria: { Filters: [{ Pattern: '{"data":{"a":[1]}}' }, { Pattern: '{"data":{"a":1}}' }] } }))))
        .toBe('FilterCriteria.Filters[1].Pattern is not a valid filter pattern: data.a must be an array of values or conditions, or a nested pattern (got 1; a value is matched as [1])');
      expect(mappings.list().EventSourceMappings).toEqual([]);
    });
  });

  describe('StartingPositionTimestamp', () => {
    it('takes a time in the past, fractions of a second included', async () => {
      const mappings = setup();
      const at = Math.floor(Date.now() / 1000) - 60 + 0.25;
      expect((await mappings.create(input({ StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: at }))).StartingPositionTimestamp).toBe(at);
    });

    it.each([
      ['1e300', 1e300, 'must be epoch seconds no later than now'],
      ['a time an hour ahead', Math.floor(Date.now() / 1000) + 3600, 'must be epoch seconds no later than now'],
      ['a negative time', -5, 'must be epoch seconds when StartingPosition is AT_TIMESTAMP (got -5)'],
      ['a string', '1700000000', 'must be epoch seconds when StartingPosition is AT_TIMESTAMP (got "1700000000")'],
    ])('refuses %s with AT_TIMESTAMP', async (_, ts, why) => {
      const mappings = setup();
      expect(await refusal(mappings.create(input({ StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: ts })))).toContain(`StartingPositionTimestamp ${why}`);
      expect(mappings.list().EventSourceMappings).toEqual([]);
    });

    it('refuses an absurd timestamp with another position too, rather than keep and describe it', async () => {
      const mappings = setup();
      expect(await refusal(mappings.create(input({ StartingPositionTimestamp: 1e300 })))).toContain('StartingPositionTimestamp must be epoch seconds no later than now');
      expect(await refusal(mappings.create(input({ StartingPositionTimestamp: -1 })))).toBe('StartingPositionTimestamp must be epoch seconds, from 0 to now (got -1)');
    });
  });

  describe('StartingPosition and the functions of the mapping', () => {
    it('refuses a missing or null StartingPosition, which would leave the mapping nowhere to start', async () => {
      const mappings = setup();
      for (const StartingPosition of [undefined, null]) {
        expect(await refusal(mappings.create(input({ StartingPosition })))).toBe('StartingPosition is required for Kinesis and DynamoDB Streams event sources');
      }
      expect(mappings.list().EventSourceMappings).toEqual([]);
    });

    it('lets a mapping kept for a function gone from the config stand beside a new one on its source', async () => {
      const mappings = setup();
      await mappings.create(input({ FunctionName: 'failures' }));
      FUNCTIONS.delete('failures');
      try {
        await mappings.create(input({}));
        expect(mappings.list().EventSourceMappings.map((m) => m.FunctionArn?.split(':').at(-1)).sort()).toEqual(['failures', 'worker']);
      } finally {
        FUNCTIONS.add('failures');
      }
    });
  });

  describe('DestinationConfig.OnFailure', () => {
    it.each([
      ['a function name', 'failures'],
      ['a function ARN', 'arn:aws:lambda:us-east-1:000000000000:function:failures'],
      ['topic:', 'topic:alerts'],
      ['an SNS topic ARN', 'arn:aws:sns:us-east-1:000000000000:alerts'],
      ['bucket:', 'bucket:dead-letters'],
      ['an S3 bucket ARN', 'arn:aws:s3:::dead-letters'],
    ])('takes %s that exists', async (_, destination) => {
      const mappings = setup();
      const created = await mappings.create(input({ DestinationConfig: { OnFailure: { Destination: destination } } }));
      expect(created.DestinationConfig).toEqual({ OnFailure: { Destination: destination } });
    });

    it.each([
      ['a function', 'nonexistent-fn', 'names no function of this host: "nonexistent-fn"'],
      ['a function ARN', 'arn:aws:lambda:us-east-1:000000000000:function:nonexistent-fn', 'names no function of this host'],
      ['a topic', 'topic:nope', 'names no topic of this host: "topic:nope" (known topics: alerts)'],
      ['an SNS topic ARN', 'arn:aws:sns:us-east-1:000000000000:nope', 'names no topic of this host'],
      ['an SNS ARN of another account', 'arn:aws:sns:us-east-1:111111111111:alerts', 'names a topic of another region or account'],
      ['an SNS ARN of another region', 'arn:aws:sns:eu-west-1:000000000000:alerts', 'names a topic of another region or account'],
      ['a bucket', 'bucket:nope', 'names no bucket of this host: "bucket:nope" (known buckets: dead-letters)'],
      ['an S3 bucket ARN', 'arn:aws:s3:::nope', 'names no bucket of this host'],
    ])('refuses %s that does not exist, at create and at update', async (_, destination, why) => {
      const mappings = setup();
      const config = { DestinationConfig: { OnFailure: { Destination: destination } } };
      expect(await refusal(mappings.create(input(config)))).toContain(`DestinationConfig.OnFailure.Destination ${why}`);
      expect(mappings.list().EventSourceMappings).toEqual([]);
      const created = await mappings.create(input({}));
      expect(await refusal(mappings.update(created.UUID, config))).toContain(`DestinationConfig.OnFailure.Destination ${why}`);
      expect(mappings.get(created.UUID).DestinationConfig).toEqual({ OnFailure: {} });
    });

    it('refuses a DestinationConfig or OnFailure that is not an object, rather than clearing the destination', async () => {
      const mappings = setup();
      const created = await mappings.create(input({ DestinationConfig: { OnFailure: { Destination: 'failures' } } }));
      expect(await refusal(mappings.update(created.UUID, { DestinationConfig: 'x' }))).toBe('DestinationConfig must be an object { OnFailure: { Destination } } (got "x")');
      expect(await refusal(mappings.update(created.UUID, { DestinationConfig: { OnFailure: 'failures' } }))).toBe('DestinationConfig.OnFailure must be an object { Destination } (got "failures")');
      expect(mappings.get(created.UUID).DestinationConfig).toEqual({ OnFailure: { Destination: 'failures' } });
    });

    it('checks only functions when the host gives no topic or bucket names', async () => {
      const mappings = setup({ topicNames: undefined, bucketNames: undefined });
      await mappings.create(input({ DestinationConfig: { OnFailure: { Destination: 'topic:anything' } } }));
      expect(await refusal(mappings.create({ ...input({ DestinationConfig: { OnFailure: { Destination: 'nonexistent-fn' } } }), FunctionName: 'failures' })))
        .toContain('names no function of this host');
    });
  });
});
