import { createHash, randomUUID } from 'node:crypto';
import type { ShardRecord, ShardRef, SourceStore } from '../../backend/index.js';
import { checkMappingParams, DEFAULT_MAPPING_PARAMS, filterCriteriaFromConfig, type EventSourceMappingOptions, type MappingParams } from '../../config/index.js';
import { matchesPolicy } from '../push/filter-policy.js';
import {
  InvalidParameterValueError, previewValue, ResourceConflictError, ResourceNotFoundError, TooManyRequestsError,
} from '../../errors/index.js';
import type { InvokeOptions, InvokeResult } from '../../invoke/index.js';
import { destinationTarget } from './destination-target.js';
import { dynamodbRecord, kinesisRecord, parseSourceRef, shardId, sourceLabelOf, streamIdOf, type FormatContext, type SourceRef } from './record-shapes.js';
import { ShardPoller, type BatchOutcome, type DiscardCondition } from './shard-poller.js';
import type { Streams } from './streams.js';
import type { Tables } from './tables.js';

/** Delivered sizes a mapping remembers (the oldest go first): more than a batch window re-reads. */
const MEASURED_RECORDS = 20_000;

/** Lambda's EventSourceMappingConfiguration, as the API sends it. */
export interface EventSourceMappingConfiguration {
  UUID: string;
  EventSourceMappingArn: string;
  EventSourceArn: string;
  FunctionArn: string;
  StartingPosition: string;
  StartingPositionTimestamp?: number;
  BatchSize: number;
  MaximumBatchingWindowInSeconds: number;
  ParallelizationFactor: number;
  BisectBatchOnFunctionError: boolean;
  MaximumRetryAttempts: number;
  MaximumRecordAgeInSeconds: number;
  FunctionResponseTypes: string[];
  FilterCriteria?: { Filters: Array<{ Pattern: string }> };
  DestinationConfig: { OnFailure: { Destination?: string } };
  LastModified: number;
  LastProcessingResult: string;
  State: 'Creating' | 'Enabled' | 'Disabled' | 'Enabling' | 'Disabling' | 'Updating' | 'Deleting';
  StateTransitionReason: string;
}

/** What the mappings are built from. */
export interface EventSourceMappingsParts {
  store: SourceStore;
  streams: Streams;
  tables: Tables;
  region: string;
  accountId: string;
  /** Invokes a function (the host's invoker). */
  invoke: (name: string, payload: unknown, options: InvokeOptions) => Promise<InvokeResult>;
  /** The ARN of a function or job; throws ResourceNotFoundError when it does not exist. */
  functionArn: (name: string) => string;
  /** Sends a discarded batch's description to its destination (`topic:`, `bucket:`, ARN or function). */
  sendToDestination: (destination: string, record: Record<string, unknown>, mapping: EventSourceMappingConfiguration) => Promise<void>;
  /**
   * This host's topic names: a `topic:` or SNS ARN on-failure destination must name one at create and update.
   * Absent: such destinations are not checked (a send to a missing topic is reported through onError).
   */
  topicNames?: () => readonly string[];
  /** This host's bucket names, as `topicNames` for `bucket:` and S3 ARN destinations. */
  bucketNames?: () => readonly string[];
  /** Hold a lease per shard lane (stores shared by several hosts). @defaultValue false */
  leases?: boolean;
  /** With leases (several hosts): how often to take in mappings created, changed or deleted on another host. @defaultValue 5000 */
  reconcileMs?: number;
  /** @defaultValue 250 */
  pollIntervalMs?: number;
  /** Delay before retry n of a failing batch. @defaultValue 100 ms doubling, at most 10 s */
  backoffMs?: (attempt: number) => number;
  onError: (error: unknown) => void;
}

interface Mapping {
  uuid: string;
  origin: 'config' | 'api';
  functionName: string;
  source: SourceRef;
  eventSourceArn: string;
  params: MappingParams;
  lastModified: number;
  lastResult: string;
  pollers: ShardPoller[];
  /** Settles when the pollers of the previous configuration stopped. */
  restarting: Promise<void>;
  /** The ParallelizationFactor the stored checkpoints are laid out for. */
  lanes: number;
  /** This host changed ParallelizationFactor, so this host re-lanes (another host's change is re-laned there). */
  relaneHere: boolean;
  /** Bumped by every write of the mapping: hosts take in a stored version above theirs. */
  version: number;
  /** Random per write: two hosts writing the same version at once differ here, and the store's write wins. */
  revision: string;
  /** Per running poller (shard and lane): age of the last record of its latest batch, when read (Lambda's IteratorAge). */
  iteratorAges: Map<string, number>;
}

/** Lambda's largest ParallelizationFactor: a re-lane reads every lane that may hold a checkpoint. */
const MAX_LANES = 10;

const API_KEYS = new Set([
  'FunctionName', 'EventSourceArn', 'Enabled', 'BatchSize', 'StartingPosition', 'StartingPositionTimestamp', 'MaximumBatchingWindowInSeconds',
  'ParallelizationFactor', 'DestinationConfig', 'MaximumRecordAgeInSeconds', 'BisectBatchOnFunctionError', 'MaximumRetryAttempts',
  'FunctionResponseTypes', 'FilterCriteria',
]);
const UPDATE_KEYS = new Set([...API_KEYS].filter((k) => k !== 'EventSourceArn' && k !== 'StartingPosition' && k !== 'StartingPositionTimestamp'));
const HOST_ID = randomUUID();

/**
 * Lambda's event source mappings for streams and table change streams: the
 * config's mappings and those made through the API (kept in the store), one
 * `ShardPoller` per shard (× ParallelizationFactor lanes) of each enabled
 * mapping.
 */
export class EventSourceMappings {
  readonly #p: EventSourceMappingsParts;
  readonly #mappings = new Map<string, Mapping>();
  #closed = false;
  #reconciler: NodeJS.Timeout | undefined;
  /** API calls and reconcile passes run one at a time: each reads, then writes, the store and the map. */
  #turn: Promise<unknown> = Promise.resolve();
  /** Deletions answered but still stopping their pollers (the batch in flight): close waits for them. */
  readonly #deleting = new Set<Promise<void>>();

  constructor(parts: EventSourceMappingsParts) {
    this.#p = parts;
  }

  /** Loads config mappings (overridden by stored updates) and stored API mappings, and starts polling. */
  async start(configured: readonly EventSourceMappingOptions[]): Promise<void> {
    const stored = new Map((await this.#p.store.listMappings()).map((m) => [m.id, JSON.parse(m.definition) as StoredMapping]));
    for (const options of configured) {
      const source = parseSourceRef(options.source)!;
      const uuid = configUuid(source, options.function);
      const params = { ...DEFAULT_MAPPING_PARAMS, StartingPosition: 'TRIM_HORIZON' as const, ...fromConfig(options) };
      const saved = stored.get(uuid);
      this.#add({
        uuid, origin: 'config', functionName: saved?.functionName ?? options.function, source, params: saved?.params ?? params,
        lastModified: saved?.lastModified ?? Date.now(),
        ...(saved && { lanes: saved.lanes, version: saved.version, revision: saved.revision }),
      });
      stored.delete(uuid);
    }
    for (const saved of stored.values()) if (saved.origin === 'api') this.#add(saved);
    for (const m of this.#mappings.values()) this.#startPollers(m);
    if (this.#p.leases) {
      this.#reconciler = setInterval(() => void this.reconcile(), this.#p.reconcileMs ?? 5000);
      this.#reconciler.unref();
    }
  }

  /**
   * Several hosts on one store: takes in the mappings another host created,
   * updated or deleted (each host polls its own copy of a mapping's lanes
   * under leases). Runs on a timer; one pass at a time.
   */
  reconcile(): Promise<void> {
    return this.#exclusive(() => this.#reconcile()).catch((error: unknown) => this.#p.onError(error));
  }

  /** Runs `work` after every API call and reconcile pass before it. */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#turn.then(work);
    this.#turn = run.catch(() => undefined);
    return run;
  }

  async #reconcile(): Promise<void> {
    if (this.#closed) return;
    const stored = new Map((await this.#p.store.listMappings()).map((m) => [m.id, JSON.parse(m.definition) as StoredMapping]));
    for (const [uuid, saved] of stored) {
      const m = this.#mappings.get(uuid);
      if (!m) {
        // Only what this host can run: its function and its stream or table are in this host's config.
        if (saved.origin === 'api' && this.#runnable(saved)) this.#startPollers(this.#add(saved));
        continue;
      }
      if (!isNewer(saved, m)) continue;
      const restart = saved.params.ParallelizationFactor !== m.params.ParallelizationFactor || saved.params.Enabled !== m.params.Enabled
        || (saved.lanes ?? saved.params.ParallelizationFactor) !== m.lanes;
      m.functionName = saved.functionName;
      m.params = saved.params;
      m.lastModified = saved.lastModified;
      m.version = saved.version ?? 0;
      m.revision = saved.revision ?? '';
      m.lanes = saved.lanes ?? saved.params.ParallelizationFactor;
      // Another host changed the factor: it re-lanes; this one stops and starts again once the store says it is done.
      m.relaneHere = false;
      if (restart) this.#restart(m);
    }
    for (const m of [...this.#mappings.values()]) {
      if (m.origin !== 'api' || stored.has(m.uuid)) continue;
      // Deleted on another host: stop here too. Not waiting for the restart chain: it sees the mapping gone and stops.
      this.#mappings.delete(m.uuid);
      await Promise.all(m.pollers.map((p) => p.close()));
      m.pollers = [];
      // A checkpoint these pollers wrote after the delete would be left behind: remove it again.
      try {
        await this.#p.store.deleteCheckpoints(m.uuid, this.#shards(m.source));
      } catch (error) {
        this.#p.onError(error);
      }
    }
  }

  #runnable(saved: StoredMapping): boolean {
    try {
      this.#p.functionArn(saved.functionName);
      this.#shards(saved.source);
      return true;
    } catch {
      return false;
    }
  }

  /** Wakes the pollers of the shards that grew. */
  wake(stream: string, shards: readonly number[]): void {
    for (const m of this.#mappings.values()) {
      if (streamIdOf(m.source) !== stream) continue;
      for (const poller of m.pollers) if (shards.includes(pollerShard(poller))) poller.wake();
    }
  }

  // -- Lambda's API ---------------------------------------------------------------

  /** CreateEventSourceMapping. */
  create(input: Record<string, unknown>): Promise<EventSourceMappingConfiguration> {
    return this.#exclusive(() => this.#create(input));
  }

  async #create(input: Record<string, unknown>): Promise<EventSourceMappingConfiguration> {
    this.#refuseUnknown(input, API_KEYS, 'CreateEventSourceMapping');
    if (typeof input.FunctionName !== 'string' || input.FunctionName === '') throw new InvalidParameterValueError('FunctionName is required');
    if (typeof input.EventSourceArn !== 'string') throw new InvalidParameterValueError('EventSourceArn is required');
    const source = this.#source(input.EventSourceArn);
    const functionArn = this.#p.functionArn(input.FunctionName);
    // null too: dropped with the other unset parameters, it would leave a mapping with nowhere to start.
    if (input.StartingPosition === undefined || input.StartingPosition === null) {
      throw new InvalidParameterValueError('StartingPosition is required for Kinesis and DynamoDB Streams event sources');
    }
    const params = { ...DEFAULT_MAPPING_PARAMS, ...this.#params(input, source) } as MappingParams;
    for (const m of this.#mappings.values()) {
      // A mapping kept for a function gone from the config conflicts with no new one.
      if (streamIdOf(m.source) === streamIdOf(source) && this.#safeArn(m.functionName) === functionArn) {
        throw new ResourceConflictError(`The event source arn (" ${input.EventSourceArn} ") and function (" ${input.FunctionName} ") provided mapping already exists. Please update or delete the existing mapping with UUID ${m.uuid}`);
      }
    }
    // Stored before it is known here: a mapping is never polled that the store does not hold.
    const fresh = {
      uuid: randomUUID(), origin: 'api' as const, functionName: input.FunctionName, source, params, lastModified: Date.now(),
      lanes: params.ParallelizationFactor, version: 0,
    };
    const m = this.#add({ ...fresh, ...(await this.#persist(fresh)) });
    this.#startPollers(m);
    return { ...this.#describe(m), State: 'Creating' };
  }

  /** GetEventSourceMapping. */
  get(uuid: string): EventSourceMappingConfiguration {
    return this.#describe(this.#find(uuid));
  }

  /** ListEventSourceMappings, optionally by function and source; paged by `Marker` (an index). */
  list(filter: { FunctionName?: string; EventSourceArn?: string; Marker?: string; MaxItems?: number } = {}): { EventSourceMappings: EventSourceMappingConfiguration[]; NextMarker?: string } {
    let all = [...this.#mappings.values()];
    if (filter.FunctionName) {
      const arn = this.#p.functionArn(filter.FunctionName);
      all = all.filter((m) => this.#safeArn(m.functionName) === arn);
    }
    if (filter.EventSourceArn) {
      const source = this.#source(filter.EventSourceArn);
      all = all.filter((m) => streamIdOf(m.source) === streamIdOf(source));
    }
    const start = filter.Marker ? Number(filter.Marker) : 0;
    const max = filter.MaxItems ?? 100;
    if (!Number.isInteger(start) || start < 0) throw new InvalidParameterValueError(`Marker is not valid (got ${previewValue(filter.Marker)})`);
    if (!Number.isInteger(max) || max < 1 || max > 10_000) throw new InvalidParameterValueError(`MaxItems must be an integer from 1 to 10000 (got ${filter.MaxItems})`);
    const page = all.slice(start, start + max).map((m) => this.#describe(m));
    return { EventSourceMappings: page, ...(start + max < all.length && { NextMarker: String(start + max) }) };
  }

  /** UpdateEventSourceMapping: the new parameters apply from the next batch. */
  update(uuid: string, input: Record<string, unknown>): Promise<EventSourceMappingConfiguration> {
    return this.#exclusive(() => this.#update(uuid, input));
  }

  async #update(uuid: string, input: Record<string, unknown>): Promise<EventSourceMappingConfiguration> {
    const m = this.#find(uuid);
    this.#refuseUnknown(input, UPDATE_KEYS, 'UpdateEventSourceMapping');
    if (input.FunctionName !== undefined) {
      if (typeof input.FunctionName !== 'string') throw new InvalidParameterValueError('FunctionName must be a string');
      this.#p.functionArn(input.FunctionName);
    }
    const next = { ...m.params, ...this.#params(input, m.source) } as MappingParams;
    const restart = next.ParallelizationFactor !== m.params.ParallelizationFactor || next.Enabled !== m.params.Enabled;
    const functionName = typeof input.FunctionName === 'string' ? input.FunctionName : m.functionName;
    const lastModified = Date.now();
    // Stored first: a failed write leaves the mapping as it was, in the store and here.
    const written = await this.#persist({ ...m, functionName, params: next, lastModified });
    m.functionName = functionName;
    m.params = next;
    m.lastModified = lastModified;
    m.version = written.version;
    m.revision = written.revision;
    if (restart) {
      m.relaneHere = true;
      this.#restart(m);
    }
    return { ...this.#describe(m), State: 'Updating' };
  }

  /** DeleteEventSourceMapping (config mappings cannot be deleted through the API: edit the config). */
  delete(uuid: string): Promise<EventSourceMappingConfiguration> {
    return this.#exclusive(() => this.#delete(uuid));
  }

  async #delete(uuid: string): Promise<EventSourceMappingConfiguration> {
    const m = this.#find(uuid);
    if (m.origin === 'config') {
      throw new ResourceConflictError(`The event source mapping ${uuid} is defined in the config file; remove it there (or disable it with UpdateEventSourceMapping)`);
    }
    this.#mappings.delete(uuid);
    const description = { ...this.#describe(m), State: 'Deleting' as const };
    // Durable before the answer; the batch in flight finishes behind it, as Lambda answers
    // "Deleting" at once. A checkpoint its pollers write meanwhile is removed after they stop.
    await this.#p.store.deleteMapping(uuid);
    const finishing = (async () => {
      await Promise.all(m.pollers.map((p) => p.close()));
      await m.restarting;
      await this.#p.store.deleteCheckpoints(uuid, this.#shards(m.source));
    })().catch((error: unknown) => this.#p.onError(error));
    this.#deleting.add(finishing);
    void finishing.finally(() => this.#deleting.delete(finishing));
    return description;
  }

  /** Resolves once the restarts that updates asked for have run (tests; the API answers before that, as Lambda's "Updating"). */
  async settled(uuid: string): Promise<void> {
    const m = this.#find(uuid);
    let seen: Promise<void>;
    do {
      seen = m.restarting;
      await seen;
    } while (seen !== m.restarting);
  }

  /**
   * Each running mapping's iterator age (`neolith_event_source_iterator_age_seconds`): the
   * oldest of its pollers' (a lagging shard is not hidden by a healthy one), once one read a batch.
   */
  iteratorAges(): Array<{ source: string; functionName: string; ageMs: number }> {
    const ages: Array<{ source: string; functionName: string; ageMs: number }> = [];
    for (const m of this.#mappings.values()) {
      if (m.iteratorAges.size === 0) continue;
      ages.push({ source: sourceLabelOf(m.source), functionName: m.functionName, ageMs: Math.max(...m.iteratorAges.values()) });
    }
    return ages;
  }

  /** The stored checkpoint of each lane (tests, the dashboard). */
  checkpoints(uuid: string): Array<{ shard: number; lane: number; sequenceNumber: string }> {
    return this.#find(uuid).pollers.map((p) => ({ shard: p.shard, lane: p.lane, sequenceNumber: p.checkpoint }));
  }

  /** Stops every poller after its batch in flight. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reconciler);
    await this.#turn;
    const all = [...this.#mappings.values()];
    await Promise.allSettled([...all.flatMap((m) => [...m.pollers.map((p) => p.close()), m.restarting]), ...this.#deleting]);
  }

  // -- internals ------------------------------------------------------------------

  /**
   * Restarts a mapping's pollers after a change of Enabled or ParallelizationFactor.
   * Reconciled when it runs, from the mapping as it is then: updates in quick
   * succession (disable, enable) each stop what runs and start at most one set.
   */
  #restart(m: Mapping): void {
    m.restarting = m.restarting.then(async () => {
      const running = m.pollers;
      m.pollers = [];
      // Stopped pollers read nothing more: a disabled mapping has no iterator age.
      m.iteratorAges.clear();
      await Promise.all(running.map((p) => p.close()));
      if (this.#closed || this.#mappings.get(m.uuid) !== m) return;
      if (m.lanes !== m.params.ParallelizationFactor) {
        // Re-laned by the host that changed the factor; elsewhere this waits for the store to say it is done.
        if (!m.relaneHere) return;
        await this.#relane(m);
        const written = await this.#persist(m);
        m.version = written.version;
        m.revision = written.revision;
      }
      this.#startPollers(m);
    }).catch((error: unknown) => this.#p.onError(error));
  }

  #add(s: StoredMapping): Mapping {
    const m: Mapping = {
      ...s, eventSourceArn: this.#arnOf(s.source), lastResult: 'No records processed', pollers: [], restarting: Promise.resolve(),
      lanes: s.lanes ?? s.params.ParallelizationFactor, relaneHere: false, version: s.version ?? 0, revision: s.revision ?? '', iteratorAges: new Map(),
    };
    this.#mappings.set(m.uuid, m);
    return m;
  }

  #startPollers(m: Mapping): void {
    // A mapping deleted meanwhile (here or by reconcile) must not get pollers nobody could stop.
    if (this.#closed || !m.params.Enabled || this.#mappings.get(m.uuid) !== m) return;
    const settings = m.source.kind === 'kinesis' ? this.#p.streams.settings(m.source.name) : this.#p.tables.settings(m.source.name);
    const ctx: FormatContext = {
      region: this.#p.region, accountId: this.#p.accountId, eventSourceArn: m.eventSourceArn,
      ...('streamViewType' in settings && { streamViewType: settings.streamViewType }),
    };
    const shape = m.source.kind === 'kinesis' ? kinesisRecord : dynamodbRecord;
    // Each record is shaped once: to be measured when its batch is read, and again for every retry of it.
    const shaped = new WeakMap<ShardRecord, Record<string, unknown>>();
    const measured = new Map<string, number>();
    const format = (r: ShardRecord, c: FormatContext): Record<string, unknown> => {
      let delivered = shaped.get(r);
      if (!delivered) shaped.set(r, (delivered = shape(r, c)));
      return delivered;
    };
    for (const shard of this.#shards(m.source)) {
      for (let lane = 0; lane < m.params.ParallelizationFactor; lane++) {
        const ref = { ...shard, mappingId: m.uuid, lane };
        const poller = new ShardPoller({
          store: this.#p.store, ref, params: () => m.params,
          invokeBatch: (records) => {
            // Before filtering: a record filtered out was read all the same.
            m.iteratorAges.set(`${shard.shard}:${lane}`, Math.max(0, Date.now() - records[records.length - 1]!.arrivedAt));
            return this.#invokeBatch(m, records, format, ctx);
          },
          deliveredBytes: (r) => {
            // A batching window reads the same records again every poll: measure each once.
            const key = `${r.shard}:${r.sequenceNumber}`;
            let bytes = measured.get(key);
            if (bytes === undefined) {
              bytes = Buffer.byteLength(JSON.stringify(format(r, ctx)));
              if (measured.size >= MEASURED_RECORDS) measured.delete(measured.keys().next().value!);
              measured.set(key, bytes);
            }
            return bytes;
          },
          discard: (records, condition, attempts) => this.#discard(m, shard, records, condition, attempts),
          initialCheckpoint: () => this.#initial(m, shard),
          retentionCutoff: () => Date.now() - settings.retentionHours * 3_600_000,
          backoffMs: this.#p.backoffMs ?? ((n) => Math.min(100 * 2 ** (n - 1), 10_000)),
          pollIntervalMs: this.#p.pollIntervalMs ?? 250,
          onError: this.#p.onError,
          onResult: (r) => {
            m.lastResult = r === 'OK' ? 'OK' : 'PROBLEM: Function call failed';
          },
          ...(this.#p.leases && { lease: { key: `${m.uuid}:${shard.stream}:${shard.shard}:${lane}`, owner: HOST_ID, ttlMs: 10_000 } }),
        });
        m.pollers.push(poller);
        poller.start();
      }
    }
  }

  async #invokeBatch(m: Mapping, records: ShardRecord[], format: (r: ShardRecord, c: FormatContext) => Record<string, unknown>, ctx: FormatContext): Promise<BatchOutcome> {
    let delivered = records.map((r) => format(r, ctx));
    const filters = m.params.FilterCriteria?.Filters ?? [];
    if (filters.length > 0) {
      // Lambda's event filtering: a record matching no filter is not delivered, and counts as
      // processed ("Lambda ... discards events that don't match"), so the checkpoint moves past it.
      const patterns = filters.map((f) => JSON.parse(f.Pattern) as Record<string, unknown>);
      delivered = delivered.filter((r) => patterns.some((pattern) => matchesPolicy(pattern, filterView(r))));
      if (delivered.length === 0) return { kind: 'ok' };
    }
    let result: InvokeResult;
    try {
      result = await this.#p.invoke(m.functionName, { Records: delivered }, { type: 'RequestResponse' });
    } catch (error) {
      if (error instanceof TooManyRequestsError) return { kind: 'throttled' };
      this.#p.onError(error);
      return { kind: 'error', errorType: (error as { code?: string }).code ?? 'ServiceException' };
    }
    if (result.functionError) return { kind: 'error', errorType: result.error?.errorType ?? 'Unhandled' };
    if (!m.params.FunctionResponseTypes.includes('ReportBatchItemFailures')) return { kind: 'ok' };
    return partialOutcome(result.payload, records);
  }

  async #discard(m: Mapping, shard: ShardRef, records: ShardRecord[], condition: DiscardCondition, attempts: number): Promise<void> {
    const destination = m.params.OnFailure;
    if (!destination) return; // Lambda drops discarded records when no destination is configured.
    const first = records[0]!;
    const last = records[records.length - 1]!;
    const info = {
      shardId: shardId(shard.shard), startSequenceNumber: first.sequenceNumber, endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: new Date(first.arrivedAt).toISOString(), approximateArrivalOfLastRecord: new Date(last.arrivedAt).toISOString(),
      batchSize: records.length, streamArn: m.eventSourceArn,
    };
    const record = {
      requestContext: { requestId: randomUUID(), functionArn: this.#safeArn(m.functionName), condition, approximateInvokeCount: attempts },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      [m.source.kind === 'kinesis' ? 'KinesisBatchInfo' : 'DDBStreamBatchInfo']: info,
    };
    try {
      await this.#p.sendToDestination(destination, record, this.#describe(m));
    } catch (error) {
      // A failing destination must not block the shard forever; the loss is reported.
      this.#p.onError(error);
    }
  }

  async #initial(m: Mapping, shard: ShardRef): Promise<string> {
    switch (m.params.StartingPosition) {
      case 'TRIM_HORIZON':
        return '';
      case 'LATEST':
        return this.#p.store.lastSequence(shard);
      case 'AT_TIMESTAMP':
        // Epoch seconds may carry sub-millisecond digits (1700000000.1005); arrival times are whole milliseconds,
        // so "arrived before ts" is "arrived before ceil(ts)", and stores keyed by ms (Redis stream ids) need an integer.
        return this.#p.store.sequenceBefore(shard, Math.ceil((m.params.StartingPositionTimestamp ?? 0) * 1000));
    }
  }

  /**
   * After a ParallelizationFactor change every lane restarts from the shard's
   * lowest stored lane checkpoint: at-least-once, never a gap. Read from the
   * store, not from pollers: a disabled mapping has none, and on several hosts
   * other lanes' pollers run elsewhere. A shard with no checkpoint stored keeps
   * none (its StartingPosition applies, as before).
   */
  async #relane(m: Mapping): Promise<void> {
    const shards = this.#shards(m.source);
    const lowest = new Map<number, string>();
    for (const shard of shards) {
      for (let lane = 0; lane < MAX_LANES; lane++) {
        const seq = await this.#p.store.getCheckpoint({ ...shard, mappingId: m.uuid, lane });
        if (seq === undefined) continue;
        const cur = lowest.get(shard.shard);
        if (cur === undefined || seq < cur) lowest.set(shard.shard, seq);
      }
    }
    await this.#p.store.deleteCheckpoints(m.uuid, shards);
    for (const shard of shards) {
      const seq = lowest.get(shard.shard);
      if (seq === undefined) continue;
      for (let lane = 0; lane < m.params.ParallelizationFactor; lane++) await this.#p.store.setCheckpoint({ ...shard, mappingId: m.uuid, lane }, seq);
    }
    m.lanes = m.params.ParallelizationFactor;
  }

  #params(input: Record<string, unknown>, source: SourceRef): Partial<MappingParams> {
    const picked: Partial<Record<keyof MappingParams, unknown>> = {};
    for (const key of ['BatchSize', 'MaximumBatchingWindowInSeconds', 'StartingPosition', 'StartingPositionTimestamp', 'ParallelizationFactor',
      'BisectBatchOnFunctionError', 'MaximumRetryAttempts', 'MaximumRecordAgeInSeconds', 'FunctionResponseTypes', 'Enabled', 'FilterCriteria'] as const) {
      if (input[key] !== undefined && input[key] !== null) picked[key] = input[key];
    }
    const config = input.DestinationConfig;
    if (config !== undefined && config !== null && (typeof config !== 'object' || Array.isArray(config))) {
      throw new InvalidParameterValueError(`DestinationConfig must be an object { OnFailure: { Destination } } (got ${previewValue(config)})`);
    }
    const onFailure = (config as { OnFailure?: unknown } | null | undefined)?.OnFailure;
    if (onFailure !== undefined && onFailure !== null && (typeof onFailure !== 'object' || Array.isArray(onFailure))) {
      throw new InvalidParameterValueError(`DestinationConfig.OnFailure must be an object { Destination } (got ${previewValue(onFailure)})`);
    }
    const destination = (onFailure as { Destination?: unknown } | null | undefined)?.Destination;
    if (destination !== undefined && destination !== null && destination !== '') picked.OnFailure = destination;
    // `DestinationConfig: { OnFailure: {} }` removes the destination, as in Lambda's UpdateEventSourceMapping.
    else if (config !== undefined && config !== null) picked.OnFailure = undefined;
    const problems = checkMappingParams(picked, (k) => (k === 'OnFailure' ? 'DestinationConfig.OnFailure.Destination' : k), source.kind);
    if (problems.length > 0) throw new InvalidParameterValueError(problems.join('; '));
    if (typeof picked.OnFailure === 'string') this.#checkDestination(picked.OnFailure);
    return picked as Partial<MappingParams>;
  }

  /**
   * Refuses an on-failure destination that names nothing here: accepted, it
   * would only fail when a batch is discarded, and that batch's record would
   * be lost (the send's failure is reported, not retried).
   */
  #checkDestination(destination: string): void {
    const target = destinationTarget(destination);
    const path = 'DestinationConfig.OnFailure.Destination';
    const forms = 'a function name or ARN, "topic:<name>", an SNS topic ARN, "bucket:<name>" or an S3 bucket ARN';
    if (target.kind === 'function') {
      try {
        this.#p.functionArn(target.name);
      } catch (error) {
        if (!(error instanceof ResourceNotFoundError || error instanceof InvalidParameterValueError)) throw error;
        throw new InvalidParameterValueError(`${path} names no function of this host: ${JSON.stringify(destination)} (${forms})`, { cause: error });
      }
      return;
    }
    if (target.kind === 'topic' && target.region !== undefined && (target.region !== this.#p.region || target.accountId !== this.#p.accountId)) {
      throw new InvalidParameterValueError(`${path} names a topic of another region or account: ${JSON.stringify(destination)} (this host is ${this.#p.region}, account ${this.#p.accountId})`);
    }
    const names = target.kind === 'topic' ? this.#p.topicNames?.() : this.#p.bucketNames?.();
    if (names && !names.includes(target.name)) {
      throw new InvalidParameterValueError(`${path} names no ${target.kind} of this host: ${JSON.stringify(destination)} (known ${target.kind}s: ${names.join(', ') || 'none'})`);
    }
  }

  #source(arn: string): SourceRef {
    const source = parseSourceRef(arn);
    if (!source) throw new InvalidParameterValueError(`EventSourceArn must be a Kinesis stream ARN or a DynamoDB table stream ARN (got ${previewValue(arn)})`);
    if (source.kind === 'kinesis') this.#p.streams.settings(source.name);
    else this.#p.tables.settings(source.name);
    return source;
  }

  #shards(source: SourceRef): ShardRef[] {
    return source.kind === 'kinesis' ? this.#p.streams.shards(source.name) : this.#p.tables.shards(source.name);
  }

  #arnOf(source: SourceRef): string {
    const { region, accountId } = this.#p;
    return source.kind === 'kinesis'
      ? `arn:aws:kinesis:${region}:${accountId}:stream/${source.name}`
      : `arn:aws:dynamodb:${region}:${accountId}:table/${source.name}/stream/1970-01-01T00:00:00.000`;
  }

  #safeArn(name: string): string {
    try {
      return this.#p.functionArn(name);
    } catch {
      return `arn:aws:lambda:${this.#p.region}:${this.#p.accountId}:function:${name}`;
    }
  }

  #find(uuid: string): Mapping {
    const m = this.#mappings.get(uuid);
    if (!m) throw new ResourceNotFoundError(`The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${uuid})`);
    return m;
  }

  #refuseUnknown(input: Record<string, unknown>, known: Set<string>, operation: string): void {
    if (typeof input !== 'object' || input === null) throw new InvalidParameterValueError(`${operation} needs a JSON object body`);
    const unknown = Object.keys(input).filter((k) => !known.has(k) && input[k] !== undefined && input[k] !== null);
    if (unknown.length > 0) throw new InvalidParameterValueError(`${operation}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not supported for stream event sources by neolith (supported: ${[...known].join(', ')})`);
  }

  /** Writes the mapping as the next version; returns that version and its revision. */
  async #persist(m: Omit<StoredMapping, 'lanes' | 'version' | 'revision'> & { lanes: number; version: number }): Promise<{ version: number; revision: string }> {
    const stored: StoredMapping = {
      uuid: m.uuid, origin: m.origin, functionName: m.functionName, source: m.source, params: m.params, lastModified: m.lastModified,
      lanes: m.lanes, version: m.version + 1, revision: randomUUID(),
    };
    await this.#p.store.putMapping(m.uuid, JSON.stringify(stored));
    return { version: stored.version!, revision: stored.revision! };
  }

  #describe(m: Mapping): EventSourceMappingConfiguration {
    const p = m.params;
    return {
      UUID: m.uuid,
      EventSourceMappingArn: `arn:aws:lambda:${this.#p.region}:${this.#p.accountId}:event-source-mapping:${m.uuid}`,
      EventSourceArn: m.eventSourceArn,
      FunctionArn: this.#safeArn(m.functionName),
      StartingPosition: p.StartingPosition,
      ...(p.StartingPositionTimestamp !== undefined && { StartingPositionTimestamp: p.StartingPositionTimestamp }),
      BatchSize: p.BatchSize,
      MaximumBatchingWindowInSeconds: p.MaximumBatchingWindowInSeconds,
      ParallelizationFactor: p.ParallelizationFactor,
      BisectBatchOnFunctionError: p.BisectBatchOnFunctionError,
      MaximumRetryAttempts: p.MaximumRetryAttempts,
      MaximumRecordAgeInSeconds: p.MaximumRecordAgeInSeconds,
      FunctionResponseTypes: p.FunctionResponseTypes,
      ...(p.FilterCriteria && { FilterCriteria: p.FilterCriteria }),
      DestinationConfig: { OnFailure: p.OnFailure ? { Destination: p.OnFailure } : {} },
      LastModified: m.lastModified / 1000,
      LastProcessingResult: m.lastResult,
      State: p.Enabled ? 'Enabled' : 'Disabled',
      StateTransitionReason: m.origin === 'config' ? 'Config file' : 'User action',
    };
  }
}

interface StoredMapping {
  uuid: string;
  origin: 'config' | 'api';
  functionName: string;
  source: SourceRef;
  params: MappingParams;
  lastModified: number;
  /** The ParallelizationFactor the stored checkpoints are laid out for (absent in older stores: params'). */
  lanes?: number;
  version?: number;
  revision?: string;
}

/**
 * ReportBatchItemFailures: `{ batchItemFailures: [{ itemIdentifier }] }`.
 * Lambda's rules: an empty list (or null/absent) is a success; an identifier
 * that is missing, empty or not in the batch makes the whole batch a failure;
 * otherwise the batch is retried from the lowest reported record.
 */
export function partialOutcome(payload: string | undefined, records: readonly ShardRecord[]): BatchOutcome {
  let body: unknown;
  try {
    body = payload === undefined ? null : JSON.parse(payload);
  } catch {
    return { kind: 'ok' };
  }
  const failures = (body as { batchItemFailures?: unknown } | null)?.batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'ok' };
  if (!Array.isArray(failures)) return { kind: 'error', errorType: 'InvalidBatchItemFailures' };
  if (failures.length === 0) return { kind: 'ok' };
  let lowest = Infinity;
  for (const f of failures) {
    const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index = typeof id === 'string' && id !== '' ? records.findIndex((r) => r.sequenceNumber === id) : -1;
    if (index === -1) return { kind: 'error', errorType: 'InvalidBatchItemFailures' };
    lowest = Math.min(lowest, index);
  }
  return { kind: 'partial', failedIndex: lowest };
}

/** What a filter pattern sees of a delivered record: Kinesis' `data` decoded (as JSON when it is JSON), as Lambda filters it. */
function filterView(record: Record<string, unknown>): Record<string, unknown> {
  const kinesis = record.kinesis as { data?: string } | undefined;
  if (!kinesis || typeof kinesis.data !== 'string') return record;
  const text = Buffer.from(kinesis.data, 'base64').toString('utf8');
  let data: unknown = text;
  try {
    data = JSON.parse(text);
  } catch { /* not JSON: filtered as text */ }
  return { ...record, data };
}

function pollerShard(p: ShardPoller): number {
  return p.shard;
}

function configUuid(source: SourceRef, fn: string): string {
  const h = createHash('sha256').update(`${streamIdOf(source)}\0${fn}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function fromConfig(o: EventSourceMappingOptions): Partial<MappingParams> {
  const out: Partial<MappingParams> = {};
  if (o.batchSize !== undefined) out.BatchSize = o.batchSize;
  if (o.maximumBatchingWindowInSeconds !== undefined) out.MaximumBatchingWindowInSeconds = o.maximumBatchingWindowInSeconds;
  if (o.startingPosition !== undefined) out.StartingPosition = o.startingPosition;
  if (o.startingPositionTimestamp !== undefined) out.StartingPositionTimestamp = o.startingPositionTimestamp;
  if (o.parallelizationFactor !== undefined) out.ParallelizationFactor = o.parallelizationFactor;
  if (o.bisectBatchOnFunctionError !== undefined) out.BisectBatchOnFunctionError = o.bisectBatchOnFunctionError;
  if (o.maximumRetryAttempts !== undefined) out.MaximumRetryAttempts = o.maximumRetryAttempts;
  if (o.maximumRecordAgeInSeconds !== undefined) out.MaximumRecordAgeInSeconds = o.maximumRecordAgeInSeconds;
  if (o.functionResponseTypes !== undefined) out.FunctionResponseTypes = o.functionResponseTypes;
  if (o.onFailure !== undefined) out.OnFailure = o.onFailure;
  if (o.enabled !== undefined) out.Enabled = o.enabled;
  if (o.filterCriteria !== undefined) out.FilterCriteria = filterCriteriaFromConfig(o.filterCriteria) as MappingParams['FilterCriteria'];
  return out;
}

/**
 * Whether the store holds a write this host has not seen: a higher version,
 * or the same version written by another host at the same time (its write won).
 * A stale read (this host's own write not yet visible) has a lower version.
 */
function isNewer(saved: StoredMapping, m: { version: number; revision: string; lastModified: number }): boolean {
  if (saved.version === undefined) return saved.lastModified !== m.lastModified; // written by an older neolith
  return saved.version > m.version || (saved.version === m.version && saved.revision !== m.revision);
}
