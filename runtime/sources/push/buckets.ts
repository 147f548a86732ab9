import type { ObjectMeta, SourceStore } from '../../backend/index.js';
import type { ResolvedSources } from '../../config/index.js';
import { InvalidParameterValueError, RequestTooLargeError, ResourceNotFoundError } from '../../errors/index.js';
import type { InvokeOptions, InvokeResult } from '../../invoke/index.js';

/** What buckets are built from. */
export interface BucketsParts {
  store: SourceStore;
  config: ResolvedSources['buckets'];
  region: string;
  invoke: (name: string, payload: unknown, options: InvokeOptions) => Promise<InvokeResult>;
  /** A notification that could not be queued (the object change itself stands). */
  onError: (error: unknown) => void;
}

let sequence = 0;

/**
 * S3-like buckets: objects by key, and per-bucket notifications that invoke
 * functions with `Event` and S3's record shape after each change. The change
 * is stored first, then notifications are queued (durable in the async
 * queue); a crash between the two loses the notification, not the object.
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
    const meta = await this.#p.store.putObject(bucket, key, body, contentType);
    await this.#notify(bucket, 'ObjectCreated:Put', meta);
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
    const meta = await this.#p.store.deleteObject(bucket, key);
    if (meta) await this.#notify(bucket, 'ObjectRemoved:Delete', { key });
    return meta !== undefined;
  }

  async list(bucket: string, prefix = '', limit = 1000): Promise<ObjectMeta[]> {
    this.#bucket(bucket);
    return this.#p.store.listObjects(bucket, prefix, Math.min(Math.max(limit, 1), 1000));
  }

  #bucket(name: string): ResolvedSources['buckets'][string] {
    const b = this.#p.config[name];
    if (!b) throw new ResourceNotFoundError(`NoSuchBucket: the bucket ${JSON.stringify(name)} does not exist (known: ${this.names().join(', ') || 'none'})`);
    return b;
  }

  async #notify(bucket: string, eventName: string, object: Partial<ObjectMeta> & { key: string }): Promise<void> {
    const [kind] = eventName.split(':');
    const targets = this.#p.config[bucket]!.notifications.filter((n) =>
      n.events.some((e) => {
        const name = e.replace(/^s3:/, '');
        return name === eventName || name === `${kind}:*`;
      })
      && object.key.startsWith(n.prefix ?? '') && object.key.endsWith(n.suffix ?? ''));
    if (targets.length === 0) return;
    const sequencer = (Date.now().toString(16) + (++sequence).toString(16).padStart(6, '0')).toUpperCase();
    const record = {
      Records: [{
        eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: this.#p.region, eventTime: new Date().toISOString(), eventName,
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
    };
    const results = await Promise.allSettled(targets.map((n) => this.#p.invoke(n.function, record, { type: 'Event' })));
    for (const r of results) if (r.status === 'rejected') this.#p.onError(r.reason);
  }
}

/** S3's key rule: 1 to 1024 bytes of UTF-8. */
function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > 1024) {
    throw new InvalidParameterValueError(`KeyTooLongError: an object key must be 1 to 1024 bytes of UTF-8 (got ${typeof key === 'string' ? `${Buffer.byteLength(key)} bytes` : typeof key})`);
  }
}
