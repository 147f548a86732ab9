import type { ShardRef, SourceStore } from '../../backend/index.js';
import type { ResolvedSources } from '../../config/index.js';
import { InvalidParameterValueError, previewValue, RequestTooLargeError, ResourceNotFoundError } from '../../errors/index.js';
import { hasLoneSurrogate } from '../lone-surrogate.js';
import { shardId } from './record-shapes.js';
import { shardFor } from './shard-hash.js';

/** One record to put (Kinesis' PutRecords entry). */
export interface PutRecordInput {
  /** The record's bytes: a Buffer, text (UTF-8) or base64 with `encoding: 'base64'`. */
  data: Buffer | Uint8Array | string;
  partitionKey: string;
}

/** Kinesis' PutRecords answer. */
export interface PutRecordsOutput {
  FailedRecordCount: number;
  Records: Array<{ SequenceNumber: string; ShardId: string }>;
}

/** Kinesis' limits: 500 records and 5 MB per PutRecords call, 256-character partition keys. */
export const STREAM_LIMITS = { maxRecordsPerPut: 500, maxPutBytes: 5 * 1024 * 1024, maxPartitionKeyLength: 256 } as const;

/**
 * Kinesis-like streams: records hashed onto shards by partition key, kept in
 * order per shard for `retentionHours`. Tells listeners which shards grew, so
 * mappings in this process wake at once (others poll).
 */
export class Streams {
  readonly #store: SourceStore;
  readonly #config: ResolvedSources['streams'];
  readonly #listeners: Array<(stream: string, shards: number[]) => void> = [];

  constructor(store: SourceStore, config: ResolvedSources['streams']) {
    this.#store = store;
    this.#config = config;
  }

  /** Stream names. */
  names(): string[] {
    return Object.keys(this.#config);
  }

  /** The stream's settings; throws ResourceNotFoundError for an unknown name. */
  settings(name: string): ResolvedSources['streams'][string] {
    const s = this.#config[name];
    if (!s) throw new ResourceNotFoundError(`Stream ${JSON.stringify(name)} not found (known: ${this.names().join(', ') || 'none'})`);
    return s;
  }

  /** Calls `listener` after every append. */
  onAppend(listener: (stream: string, shards: number[]) => void): void {
    this.#listeners.push(listener);
  }

  /** Puts one record. */
  async putRecord(name: string, record: PutRecordInput): Promise<{ SequenceNumber: string; ShardId: string }> {
    return (await this.putRecords(name, [record])).Records[0]!;
  }

  /** Puts records, in order; all or none are stored. */
  async putRecords(name: string, records: readonly PutRecordInput[]): Promise<PutRecordsOutput> {
    const s = this.settings(name);
    if (!Array.isArray(records) || records.length === 0 || records.length > STREAM_LIMITS.maxRecordsPerPut) {
      throw new InvalidParameterValueError(`records must hold 1 to ${STREAM_LIMITS.maxRecordsPerPut} entries (got ${Array.isArray(records) ? records.length : typeof records})`);
    }
    let total = 0;
    const inputs = records.map((r, i) => {
      if (typeof r?.partitionKey !== 'string' || r.partitionKey.length === 0 || r.partitionKey.length > STREAM_LIMITS.maxPartitionKeyLength) {
        throw new InvalidParameterValueError(`records[${i}].partitionKey must be a string of 1 to 256 characters (got ${previewValue(r?.partitionKey)})`);
      }
      // Stored as UTF-8 it would come back as U+FFFD, hashed to another shard than its records went to.
      if (hasLoneSurrogate(r.partitionKey)) throw new InvalidParameterValueError(`records[${i}].partitionKey must be well-formed Unicode text: it holds a lone surrogate`);
      const bytes = toBytes(r.data, i);
      if (bytes.length > s.maxRecordBytes) {
        throw new RequestTooLargeError(`records[${i}].data must be at most ${s.maxRecordBytes} bytes (got ${bytes.length})`);
      }
      total += bytes.length + r.partitionKey.length;
      return { shard: shardFor(r.partitionKey, s.shards), partitionKey: r.partitionKey, data: bytes.toString('base64') };
    });
    if (total > STREAM_LIMITS.maxPutBytes) throw new RequestTooLargeError(`a PutRecords call must carry at most ${STREAM_LIMITS.maxPutBytes} bytes (got ${total})`);
    const sequences = await this.#store.appendRecords(`kinesis:${name}`, inputs);
    this.#notify(`kinesis:${name}`, [...new Set(inputs.map((r) => r.shard))]);
    return { FailedRecordCount: 0, Records: sequences.map((SequenceNumber, i) => ({ SequenceNumber, ShardId: shardId(inputs[i]!.shard) })) };
  }

  /** Drops records past retention from every shard of every stream (runs on a timer). */
  async trim(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const [name, s] of Object.entries(this.#config)) {
      for (let shard = 0; shard < s.shards; shard++) {
        removed += await this.#store.trimShard({ stream: `kinesis:${name}`, shard }, now - s.retentionHours * 3_600_000);
      }
    }
    return removed;
  }

  /** The shards of a stream as store refs. */
  shards(name: string): ShardRef[] {
    const s = this.settings(name);
    return Array.from({ length: s.shards }, (_, shard) => ({ stream: `kinesis:${name}`, shard }));
  }

  /** For tables: their change streams wake mappings the same way. */
  notify(stream: string, shards: number[]): void {
    this.#notify(stream, shards);
  }

  #notify(stream: string, shards: number[]): void {
    for (const listener of this.#listeners) listener(stream, shards);
  }
}

function toBytes(data: unknown, i: number): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new InvalidParameterValueError(`records[${i}].data must be a string or bytes (got ${typeof data})`);
}
