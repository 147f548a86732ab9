export { ExecutionEnvironment } from './execution-environment.js';
export type { EnvironmentState } from './execution-environment.js';
export { FunctionPool } from './function-pool.js';
export type { PoolBinding, PoolStats } from './function-pool.js';
export { SpareEnvironments } from './spare-environments.js';
export { FunctionPackager } from './function-packager.js';
export type { FunctionPackage } from './function-packager.js';
export type { EnvironmentRequest, EnvironmentResult, ResponseStreamTarget, StreamChunkSink } from './invocation-result.js';
export type { LambdaErrorPayload, InitSpec, HostCall, HostCallHandler, HostCallResult, TableReadsSpec } from './protocol.js';
