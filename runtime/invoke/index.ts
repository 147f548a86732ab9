export { Invoker } from './invoker.js';
export type { InvokerParts } from './invoker.js';
export { ConcurrencyGovernor } from './concurrency-governor.js';
export { FunctionRegistry } from './function-registry.js';
export type { RegisteredFunction, Target } from './function-registry.js';
export type { EventQueue, AcceptedEvent } from './event-queue.js';
export type { InvocationOutcome, InvocationType, InvokeOptions, InvokeResult } from './invocation-types.js';
