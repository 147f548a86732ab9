/**
 * Every message between the host and an environment's worker thread. The
 * worker side imports only types from here, so it stays free of main-side code.
 */
import type { ResolvedSources } from '../config/index.js';

/** Lambda's error payload, as the Invoke API returns it. */
export interface LambdaErrorPayload {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/** What an environment becomes when it is bound to a function (Lambda's init). */
export interface InitSpec {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryMB: number;
  logGroupName: string;
  logStreamName: string;
  /** file: URL of the module to import. */
  moduleUrl: string;
  /** Export holding the handler (`handler`), or `jobs` for a job bundle. */
  exportName: string;
  /** The module is a job bundle exporting `jobs: { [job]: { handler, batch? } }`. */
  jobBundle: boolean;
  /** The whole process.env of the environment. */
  env: Record<string, string>;
  tmpDir: string;
  /** A descriptor of `tmpDir` the host holds open (and closes when the environment dies): fstat is cheaper than stat. */
  tmpFd?: number;
  ephemeralStorageMB: number;
  /** Responses longer than this many bytes fail with Function.ResponseSizeTooLarge. */
  maxResponseBytes: number;
  /** Set when the sources client may read the host's tables itself (see `TableReadsSpec`). */
  tableReads?: TableReadsSpec;
}

/**
 * What an environment needs to read the host's tables on a connection of its
 * own (the sqlite backend): a handler's get, batchGet, query and scan then
 * skip the hop to the main thread and back, and the JSON round trip of their
 * answer. Writes still go to the host, which orders them and records their
 * changes; a read after a write the host acknowledged sees it.
 */
export interface TableReadsSpec {
  /** file: URL of the module exporting `openTableReads` (the host's own copy). */
  moduleUrl: string;
  stateDir: string;
  /** The tables' settings (key schemas), as the host resolved them. */
  tables: ResolvedSources['tables'];
}

/**
 * One read on the environment's own connection, the body as JSON text
 * (parsed as the host would); published as
 * `globalThis[Symbol.for('neolith.tableReads')]` for the client to find.
 * Rejects with an error named `TableReadsNotOpen` when the connection could
 * not be opened (this read goes to the host; the next tries to open again).
 */
export type TableReadFunction = (table: string, op: 'get' | 'batch-get' | 'query' | 'scan', body: string) => Promise<unknown>;

/** Initialise without invoking (provisioned concurrency). */
export interface InitMessage {
  kind: 'init';
  init: InitSpec;
}

/** One invocation; `init` rides along on the first one of a cold environment. */
export interface InvokeMessage {
  kind: 'invoke';
  seq: number;
  requestId: string;
  /** The event as JSON text. */
  payload: string;
  /** Which job of a job bundle to run. */
  job?: string;
  /**
   * The payload is an array of events (AppSync BatchInvoke). A job that does
   * not declare `batch = true` is run once per item and the results collected.
   */
  batch?: boolean;
  /** JSON text of an object whose fields the thread adds to every item of the batch, once parsed (shared). */
  batchShared?: string;
  /** Epoch ms after which the host times the invocation out (on a cold start: set again once init is done). */
  deadline: number;
  /** The function's timeout: on a cold start the handler gets all of it after init, as in Lambda. */
  timeoutMs: number;
  /** JSON text of the client context (X-Amz-Client-Context, decoded). */
  clientContext?: string;
  /** JSON text of the caller identity. */
  identity?: string;
  /**
   * Set for InvokeWithResponseStream: a streaming handler's bytes go to the
   * host as `chunk` messages while it writes them, up to this many bytes in
   * all. Absent: a streaming handler's output is buffered into the answer.
   */
  streamLimitBytes?: number;
  init?: InitSpec;
}

export type MainToWorker = InitMessage | InvokeMessage;

/** Answer to an `init` message. */
export interface InitDoneMessage {
  kind: 'init-done';
  initDurationMs: number;
  error?: LambdaErrorPayload;
  logs: string;
}

/** Answer to an `invoke` message. */
export interface ResultMessage {
  kind: 'result';
  seq: number;
  /** JSON text of the handler's result (when `error` is absent). */
  payload?: string;
  /**
   * What a streaming handler wrote, buffered (it was invoked without
   * `streamLimitBytes`): bytes, not JSON, so they travel as they are.
   */
  payloadBytes?: Uint8Array;
  /** Unhandled function error; `fatal` ones recycle the environment. */
  error?: LambdaErrorPayload;
  /** See `EnvironmentResult.itemErrors`. */
  itemErrors?: number[];
  fatal?: boolean;
  /** The error happened during init (module scope). */
  initError?: boolean;
  /** Set when this invocation ran init first. */
  initDurationMs?: number;
  durationMs: number;
  maxMemoryMB: number;
  /** The handler's console output, in Lambda's log-line format. */
  logs: string;
}

/** A cold invocation's init is done and its handler starts: the host starts the function's timeout now. */
export interface HandlerStartMessage {
  kind: 'handler-start';
  seq: number;
  /** How long init took: the host reports it even if the handler never answers (a timeout, a crash). */
  initDurationMs: number;
  /** Memory in use once init is done, MB: what a run that never answers reports as used. */
  memoryMB: number;
}

/**
 * Bytes a streaming handler wrote, sent as it writes them (`streamLimitBytes`
 * set). The buffer is transferred, never shared: the thread wrote a copy.
 */
export interface ChunkMessage {
  kind: 'chunk';
  seq: number;
  data: Uint8Array;
  /** On the first chunk: the content type the handler set. */
  contentType?: string;
}

export type WorkerToMain = InitDoneMessage | HandlerStartMessage | ChunkMessage | ResultMessage;

/**
 * One event-source operation a handler's client (`neolith/client`) asks of
 * the host over the environment's host-call channel instead of HTTP. JSON
 * operations carry the body as JSON text, as the HTTP route would read it
 * (same coercions, same limits); bucket bodies travel as bytes.
 */
export type HostCall =
  | { source: 'table' | 'topic' | 'stream'; name: string; op: string; body: string }
  | { source: 'bucket'; name: string; op: 'put'; key: string; data: Uint8Array; contentType: string }
  | { source: 'bucket'; name: string; op: 'get' | 'delete'; key: string }
  | { source: 'bucket'; name: string; op: 'list'; prefix: string; startAfter: string };

/** What an operation answers: JSON text, a bucket object (or `null`: no such key), or just done. */
export type HostCallResult =
  | { json: string }
  | { object: { body: Uint8Array; contentType: string; eTag: string } | null }
  | { done: true };

/** Worker → main, on the host-call channel. */
export interface HostCallMessage {
  kind: 'host-call';
  id: number;
  call: HostCall;
}

/** Main → worker, on the host-call channel: the result, or the error the HTTP route would have sent. */
export interface HostReplyMessage {
  kind: 'host-reply';
  id: number;
  result?: HostCallResult;
  /** `type` is the `x-amzn-ErrorType` the HTTP route would send; `unavailable` asks the client to use HTTP. */
  error?: { type: string; message: string; unavailable?: boolean };
}

/**
 * The host's side of host calls: runs one operation (rejects with the same
 * errors as the HTTP route), or returns undefined when it serves none (yet):
 * the client then calls over HTTP.
 */
export type HostCallHandler = (call: HostCall) => Promise<HostCallResult> | undefined;

/**
 * The worker publishes `(call, transfer?) => Promise<HostReplyMessage>` as
 * `globalThis[Symbol.for('neolith.hostCall')]` for the client to find.
 */
export type HostCallFunction = (call: HostCall, transfer?: ArrayBuffer[]) => Promise<HostReplyMessage>;
