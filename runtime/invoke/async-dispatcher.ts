import type { AttemptOutcome, Backend, ClaimedEvent, Consumer, FinalEvent } from '../backend/index.js';
import { NeolithError, RequestTooLargeError, ResourceNotFoundError } from '../errors/index.js';
import type { ConcurrencyGovernor } from './concurrency-governor.js';
import { destinationRecord } from './destination-record.js';
import { compactDestinationRecord } from './dead-letter-record.js';
import type { AcceptedEvent, EventQueue } from './event-queue.js';
import type { FunctionRegistry } from './function-registry.js';
import type { Invoker } from './invoker.js';

/** What the dispatcher is built from. */
export interface AsyncDispatcherParts {
  backend: Backend;
  invoker: Invoker;
  registry: FunctionRegistry;
  governor: ConcurrencyGovernor;
  /** Attempts this host runs at once. @defaultValue 64 */
  concurrency?: number;
  /** Errors nobody awaits (a failing destination). @defaultValue process.emitWarning */
  onError?: (error: unknown) => void;
}

/** A destination string as config gives it. */
export type Destination = { kind: 'dlq' } | { kind: 'function'; name: string } | { kind: 'topic'; name: string };

/** Parses `"dlq"`, `"topic:<name>"` or a function name. */
export function parseDestination(value: string): Destination {
  if (value === 'dlq') return { kind: 'dlq' };
  if (value.startsWith('topic:')) return { kind: 'topic', name: value.slice('topic:'.length) };
  return { kind: 'function', name: value };
}

/**
 * Event invocations: accepts them into the durable backend (the 202 is sent
 * only after), claims them within the same concurrency limits as sync calls
 * (an event for a function at its limit waits in the queue), runs them
 * through the invoker, and routes each final outcome to its destination.
 */
export class AsyncDispatcher implements EventQueue {
  readonly #parts: AsyncDispatcherParts;
  #consumer: Consumer | undefined;
  #publish: ((topic: string, message: string) => Promise<void>) | undefined;

  constructor(parts: AsyncDispatcherParts) {
    this.#parts = parts;
  }

  /** Stores the event; resolves once it is durable. */
  async accept(event: AcceptedEvent): Promise<void> {
    await this.#parts.backend.enqueue({
      requestId: event.requestId,
      functionName: event.functionName,
      payload: event.payload,
      policy: event.policy,
      ...(event.job !== undefined && { job: event.job }),
      ...(event.identity !== undefined && { identity: event.identity }),
      ...(event.clientContext !== undefined && { clientContext: event.clientContext }),
    });
  }

  /** Lets topic destinations publish (the event-sources part plugs in here). */
  setPublisher(publish: (topic: string, message: string) => Promise<void>): void {
    this.#publish = publish;
  }

  /** Starts claiming events. */
  async start(): Promise<void> {
    const { backend, governor, registry } = this.#parts;
    this.#consumer = backend.consume((claimed, signal) => this.#attempt(claimed, signal), {
      concurrency: this.#parts.concurrency ?? 64,
      // A function reserved at 0 runs nothing: its events start only to fail at once (below).
      // Past maxEnvironmentsPerFunction an event waits in the queue, not in the pool.
      canStart: (name) => {
        const fn = registry.get(name);
        const reserved = fn?.spec.reservedConcurrency;
        return reserved === 0 || (governor.canAcquire(name, reserved) && (fn?.pool.hasRoom() ?? true));
      },
      onFinal: (final) => this.#route(final),
      onError: (error) => this.#report(error),
    });
    await this.#consumer.waitUntilReady();
  }

  /** Stops claiming; running attempts get `drainTimeoutMs` to finish, the rest stay queued. */
  async close(options: { drainTimeoutMs?: number } = {}): Promise<void> {
    await this.#consumer?.close({ drainTimeoutMs: options.drainTimeoutMs ?? 10_000 });
  }

  async #attempt(claimed: ClaimedEvent, signal: AbortSignal): Promise<AttemptOutcome> {
    const { governor, registry, invoker } = this.#parts;
    const fn = registry.get(claimed.functionName);
    if (!fn) {
      return { ok: false, retryable: false, error: { errorType: 'ResourceNotFoundException', errorMessage: `Function not found: ${claimed.functionName}` } };
    }
    const reserved = fn.spec.reservedConcurrency;
    const reason = governor.tryAcquire(fn.spec.name, reserved);
    if (reason) {
      // reservedConcurrency 0: Lambda throttles every event of a disabled function to its failure destination.
      const disabled = fn.spec.reservedConcurrency === 0;
      return { ok: false, retryable: !disabled, error: { errorType: 'TooManyRequestsException', errorMessage: `Rate Exceeded. (${reason})` } };
    }
    try {
      const { run, logTail } = await invoker.runAccepted(fn.spec.name, claimed.payload, {
        requestId: claimed.requestId,
        signal,
        ...(claimed.job !== undefined && { job: claimed.job }),
        ...(claimed.identity !== undefined && { identity: claimed.identity }),
        ...(claimed.clientContext !== undefined && { clientContext: claimed.clientContext }),
      });
      if (run.error) return { ok: false, retryable: true, error: run.error, logTail };
      return { ok: true, result: run.payload!, logTail };
    } catch (error) {
      if (error instanceof ResourceNotFoundError) {
        return { ok: false, retryable: false, error: { errorType: error.code, errorMessage: error.message } };
      }
      // An abort (forced close) or a host fault: the backend puts the event back, same attempt.
      throw error;
    } finally {
      governor.release(fn.spec.name, reserved);
      this.#consumer?.wake();
    }
  }

  async #route(final: FinalEvent): Promise<void> {
    const fn = this.#parts.registry.get(final.event.functionName);
    const policy = fn?.spec.async;
    const target = final.condition === 'Success' ? policy?.onSuccess : (policy?.onFailure ?? 'dlq');
    if (target === undefined) return;
    const record = destinationRecord(final, fn?.arn ?? final.event.functionName);
    const destination = parseDestination(target);
    switch (destination.kind) {
      case 'dlq':
        await this.#parts.backend.putDeadLetter({
          event: final.event,
          condition: final.condition,
          attempts: final.record.attempts,
          // The letter holds the event and the error already: the record is stored without them.
          destinationRecord: compactDestinationRecord(record, final.record.error),
          ...(final.record.error && { error: final.record.error }),
        });
        return;
      case 'function':
        await withinDestinationLimit(record, (sent) => this.#parts.invoker.routeEvent(destination.name, sent));
        return;
      case 'topic': {
        const publish = this.#publish;
        if (!publish) throw new Error(`destination ${target} of ${final.event.functionName}: topics are not available on this host`);
        await withinDestinationLimit(record, (sent) => publish(destination.name, JSON.stringify(sent)));
        return;
      }
    }
  }

  #report(error: unknown): void {
    if (this.#parts.onError) this.#parts.onError(error);
    else process.emitWarning(`neolith async: ${error instanceof NeolithError ? error.message : ((error as Error)?.stack ?? String(error))}`);
  }
}

/**
 * Sends a destination record; one past the destination's size limit (an
 * event's 1 MB, a topic message's 256 KB) goes again without its request and
 * response payloads, as Lambda drops them ("If the combined size of the
 * function request and response payload exceeds the limit, Lambda will drop
 * the payload"), rather than not at all.
 */
async function withinDestinationLimit(record: Record<string, unknown>, send: (record: Record<string, unknown>) => Promise<unknown>): Promise<void> {
  try {
    await send(record);
  } catch (error) {
    if (!(error instanceof RequestTooLargeError)) throw error;
    const { requestPayload: _request, responsePayload: _response, ...bare } = record;
    await send(bare);
  }
}
