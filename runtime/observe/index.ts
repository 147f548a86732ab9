export { InvocationLog } from './invocation-log.js';
export type { InvocationLogEntry, InvocationLogOptions, InvocationReport } from './invocation-log.js';
