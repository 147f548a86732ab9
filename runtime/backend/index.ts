export type {
  AsyncEvent,
  AsyncRetryPolicy,
  AttemptFailure,
  AttemptOutcome,
  AttemptSuccess,
  Backend,
  ClaimedEvent,
  ConsumeOptions,
  Consumer,
  ConsumerCloseOptions,
  DeadLetter,
  DeadLetterInput,
  DeadLetterQuery,
  StoredSize,
  EventHandler,
  FinalCondition,
  FinalEvent,
  InvocationError,
  InvocationRecord,
  InvocationStatus,
  PruneOptions,
  QueuedEvent,
  QueueStats,
  RecordListener,
  RecordQuery,
  RedriveOptions,
} from './backend.js';
export { FINAL_STATUSES } from './backend.js';
export type {
  BackendOptions,
  CommonBackendOptions,
  RedisBackendOptions,
  SqliteBackendOptions,
} from './backend-options.js';
export { DEFAULT_REDIS_BACKEND_OPTIONS, DEFAULT_SQLITE_BACKEND_OPTIONS } from './backend-options.js';
export { createBackend } from './create-backend.js';
export { makeDirectory } from './make-directory.js';
export { BackendUnavailableError } from './backend-unavailable-error.js';
export { DuplicateRequestIdError } from './duplicate-request-id-error.js';
export { DeadLetterNotFoundError } from './dead-letter-not-found-error.js';
export { createSourceStore, ITEM_PAGE_BYTES, LARGEST_ITEM_BYTES, SqliteItemReader, SqliteSourceStore, RedisSourceStore } from './sources/index.js';
export type {
  CheckpointRef, ItemChange, ItemPage, ItemQuery, ItemReadStore, ItemWrite, ItemWriteResult, NotificationsOf, ObjectMeta, PendingNotification, ShardRecord, ShardRecordInput, ShardRef, SourceStore,
  SourceStoreOptions, StoredItem, WriteCondition,
} from './sources/index.js';
