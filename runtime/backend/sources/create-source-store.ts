import { RedisSourceStore, type RedisSourceStoreOptions } from './redis-source-store.js';
import type { SourceStore } from './source-store.js';
import { SqliteSourceStore } from './sqlite-source-store.js';

/** What {@link createSourceStore} takes: the same backend choice as the async queue. */
export type SourceStoreOptions = { readonly kind: 'sqlite'; readonly stateDir: string } | ({ readonly kind: 'redis' } & RedisSourceStoreOptions);

/**
 * Opens the event-source store of the configured backend; await
 * `waitUntilReady()` before relying on it.
 */
export function createSourceStore(options: SourceStoreOptions): SourceStore {
  if (options.kind === 'sqlite') return new SqliteSourceStore(options.stateDir);
  const { kind: _kind, ...redis } = options;
  return new RedisSourceStore(redis);
}
