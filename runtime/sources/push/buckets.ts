import { randomUUID } from 'node:crypto';
import { DuplicateRequestIdError, type ObjectMeta, type PendingNotification, type SourceStore } from '../../backend/index.js';
import type { ResolvedSources } from '../../config/index.js';
import { httpStatusOf, InvalidParameterValueError, RequestTooLargeError, ResourceNotFoundError } from '../../errors/index.js';
import type { InvokeOptions, InvokeResult } from '../../invoke/index.js';
import { hasLoneSurrogate } from '../lone-surrogate.js';
import { checkUrlCarriesKey } from '../url-carried-key.js';

/** What buckets are built from. */
export interface BucketsParts {
  store: SourceStore;
  config: ResolvedSources['buckets'];
  region: string;
  invoke: (name: string, payload: unknown, options: InvokeOptions) => Promise<InvokeResult>;
  /** A notification that could not be queued (the object change itself stands; the outbox keeps it unless the refusal is for good). */
  onError: (error: unknown) => void;
}

/** Notifications taken from the outbox in one go. */
const REDELIVERY_BATCH = 100;

let sequence = 0;

/**
 * S3-like buckets: objects by key, and per-bucket notifications that invoke
 * functions with `Event` and S3's record shape after each change. A change
 * and its notifications are stored in one write (an outbox); then each is
 * queued in the async queue and forgotten. One that could not be queued (a
 * crash, the queue away) is queued later by {@link Buckets.redeliver}; its
 * request id makes a second queueing a refused duplicate, not a second run.
 */
export class Buckets {
  readonly #p: BucketsParts;

  constructor(parts: BucketsParts) {
    this.#p = parts;
  }

  names(): string[] {
    return Object.keys(this.#p.config);
  }

  /** The bucket's largest object, bytes; throws ResourceNotFoundError for an unknown bucket. */
  maxObjectBytes(bucket: string): number {
    return this.#bucket(bucket).maxObjectBytes;
  }

  /** Stores an object and notifies `ObjectCreated:Put` subscribers. */
  async put(bucket: string, key: string, body: Buffer, contentType = 'application/octet-stream'): Promise<ObjectMeta> {
    const b = this.#bucket(bucket);
    checkKey(key);
    if (body.length > b.maxObjectBytes) throw new RequestTooLargeError(`EntityTooLarge: objects of bucket ${bucket} must be at most ${b.maxObjectBytes} bytes (got ${body.length})`);
    checkContentType(contentType);
    let pending: readonly PendingNotification[] = [];
    const meta = await this.#p.store.putObject(bucket, key, body, contentType, (m) => (pending = this.#notifications(bucket, 'ObjectCreated:Put', m)));
    await this.#deliver(pending);
    return meta;
  }

  async get(bucket: string, key: string): Promise<{ meta: ObjectMeta; body: Buffer } | undefined> {
    this.#bucket(bucket);
    checkKey(key);
    return this.#p.store.getObject(bucket, key);
  }

  async head(bucket: string, key: string): Promise<ObjectMeta | undefined> {
    this.#bucket(bucket);
    checkKey(key);
    return this.#p.store.headObject(bucket, key);
  }

  /** Deletes an object; `ObjectRemoved:Delete` subscribers hear of it when it existed. */
  async delete(bucket: string, key: string): Promise<boolean> {
    this.#bucket(bucket);
    checkKey(key);
    let pending: readonly PendingNotification[] = [];
    const meta = await this.#p.store.deleteObject(bucket, key, () => (pending = this.#notifications(bucket, 'ObjectRemoved:Delete', { key })));
    // Built but not stored when another writer deleted the object first (Redis): that writer notifies.
    if (meta) await this.#deliver(pending);
    return meta !== undefined;
  }

  /**
   * Queues the stored notifications of changes made before `before` (epoch
   * ms) that were never queued: the host died between the change and the
   * queueing, or the queue was away. Resolves with how many left the outbox;
   * stops early when `signal` aborts (the host is closing).
   */
  async redeliver(before: number, signal?: AbortSignal): Promise<number> {
    let queued = 0;
    while (!signal?.aborted) {
      const pending = await this.#p.store.pendingNotifications(before, REDELIVERY_BATCH);
      const done = await this.#deliver(pending);
      queued += done;
      // What is left failed again (the queue or the store is away): next pass, not a loop now.
      if (pending.length < REDELIVERY_BATCH || done < pending.length) break;
      // A full batch went through: let the host serve between batches (SQLite answers synchronously).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return queued;
  }

  /**
   * One page of the objects whose key starts with `prefix`, after `startAfter` (S3's ListObjectsV2:
   * at most 1,000, `isTruncated` when more follow; pass the last key back as `startAfter`).
   */
  async list(bucket: string, prefix = '', limit = 1000, startAfter = ''): Promise<{ objects: ObjectMeta[]; isTruncated: boolean }> {
    this.#bucket(bucket);
    checkWellFormed(prefix, 'a prefix');
    checkWellFormed(startAfter, 'start-after');
    const max = Math.min(Math.max(limit, 0), 1000);
    // One more than asked: whether more follow, without a second read.
    const found = await this.#p.store.listObjects(bucket, prefix, max + 1, startAfter);
    return { objects: found.slice(0, max), isTruncated: found.length > max };
  }

  #bucket(name: string): ResolvedSources['buckets'][string] {
    const b = this.#p.config[name];
    if (!b) throw new ResourceNotFoundError(`NoSuchBucket: the bucket ${JSON.stringify(name)} does not exist (known: ${this.names().join(', ') || 'none'})`);
    return b;
  }

  /** The notifications an object change causes: one per matching configuration, each with S3's record. */
  #notifications(bucket: string, eventName: string, object: Partial<ObjectMeta> & { key: string }): PendingNotification[] {
    const [kind] = eventName.split(':');
    const targets = this.#p.config[bucket]!.notifications.filter((n) =>
      n.events.some((e) => {
        const name = e.replace(/^s3:/, '');
        return name === eventName || name === `${kind}:*`;
      })
      && object.key.startsWith(n.prefix ?? '') && object.key.endsWith(n.suffix ?? ''));
    if (targets.length === 0) return [];
    const now = Date.now();
    const sequencer = (now.toString(16) + (++sequence).toString(16).padStart(6, '0')).toUpperCase();
    const payload = JSON.stringify({
      Records: [{
        eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: this.#p.region, eventTime: new Date(now).toISOString(), eventName,
        userIdentity: { principalId: 'neolith' }, requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': sequencer, 'x-amz-id-2': sequencer },
        s3: {
          s3SchemaVersion: '1.0', configurationId: 'neolith',
          bucket: { name: bucket, ownerIdentity: { principalId: 'neolith' }, arn: `arn:aws:s3:::${bucket}` },
          object: {
            // S3 sends keys URL-encoded ("/" kept) with "+" for spaces.
            key: object.key.split('/').map((part) => encodeURIComponent(part).replace(/%20/g, '+')).join('/'),
            ...(object.size !== undefined && { size: object.size }),
            ...(object.eTag !== undefined && { eTag: object.eTag }),
            sequencer,
          },
        },
      }],
    });
    return targets.map((n) => ({ id: randomUUID(), functionName: n.function, payload, createdAt: now }));
  }

  /**
   * Queues notifications and forgets those that are queued, or refused for
   * good (a 4xx: the function is gone, the event does not fit); the rest stay
   * for `redeliver`. Resolves with how many left the outbox. Failures are
   * reported once per call, not once per notification.
   */
  async #deliver(pending: readonly PendingNotification[]): Promise<number> {
    if (pending.length === 0) return 0;
    const results = await Promise.allSettled(pending.map((n) =>
      this.#p.invoke(n.functionName, Buffer.from(n.payload), { type: 'Event', requestId: n.id })));
    const done: string[] = [];
    let kept = 0;
    let dropped = 0;
    let firstFailure: unknown;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled' || r.reason instanceof DuplicateRequestIdError) {
        done.push(pending[i]!.id);
        return;
      }
      firstFailure ??= r.reason;
      const status = httpStatusOf(r.reason);
      if (status >= 400 && status < 500 && status !== 429) {
        done.push(pending[i]!.id);
        dropped++;
      } else {
        kept++;
      }
    });
    if (firstFailure !== undefined) {
      this.#p.onError(new Error(
        `${kept + dropped} of ${pending.length} bucket notifications could not be queued (${kept} kept for redelivery, ${dropped} refused for good): ${(firstFailure as Error)?.message ?? String(firstFailure)}`,
        { cause: firstFailure },
      ));
    }
    if (done.length === 0) return 0;
    try {
      await this.#p.store.forgetNotifications(done);
    } catch (error) {
      // Still in the outbox: queued again later, refused as duplicates, and forgotten then.
      this.#p.onError(error);
      return 0;
    }
    return done.length;
  }
}

/** Longest content type an object may carry: it is sent back as a header on every read. */
const MAX_CONTENT_TYPE_CHARS = 256;

/**
 * The content type comes back as the `Content-Type` of every GET: it must be
 * one a header can carry (visible ASCII and spaces, no line breaks), or the
 * object could be stored but never served.
 */
function checkContentType(contentType: string): void {
  if (typeof contentType !== 'string' || contentType.length === 0 || contentType.length > MAX_CONTENT_TYPE_CHARS || !/^[\x20-\x7e]+$/.test(contentType)) {
    throw new InvalidParameterValueError(`InvalidArgument: a content type must be 1 to ${MAX_CONTENT_TYPE_CHARS} visible ASCII characters (got ${typeof contentType === 'string' ? JSON.stringify(contentType.slice(0, 80)) : typeof contentType})`);
  }
}

/** S3's key rule: 1 to 1024 bytes of UTF-8. */
function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > 1024) {
    throw new InvalidParameterValueError(`KeyTooLongError: an object key must be 1 to 1024 bytes of UTF-8 (got ${typeof key === 'string' ? `${Buffer.byteLength(key)} bytes` : typeof key})`);
  }
  checkWellFormed(key, 'an object key');
  checkUrlCarriesKey(key);
}

/**
 * A lone surrogate has no UTF-8 form: stored, it would become U+FFFD (two
 * such keys one object, listed under a name that reads back nothing).
 */
function checkWellFormed(text: string, what: string): void {
  if (hasLoneSurrogate(text)) throw new InvalidParameterValueError(`InvalidArgument: ${what} must be well-formed Unicode text: it holds a lone surrogate`);
}

