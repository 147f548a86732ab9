import type { SourceStore } from '../backend/index.js';
import { createSourceStore } from '../backend/index.js';
import { emptyResolvedSources, type ResolvedConfig, type ResolvedSources } from '../config/index.js';
import type { InvokeOptions, InvokeResult } from '../invoke/index.js';
import { destinationTarget } from './pull/destination-target.js';
import { EventSourceMappings } from './pull/event-source-mappings.js';
import { Streams } from './pull/streams.js';
import { Tables } from './pull/tables.js';
import { Buckets } from './push/buckets.js';
import { Topics } from './push/topics.js';

/** What the event sources need of the host. */
export interface EventSourcesParts {
  config: ResolvedConfig;
  invoke: (name: string, payload: unknown, options: InvokeOptions) => Promise<InvokeResult>;
  /** ARN of a function or job; throws ResourceNotFoundError. */
  functionArn: (name: string) => string;
  /** The function and job a name or ARN (partial, qualified) stands for; throws ResourceNotFoundError. @defaultValue the name as the function */
  resolveTarget?: (name: string) => { functionName: string; job?: string };
  /** A store to use instead of the configured backend's (tests). */
  store?: SourceStore;
  /** @defaultValue 250 (sqlite: other processes only; this process wakes pollers at once) */
  pollIntervalMs?: number;
  /** Delay before retry n of a failing batch. @defaultValue 100 ms doubling, at most 10 s */
  backoffMs?: (attempt: number) => number;
  onError?: (error: unknown) => void;
}

/** How often bucket notifications left in the outbox are looked for. */
const REDELIVERY_INTERVAL_MS = 10_000;
/**
 * How old a notification must be to be queued again. Longer than any
 * queueing under way can take (the backend's command timeout is 5 s): a
 * second queueing while the first is still being written is refused as a
 * duplicate, and forgotten — and if the first then failed, lost.
 */
const REDELIVERY_AFTER_MS = 30_000;

const EMPTY: ResolvedSources = emptyResolvedSources();

/**
 * The event-source part: push sources (buckets, topics) and pull sources
 * (streams, tables) over one {@link SourceStore}, and the event source
 * mappings that poll the pull sources. Built by the host after its invoker.
 */
export class EventSources {
  readonly store: SourceStore;
  readonly streams: Streams;
  readonly tables: Tables;
  readonly buckets: Buckets;
  readonly topics: Topics;
  readonly mappings: EventSourceMappings;
  readonly #trim: NodeJS.Timeout;
  readonly #redelivery: NodeJS.Timeout;
  readonly #stopRedelivery = new AbortController();
  readonly #onError: (error: unknown) => void;
  /** The outbox pass under way, awaited by close before the store closes. */
  #redelivering: Promise<number> | undefined;
  readonly #ownsStore: boolean;
  readonly #resolveTarget: (name: string) => { functionName: string; job?: string };
  #closed: Promise<void> | undefined;

  private constructor(parts: EventSourcesParts, store: SourceStore) {
    const { config } = parts;
    const sources = config.sources ?? EMPTY;
    const onError = parts.onError ?? ((error: unknown) => process.emitWarning(`neolith sources: ${(error as Error)?.stack ?? String(error)}`));
    this.store = store;
    this.#onError = onError;
    this.#resolveTarget = parts.resolveTarget ?? ((name) => ({ functionName: name }));
    this.#ownsStore = !parts.store;
    this.streams = new Streams(store, sources.streams);
    this.tables = new Tables(store, sources.tables, (stream, shards) => this.streams.notify(stream, shards));
    this.buckets = new Buckets({ store, config: sources.buckets, region: config.region, invoke: parts.invoke, onError });
    this.topics = new Topics({ config: sources.topics, region: config.region, accountId: config.accountId, invoke: parts.invoke });
    this.mappings = new EventSourceMappings({
      store, streams: this.streams, tables: this.tables, region: config.region, accountId: config.accountId,
      invoke: parts.invoke, functionArn: parts.functionArn, onError, leases: store.kind === 'redis',
      topicNames: () => this.topics.names(), bucketNames: () => this.buckets.names(),
      sendToDestination: (destination, record) => this.#send(destination, record, parts),
      ...(parts.pollIntervalMs !== undefined && { pollIntervalMs: parts.pollIntervalMs }),
      ...(parts.backoffMs && { backoffMs: parts.backoffMs }),
    });
    this.streams.onAppend((stream, shards) => this.mappings.wake(stream, shards));
    this.#trim = setInterval(() => {
      void this.streams.trim().catch(onError);
      void this.tables.trim().catch(onError);
    }, 60_000).unref();
    this.#redelivery = setInterval(() => this.redeliver(Date.now() - REDELIVERY_AFTER_MS), REDELIVERY_INTERVAL_MS).unref();
  }

  /**
   * Queues bucket notifications left in the outbox by changes made before
   * `before` (a host that died between a change and its queueing); done at
   * start and every 10 s for those older than 30 s. Every host sharing the
   * store may do so, as a notification queued twice is refused as a
   * duplicate. Resolves with how many were queued; a pass under way is
   * joined, not doubled.
   */
  redeliver(before: number): Promise<number> {
    if (this.#closed) return Promise.resolve(0);
    this.#redelivering ??= this.buckets.redeliver(before, this.#stopRedelivery.signal).catch((error: unknown) => {
      this.#onError(error);
      return 0;
    }).finally(() => {
      this.#redelivering = undefined;
    });
    return this.#redelivering;
  }

  /** Opens the store of the configured backend and starts the mappings. */
  static async create(parts: EventSourcesParts): Promise<EventSources> {
    const { config } = parts;
    const store = parts.store ?? createSourceStore(config.backend === 'redis'
      ? { kind: 'redis', redisUrl: config.redisUrl, prefix: config.redisPrefix }
      : { kind: 'sqlite', stateDir: config.stateDir });
    try {
      await store.waitUntilReady();
    } catch (error) {
      if (!parts.store) await store.close();
      throw error;
    }
    const sources = new EventSources(parts, store);
    await sources.mappings.start((config.sources ?? EMPTY).eventSourceMappings);
    void sources.redeliver(Date.now() - REDELIVERY_AFTER_MS);
    return sources;
  }

  /** The function and job a mapping's FunctionName stands for, as the mappings resolve it. */
  targetOf(name: string): { functionName: string; job?: string } {
    return this.#resolveTarget(name);
  }

  /** Publishes to a topic (async destinations `topic:<name>` come here). */
  async publish(topic: string, message: string): Promise<void> {
    await this.topics.publish(topic, message);
  }

  /** Stops the mappings (after their batches in flight), then closes the store. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      clearInterval(this.#trim);
      clearInterval(this.#redelivery);
      this.#stopRedelivery.abort();
      await this.#redelivering;
      try {
        await this.mappings.close();
      } finally {
        if (this.#ownsStore) await this.store.close();
      }
    })();
    return this.#closed;
  }

  async #send(destination: string, record: Record<string, unknown>, parts: EventSourcesParts): Promise<void> {
    const text = JSON.stringify(record);
    // Read as the mappings checked it when it was configured (one reading for both).
    const target = destinationTarget(destination);
    if (target.kind === 'topic') {
      await this.topics.publish(target.name, text);
    } else if (target.kind === 'bucket') {
      const ctx = record.requestContext as { requestId: string };
      await this.buckets.put(target.name, `aws/lambda/${new Date().toISOString().slice(0, 10)}/${ctx.requestId}.json`, Buffer.from(text), 'application/json');
    } else {
      await parts.invoke(target.name, record, { type: 'Event' });
    }
  }
}
