import type { CheckpointRef, ShardRecord, SourceStore } from '../../backend/index.js';
import type { MappingParams } from '../../config/index.js';
import { TooManyRequestsError } from '../../errors/index.js';
import { laneFor } from './shard-hash.js';

/** How one batch invocation ended. */
export type BatchOutcome =
  | { kind: 'ok' }
  /** ReportBatchItemFailures: the index (in the batch) of the lowest failed record. */
  | { kind: 'partial'; failedIndex: number }
  | { kind: 'error'; errorType: string }
  | { kind: 'throttled' };

/** Why records were discarded (Lambda's on-failure `condition`). */
export type DiscardCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** What a poller is built from; the mapping's parameters are read afresh on every batch (UpdateEventSourceMapping). */
export interface ShardPollerParts {
  store: SourceStore;
  ref: CheckpointRef;
  params: () => MappingParams;
  /** Invokes the function with the records as one batch. */
  invokeBatch: (records: ShardRecord[]) => Promise<BatchOutcome>;
  /**
   * Bytes a record takes in the event the function gets (a table's change
   * in DynamoDB's typed JSON is several times its stored size): what the
   * batch's payload limit counts.
   */
  deliveredBytes: (record: ShardRecord) => number;
  /** Describes discarded records to the on-failure destination. */
  discard: (records: ShardRecord[], condition: DiscardCondition, attempts: number) => Promise<void>;
  /** Where to start when the lane has no checkpoint yet (resolved once, then stored). */
  initialCheckpoint: () => Promise<string>;
  /** Records older than this (epoch ms) are past the source's retention. */
  retentionCutoff: () => number;
  /** Delay before retry `n` (1-based) of a failed batch. */
  backoffMs: (attempt: number) => number;
  /** How often to look for records written by other processes. */
  pollIntervalMs: number;
  /** Multi-host stores: hold this lease while polling. */
  lease?: { key: string; owner: string; ttlMs: number };
  onError: (error: unknown) => void;
  /** Called after each batch with its result, for LastProcessingResult. */
  onResult?: (result: 'OK' | 'PROBLEM') => void;
}

/** Lambda keeps a batch under its 6 MB synchronous payload limit. */
const MAX_BATCH_BYTES = 5 * 1024 * 1024;

/**
 * Polls one lane of one shard for one mapping and invokes the function with
 * ordered batches. One batch is in flight at a time, so an erroring batch
 * blocks its lane until it succeeds, its records expire, or its retries run
 * out; the checkpoint moves (durably) only past records that are done.
 */
export class ShardPoller {
  readonly #p: ShardPollerParts;
  #stopped = false;
  #wake: (() => void) | undefined;
  #closeWake: (() => void) | undefined;
  #woken = false;
  #loop: Promise<void> | undefined;
  #checkpoint = '';
  /** Scan position: may run ahead of the checkpoint over records of other lanes. */
  #scanned = '';
  #leaseAt = 0;
  /** Set when the lease was found in another host's hands: that host may have moved the checkpoint on. */
  #leaseLost = false;

  constructor(parts: ShardPollerParts) {
    this.#p = parts;
  }

  /** The shard this poller reads. */
  get shard(): number {
    return this.#p.ref.shard;
  }

  /** The lane of the shard (ParallelizationFactor). */
  get lane(): number {
    return this.#p.ref.lane;
  }

  /** The last processed sequence number, as stored. */
  get checkpoint(): string {
    return this.#checkpoint;
  }

  start(): void {
    this.#loop ??= this.#run().catch((error: unknown) => this.#p.onError(error));
  }

  /** New records may be there: look now. */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Stops after the batch in flight; resolves when the loop ended. Idempotent. */
  async close(): Promise<void> {
    this.#stopped = true;
    this.#closeWake?.();
    await this.#loop;
    if (this.#p.lease) await this.#p.store.releaseLease(this.#p.lease.key, this.#p.lease.owner).catch(() => {});
  }

  async #run(): Promise<void> {
    const { store, ref } = this.#p;
    // A store fault while waiting for the lease must not end the poller: a standby host waits on.
    while (!this.#stopped) {
      try {
        if (await this.#holdLease()) break;
      } catch (error) {
        this.#p.onError(error);
      }
      await this.#sleep(this.#p.lease!.ttlMs / 3);
    }
    if (this.#stopped) return;
    for (;;) {
      try {
        const stored = await store.getCheckpoint(ref);
        if (stored === undefined) {
          this.#checkpoint = await this.#p.initialCheckpoint();
          // Stored at once: a restart must start where this run started, not at a later LATEST.
          await store.setCheckpoint(ref, this.#checkpoint);
        } else {
          this.#checkpoint = stored;
        }
        break;
      } catch (error) {
        this.#p.onError(error);
        await this.#sleep(Math.max(this.#p.pollIntervalMs, 200), false);
        if (this.#stopped) return;
      }
    }
    this.#scanned = this.#checkpoint;
    while (!this.#stopped) {
      try {
        if (!(await this.#holdLease())) {
          this.#leaseLost = true;
          await this.#sleep(this.#p.lease!.ttlMs / 3);
          continue;
        }
        if (this.#leaseLost) {
          // Back from another host: go on from its checkpoint, not from where this one left off.
          this.#leaseLost = false;
          this.#checkpoint = (await store.getCheckpoint(ref)) ?? this.#checkpoint;
          this.#scanned = this.#checkpoint;
        }
        let records = await this.#read();
        if (records.length === 0) {
          // Only other lanes' records were passed: done with them here, and stored so, or a restart or a
          // new ParallelizationFactor (lanes restart from the lowest checkpoint) would deliver them again.
          if (this.#scanned > this.#checkpoint) await this.#advanceTo(this.#scanned);
          await this.#sleep(this.#p.pollIntervalMs);
          continue;
        }
        // The batching window and the batch under one lease, renewed throughout (a window may last 300 s).
        await this.#whileLeased(async () => {
          const { BatchSize, MaximumBatchingWindowInSeconds } = this.#p.params();
          if (records.length < BatchSize && MaximumBatchingWindowInSeconds > 0) {
            // Lambda's batching window: gather records until the batch is full or the window ends.
            const until = Date.now() + MaximumBatchingWindowInSeconds * 1000;
            while (!this.#stopped && !this.#leaseLost && records.length < BatchSize && Date.now() < until) {
              await this.#sleep(Math.min(until - Date.now(), this.#p.pollIntervalMs));
              this.#scanned = this.#checkpoint;
              records = await this.#read();
            }
          }
          await this.#process(records);
        });
      } catch (error) {
        // A store fault: report, wait, read again from the checkpoint (nothing past it was acknowledged).
        if (!(error instanceof LeaseLostError)) this.#p.onError(error);
        this.#scanned = this.#checkpoint;
        await this.#sleep(Math.max(this.#p.pollIntervalMs, 200));
      }
    }
  }

  /** Up to BatchSize records of this lane after the checkpoint, within the payload limit. */
  async #read(): Promise<ShardRecord[]> {
    const { BatchSize, ParallelizationFactor } = this.#p.params();
    const out: ShardRecord[] = [];
    let bytes = 0;
    let after = this.#scanned;
    for (let scans = 0; out.length < BatchSize && scans < 20; scans++) {
      const chunk = await this.#p.store.readShard(this.#p.ref, after, BatchSize);
      if (chunk.length === 0) break;
      for (const r of chunk) {
        if (laneFor(r.partitionKey, ParallelizationFactor) !== this.#p.ref.lane) {
          if (out.length === 0) this.#scanned = r.sequenceNumber; // nothing of ours before it: skip for good
          continue;
        }
        bytes += this.#p.deliveredBytes(r);
        if (out.length > 0 && bytes > MAX_BATCH_BYTES) return out;
        out.push(r);
        if (out.length === BatchSize) return out;
      }
      after = chunk[chunk.length - 1]!.sequenceNumber;
      if (chunk.length < BatchSize) break;
    }
    return out;
  }

  async #process(records: ShardRecord[]): Promise<void> {
    let pending = records;
    let size = pending.length;
    let retries = 0;
    let throttles = 0;
    while (pending.length > 0 && !this.#stopped) {
      // The lease went to another host (heartbeat): it has these records now.
      if (this.#leaseLost) throw new LeaseLostError();
      const params = this.#p.params();
      // MaximumRecordAgeInSeconds: "Discard records older than the specified age" (Lambda, Kinesis and
      // DynamoDB event source mappings), to the on-failure destination.
      // Past the stream's retention a record is gone, as a trimmed record is from a Kinesis or DynamoDB
      // stream: skipped, not sent to the on-failure destination (only MaximumRecordAgeInSeconds does that).
      const retained = pending.findIndex((r) => r.arrivedAt >= this.#p.retentionCutoff());
      const goneCount = retained === -1 ? pending.length : retained;
      if (goneCount > 0) {
        await this.#advance(pending[goneCount - 1]!);
        pending = pending.slice(goneCount);
        size = Math.min(size, pending.length) || pending.length;
        retries = 0;
        continue;
      }
      const ageCutoff = params.MaximumRecordAgeInSeconds === -1 ? -Infinity : Date.now() - params.MaximumRecordAgeInSeconds * 1000;
      const expired = pending.findIndex((r) => r.arrivedAt >= ageCutoff);
      const expiredCount = expired === -1 ? pending.length : expired;
      if (expiredCount > 0) {
        const old = pending.slice(0, expiredCount);
        await this.#p.discard(old, 'RecordAgeExceeded', retries + 1);
        await this.#advance(old[old.length - 1]!);
        pending = pending.slice(expiredCount);
        size = Math.min(size, pending.length) || pending.length;
        retries = 0;
        continue;
      }
      const batch = pending.slice(0, size);
      const outcome = await this.#p.invokeBatch(batch);
      if (outcome.kind === 'throttled') {
        // Throttles are retried without using the retry budget (Lambda keeps polling at a slower rate).
        await this.#sleep(Math.min(50 * 2 ** throttles++, 2000), false);
        continue;
      }
      throttles = 0;
      if (outcome.kind === 'ok') {
        this.#p.onResult?.('OK');
        await this.#advance(batch[batch.length - 1]!);
        pending = pending.slice(batch.length);
        retries = 0;
        continue;
      }
      this.#p.onResult?.('PROBLEM');
      let failedBatch = batch;
      if (outcome.kind === 'partial') {
        // ReportBatchItemFailures: "Lambda checkpoints at the lowest sequence number reported as failed"
        // and retries from it; records before it are done.
        if (outcome.failedIndex > 0) {
          await this.#advance(batch[outcome.failedIndex - 1]!);
          pending = pending.slice(outcome.failedIndex);
        }
        failedBatch = batch.slice(outcome.failedIndex);
        size = failedBatch.length;
      }
      // BisectBatchOnFunctionError: "If the function returns an error, split the batch into two and retry"
      // (with batchItemFailures, the split is of the records from the lowest failed one). Lambda's
      // documentation: "Splitting a batch does not count towards the retry quota", so only a batch that
      // can no longer be split uses up MaximumRetryAttempts.
      // With ReportBatchItemFailures the split is at the failed record ("the batch is bisected at the
      // returned sequence number and Lambda retries only the remaining records"): no halving on top.
      if (params.BisectBatchOnFunctionError && outcome.kind !== 'partial' && failedBatch.length > 1) {
        size = Math.ceil(failedBatch.length / 2);
        continue;
      }
      retries++;
      // MaximumRetryAttempts: "Discard records after the specified number of retries"; -1 (the default)
      // retries until the records expire. Discarded batches go to DestinationConfig.OnFailure.
      if (params.MaximumRetryAttempts !== -1 && retries > params.MaximumRetryAttempts) {
        await this.#p.discard(failedBatch, 'RetryAttemptsExhausted', retries);
        await this.#advance(failedBatch[failedBatch.length - 1]!);
        pending = pending.slice(failedBatch.length);
        size = pending.length;
        retries = 0;
        continue;
      }
      // Not woken by new records: a failing batch must not spin.
      await this.#sleep(this.#p.backoffMs(retries), false);
    }
  }

  /**
   * Runs a batch while renewing the lease (a batch may outlast it: a slow
   * function, retries with back-off). If another host took the lease meanwhile,
   * the checkpoint is left to it.
   */
  async #whileLeased(work: () => Promise<void>): Promise<void> {
    const lease = this.#p.lease;
    if (!lease) return work();
    const renew = async (): Promise<void> => {
      try {
        if (await this.#p.store.tryLease(lease.key, lease.owner, lease.ttlMs)) this.#leaseAt = Date.now();
        else {
          this.#leaseLost = true;
          this.#leaseAt = 0; // ask the store again before the next batch
        }
      } catch (error) {
        this.#p.onError(error);
      }
    };
    // Renewed at once too: the lease may have lapsed since it was last checked.
    await renew();
    if (this.#leaseLost) throw new LeaseLostError();
    const heartbeat = setInterval(() => void renew(), lease.ttlMs / 3);
    heartbeat.unref();
    try {
      await work();
    } finally {
      clearInterval(heartbeat);
    }
  }

  #advance(record: ShardRecord): Promise<void> {
    return this.#advanceTo(record.sequenceNumber);
  }

  async #advanceTo(sequenceNumber: string): Promise<void> {
    // Another host holds the shard now and may be past this record: its checkpoint stands.
    if (this.#leaseLost) throw new LeaseLostError();
    this.#checkpoint = sequenceNumber;
    if (this.#scanned < sequenceNumber) this.#scanned = sequenceNumber;
    await this.#p.store.setCheckpoint(this.#p.ref, sequenceNumber);
  }

  async #holdLease(): Promise<boolean> {
    const lease = this.#p.lease;
    if (!lease) return true;
    if (Date.now() - this.#leaseAt < lease.ttlMs / 3) return true;
    const ok = await this.#p.store.tryLease(lease.key, lease.owner, lease.ttlMs);
    if (ok) this.#leaseAt = Date.now();
    return ok;
  }

  /** Waits `ms`, or less when woken (new records) if `wakeable`, or closed. */
  #sleep(ms: number, wakeable = true): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (wakeable && this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (wakeable) this.#wake = undefined;
        this.#closeWake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.#closeWake = done;
      if (wakeable) {
        this.#wake = () => {
          this.#woken = false;
          done();
        };
      }
    });
  }
}

/** The lease went to another host during a batch: stop the batch, keep its checkpoint. */
class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/** Whether an invocation error is a throttle (retry later, not a function error). */
export function isThrottle(error: unknown): boolean {
  return error instanceof TooManyRequestsError;
}
