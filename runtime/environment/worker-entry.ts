/**
 * The thread side of an execution environment: Lambda's Node.js runtime
 * interface, in a worker thread. It imports nothing from the main side
 * (only protocol types), so booting a spare environment is cheap.
 */
import { fstatSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream';
import { highWaterMarkOf, installAwsLambdaGlobal, isStreaming } from './awslambda-global.js';
import { LogTailRing } from './log-tail-ring.js';
import { ResponseStream, type ResponseSink } from './response-stream.js';
import { closeDrain, openDrain } from './event-loop-drain.js';
import { boundErrorPayload } from './error-payload.js';
import { callHandler, type Handler, type LambdaContext } from './handler-call.js';
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { format, types } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import type {
  ChunkMessage, HostCall, HostCallFunction, HostCallMessage, HandlerStartMessage, HostReplyMessage, InitDoneMessage, InitSpec, InvokeMessage, LambdaErrorPayload,
  MainToWorker, ResultMessage, TableReadFunction, TableReadsSpec, WorkerToMain,
} from './protocol.js';

/** A handler wrapped by `awslambda.streamifyResponse`. */
type StreamingHandler = (event: unknown, responseStream: ResponseStream, context: LambdaContext) => unknown;
interface JobEntry { handler: Handler; batch: boolean; streaming: boolean }

/** Bytes of a streamed response the host may hold for a slow client before a write waits ('drain'). */
const STREAM_HIGH_WATER_BYTES = 1024 * 1024;

/** What the host hands the thread at spawn (see `ExecutionEnvironment`). */
interface WorkerData {
  /** The environment's own channel: requests in, results out. */
  port: MessagePort;
  /** `[0]` counts requests posted on `port`; the host bumps it and notifies after each post. */
  signal: Int32Array;
  /** The host-call channel: the client's operations out, replies in (read by a listener, in the event loop). */
  hostPort: MessagePort;
  /** A copy of the output not yet sent, for the host to read if this thread never answers. */
  logTail: SharedArrayBuffer;
  /** `[0]`: bytes of a streamed response the host has not passed to its client yet (backpressure). */
  streamInFlight: SharedArrayBuffer;
  /**
   * A module to load while the thread boots, before it takes requests: the
   * table reads' (see `TableReadsSpec`), so a cold start does not pay for it.
   */
  preload?: string;
}
const { port, signal, hostPort, logTail, streamInFlight, preload } = workerData as WorkerData;
const streamPacing = { inFlight: new Int32Array(streamInFlight), highBytes: STREAM_HIGH_WATER_BYTES };
const logTailRing = new LogTailRing(logTail);
const MB = 1024 * 1024;

/**
 * The sources client's fast path: an operation goes to the host's main thread
 * as a message (no HTTP). Replies arrive as 'message' events, so a handler
 * awaiting one is served while it runs; a reply to background work that comes
 * after its invocation ended waits in the port, frozen with the rest, until
 * the next invocation runs the event loop. The port holds the event loop open
 * only while a call is in flight, as a socket awaiting its answer would (see
 * event-loop-drain).
 */
const hostCalls = new Map<number, (reply: HostReplyMessage) => void>();
let nextHostCall = 0;
hostPort.on('message', (reply: HostReplyMessage) => {
  const resolve = hostCalls.get(reply.id);
  if (!resolve) return;
  hostCalls.delete(reply.id);
  if (hostCalls.size === 0) hostPort.unref();
  resolve(reply);
});
hostPort.unref();
const hostCall: HostCallFunction = (call: HostCall, transfer?: ArrayBuffer[]) => new Promise((resolve) => {
  const id = ++nextHostCall;
  const message: HostCallMessage = { kind: 'host-call', id, call };
  // Posted first: a call that cannot be posted (a value that cannot be cloned) rejects, holding nothing open.
  hostPort.postMessage(message, transfer);
  if (hostCalls.size === 0) hostPort.ref();
  hostCalls.set(id, resolve);
});
Object.defineProperty(globalThis, Symbol.for('neolith.hostCall'), { value: hostCall });

/**
 * The sources client's table reads on this thread's own connection, when the
 * host offers them; the module and the connection load on the first read, so
 * a function that reads no table never pays for them.
 */
function installTableReads(tableReads: TableReadsSpec | undefined): void {
  if (!tableReads) return;
  let opened: Promise<TableReadFunction> | undefined;
  const read: TableReadFunction = (table, op, body) => {
    opened ??= import(tableReads.moduleUrl)
      .then((m: { openTableReads(s: TableReadsSpec): TableReadFunction }) => m.openTableReads(tableReads))
      .catch((error: unknown) => {
        // Not for good: a provisioned environment's init may read before the host has created the
        // tables in a new state dir. The client asks the host this time and opening is tried again next.
        opened = undefined;
        throw Object.assign(new Error(`table reads could not open: ${(error as Error)?.message ?? String(error)}`, { cause: error }), { name: 'TableReadsNotOpen' });
      });
    return opened.then((reads) => reads(table, op, body));
  };
  Object.defineProperty(globalThis, Symbol.for('neolith.tableReads'), { value: read });
}

let spec: InitSpec | undefined;
let handler: Handler | undefined;
/** `handler` was wrapped by `awslambda.streamifyResponse`. */
let handlerStreaming = false;
let jobs: Record<string, JobEntry> | undefined;
let initError: LambdaErrorPayload | undefined;
let currentRequestId = 'undefined';
let logBuffer = '';
/** One invocation's output kept, characters: past it the oldest half goes (the tail is what one reads). */
const MAX_LOG_CHARS = 1024 * 1024;

function appendLog(text: string): void {
  logBuffer += text;
  logTailRing.append(text);
  if (logBuffer.length > MAX_LOG_CHARS) {
    const dropped = logBuffer.length - MAX_LOG_CHARS / 2;
    logBuffer = `[neolith: ${dropped} earlier characters of output dropped]\n${logBuffer.slice(dropped)}`;
  }
}

// Lambda's Node runtime prefixes every console line with time, request id and level.
function capture(level: string) {
  return (...args: unknown[]) => {
    appendLog(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${format(...args)}\n`);
  };
}
console.log = capture('INFO');
console.info = capture('INFO');
console.warn = capture('WARN');
console.error = capture('ERROR');
console.debug = capture('DEBUG');
console.trace = capture('TRACE');
const writeCapture = (chunk: unknown): boolean => {
  appendLog(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
  return true;
};
process.stdout.write = writeCapture as typeof process.stdout.write;
process.stderr.write = writeCapture as typeof process.stderr.write;

/** What Lambda's Node runtime reports for a promise rejected with no handler. */
class UnhandledPromiseRejection extends Error {
  constructor(readonly reason: unknown, readonly promise: Promise<unknown>) {
    // As the runtime words it: `reason?.toString()` (empty for none); a toString that throws, or a
    // reason with none, fails the listener itself, reported as that error's Uncaught Exception.
    super((reason as { toString(): string } | null | undefined)?.toString());
  }
}
// On the prototype, so the stack is headed by it and the logged JSON has no extra "name" field.
UnhandledPromiseRejection.prototype.name = 'Runtime.UnhandledPromiseRejection';

// As Lambda's runtime: the failure is logged, then the runtime exits (here the thread dies, and the
// host fails the invocation with the error and starts the next one cold). The log line goes to the
// shared tail the host reads after the death.
/** The exception ending this thread, once one is on its way (see the listeners below). */
let dying: { error: unknown } | undefined;

process.on('unhandledRejection', (reason, promise) => {
  const error = new UnhandledPromiseRejection(reason, promise);
  logError('Unhandled Promise Rejection', error);
  // Without the promise (it cannot cross to the host, and the error would arrive nameless).
  const thrown = new Error(error.message);
  thrown.name = error.name;
  thrown.stack = error.stack;
  // Fatal at once: a listener the handler's code added for uncaught exceptions is not told (the
  // runtime's own rejection listener exits before anything else hears of it).
  dying = { error: thrown };
  throw thrown;
});
/**
 * An uncaught exception ends the environment and fails the invocation with it,
 * as the runtime's own listener does (it posts the error, then exits) — even
 * when the handler's code (a monitoring library, say) listens too, which alone
 * would keep the thread alive. With no other listener the thread dies at once;
 * otherwise they run after this one and the exception is thrown again a turn
 * later, to end the thread then.
 */
process.on('uncaughtException', (error) => {
  // Object.is: NaN too is the same exception thrown again.
  if ((dying !== undefined && Object.is(dying.error, error)) || process.listenerCount('uncaughtException') === 1) throw error;
  dying = { error };
  setImmediate(() => {
    throw error;
  });
});
process.on('uncaughtExceptionMonitor', (error) => {
  // The same exception thrown again to end the thread: logged the first time.
  if (dying !== undefined && Object.is(dying.error, error)) return;
  let name: unknown;
  try {
    name = (error as { name?: unknown } | null)?.name;
  } catch {
    // A throwing getter: not ours, so log it.
  }
  if (name !== UnhandledPromiseRejection.prototype.name) logError('Uncaught Exception', error);
});

function takeLogs(): string {
  // An uncaught exception is ending the thread: its output stays in the shared tail, for the host to read.
  if (dying) return '';
  const logs = logBuffer;
  logBuffer = '';
  logTailRing.clear();
  return logs;
}

/**
 * Lambda's shape for a failure, as its Node runtime makes it (`toRapidResponse`
 * in aws-lambda-nodejs-runtime-interface-client): an Error — or any object with
 * string `name`, `message` and `stack` — gives its `name` (so a subclass that
 * sets none is "Error"), message and stack lines; anything else thrown gives
 * its `typeof` and its text (`throw 'boom'` → "string", "boom"); a failure
 * with no value at all (`throw undefined`, `Promise.reject(null)`) is the
 * runtime's "handled".
 */
function toLambdaError(thrown: unknown): LambdaErrorPayload {
  const error = thrown === undefined || thrown === null ? 'handled' : thrown;
  try {
    if (isError(error)) {
      return {
        errorType: escapeDel(error.name) || 'Error',
        errorMessage: escapeDel(error.message) || '',
        trace: typeof error.stack === 'string' ? escapeDel(error.stack).split('\n') : [],
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    // A getter that throws, or an object without toString: the runtime's own words.
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
}

/** The runtime's test: a native Error, or anything shaped like one (`_isError`). */
function isError(value: unknown): value is Error {
  if (value instanceof Error || types.isNativeError(value)) return true;
  const v = value as { name?: unknown; message?: unknown; stack?: unknown } | null | undefined;
  return typeof v?.name === 'string' && v.name !== '' && typeof v.message === 'string' && v.message !== ''
    && typeof v.stack === 'string' && v.stack !== '';
}

/** The runtime writes DEL (0x7F) as `%7F` in error text (it ends the response header otherwise). */
function escapeDel(text: unknown): string {
  return typeof text === 'string' ? text.replace(/\x7F/g, '%7F') : '';
}

/**
 * The line Lambda's Node runtime logs for a failure (`logError('Invoke Error', …)`,
 * `'Uncaught Exception'` for init): `console.error`'s prefix, `label`, then the
 * error as JSON with its enumerable fields and the stack as an array. A
 * non-Error is logged as `new Error(String(thrown))`, as the runtime's
 * `intoError` makes it.
 */
function logError(label: string, thrown: unknown): void {
  let error: Error;
  try {
    const value = thrown === undefined || thrown === null ? 'handled' : thrown;
    error = isError(value) ? value : new Error(String(value));
  } catch {
    error = new Error('handled');
  }
  let formatted: string;
  try {
    formatted = JSON.stringify(error, (_key, value: unknown) => (isError(value) ? withEnumerableFields(value) : value));
  } catch {
    // Circular or not serialisable: the payload's shape instead.
    formatted = JSON.stringify(toLambdaError(error));
  }
  appendLog(`${new Date().toISOString()}\t${currentRequestId}\tERROR\t${label} \t${formatted}\n`);
}

function withEnumerableFields(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { errorType: error.name, errorMessage: error.message, code: (error as { code?: unknown }).code, ...error };
  if (typeof error.stack === 'string') out.stack = error.stack.split('\n');
  return out;
}

async function initialise(next: InitSpec): Promise<number> {
  const started = performance.now();
  spec = next;
  installTableReads(next.tableReads);
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, next.env);
  // Before the import: module scope may call awslambda.streamifyResponse.
  installAwsLambdaGlobal(next.env);
  try {
    const mod = (await import(next.moduleUrl)) as Record<string, unknown>;
    if (next.jobBundle) {
      const table = mod.jobs as Record<string, { handler?: unknown; batch?: unknown }>;
      jobs = {};
      for (const [name, job] of Object.entries(table)) {
        if (typeof job.handler !== 'function') throw handlerNotFound(`${name}.handler`, job.handler);
        jobs[name] = { handler: job.handler as Handler, batch: job.batch === true, streaming: isStreaming(job.handler) };
      }
    } else {
      const found = lookup(mod, next.exportName);
      // Named as Lambda names it: the handler string (`_HANDLER`, "path/module.export").
      if (typeof found !== 'function') throw handlerNotFound(next.env._HANDLER ?? next.exportName, found);
      handler = found as Handler;
      handlerStreaming = isStreaming(found);
    }
  } catch (thrown) {
    const error = asInitError(thrown);
    // Bounded once here: it answers the init and every invocation until the environment goes.
    initError = boundErrorPayload(toLambdaError(error), next.maxResponseBytes);
    // The runtime logs a failed init as an uncaught exception, outside any request (its id reads "undefined").
    logError('Uncaught Exception', error);
  }
  return performance.now() - started;
}

/** The runtime's errors for a module that does not load; its words are the original error's text. */
class UserCodeSyntaxError extends Error {}
UserCodeSyntaxError.prototype.name = 'Runtime.UserCodeSyntaxError';
class ImportModuleError extends Error {}
ImportModuleError.prototype.name = 'Runtime.ImportModuleError';

/**
 * What the runtime's loader makes of a failed import (`loadModule`): a
 * SyntaxError (in the code, or a JSON.parse in module scope) becomes
 * `Runtime.UserCodeSyntaxError` and a CommonJS `require` of a missing module
 * `Runtime.ImportModuleError`, both worded as `String(error)`. The rest
 * passes as thrown — an ES module's missing import (ERR_MODULE_NOT_FOUND)
 * included, which the runtime does not wrap either.
 */
function asInitError(thrown: unknown): unknown {
  if (thrown instanceof SyntaxError) {
    // Its stack is the original's, as the current runtime keeps it: it says where the syntax broke.
    const wrapped = new UserCodeSyntaxError(String(thrown));
    if (typeof thrown.stack === 'string') wrapped.stack = thrown.stack;
    return wrapped;
  }
  if (thrown instanceof Error && (thrown as { code?: unknown }).code === 'MODULE_NOT_FOUND') return new ImportModuleError(String(thrown));
  return thrown;
}

function lookup(mod: Record<string, unknown>, path: string): unknown {
  // CommonJS modules arrive as { default: module.exports, ...named }.
  let value: unknown = mod[path.split('.')[0]!] ?? (mod.default as Record<string, unknown> | undefined)?.[path.split('.')[0]!];
  for (const part of path.split('.').slice(1)) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

/** The runtime's two wordings: nothing there, or something that is not a function. */
function handlerNotFound(name: string, found: unknown): Error {
  const error = new Error(found ? `${name} is not a function` : `${name} is undefined or not exported`);
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
 * whose mtime has not moved is still empty: one fstat instead of a listing.
 * A removed folder (no links left) gets the full check by path.
 */
function tmpBytes(dir: string, fd: number | undefined): number {
  if (fd !== undefined && emptyTmpMtime !== undefined) {
    try {
      const stat = fstatSync(fd);
      if (stat.mtimeMs === emptyTmpMtime && stat.nlink > 0) return 0;
    } catch {
      // The descriptor is gone (closed by the handler): check by path.
    }
  }
  let mtime: number;
  try {
    mtime = statSync(dir).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // The handler removed its /tmp: nothing is in it; make it again for the next invocation.
    mkdirSync(dir, { recursive: true });
    emptyTmpMtime = undefined;
    return 0;
  }
  if (mtime === emptyTmpMtime) return 0;
  const size = directorySize(dir);
  emptyTmpMtime = size === 0 && readdirSync(dir).length === 0 && Date.now() - mtime > 100 ? mtime : undefined;
  return size;
}

function memoryUsedMB(): number {
  const heap = getHeapStatistics();
  return Math.ceil((heap.total_heap_size + heap.external_memory) / MB);
}

/** An answer that needs no handler run (init failed, no such job). */
function early(msg: InvokeMessage, initDurationMs: number | undefined, error: LambdaErrorPayload, fatal: boolean): void {
  const bounded = boundErrorPayload(error, spec!.maxResponseBytes);
  const out: ResultMessage = { kind: 'result', seq: msg.seq, error: bounded, durationMs: 0, maxMemoryMB: memoryUsedMB(), logs: takeLogs() };
  if (fatal) {
    out.fatal = true;
    out.initError = true;
  }
  if (initDurationMs !== undefined) out.initDurationMs = initDurationMs;
  // Answer from a microtask, never from inside `idle`'s loop (no recursion).
  queueMicrotask(() => respond(out));
}

/** Runs one invocation; answers through `respond`. */
function invoke(msg: InvokeMessage, initDurationMs: number | undefined): void {
  // An uncaught exception (during an on-demand init, say) is ending the thread: the handler must not run.
  if (dying) return;
  const s = spec!;
  currentRequestId = msg.requestId;
  if (initError) {
    // Lambda reports an init failure on the invocation that triggered it, then starts afresh.
    early(msg, initDurationMs, initError, true);
    return;
  }
  let fn: Handler;
  let batchAware = false;
  let streaming = handlerStreaming;
  if (jobs) {
    const job = msg.job === undefined ? (Object.keys(jobs).length === 1 ? Object.values(jobs)[0] : undefined) : jobs[msg.job];
    if (!job) {
      const missing = new Error(`job ${msg.job ?? '(none named)'} is not in function ${s.functionName} (it holds ${Object.keys(jobs).join(', ')})`);
      missing.name = 'Runtime.HandlerNotFound';
      // A failed invocation's log carries the runtime's line, this one included.
      logError('Invoke Error', missing);
      early(msg, initDurationMs, { errorType: missing.name, errorMessage: missing.message, trace: [] }, false);
      return;
    }
    fn = job.handler;
    batchAware = job.batch;
    streaming = job.streaming;
  } else {
    fn = handler!;
  }
  const started = performance.now();
  const context = makeContext(msg, s);
  const done = (result: unknown): void => respond(complete(msg, s, started, initDurationMs, result, undefined));
  const failed = (thrown: unknown): void => {
    logError('Invoke Error', thrown);
    respond(complete(msg, s, started, initDurationMs, undefined, toLambdaError(thrown)));
  };
  let event: unknown;
  try {
    event = JSON.parse(msg.payload);
    // The batch's common fields came once: each item gets them, after its own. A batch job shares
    // one copy; items run one by one (runItems) each get their own, as separate invocations would.
    if (msg.batchShared !== undefined && Array.isArray(event)) {
      const shared = msg.batch === true && !batchAware ? undefined : JSON.parse(msg.batchShared) as object;
      for (const item of event) if (typeof item === 'object' && item !== null) Object.assign(item, shared ?? JSON.parse(msg.batchShared));
    }
  } catch (thrown) {
    Promise.reject(thrown).then(done, failed);
    return;
  }
  // A batch (AppSync's BatchInvoke, from a GraphQL field) of a streaming job: each item is a plain
  // Invoke of it, whose answer is what it wrote (Lambda buffers a streaming function's output then).
  const perItem = msg.batch === true && !batchAware && Array.isArray(event);
  if (streaming && !perItem) {
    invokeStreaming(msg, s, fn as unknown as StreamingHandler, event, context, started, initDurationMs);
    return;
  }
  // From here the loop ends when the handler's own work does (callback answers, NodeJsExit).
  openDrain();
  if (perItem) {
    const item: Handler = streaming ? (each, itemContext) => writtenValue(fn as unknown as StreamingHandler, each, itemContext, s.maxResponseBytes) : fn;
    runItems(item, event as unknown[], context, s.maxResponseBytes).then(({ results, itemErrors }) => {
      const out = complete(msg, s, started, initDurationMs, results, undefined);
      if (!out.error) out.itemErrors = itemErrors;
      respond(out);
    }, failed);
    return;
  }
  // The answer comes from a promise job, off `idle`'s stack.
  callHandler(fn, event, context).then(done, failed);
}

/**
 * AppSync BatchInvoke against a per-item job: run the items here, in this one
 * environment call, side by side — as AppSync would run one invocation per
 * item at once — so a batch takes about one item's time within the timeout.
 */
async function runItems(
  fn: Handler, items: unknown[], context: LambdaContext, limitBytes: number,
): Promise<{ results: unknown[]; itemErrors: number[] }> {
  // Named apart from the results: an answer shaped like an error ({ errorMessage }) is still an answer.
  const itemErrors: number[] = [];
  const results = await Promise.all(items.map(async (item, index) => {
    try {
      // Each item has its own callback members (and answers once), as its own invocation would.
      return await callHandler(fn, item, { ...context });
    } catch (itemError) {
      itemErrors.push(index);
      // Bounded as the item's own invocation would be, by what it reports (no trace): one item's
      // giant error becomes its own ResponseSizeTooLarge, not the whole batch's.
      const { errorType, errorMessage } = boundErrorPayload({ ...toLambdaError(itemError), trace: [] }, limitBytes);
      return { errorType, errorMessage };
    }
  }));
  return { results, itemErrors: itemErrors.sort((a, b) => a - b) };
}

/** The answer to an invocation whose handler settled with `result` or `error`. */
function complete(
  msg: InvokeMessage, s: InitSpec, started: number, initDurationMs: number | undefined, result: unknown, error: LambdaErrorPayload | undefined,
): ResultMessage {
  const durationMs = performance.now() - started;
  let payload: string | undefined;
  if (!error) {
    try {
      // JSON.stringify gives undefined for a function or a symbol: Lambda answers null for those too.
      payload = result === undefined ? 'null' : JSON.stringify(result) ?? 'null';
    } catch (stringifyError) {
      // The runtime reports it through its error path, which prints the Invoke Error line too.
      logError('Invoke Error', stringifyError);
      error = { ...toLambdaError(stringifyError), errorType: 'Runtime.MarshalError' };
    }
  }
  if (payload !== undefined && payload.length * 3 > s.maxResponseBytes && Buffer.byteLength(payload) > s.maxResponseBytes) {
    error = responseTooLarge(s.maxResponseBytes);
    payload = undefined;
  }
  const out = answer(msg, s, durationMs, initDurationMs, error);
  if (!out.error) out.payload = payload!;
  return out;
}

/** What every answer to a run carries: /tmp checked, memory and output taken. The caller adds the payload. */
/** Lambda's failure for an answer past its limit. */
function responseTooLarge(limitBytes: number): LambdaErrorPayload {
  return { errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${limitBytes} bytes).`, trace: [] };
}

function answer(msg: InvokeMessage, s: InitSpec, durationMs: number, initDurationMs: number | undefined, error: LambdaErrorPayload | undefined): ResultMessage {
  let fatal = false;
  const used = tmpBytes(s.tmpDir, s.tmpFd);
  if (used > s.ephemeralStorageMB * MB) {
    error = {
      errorType: 'Runtime.EphemeralStorageExceeded',
      errorMessage: `/tmp holds ${Math.ceil(used / MB)} MB, over the function's ephemeralStorageMB (${s.ephemeralStorageMB})`,
      trace: [],
    };
    fatal = true;
  }
  // The id stays until the next invocation: output of work the handler left behind is the last
  // request's, as in Lambda (only init, before any request, reads "undefined").
  const out: ResultMessage = { kind: 'result', seq: msg.seq, durationMs, maxMemoryMB: memoryUsedMB(), logs: takeLogs() };
  if (initDurationMs !== undefined) out.initDurationMs = initDurationMs;
  if (error) {
    // Every failure of a run passes here (thrown, marshal, streamed): bounded once, before it is
    // cloned to the host. Successful answers skip it.
    out.error = boundErrorPayload(error, s.maxResponseBytes);
    if (fatal) out.fatal = true;
  }
  return out;
}

/**
 * Runs a streaming handler (`awslambda.streamifyResponse`) as Lambda's runtime
 * does (`StreamingInvokeProcessor`): `(event, responseStream, context)`, an
 * async function, done when it has settled *and* the stream has ended. With
 * `streamLimitBytes` (InvokeWithResponseStream) every write goes to the host
 * at once, its buffer transferred; without (plain Invoke) the writes are
 * collected into the payload, under the function's response limit. A failure
 * after some writes leaves those written: the host already has them.
 */
function invokeStreaming(
  msg: InvokeMessage, s: InitSpec, fn: StreamingHandler, event: unknown, context: LambdaContext, started: number, initDurationMs: number | undefined,
): void {
  const toHost = msg.streamLimitBytes !== undefined;
  const collected: Uint8Array[] = [];
  const sink: ResponseSink = toHost
    ? (bytes, contentType) => {
      const message: ChunkMessage = { kind: 'chunk', seq: msg.seq, data: bytes };
      if (contentType !== undefined) message.contentType = contentType;
      port.postMessage(message, [bytes.buffer]);
    }
    : (bytes) => void collected.push(bytes);
  const limitBytes = toHost ? msg.streamLimitBytes! : s.maxResponseBytes;
  const stream = new ResponseStream(sink, limitBytes, highWaterMarkOf(fn), toHost ? streamPacing : undefined);
  let settled = false;
  const settle = (failed: boolean, thrown?: unknown): void => {
    if (settled) return;
    settled = true;
    let error: LambdaErrorPayload | undefined;
    if (stream.overflowed) {
      error = responseTooLarge(limitBytes);
    } else if (failed) {
      logError('Invoke Error', thrown);
      error = toLambdaError(thrown);
    }
    // Writes from work the handler left behind go nowhere, never into a later answer.
    if (!stream.destroyed) stream.destroy();
    const out = answer(msg, s, performance.now() - started, initDurationMs, error);
    // Past the limit the answer goes at once, the handler possibly still running (awaiting a
    // 'drain' that never comes, writing on): recycle the environment rather than let it run on.
    if (stream.overflowed) out.fatal = true;
    if (out.error || toHost) {
      respond(out);
      return;
    }
    const payload = concat(collected);
    out.payloadBytes = payload;
    respond(out, [payload.buffer]);
  };
  const fail = (thrown: unknown): void => settle(true, thrown);
  // Past the limit the invocation fails now, whatever the handler does about its failed write.
  stream.on('error', () => {
    if (stream.overflowed) settle(false);
  });
  let returned: unknown;
  try {
    returned = fn(event, stream, context);
  } catch (thrown) {
    // Answer from a promise job, never from inside `idle`'s loop.
    Promise.reject(thrown).catch(fail);
    return;
  }
  if (!returned || typeof (returned as Promise<unknown>).then !== 'function') {
    // The runtime's own words, failed as a string (errorType "string"), as it does.
    Promise.resolve('Streaming does not support non-async handlers.').then(fail);
    return;
  }
  (returned as Promise<unknown>).then((result) => {
    if (result !== undefined) console.warn('Streaming handlers ignore return values.');
    // Done once the stream has ended too; one the handler never ends runs into the timeout, as in Lambda.
    finished(stream, (streamError) => (streamError ? fail(streamError) : settle(false)));
  }, fail);
}

/**
 * What a streaming handler wrote for one event, as a plain Invoke answers it:
 * the bytes, read as JSON (text that is not JSON stays text). Fails as the
 * handler failed, or with Lambda's ResponseSizeTooLarge past `limitBytes`.
 */
function writtenValue(fn: StreamingHandler, event: unknown, context: LambdaContext, limitBytes: number): Promise<unknown> {
  const parts: Uint8Array[] = [];
  const stream = new ResponseStream((bytes) => void parts.push(bytes), limitBytes, highWaterMarkOf(fn));
  return new Promise((resolve, reject) => {
    const done = (streamError?: unknown): void => {
      if (stream.overflowed) return reject(Object.assign(new Error(responseTooLarge(limitBytes).errorMessage), { name: 'Function.ResponseSizeTooLarge' }));
      if (streamError) return reject(streamError);
      const text = Buffer.from(concat(parts)).toString('utf8');
      try {
        resolve(text === '' ? null : JSON.parse(text));
      } catch {
        resolve(text);
      }
    };
    stream.on('error', () => {
      if (stream.overflowed) done();
    });
    Promise.resolve()
      .then(() => fn(event, stream, context))
      .then(() => finished(stream, (streamError) => done(streamError ?? undefined)), reject);
  });
}

/** One fresh buffer holding `parts` in order (Buffer.concat may hand out a pooled one, which cannot be transferred). */
function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let total = 0;
  for (const part of parts) total += part.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** When the last answer went out (epoch ms): how long the thread has been frozen. */
let answeredAt = 0;
/**
 * The last handler left work behind (a timer, an immediate, a socket, a host
 * call): the next request lets it run first, as Lambda's runtime, whose own
 * I/O turns the event loop on every invocation. Without any, the thread's
 * keep-alive timer is its only resource.
 */
let leftWork = false;

/** The answer waiting for what its invocation left queued to run first (see `respond`). */
let pendingAnswer: { message: WorkerToMain; transfer: ArrayBuffer[] | undefined } | undefined;
/** The reason of the marker rejection after which the pending answer goes out. */
const ANSWER_NOW = Symbol('neolith: answer now');
/**
 * `--unhandled-rejections=strict` turns every unhandled rejection, the marker
 * too, into an uncaught exception before any listener hears of it: a turn of
 * the event loop stands in for the marker then (slower, as correct).
 */
const STRICT_REJECTIONS = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].includes('--unhandled-rejections=strict');

// The marker is the runtime's own: no listener of the handler's code (a monitoring SDK) hears of it.
const processEmit = process.emit;
const markerEmit = function emit(this: NodeJS.Process, event: string | symbol, ...args: unknown[]): boolean {
  if (event === 'unhandledRejection' && args[0] === ANSWER_NOW) {
    // After the rest of this batch of rejections: one the handler left that Node reports after the
    // marker (a chain that rejected a few promise jobs later) still fails this invocation.
    process.nextTick(postAnswer);
    return true;
  }
  return (processEmit as (...a: unknown[]) => boolean).call(this, event, ...args);
} as typeof process.emit;
process.emit = markerEmit;

/**
 * Sends an answer, then sleeps until the next request — once what the handler
 * left queued has run: its process.nextTick callbacks and the rejections
 * nobody handled belong to this invocation (one fails it, as Lambda's runtime
 * does). Answered and frozen at once, they ran at the start of the next
 * request, whose caller got this one's error. Node reports unhandled
 * rejections in order once the promise jobs and nextTick callbacks are done:
 * a rejection of its own, reported last, sends the answer without a turn of
 * the event loop (one costs ~35 µs a round trip here).
 */
function respond(message: WorkerToMain, transfer?: ArrayBuffer[]): void {
  // An uncaught exception is about to end the thread: it, not this answer, is the outcome.
  if (dying) return;
  pendingAnswer = { message, transfer };
  // The marker reaches postAnswer only through our process.emit, and only outside a domain (Node hands
  // a rejection made in one to the domain): otherwise a turn of the event loop stands in.
  if (STRICT_REJECTIONS || process.emit !== markerEmit || (process as { domain?: unknown }).domain) setImmediate(postAnswer);
  else void Promise.reject(ANSWER_NOW);
}

function postAnswer(): void {
  const answer = pendingAnswer;
  pendingAnswer = undefined;
  if (dying || !answer) return;
  // Output of those callbacks is this invocation's too.
  if (logBuffer !== '' && 'logs' in answer.message) answer.message.logs += takeLogs();
  closeDrain();
  port.postMessage(answer.message, answer.transfer);
  answeredAt = Date.now();
  leftWork = process.getActiveResourcesInfo().length > 1;
  idle();
}

/** After this long frozen, let the event loop catch up before running the next request. */
const THAW_AFTER_MS = 1000;

function dispatch(msg: MainToWorker): void {
  if (msg.kind === 'init') {
    void initialise(msg.init).then((initDurationMs) => {
      const done: InitDoneMessage = { kind: 'init-done', initDurationMs, logs: takeLogs() };
      if (initError) done.error = initError;
      respond(done);
    });
    return;
  }
  if (msg.init) {
    void initialise(msg.init).then((initDurationMs) => {
      // Init had its own limit; the handler gets the whole timeout from here (Lambda's on-demand init).
      msg.deadline = Date.now() + msg.timeoutMs;
      if (!initError) port.postMessage({ kind: 'handler-start', seq: msg.seq, initDurationMs, memoryMB: memoryUsedMB() } satisfies HandlerStartMessage);
      invoke(msg, initDurationMs);
    });
  } else {
    invoke(msg, undefined);
  }
}

let seenRequests = 0;

/**
 * Between invocations the thread sleeps in `Atomics.wait` until the host
 * posts the next request, then reads it with `receiveMessageOnPort`: a futex
 * wake instead of an event-loop wake and a 'message' event (piscina's
 * `useAtomics`). Background work left by a handler (timers, sockets) stays
 * frozen until the next invocation, as Lambda freezes an idle environment.
 * `worker.terminate()` interrupts the wait.
 */
function idle(): void {
  for (;;) {
    const entry = receiveMessageOnPort(port);
    if (entry) {
      const msg = entry.message as MainToWorker;
      // Every request answers asynchronously, through `respond`, which comes back here.
      if (!leftWork && Date.now() - answeredAt < THAW_AFTER_MS) dispatch(msg);
      // Thaw: one turn of the loop first runs what the last handler left that fell due, and reads
      // the sockets closed meanwhile (a keep-alive connection its server dropped), so the handler
      // does not pick a dead socket from its HTTP pool. Two hops: timers run between the two.
      else setImmediate(() => setImmediate(() => dispatch(msg)));
      return;
    }
    // Returns at once if a request was posted since `seenRequests` was read (before the receive above).
    Atomics.wait(signal, 0, seenRequests);
    seenRequests = Atomics.load(signal, 0);
  }
}

// The preload must finish first: an idle thread is frozen in Atomics.wait, and its import with it.
// A module that fails to load is the table reads' trouble (they fall back to the host), not the thread's.
if (preload) import(preload).catch(() => undefined).finally(() => setImmediate(idle));
else setImmediate(idle);
