import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import type { ResolvedPayloadLimits } from '../config/index.js';
import type { EnvironmentRequest, EnvironmentResult } from '../environment/index.js';
import {
  InvalidParameterValueError, InvalidRequestContentError, RequestTooLargeError, ServiceError, TooManyRequestsError,
} from '../errors/index.js';
import { InvocationLog, type InvocationReport } from '../observe/index.js';
import type { ConcurrencyGovernor } from './concurrency-governor.js';
import type { EventQueue } from './event-queue.js';
import type { FunctionRegistry, Target } from './function-registry.js';
import { GuardedSink } from './guarded-sink.js';
import type { InvocationOutcome, InvocationThrottle, InvocationType, InvokeOptions, InvokeResult, StreamSink } from './invocation-types.js';
import { checkRequestId } from './request-id.js';

/**
 * Most bytes one streamed response may carry: Lambda's 20 MB (a soft limit
 * there). Past it the invocation fails with Function.ResponseSizeTooLarge.
 */
const RESPONSE_STREAM_BYTES = 20 * 1024 * 1024;

/** What the invoker is built from. */
export interface InvokerParts {
  registry: FunctionRegistry;
  governor: ConcurrencyGovernor;
  log: InvocationLog;
  limits: ResolvedPayloadLimits;
  /** Where Event invocations are stored; without it they are refused. */
  events?: EventQueue;
}

/** An accepted event's run, with the tail of its log for the invocation record. */
export interface AcceptedRun {
  run: EnvironmentResult;
  /** The last 4 KB of its log as Lambda writes it (START, output, END, REPORT), every attempt so far. */
  logTail: string;
}

/**
 * The one way into a function, for every caller (HTTP, GraphQL, CLI, the
 * async dispatcher): resolve the target, check the payload, take a
 * concurrency slot, run in an environment, log, release.
 */
export class Invoker {
  readonly #registry: FunctionRegistry;
  readonly #governor: ConcurrencyGovernor;
  readonly #log: InvocationLog;
  readonly #limits: ResolvedPayloadLimits;
  #events: EventQueue | undefined;
  readonly #outcomeListeners: Array<(outcome: InvocationOutcome) => void> = [];
  readonly #throttleListeners: Array<(throttle: InvocationThrottle) => void> = [];
  #closing = false;

  constructor(parts: InvokerParts) {
    this.#registry = parts.registry;
    this.#governor = parts.governor;
    this.#log = parts.log;
    this.#limits = parts.limits;
    this.#events = parts.events;
  }

  /** Plugs in the durable queue for Event invocations. */
  setEventQueue(events: EventQueue): void {
    this.#events = events;
  }

  /** Calls `listener` after every run (metrics, records). */
  onOutcome(listener: (outcome: InvocationOutcome) => void): void {
    this.#outcomeListeners.push(listener);
  }

  /** Calls `listener` for every invocation refused with TooManyRequestsError (metrics). */
  onThrottle(listener: (throttle: InvocationThrottle) => void): void {
    this.#throttleListeners.push(listener);
  }

  /** Refuse new work from now on (host closing). */
  stopAccepting(): void {
    this.#closing = true;
  }

  /**
   * Invokes a function. `payload` is any JSON value, or JSON text as bytes
   * (`Uint8Array`), as the AWS SDK sends it. Function errors resolve with
   * `functionError` set; refusals reject with Lambda's typed errors.
   */
  async invoke(name: string, payload: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    if (this.#closing) throw new ServiceError('the host is closing and accepts no new invocations');
    return this.#invoke(name, payload, options);
  }

  /**
   * InvokeWithResponseStream: as `invoke`, but the response goes to `sink`
   * while the function makes it — a streaming handler's
   * (`awslambda.streamifyResponse`) writes as they happen, a non-streaming
   * handler's JSON answer as one chunk — and the result carries no payload.
   * A failure or timeout after some chunks leaves them delivered; the result's
   * `error` says what happened. Types: RequestResponse and DryRun, as Lambda.
   */
  async invokeWithResponseStream(name: string, payload: unknown, sink: StreamSink, options: InvokeOptions = {}): Promise<InvokeResult> {
    if (this.#closing) throw new ServiceError('the host is closing and accepts no new invocations');
    if (options.type === 'Event') throw new InvalidParameterValueError('InvokeWithResponseStream takes InvocationType RequestResponse or DryRun (got Event)');
    return this.#invoke(name, payload, options, sink);
  }

  /**
   * An Event invocation the host makes itself (an async destination). Taken
   * while the host closes too: the event whose outcome it carries is being
   * finished by the drain, and refusing it would lose that outcome.
   */
  routeEvent(name: string, payload: unknown): Promise<InvokeResult> {
    return this.#invoke(name, payload, { type: 'Event' });
  }

  async #invoke(name: string, payload: unknown, options: InvokeOptions, sink?: StreamSink): Promise<InvokeResult> {
    const target = this.#registry.resolve(name);
    const type = options.type ?? 'RequestResponse';
    const limit = type === 'Event' ? this.#limits.asyncEventBytes : this.#limits.syncRequestBytes;
    const text = this.#payloadText(payload, limit);
    const sharedText = options.batchShared === undefined ? undefined : this.#batchSharedText(options, type, payload, text, limit);
    const job = options.job ?? target.job;
    const check = job !== undefined ? target.fn.jobValidators.get(job) ?? target.fn.validate : target.fn.validate;
    // Text that JSON.stringify made is JSON: parse only bytes from outside, or to validate.
    if (check || payload instanceof Uint8Array) {
      const event = this.#parse(text);
      // Validated as the handler will see each item: with the batch's shared fields.
      if (sharedText !== undefined && Array.isArray(event)) for (const item of event) Object.assign(item, JSON.parse(sharedText));
      if (check) {
        const name = job ?? target.fn.spec.name;
        // A batch (AppSync BatchInvoke) is an array of events: the schema is each event's.
        if (options.batch && Array.isArray(event)) event.forEach((item, i) => this.#validate(check, name, item, `item ${i}: `));
        else this.#validate(check, name, event);
      }
    }
    const requestId = options.requestId === undefined ? randomUUID() : checkRequestId(options.requestId);
    const functionName = target.fn.spec.name;

    if (type === 'DryRun') return { requestId, functionName, executedVersion: '$LATEST', statusCode: 204 };
    if (type === 'Event') {
      if (!this.#events) throw new ServiceError('Event invocations need a durable backend; none is configured');
      await this.#events.accept({
        requestId, functionName, payload: text, policy: target.fn.spec.async,
        ...(job !== undefined && { job }),
        ...(options.clientContext !== undefined && { clientContext: JSON.stringify(options.clientContext) }),
        ...(options.identity !== undefined && { identity: options.identity }),
      });
      return { requestId, functionName, executedVersion: '$LATEST', statusCode: 202 };
    }

    const reserved = target.fn.spec.reservedConcurrency;
    const reason = this.#governor.tryAcquire(functionName, reserved);
    if (reason) {
      if (this.#throttleListeners.length > 0) {
        const throttle: InvocationThrottle = { requestId, functionName, type, reason };
        for (const listener of this.#throttleListeners) listener(throttle);
      }
      throw new TooManyRequestsError('Rate Exceeded.', reason);
    }
    const delivery = sink && new GuardedSink(sink);
    let run: EnvironmentResult;
    try {
      run = await this.#run(target, job, text, requestId, options, { ...(delivery && { sink: delivery.sink }), ...(sharedText !== undefined && { sharedText }) });
    } finally {
      this.#governor.release(functionName, reserved);
    }
    // A non-streaming handler's JSON answer is the stream's one chunk, as in Lambda.
    if (delivery && !run.error && run.payload !== undefined) delivery.sink(Buffer.from(run.payload), () => {}, 'application/json');
    if (delivery?.failure !== undefined) {
      // The function ran, but its caller did not get all it wrote: never report, log or count that as a success.
      const reason = (delivery.failure as Error)?.message ?? String(delivery.failure);
      this.#finish(target, job, type, requestId, { ...run, error: { errorType: 'ServiceException', errorMessage: `The response stream could not be delivered: ${reason}`, trace: [] } });
      process.emitWarning(`neolith: the response stream of request ${requestId} (function ${functionName}) could not be delivered: ${(delivery.failure as Error)?.stack ?? String(delivery.failure)}`);
      throw new ServiceError(`The response stream could not be delivered: ${reason}`, { cause: delivery.failure });
    }
    const entry = this.#finish(target, job, type, requestId, run);
    const result: InvokeResult = { requestId, functionName, executedVersion: '$LATEST', statusCode: 200, durationMs: run.durationMs };
    if (run.initDurationMs !== undefined) result.initDurationMs = run.initDurationMs;
    if (run.error) {
      result.functionError = 'Unhandled';
      result.error = run.error;
      result.payload = JSON.stringify(run.error);
    } else if (sink === undefined) {
      result.payload = run.payload!;
      if (run.payloadBytes) result.payloadBytes = run.payloadBytes;
      if (run.itemErrors) result.itemErrors = run.itemErrors;
    }
    if (options.logType === 'Tail') result.logResult = InvocationLog.tail(entry.text);
    return result;
  }

  /**
   * Runs an already accepted event (the async dispatcher's path): no payload
   * checks, no throttling — the caller took a slot with `governor`.
   */
  async runAccepted(
    name: string, text: string, options: { requestId: string; job?: string; clientContext?: string; identity?: unknown; signal?: AbortSignal },
  ): Promise<AcceptedRun> {
    const target = this.#registry.resolve(name);
    const job = options.job ?? target.job;
    const run = await this.#run(target, job, text, options.requestId, {
      ...(options.identity !== undefined && { identity: options.identity }),
      ...(options.signal && { signal: options.signal }),
      ...(options.clientContext !== undefined && { clientContext: JSON.parse(options.clientContext) as unknown }),
    }, { startNow: true });
    const entry = this.#finish(target, job, 'Event', options.requestId, run);
    return { run, logTail: InvocationLog.tailText(entry) };
  }

  /**
   * Hands one run to the function's pool. `run`: where a streamed response
   * goes, the batch's shared fields as JSON, and whether the run must start
   * now (a claimed event: see `EnvironmentRequest.startNow`).
   */
  #run(
    target: Target, job: string | undefined, text: string, requestId: string, options: InvokeOptions,
    run: { sink?: StreamSink; sharedText?: string; startNow?: boolean } = {},
  ): Promise<EnvironmentResult> {
    const { sink, sharedText, startNow } = run;
    // Set only what is present: absent fields cost the thread hand-off too.
    const request: EnvironmentRequest = { requestId, payload: text, timeoutMs: target.fn.spec.timeoutMs };
    if (startNow) request.startNow = true;
    if (job !== undefined) request.job = job;
    if (options.batch) request.batch = true;
    if (sharedText !== undefined) request.batchShared = sharedText;
    if (options.signal) request.signal = options.signal;
    if (options.clientContext !== undefined) request.clientContext = JSON.stringify(options.clientContext);
    if (options.identity !== undefined) request.identity = JSON.stringify(options.identity);
    if (sink) request.stream = { limitBytes: RESPONSE_STREAM_BYTES, onChunk: sink };
    return target.fn.pool.run(request);
  }

  #finish(target: Target, job: string | undefined, type: InvocationOutcome['type'], requestId: string, run: EnvironmentResult) {
    const spec = target.fn.spec;
    const report: InvocationReport = {
      requestId, functionName: spec.name, handlerLogs: run.logs, durationMs: run.durationMs,
      memoryMB: spec.memoryMB, maxMemoryMB: Math.min(run.maxMemoryMB, spec.memoryMB),
    };
    if (run.initDurationMs !== undefined) report.initDurationMs = run.initDurationMs;
    if (job !== undefined) report.job = job;
    const entry = this.#log.record(report);
    if (this.#outcomeListeners.length > 0) {
      const outcome: InvocationOutcome = {
        requestId, functionName: spec.name, type, durationMs: run.durationMs, memoryMB: spec.memoryMB,
        maxMemoryMB: run.maxMemoryMB, environmentId: run.environmentId,
      };
      if (job !== undefined) outcome.job = job;
      if (run.initDurationMs !== undefined) outcome.initDurationMs = run.initDurationMs;
      if (run.error) outcome.error = run.error;
      for (const listener of this.#outcomeListeners) {
        // An observer's failure must not fail (and so re-run) an invocation that already ran.
        try {
          listener(outcome);
        } catch (error) {
          process.emitWarning(`neolith: an invocation observer failed: ${(error as Error)?.stack ?? String(error)}`);
        }
      }
    }
    return entry;
  }

  #payloadText(payload: unknown, limit: number): string {
    let text: string;
    if (payload instanceof Uint8Array) {
      if (payload.byteLength > limit) throw tooLarge(payload.byteLength, limit);
      // Decoding would turn invalid bytes into U+FFFD and hand the function an event the caller never
      // sent; Lambda refuses the body instead. isUtf8 is a SIMD scan: ~10 ns on a 100-byte body, ~2% of
      // the decode itself on a 6 MB one.
      if (!isUtf8(payload)) throw new InvalidRequestContentError('Could not parse request body into json: the body is not valid UTF-8');
      text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
    } else {
      text = payload === undefined ? '{}' : JSON.stringify(payload);
      if (text === undefined) throw new InvalidRequestContentError('Could not parse request body into json: the payload is not JSON-serialisable');
      if (text.length > limit / 3 && Buffer.byteLength(text) > limit) throw tooLarge(Buffer.byteLength(text), limit);
    }
    // Lambda passes an empty body to the handler as {}.
    return text.length === 0 ? '{}' : text;
  }

  /**
   * The JSON of a batch's shared fields, once the batch is known to fit: the
   * limit counts them in every item, as the handler gets them.
   */
  #batchSharedText(options: InvokeOptions, type: InvocationType, payload: unknown, itemsText: string, limit: number): string {
    if (!options.batch || type === 'Event' || !Array.isArray(payload) || !payload.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item))) {
      throw new InvalidParameterValueError('batchShared needs a batch (options.batch) of objects, invoked RequestResponse or DryRun');
    }
    const sharedText = JSON.stringify(options.batchShared);
    if (sharedText === undefined || !sharedText.startsWith('{')) throw new InvalidParameterValueError('batchShared must be a JSON-serialisable object');
    // Each item gains the shared fields, a comma and the text between the braces: at most this many bytes more.
    if ((itemsText.length + payload.length * sharedText.length) * 3 > limit) {
      const bytes = Buffer.byteLength(itemsText) + payload.length * Buffer.byteLength(sharedText);
      if (bytes > limit) throw tooLarge(bytes, limit);
    }
    return sharedText;
  }

  #parse(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new InvalidRequestContentError(`Could not parse request body into json: ${(error as Error).message}`, { cause: error });
    }
  }

  #validate(check: ValidateFunction, name: string, event: unknown, where = ''): void {
    if (!check(event)) {
      const detail = (check.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`).join('; ');
      throw new InvalidRequestContentError(`The payload does not match the inputSchema of ${name}: ${where}${detail}`);
    }
  }
}

function tooLarge(size: number, limit: number): RequestTooLargeError {
  return new RequestTooLargeError(`Request must be smaller than ${limit} bytes for the InvokeFunction operation (got ${size})`);
}
