export { defineConfig } from './config-types.js';
export type {
  AsyncOptions, FunctionOptions, FunctionSettings, JobsOptions, LayoutMap, LayoutName, NeolithConfig, PayloadLimits,
  GraphqlOptions, GraphqlAuthOptions, GraphqlJwtOptions,
} from './config-types.js';
export type { FunctionSpec, ResolvedAsyncPolicy, ResolvedConfig, ResolvedPayloadLimits } from './resolved-config.js';
export { DEFAULT_ASYNC_POLICY, DEFAULT_FUNCTION_SETTINGS, DEFAULT_HOST_OPTIONS } from './resolved-config.js';
export { validateConfig, FUNCTION_NAME_PATTERN } from './validate-config.js';
export { resolveConfig } from './resolve-config.js';
export type { ConfigOverrides } from './resolve-config.js';
export { findConfigFile, loadConfigFile, CONFIG_FILE_NAMES } from './load-config.js';
export { nanoFunctionName, MONO_FUNCTION_NAME } from './apply-layout.js';
export type {
  AuthOptions, CorsOptions, JwtAuthOptions, PrincipalOptions, RouteAuth, RouteOptions, RoutesOptions, SecretValue,
  ResolvedAuth, ResolvedCors, ResolvedHttpOptions, ResolvedJwtAuth, ResolvedPrincipal, ResolvedRoute,
} from './http-options.js';
export { DEFAULT_CORS_OPTIONS, DEFAULT_HTTP_OPTIONS } from './http-options.js';
export { parseRouteKey, routeShape, ROUTE_METHODS } from './route-key.js';
export type { ParsedRouteKey, RouteSegment } from './route-key.js';
export type {
  BucketNotificationOptions, BucketOptions, EventSourceMappingOptions, ResolvedSources, SourcesConfig, StreamOptions, TableOptions,
  TopicOptions, TopicSubscriptionOptions,
} from './sources-options.js';
export { DEFAULT_SOURCE_OPTIONS } from './sources-options.js';
export { BUCKET_NAME, emptyResolvedSources, S3_EVENTS, STREAM_NAME, TABLE_NAME, TOPIC_NAME } from './validate-sources.js';
export { checkMappingParams, DEFAULT_MAPPING_PARAMS, filterCriteriaFromConfig } from './mapping-params.js';
export type { MappingParams } from './mapping-params.js';
