import { afterEach, describe, expect, it } from 'vitest';
import type { CheckpointRef, ShardRecord, SourceStore } from '../../../../runtime/backend/index.js';
import { DEFAULT_MAPPING_PARAMS, type MappingParams } from '../../../../runtime/config/index.js';
import { laneFor } from '../../../../runtime/sources/pull/shard-hash.js';
import { ShardPoller, type BatchOutcome } from '../../../../runtime/sources/pull/shard-poller.js';

const REF: CheckpointRef = { stream: 'kinesis:s', shard: 0, mappingId: 'm', lane: 0 };
const OWNER = 'host-a';
const pollers: ShardPoller[] = [];

afterEach(async () => {
  for (const poller of pollers.splice(0)) await poller.close();
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The store calls a poller makes, in memory; the lease's holder and the faults are the test's to set. */
class FakeStore {
  records: ShardRecord[] = [1, 2, 3, 4, 5, 6].map((n) => ({ shard: 0, sequenceNumber: `r${n}`, partitionKey: 'k', data: `d${n}`, arrivedAt: Date.now() }));
  checkpoint: string | undefined = '';
  holder = OWNER;
  leaseCalls = 0;
  leaseFaults = 0;
  onLease: () => void = () => undefined;
  readonly #waiting = new Map<string, () => void>();
  /** Resolves once the checkpoint was stored at `sequenceNumber`. */
  checkpointed(sequenceNumber: string): Promise<void> {
    return new Promise((resolve) => this.#waiting.set(sequenceNumber, resolve));
  }
  async getCheckpoint(): Promise<string | undefined> {
    return this.checkpoint;
  }
  async setCheckpoint(_ref: CheckpointRef, sequenceNumber: string): Promise<void> {
    this.checkpoint = sequenceNumber;
    this.#waiting.get(sequenceNumber)?.();
  }
  async readShard(_ref: unknown, after: string, limit: number): Promise<ShardRecord[]> {
    return this.records.filter((r) => r.sequenceNumber > after).slice(0, limit);
  }
  async tryLease(_key: string, owner: string): Promise<boolean> {
    this.leaseCalls++;
    this.onLease();
    if (this.leaseFaults > 0) {
      this.leaseFaults--;
      throw new Error('Command timed out');
    }
    return this.holder === owner;
  }
  async releaseLease(): Promise<void> {}
}

function poller(
  store: FakeStore, invokeBatch: (records: ShardRecord[]) => Promise<BatchOutcome>, params: Partial<MappingParams> = {}, errors: unknown[] = [],
  more: { retentionCutoff?: () => number; discarded?: string[]; deliveredBytes?: (record: ShardRecord) => number } = {},
): ShardPoller {
  const p = new ShardPoller({
    store: store as unknown as SourceStore,
    ref: REF,
    params: () => ({ ...DEFAULT_MAPPING_PARAMS, StartingPosition: 'TRIM_HORIZON', ...params }) as MappingParams,
    invokeBatch,
    deliveredBytes: more.deliveredBytes ?? ((r) => r.data.length),
    discard: async (records) => {
      more.discarded?.push(...records.map((r) => r.sequenceNumber));
    },
    initialCheckpoint: async () => '',
    retentionCutoff: more.retentionCutoff ?? (() => 0),
    backoffMs: () => 10,
    pollIntervalMs: 10,
    lease: { key: 'lease', owner: OWNER, ttlMs: 90 },
    onError: (error) => errors.push(error),
  });
  pollers.push(p);
  p.start();
  return p;
}

describe('ShardPoller leases (several hosts on one store)', () => {
  it('renews its lease while a batch outlasts it', async () => {
    const store = new FakeStore();
    const renewedTwice = deferred();
    const done = store.checkpointed('r6');
    let callsAtStart = 0;
    store.onLease = () => {
      if (callsAtStart > 0 && store.leaseCalls >= callsAtStart + 2) renewedTwice.resolve();
    };
    poller(store, async (records) => {
      if (records[0]!.sequenceNumber === 'r1') {
        // The batch ends only once the lease was renewed during it (twice its time to live would pass otherwise).
        callsAtStart = store.leaseCalls;
        await renewedTwice.promise;
      }
      return { kind: 'ok' };
    }, { BatchSize: 3 });
    await done;
    expect(store.checkpoint).toBe('r6');
  });

  it('renews its lease through the batching window, and invokes nothing once another host has it', async () => {
    const store = new FakeStore();
    store.records = store.records.slice(0, 1);
    let invoked = 0;
    const after = deferred();
    let flippedAt = -1;
    store.onLease = () => {
      if (flippedAt === -1 && store.leaseCalls >= 3) {
        store.holder = 'host-b';
        flippedAt = store.leaseCalls;
      } else if (flippedAt !== -1 && store.leaseCalls >= flippedAt + 3) {
        after.resolve();
      }
    };
    poller(store, async () => {
      invoked++;
      return { kind: 'ok' };
    }, { BatchSize: 10, MaximumBatchingWindowInSeconds: 2 });
    await after.promise;
    expect(invoked).toBe(0);
    expect(store.checkpoint).toBe('');
  });

  it('keeps waiting for its lease through a store fault (a standby host must take over later)', async () => {
    const store = new FakeStore();
    store.leaseFaults = 1;
    const errors: unknown[] = [];
    const done = deferred();
    poller(store, async (records) => {
      if (records.at(-1)!.sequenceNumber === 'r6') done.resolve();
      return { kind: 'ok' };
    }, {}, errors);
    await done.promise;
    expect(errors).toEqual([expect.objectContaining({ message: 'Command timed out' })]);
  });

  it('leaves the checkpoint to the host that took its lease mid-batch, and goes on from that host\'s checkpoint', async () => {
    const store = new FakeStore();
    const delivered: string[] = [];
    const lost = deferred();
    const back = store.checkpointed('r6');
    let first = true;
    poller(store, async (records) => {
      delivered.push(...records.map((r) => r.sequenceNumber));
      if (first) {
        first = false;
        // Another host takes the shard during this batch and gets through r4.
        store.holder = 'host-b';
        store.onLease = () => lost.resolve();
        await lost.promise;
        store.checkpoint = 'r4';
        store.onLease = () => undefined;
        store.holder = OWNER;
      }
      return { kind: 'ok' };
    }, { BatchSize: 2 });
    await back;
    // r1–r2 (its batch, not checkpointed: the lease was gone), then from host-b's r4 on.
    expect(delivered).toEqual(['r1', 'r2', 'r5', 'r6']);
    expect(store.checkpoint).toBe('r6');
  });

  it('skips records past the stream\'s retention without sending them to the on-failure destination', async () => {
    const store = new FakeStore();
    const now = Date.now();
    store.records = store.records.map((r, i) => ({ ...r, arrivedAt: i < 2 ? now - 10_000 : now }));
    const delivered: string[] = [];
    const discarded: string[] = [];
    const done = store.checkpointed('r6');
    poller(store, async (records) => {
      delivered.push(...records.map((r) => r.sequenceNumber));
      return { kind: 'ok' };
    }, { MaximumRecordAgeInSeconds: 3600 }, [], { retentionCutoff: () => now - 5_000, discarded });
    await done;
    expect(delivered).toEqual(['r3', 'r4', 'r5', 'r6']);
    expect(discarded).toEqual([]);
  });
});

describe('ShardPoller lanes (ParallelizationFactor)', () => {
  it('stores its checkpoint past records of other lanes, so a restart or a new factor does not deliver them again', async () => {
    const store = new FakeStore();
    // Keys of lane 1 only: this lane-0 poller has nothing to deliver, however many it passes.
    const otherLane = Array.from({ length: 100 }, (_, n) => `key-${n}`).filter((k) => laneFor(k, 2) === 1).slice(0, 3);
    store.records = store.records.map((r, i) => ({ ...r, partitionKey: otherLane[i % otherLane.length]! }));
    const invoked: string[] = [];
    const passed = store.checkpointed('r6');
    poller(store, async (records) => {
      invoked.push(...records.map((r) => r.sequenceNumber));
      return { kind: 'ok' };
    }, { ParallelizationFactor: 2 });
    await passed;
    expect(invoked).toEqual([]);
  });
});

describe('ShardPoller batches', () => {
  it('cuts a batch by the size its records take in the event, not as stored, to stay under the 6 MB payload limit', async () => {
    const store = new FakeStore();
    const batches: string[][] = [];
    const done = store.checkpointed('r6');
    // Stored as two bytes each, delivered as 2 MB each (a table change in DynamoDB's typed JSON grows so).
    poller(store, async (records) => {
      batches.push(records.map((r) => r.sequenceNumber));
      return { kind: 'ok' };
    }, { BatchSize: 100 }, [], { deliveredBytes: () => 2 * 1024 * 1024 });
    await done;
    expect(batches).toEqual([['r1', 'r2'], ['r3', 'r4'], ['r5', 'r6']]);
  });

  it('with Bisect and ReportBatchItemFailures retries the records from the failed one, without halving them again', async () => {
    const store = new FakeStore();
    const sizes: number[] = [];
    const discarded: string[] = [];
    const done = store.checkpointed('r6');
    poller(store, async (records) => {
      sizes.push(records.length);
      const failed = records.findIndex((r) => r.sequenceNumber === 'r3');
      return failed === -1 ? { kind: 'ok' } : { kind: 'partial', failedIndex: failed };
    }, { BisectBatchOnFunctionError: true, FunctionResponseTypes: ['ReportBatchItemFailures'], MaximumRetryAttempts: 1 }, [], { discarded });
    await done;
    // r1–r6, then r3–r6 once more (MaximumRetryAttempts 1), then they are discarded.
    expect(sizes).toEqual([6, 4]);
    expect(discarded).toEqual(['r3', 'r4', 'r5', 'r6']);
  });
});
