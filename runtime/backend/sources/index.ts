export type {
  CheckpointRef, ItemChange, ItemPage, ItemQuery, ItemReadStore, ItemWrite, ItemWriteResult, NotificationsOf, ObjectMeta, PendingNotification, ShardRecord, ShardRecordInput, ShardRef, SourceStore,
  StoredItem, WriteCondition,
} from './source-store.js';
export { createSourceStore } from './create-source-store.js';
export { ITEM_PAGE_BYTES, LARGEST_ITEM_BYTES } from './item-page-budget.js';
export type { SourceStoreOptions } from './create-source-store.js';
export { SqliteSourceStore } from './sqlite-source-store.js';
export { SqliteItemReader } from './sqlite-item-reads.js';
export { RedisSourceStore } from './redis-source-store.js';
export type { RedisSourceStoreOptions } from './redis-source-store.js';
