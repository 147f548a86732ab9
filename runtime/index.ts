/** neolith's public API. */
export { createHost, Host } from './host.js';
export type { HostOptions } from './host.js';
export { defineConfig } from './config/index.js';
export type {
  AsyncOptions, FunctionOptions, FunctionSettings, JobsOptions, LayoutMap, LayoutName, NeolithConfig, PayloadLimits,
  ResolvedConfig, FunctionSpec,
} from './config/index.js';
export type { InvokeOptions, InvokeResult, InvocationType, InvocationOutcome } from './invoke/index.js';
export type { LambdaErrorPayload } from './environment/index.js';
export {
  NeolithError, ResourceNotFoundError, InvalidRequestContentError, InvalidParameterValueError, RequestTooLargeError,
  TooManyRequestsError, ServiceError, AbortedError, ConfigError,
} from './errors/index.js';
export { ConditionalCheckFailedError } from './errors/index.js';
/** Event sources: the handlers' client (works in worker threads and in-process), and the host-side types. */
export { bucket, configureSourcesClient, stream, table, topic } from './sources/index.js';
export type {
  EventSourceMappingConfiguration, EventSources, TableQuery, TableWriteCondition, VersionedItem, PublishOptions, MessageAttributeInput,
} from './sources/index.js';
export type {
  BucketNotificationOptions, BucketOptions, EventSourceMappingOptions, StreamOptions, TableOptions, TopicOptions, TopicSubscriptionOptions,
} from './config/index.js';
