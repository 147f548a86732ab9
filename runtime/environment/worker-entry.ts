/**
 * The thread side of an execution environment: Lambda's Node.js runtime
 * interface, in a worker thread. It imports nothing from the main side
 * (only protocol types), so booting a spare environment is cheap.
 */
import { readdirSync, lstatSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { format } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import type {
  InitDoneMessage, InitSpec, InvokeMessage, LambdaErrorPayload, MainToWorker, ResultMessage,
} from './protocol.js';

type Handler = (event: unknown, context: LambdaContext, callback?: Callback) => unknown;
type Callback = (error?: unknown, result?: unknown) => void;
interface JobEntry { handler: Handler; batch: boolean }
interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  clientContext?: unknown;
  identity?: unknown;
  getRemainingTimeInMillis(): number;
}

const port = parentPort!;
const MB = 1024 * 1024;

let spec: InitSpec | undefined;
let handler: Handler | undefined;
let jobs: Record<string, JobEntry> | undefined;
let initError: LambdaErrorPayload | undefined;
let currentRequestId = 'undefined';
let logBuffer = '';

// Lambda's Node runtime prefixes every console line with time, request id and level.
function capture(level: string) {
  return (...args: unknown[]) => {
    logBuffer += `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${format(...args)}\n`;
  };
}
console.log = capture('INFO');
console.info = capture('INFO');
console.warn = capture('WARN');
console.error = capture('ERROR');
console.debug = capture('DEBUG');
console.trace = capture('TRACE');
const writeCapture = (chunk: unknown): boolean => {
  logBuffer += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
  return true;
};
process.stdout.write = writeCapture as typeof process.stdout.write;
process.stderr.write = writeCapture as typeof process.stderr.write;

function takeLogs(): string {
  const logs = logBuffer;
  logBuffer = '';
  return logs;
}

/** Lambda's shape for an error: the error's name as type, its stack split into lines. */
function toLambdaError(error: unknown, fallbackType = 'Error'): LambdaErrorPayload {
  if (error instanceof Error) {
    return {
      errorType: error.name && error.name !== 'Error' ? error.name : error.constructor?.name || fallbackType,
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  if (typeof error === 'object' && error !== null) {
    return { errorType: fallbackType, errorMessage: JSON.stringify(error), trace: [] };
  }
  return { errorType: fallbackType, errorMessage: String(error), trace: [] };
}

async function initialise(next: InitSpec): Promise<number> {
  const started = performance.now();
  spec = next;
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, next.env);
  try {
    const mod = (await import(next.moduleUrl)) as Record<string, unknown>;
    if (next.jobBundle) {
      const table = mod.jobs as Record<string, { handler?: unknown; batch?: unknown }>;
      jobs = {};
      for (const [name, job] of Object.entries(table)) {
        if (typeof job.handler !== 'function') throw handlerNotFound(`${name}.handler`);
        jobs[name] = { handler: job.handler as Handler, batch: job.batch === true };
      }
    } else {
      const found = lookup(mod, next.exportName);
      if (typeof found !== 'function') throw handlerNotFound(next.exportName);
      handler = found as Handler;
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    initError =
      error instanceof Error && error.name === 'Runtime.HandlerNotFound'
        ? toLambdaError(error)
        : code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
          ? { ...toLambdaError(error), errorType: 'Runtime.ImportModuleError' }
          : toLambdaError(error);
  }
  return performance.now() - started;
}

function lookup(mod: Record<string, unknown>, path: string): unknown {
  // CommonJS modules arrive as { default: module.exports, ...named }.
  let value: unknown = mod[path.split('.')[0]!] ?? (mod.default as Record<string, unknown> | undefined)?.[path.split('.')[0]!];
  for (const part of path.split('.').slice(1)) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

function handlerNotFound(name: string): Error {
  const error = new Error(`${spec?.moduleUrl.split('/').pop()}.${name} is undefined or not exported`);
  error.name = 'Runtime.HandlerNotFound';
  return error;
}

function makeContext(msg: InvokeMessage, s: InitSpec): LambdaContext {
  const deadline = msg.deadline;
  return {
    awsRequestId: msg.requestId,
    functionName: s.functionName,
    functionVersion: s.functionVersion,
    invokedFunctionArn: s.invokedFunctionArn,
    memoryLimitInMB: String(s.memoryMB),
    logGroupName: s.logGroupName,
    logStreamName: s.logStreamName,
    callbackWaitsForEmptyEventLoop: true,
    clientContext: msg.clientContext === undefined ? undefined : JSON.parse(msg.clientContext),
    identity: msg.identity === undefined ? undefined : JSON.parse(msg.identity),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/** Runs a handler in either style: returning a promise, or calling back. */
function runHandler(fn: Handler, event: unknown, context: LambdaContext): Promise<unknown> {
  if (fn.length < 3) return Promise.resolve().then(() => fn(event, context));
  return new Promise((resolve, reject) => {
    const callback: Callback = (error, result) => (error ? reject(error) : resolve(result));
    try {
      const returned = fn(event, context, callback) as Promise<unknown> | undefined;
      if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
    } catch (error) {
      reject(error);
    }
  });
}

function directorySize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? directorySize(path) : lstatSync(path).size;
  }
  return total;
}

/** mtime of /tmp when last seen empty, once old enough to trust (mtimes move in coarse kernel ticks). */
let emptyTmpMtime: number | undefined;

/**
 * Bytes in /tmp. Adding an entry bumps the folder's mtime, so an empty /tmp
 * whose mtime has not moved is still empty: one stat instead of a listing.
 */
function tmpBytes(dir: string): number {
  const mtime = statSync(dir).mtimeMs;
  if (mtime === emptyTmpMtime) return 0;
  const size = directorySize(dir);
  emptyTmpMtime = size === 0 && readdirSync(dir).length === 0 && Date.now() - mtime > 100 ? mtime : undefined;
  return size;
}

function memoryUsedMB(): number {
  const heap = getHeapStatistics();
  return Math.ceil((heap.total_heap_size + heap.external_memory) / MB);
}

async function invoke(msg: InvokeMessage): Promise<ResultMessage> {
  let initDurationMs: number | undefined;
  if (msg.init) initDurationMs = await initialise(msg.init);
  const s = spec!;
  currentRequestId = msg.requestId;
  const started = performance.now();
  const base = { kind: 'result' as const, seq: msg.seq, ...(initDurationMs !== undefined && { initDurationMs }) };
  if (initError) {
    // Lambda reports an init failure on the invocation that triggered it, then starts afresh.
    return { ...base, error: initError, fatal: true, initError: true, durationMs: 0, maxMemoryMB: memoryUsedMB(), logs: takeLogs() };
  }
  let fn: Handler;
  let batchAware = false;
  if (jobs) {
    const job = msg.job === undefined ? (Object.keys(jobs).length === 1 ? Object.values(jobs)[0] : undefined) : jobs[msg.job];
    if (!job) {
      const error = { errorType: 'Runtime.HandlerNotFound', errorMessage: `job ${msg.job ?? '(none named)'} is not in function ${s.functionName} (it holds ${Object.keys(jobs).join(', ')})`, trace: [] };
      return { ...base, error, durationMs: 0, maxMemoryMB: memoryUsedMB(), logs: takeLogs() };
    }
    fn = job.handler;
    batchAware = job.batch;
  } else {
    fn = handler!;
  }
  const context = makeContext(msg, s);
  let result: unknown;
  let error: LambdaErrorPayload | undefined;
  try {
    const event: unknown = JSON.parse(msg.payload);
    if (msg.batch && !batchAware && Array.isArray(event)) {
      // AppSync BatchInvoke against a per-item job: run each item here, in this one environment call.
      const items: unknown[] = [];
      for (const item of event) {
        try {
          items.push(await runHandler(fn, item, context));
        } catch (itemError) {
          const { errorType, errorMessage } = toLambdaError(itemError);
          items.push({ errorType, errorMessage });
        }
      }
      result = items;
    } else {
      result = await runHandler(fn, event, context);
    }
  } catch (thrown) {
    error = toLambdaError(thrown);
  }
  const durationMs = performance.now() - started;
  let payload: string | undefined;
  if (!error) {
    try {
      payload = result === undefined ? 'null' : JSON.stringify(result);
    } catch (stringifyError) {
      error = { ...toLambdaError(stringifyError), errorType: 'Runtime.MarshalError' };
    }
  }
  if (payload !== undefined && payload.length * 3 > s.maxResponseBytes && Buffer.byteLength(payload) > s.maxResponseBytes) {
    error = {
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: `Response payload size exceeded maximum allowed payload size (${s.maxResponseBytes} bytes).`,
      trace: [],
    };
    payload = undefined;
  }
  let fatal = false;
  const used = tmpBytes(s.tmpDir);
  if (used > s.ephemeralStorageMB * MB) {
    error = {
      errorType: 'Runtime.EphemeralStorageExceeded',
      errorMessage: `/tmp holds ${Math.ceil(used / MB)} MB, over the function's ephemeralStorageMB (${s.ephemeralStorageMB})`,
      trace: [],
    };
    payload = undefined;
    fatal = true;
  }
  currentRequestId = 'undefined';
  const out: ResultMessage = { ...base, durationMs, maxMemoryMB: memoryUsedMB(), logs: takeLogs() };
  if (error) {
    out.error = error;
    if (fatal) out.fatal = true;
  } else out.payload = payload!;
  return out;
}

port.on('message', (msg: MainToWorker) => {
  if (msg.kind === 'init') {
    void initialise(msg.init).then((initDurationMs) => {
      const done: InitDoneMessage = { kind: 'init-done', initDurationMs, logs: takeLogs() };
      if (initError) done.error = initError;
      port.postMessage(done);
    });
    return;
  }
  void invoke(msg).then((result) => port.postMessage(result));
});
