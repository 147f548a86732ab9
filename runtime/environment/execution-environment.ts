import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { AbortedError, NeolithError } from '../errors/index.js';
import { boundErrorPayload } from './error-payload.js';
import type { EnvironmentRequest, EnvironmentResult, StreamChunkSink } from './invocation-result.js';
import { LogTailRing } from './log-tail-ring.js';
import type {
  ChunkMessage, HandlerStartMessage, HostCallHandler, HostCallMessage, HostReplyMessage, InitDoneMessage, InitSpec, InvokeMessage, LambdaErrorPayload,
  MainToWorker, ResultMessage, WorkerToMain,
} from './protocol.js';

/** Life of an environment, as metrics and the dashboard show it. */
export type EnvironmentState = 'booting' | 'idle' | 'busy' | 'dead';

interface Pending {
  seq: number;
  requestId: string;
  timeoutMs: number;
  resolve: (result: EnvironmentResult) => void;
  reject: (error: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  /** Takes the chunks of a streamed response. */
  onChunk?: StreamChunkSink;
  /** Set when this run carries init (first invocation of the environment). */
  cold: boolean;
  startedAt: number;
  /** Init's duration, once the thread said the handler started ('handler-start'). */
  initDurationMs?: number;
}

// Plain JS is required in the thread; under vitest the sources are .ts, so use the built copy.
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/runtime/environment/worker-entry.js', import.meta.url)
  : new URL('./worker-entry.js', import.meta.url);

let nextId = 0;

/** Lambda's limit on init outside an invocation (provisioned concurrency). */
const INIT_TIMEOUT_MS = 10_000;

/**
 * Threads inherit the host's execArgv unless told otherwise. When the host runs
 * under a module loader, start threads with none: an explicit list may not
 * carry process-wide flags (`--expose-gc`), so keeping the rest is not an option.
 */
const THREAD_EXEC_ARGV = process.execArgv.some((arg) => /^--(import|loader|experimental-loader|require)(=|$)/.test(arg)) ? [] : undefined;

/**
 * One warm execution environment: a worker thread that becomes one function
 * (Lambda's init), serves one invocation at a time, and is thrown away on a
 * crash, timeout, memory overrun or abort. Spawned generic, bound later, so
 * a spare can be booted before anyone knows which function will need it.
 */
export class ExecutionEnvironment {
  readonly id = `env-${process.pid}-${++nextId}`;
  readonly memoryMB: number;
  readonly createdAt = Date.now();
  state: EnvironmentState = 'idle';
  lastUsedAt = Date.now();
  invocations = 0;
  /** Set when the function's code changed: terminate after the current run. */
  retired = false;
  /** The function this environment was bound to, once bound. */
  functionName: string | undefined;
  #worker: Worker;
  /** Requests out, results in (see worker-entry's `idle`). */
  #port: MessagePort;
  /** `[0]` counts requests posted: the thread sleeps on it between invocations. */
  #signal = new Int32Array(new SharedArrayBuffer(4));
  /** What the thread printed and has not sent yet: read when it times out or dies. */
  #logTail = new LogTailRing();
  /** `[0]`: bytes of the streamed response the thread handed over that the consumer has not released (backpressure). */
  #streamInFlight = new Int32Array(new SharedArrayBuffer(4));
  /** Which streamed run a release belongs to: a late one of an earlier run must not count against this one. */
  #streamRun = 0;
  /** Host calls in (the sources client's operations), replies out. */
  #hostPort: MessagePort;
  #hostCall: HostCallHandler | undefined;
  #init: InitSpec | undefined;
  #initialised = false;
  #initSucceeded = false;
  #pending: Pending | undefined;
  #initWaiter: ((message: InitDoneMessage) => void) | undefined;
  #seq = 0;
  /** Memory the thread last said it used, MB (each result, and handler-start on a cold run). */
  #memoryUsedMB: number | undefined;
  /** Deadline timer, re-armed for each invocation (see `#armTimer`). */
  #timer: NodeJS.Timeout | undefined;
  #timerMs = 0;
  #exitListeners: Array<(env: ExecutionEnvironment) => void> = [];
  #terminated: Promise<void> | undefined;
  #exited = false;

  /** `preload`: a module the thread loads while it boots (see worker-entry's `WorkerData`). */
  constructor(memoryMB: number, preload?: string) {
    this.memoryMB = memoryMB;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const hostChannel = new MessageChannel();
    this.#hostPort = hostChannel.port1;
    this.#worker = new Worker(WORKER_URL, {
      env: {},
      workerData: {
        port: port2, signal: this.#signal, hostPort: hostChannel.port2, logTail: this.#logTail.buffer, streamInFlight: this.#streamInFlight.buffer,
        ...(preload !== undefined && { preload }),
      },
      transferList: [port2, hostChannel.port2],
      // The thread entry and packaged handlers are plain JS: do not inherit loaders
      // such as `--import tsx` (they cost ~35 ms and ~6 MB per environment).
      ...(THREAD_EXEC_ARGV && { execArgv: THREAD_EXEC_ARGV }),
      stdout: false,
      stderr: false,
      resourceLimits: { maxOldGenerationSizeMb: memoryMB, maxYoungGenerationSizeMb: Math.min(32, Math.max(4, memoryMB / 8)) },
    });
    port1.on('message', (message: WorkerToMain) => this.#onMessage(message));
    port1.unref();
    this.#hostPort.on('message', (message: HostCallMessage) => this.#onHostCall(message));
    this.#hostPort.unref();
    this.#worker.on('error', (error) => this.#onDeath(error));
    this.#worker.on('exit', (code) => this.#onDeath(undefined, code));
    // A spare must not keep the host alive on its own.
    this.#worker.unref();
  }

  /**
   * Binds this environment to a function; its first invocation (or `initialise`) runs init.
   * `hostCall` serves the sources client's operations (else the client uses HTTP).
   */
  bind(init: InitSpec, hostCall?: HostCallHandler): void {
    this.functionName = init.functionName;
    this.#hostCall = hostCall;
    mkdirSync(init.tmpDir, { recursive: true });
    this.#init = { ...init, tmpFd: openSync(init.tmpDir, 'r') };
  }

  get bound(): boolean {
    return this.#init !== undefined;
  }

  get initialised(): boolean {
    return this.#initialised;
  }

  /** Init ran and succeeded (not merely started): a pool replaces only such environments when they die. */
  get initSucceeded(): boolean {
    return this.#initSucceeded;
  }

  /** Calls `listener` once when the environment dies, for any reason. */
  onExit(listener: (env: ExecutionEnvironment) => void): void {
    this.#exitListeners.push(listener);
  }

  /**
   * Runs init ahead of any invocation (provisioned concurrency). Never
   * rejects: a failed, hung (past `timeoutMs`, Lambda's 10 s) or dead init
   * resolves with `error` set, and a hung one is terminated.
   */
  initialise(timeoutMs = INIT_TIMEOUT_MS): Promise<{ initDurationMs: number; error?: LambdaErrorPayload; logs: string }> {
    const init = this.#init!;
    this.state = 'booting';
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: { initDurationMs: number; error?: LambdaErrorPayload; logs: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        this.#initWaiter = undefined;
        resolve(outcome);
      };
      // Ref'd on purpose: everything else of an environment is unref'd, and a
      // host awaiting its provisioned environments must stay alive until they answer.
      const deadline = setTimeout(() => {
        finish({ initDurationMs: timeoutMs, logs: '', error: { errorType: 'Sandbox.Timedout', errorMessage: `Init timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`, trace: [] } });
        void this.terminate();
      }, timeoutMs);
      this.#initWaiter = (message) => {
        this.#initialised = !message.error;
        this.#initSucceeded = !message.error;
        if (this.state !== 'dead') this.state = 'idle';
        finish(message);
      };
      this.#exitListeners.push(() => finish({
        initDurationMs: 0, logs: '', error: { errorType: 'Runtime.ExitError', errorMessage: `environment ${this.id} exited during init`, trace: [] },
      }));
      this.#post({ kind: 'init', init });
    });
  }

  /** Runs one invocation. Rejects only with `AbortedError`; faults resolve with `error` set. */
  invoke(request: EnvironmentRequest): Promise<EnvironmentResult> {
    // An 'abort' that already happened never fires again: refuse before running.
    if (request.signal?.aborted) {
      return Promise.reject(new AbortedError(`invocation ${request.requestId} was aborted by its caller`, { cause: request.signal.reason }));
    }
    const seq = ++this.#seq;
    const cold = !this.#initialised;
    this.state = 'busy';
    this.invocations++;
    return new Promise<EnvironmentResult>((resolve, reject) => {
      const pending: Pending = { seq, requestId: request.requestId, timeoutMs: request.timeoutMs, resolve, reject, cold, startedAt: performance.now() };
      // A sync busy loop never yields, so only terminating the thread stops it. A cold start first gets
      // init's own limit; the function's timeout starts when the handler does ('handler-start').
      this.#armTimer(cold ? INIT_TIMEOUT_MS + request.timeoutMs : request.timeoutMs);
      if (request.signal) {
        pending.signal = request.signal;
        pending.onAbort = () => this.#abort();
        request.signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.#pending = pending;
      // Absent fields cost serialisation too: send only what is set.
      const message: InvokeMessage = {
        kind: 'invoke', seq, requestId: request.requestId, payload: request.payload, deadline: Date.now() + request.timeoutMs, timeoutMs: request.timeoutMs,
      };
      if (request.job !== undefined) message.job = request.job;
      if (request.batch) message.batch = true;
      if (request.batchShared !== undefined) message.batchShared = request.batchShared;
      if (request.clientContext !== undefined) message.clientContext = request.clientContext;
      if (request.identity !== undefined) message.identity = request.identity;
      if (request.stream) {
        pending.onChunk = request.stream.onChunk;
        Atomics.store(this.#streamInFlight, 0, 0);
        this.#streamRun++;
        message.streamLimitBytes = request.stream.limitBytes;
      }
      if (cold) message.init = this.#init!;
      this.#post(message);
      if (cold) this.#initialised = true;
    });
  }

  /**
   * One timer per environment, moved forward for each invocation: `refresh()`
   * costs a fifth of a setTimeout + clearTimeout pair. It only ever fires
   * `timeoutMs` after the latest invocation began, so whatever is pending then
   * has timed out. It holds the process open only while an invocation runs.
   */
  #armTimer(ms: number): void {
    if (this.#timer && this.#timerMs === ms) {
      this.#timer.refresh().ref();
      return;
    }
    clearTimeout(this.#timer);
    this.#timerMs = ms;
    this.#timer = setTimeout(() => this.#timeOut(), ms);
  }

  /** Posts a request and wakes the thread (it sleeps in `Atomics.wait` while idle). */
  #post(message: MainToWorker): void {
    this.#port.postMessage(message);
    Atomics.add(this.#signal, 0, 1);
    Atomics.notify(this.#signal, 0, 1);
  }

  /** Stops the thread and removes its /tmp. Idempotent. */
  terminate(): Promise<void> {
    this.#terminated ??= (async () => {
      this.state = 'dead';
      try {
        await this.#worker.terminate();
      } finally {
        this.#removeTmp();
      }
    })();
    return this.#terminated;
  }

  /** Removes /tmp and closes its descriptor, once the thread is gone. */
  #removeTmp(): void {
    const init = this.#init;
    if (!init) return;
    if (init.tmpFd !== undefined) {
      const fd = init.tmpFd;
      init.tmpFd = undefined;
      try {
        closeSync(fd);
      } catch {
        // Already closed (by a handler in the thread): nothing to release.
      }
    }
    rmSync(init.tmpDir, { recursive: true, force: true });
  }

  #settle(): Pending | undefined {
    const pending = this.#pending;
    if (!pending) return undefined;
    this.#pending = undefined;
    // Left armed: it fires at most once more, finds nothing pending, and holds no one up.
    this.#timer!.unref();
    if (pending.onAbort) pending.signal!.removeEventListener('abort', pending.onAbort);
    return pending;
  }

  /** Runs one operation of the thread's sources client and answers it, errors typed as the HTTP route types them. */
  #onHostCall(message: HostCallMessage): void {
    let pending: Promise<HostReplyMessage['result']> | undefined;
    try {
      pending = this.#hostCall?.(message.call);
    } catch (error) {
      pending = Promise.reject(error);
    }
    if (!pending) {
      this.#reply({ kind: 'host-reply', id: message.id, error: { type: 'ServiceException', message: 'this host serves no host calls', unavailable: true } });
      return;
    }
    pending.then(
      (result) => {
        const reply: HostReplyMessage = { kind: 'host-reply', id: message.id, result: result! };
        if (result && 'object' in result && result.object) {
          // A copy of the bytes of its own (the store keeps the original), handed over rather than cloned.
          const body = new Uint8Array(result.object.body);
          reply.result = { object: { ...result.object, body } };
          this.#reply(reply, [body.buffer]);
        } else this.#reply(reply);
      },
      (error: unknown) => {
        if (error instanceof NeolithError) {
          this.#reply({ kind: 'host-reply', id: message.id, error: { type: error.code, message: error.toJSON().message } });
          return;
        }
        // As the HTTP route answers it: logged for the operator, nothing more for the caller.
        process.emitWarning(`neolith: unexpected error serving a request: ${(error as Error)?.stack ?? String(error)}`);
        this.#reply({ kind: 'host-reply', id: message.id, error: { type: 'ServiceException', message: 'Internal error in the neolith host' } });
      },
    );
  }

  #reply(reply: HostReplyMessage, transfer?: ArrayBuffer[]): void {
    if (this.#exited) return;
    this.#hostPort.postMessage(reply, transfer);
  }

  #onMessage(message: WorkerToMain): void {
    // Results first: the one kind every invocation sends.
    if (message.kind !== 'result') {
      this.#onNotice(message);
      return;
    }
    const pending = this.#pending;
    if (!pending || pending.seq !== message.seq) return;
    if (!message.initError) this.#initSucceeded = true;
    this.#memoryUsedMB = message.maxMemoryMB;
    this.#settle();
    this.lastUsedAt = Date.now();
    // A thread's heap limit does not cover Buffers and other memory outside it: an invocation that
    // used more than the function's memory in all fails as Lambda's would, and the environment goes.
    if (!message.error && message.maxMemoryMB > this.memoryMB) {
      pending.resolve({
        ...this.#toResult(message),
        payload: undefined,
        error: {
          errorType: 'Runtime.OutOfMemory',
          errorMessage: `RequestId: ${pending.requestId} Error: Runtime exited with error: signal: killed (used ${message.maxMemoryMB} MB of ${this.memoryMB} MB)`,
          trace: [],
        },
      });
      void this.terminate();
      return;
    }
    pending.resolve(this.#toResult(message));
    if (message.fatal) void this.terminate();
    else if (this.state !== 'dead') this.state = 'idle';
  }

  /** Messages other than a result: init done, handler started, a streamed chunk. */
  #onNotice(message: InitDoneMessage | HandlerStartMessage | ChunkMessage): void {
    if (message.kind === 'chunk') {
      // A chunk of a run that timed out or was aborted meanwhile has nowhere to go.
      if (this.#pending?.seq !== message.seq) return;
      try {
        const run = this.#streamRun;
        const bytes = message.data.byteLength;
        let released = false;
        const release = (): void => {
          if (released || run !== this.#streamRun) return;
          released = true;
          Atomics.sub(this.#streamInFlight, 0, bytes);
        };
        this.#pending.onChunk?.(message.data, release, message.contentType);
      } catch (error) {
        // Thrown here it would be the host's uncaught exception; the run goes on.
        process.emitWarning(`neolith: a response stream's consumer failed: ${(error as Error)?.stack ?? String(error)}`);
      }
      return;
    }
    if (message.kind === 'init-done') {
      if (message.error) message.error = this.#bound(message.error);
      this.#initWaiter?.(message);
      return;
    }
    if (this.#pending?.seq !== message.seq) return;
    this.#pending.initDurationMs = message.initDurationMs;
    this.#memoryUsedMB = message.memoryMB;
    this.#armTimer(this.#pending.timeoutMs);
  }

  #toResult(message: ResultMessage): EnvironmentResult {
    const result: EnvironmentResult = {
      durationMs: message.durationMs,
      maxMemoryMB: message.maxMemoryMB,
      logs: message.logs,
      environmentId: this.id,
    };
    if (message.payload !== undefined) result.payload = message.payload;
    else if (message.payloadBytes) {
      result.payloadBytes = message.payloadBytes;
      result.payload = Buffer.from(message.payloadBytes.buffer, message.payloadBytes.byteOffset, message.payloadBytes.byteLength).toString('utf8');
    }
    if (message.error) result.error = this.#bound(message.error);
    else if (message.itemErrors) result.itemErrors = message.itemErrors;
    if (message.initDurationMs !== undefined) result.initDurationMs = message.initDurationMs;
    return result;
  }

  /**
   * The thread bounds its errors before it sends them, but beside the handler's code, which may have
   * replaced what that bound uses (Buffer, String and RegExp methods). Checked again here, where an
   * error of ordinary size costs a sum of its lengths.
   */
  #bound(error: LambdaErrorPayload): LambdaErrorPayload {
    return boundErrorPayload(error, this.#init!.maxResponseBytes);
  }

  #timeOut(): void {
    const pending = this.#settle();
    if (!pending) return;
    const seconds = (pending.timeoutMs / 1000).toFixed(2);
    const result = this.#faultResult(pending, {
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${pending.requestId} Error: Task timed out after ${seconds} seconds`,
      trace: [],
    }, pending.timeoutMs);
    // What the handler printed, then the line Lambda writes for a timeout (space-separated, unlike the runtime's lines).
    result.logs += `${new Date().toISOString()} ${pending.requestId} Task timed out after ${seconds} seconds\n`;
    pending.resolve(result);
    void this.terminate();
  }

  #abort(): void {
    const pending = this.#settle();
    if (!pending) return;
    pending.reject(new AbortedError(`invocation ${pending.requestId} was aborted by its caller`, { cause: pending.signal?.reason }));
    void this.terminate();
  }

  /** A run the thread never answered: its memory is the last it reported (all of it when it ran out). */
  #faultResult(pending: Pending, error: LambdaErrorPayload, durationMs: number, maxMemoryMB = this.#memoryUsedMB ?? this.memoryMB): EnvironmentResult {
    // The thread never sent its output: what it printed is read from the memory it shares.
    const result: EnvironmentResult = { error, durationMs, maxMemoryMB, logs: this.#logTail.read(), environmentId: this.id };
    // A cold run reports init's time once its handler started; one that died during init spent it all there.
    if (pending.cold) result.initDurationMs = pending.initDurationMs ?? durationMs;
    return result;
  }

  #onDeath(error?: Error, exitCode?: number): void {
    this.state = 'dead';
    clearTimeout(this.#timer);
    const pending = this.#settle();
    if (pending) {
      let fault: LambdaErrorPayload;
      if ((error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        fault = { errorType: 'Runtime.OutOfMemory', errorMessage: `RequestId: ${pending.requestId} Error: Runtime exited with error: signal: killed (heap over ${this.memoryMB} MB)`, trace: [] };
      } else if (error instanceof Error) {
        // An uncaught exception or unhandled rejection, possibly from background work.
        fault = { errorType: error.name || 'Error', errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
      } else if (error !== undefined) {
        // Something thrown that is not an Error (`throw 'boom'`): the runtime names its type.
        fault = { errorType: typeof error, errorMessage: typeof error === 'object' ? '[object Object]' : String(error), trace: [] };
      } else {
        fault = { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${pending.requestId} Error: Runtime exited with error: exit status ${exitCode ?? 0}`, trace: [] };
      }
      const outOfMemory = fault.errorType === 'Runtime.OutOfMemory';
      // An uncaught exception's text is the handler's, made into a payload here, never by the thread.
      fault = this.#bound(fault);
      pending.resolve(this.#faultResult(pending, fault, performance.now() - pending.startedAt, outOfMemory ? this.memoryMB : undefined));
    }
    // 'error' is followed by 'exit': tell the listeners once.
    if (!this.#exited) {
      this.#exited = true;
      const listeners = this.#exitListeners;
      this.#exitListeners = [];
      for (const listener of listeners) listener(this);
      this.#removeTmp();
      this.#hostPort.close();
    }
  }
}
