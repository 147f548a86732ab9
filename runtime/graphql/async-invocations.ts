import { GraphQLError } from 'graphql';
import { Repeater } from 'graphql-yoga';
import { GATEWAY_ERROR_CODES } from './gateway-errors.js';
import type { InvocationRecords, InvocationRecordView } from './gateway-host.js';
import type { GatewayIdentity, IamIdentity, OidcIdentity } from './identity-verifier.js';

/** `Invocation` as the schema returns it. */
export interface InvocationObject {
  id: string;
  status: InvocationRecordView['status'];
  function: string;
  job: string | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  result: unknown;
  error: { errorType: string; errorMessage: string } | null;
}

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'EXPIRED']);

/**
 * Async mutation results (Hasura's async actions, over Lambda's Event
 * invocations): reads a record by id for its caller, and streams its status
 * changes until final. Records and their change feed come from the backend,
 * so a subscriber on one host sees an event run by another.
 */
export class AsyncInvocations {
  readonly #records: InvocationRecords | undefined;
  readonly #visibility: 'owner' | 'all';
  readonly #open = new Set<() => void>();
  #closed = false;

  constructor(records: InvocationRecords | undefined, visibility: 'owner' | 'all') {
    this.#records = records;
    this.#visibility = visibility;
  }

  /** The `Invocation` answered by an async mutation right after the event was accepted. */
  async accepted(id: string, functionName: string, job: string, now = Date.now()): Promise<InvocationObject> {
    const record = await this.#records?.get(id);
    if (record) return toObject(record);
    const at = new Date(now).toISOString();
    return { id, status: 'QUEUED', function: functionName, job, attempts: 0, createdAt: at, updatedAt: at, result: null, error: null };
  }

  /** `Query.invocation(id)`: `null` for an unknown id or one the caller may not read. */
  async read(id: string, caller: GatewayIdentity | null): Promise<InvocationObject | null> {
    const record = await this.#require().get(id);
    return record && this.#visible(record, caller) ? toObject(record) : null;
  }

  /** `Subscription.invocation(id)`: the current state, then every change, ending after a final one. */
  watch(id: string, caller: GatewayIdentity | null): AsyncIterable<{ invocation: InvocationObject }> {
    const records = this.#require();
    return new Repeater<{ invocation: InvocationObject }>(async (push, stop) => {
      // Closing: a subscription that starts now would hold its connection open past the close.
      if (this.#closed) {
        stop(new GraphQLError('the host is closing', { extensions: { code: GATEWAY_ERROR_CODES.unavailable } }));
        return;
      }
      let last: InvocationRecordView | undefined;
      let ready = false;
      const early: InvocationRecordView[] = [];
      const emit = (record: InvocationRecordView): void => {
        // A change may arrive after a later one (delivered late, or read before it): never step back.
        // Progress, not updatedAt: that is the writing host's clock, and hosts' clocks differ.
        if (last && progress(record) <= progress(last)) return;
        last = record;
        void push({ invocation: toObject(record) });
        if (FINAL.has(record.status)) stop();
      };
      // Listen before reading, so a change between the read and the listen is not lost.
      const end = (): void => void stop();
      this.#open.add(end);
      const unwatch = records.watch((record) => {
        if (record.id !== id) return;
        if (ready) emit(record);
        else early.push(record);
      });
      try {
        const current = await records.get(id);
        if (!current || !this.#visible(current, caller)) {
          // Unknown and another caller's alike (as Query.invocation's null): its existence is not this caller's to learn.
          stop(new GraphQLError(`invocation ${id} not found`, { extensions: { code: GATEWAY_ERROR_CODES.notFound } }));
        } else {
          emit(current);
          for (const record of early) emit(record);
          ready = true;
        }
      } catch (error) {
        stop(error);
      }
      await stop;
      this.#open.delete(end);
      unwatch();
    });
  }

  /** Ends every open subscription (host closing), so no stream keeps a connection open. */
  close(): void {
    this.#closed = true;
    for (const end of [...this.#open]) end();
  }

  #require(): InvocationRecords {
    if (!this.#records) {
      throw new GraphQLError('async invocation records need a durable backend, and this host has none', {
        extensions: { code: GATEWAY_ERROR_CODES.unavailable },
      });
    }
    return this.#records;
  }

  #visible(record: InvocationRecordView, caller: GatewayIdentity | null): boolean {
    return this.#visibility === 'all' || ownerKey(record.identity) === ownerKey(caller);
  }
}

/** Who owns a record: the token's issuer and subject, the SigV4 principal's ARN, or "anonymous". */
function ownerKey(identity: unknown): string {
  const id = identity as (Partial<OidcIdentity> & Partial<IamIdentity>) | null | undefined;
  if (id && typeof id.sub === 'string') return `${id.issuer ?? ''}\u0000${id.sub}`;
  if (id && typeof id.userArn === 'string') return `iam\u0000${id.userArn}`;
  return 'anonymous';
}

function toObject(record: InvocationRecordView): InvocationObject {
  let result: unknown = null;
  if (record.result !== undefined) {
    try {
      result = JSON.parse(record.result);
    } catch {
      result = record.result;
    }
  }
  return {
    id: record.id,
    status: record.status,
    function: record.functionName,
    job: record.job ?? null,
    attempts: record.attempts,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    result,
    // A retried event that finally succeeded keeps its last error on the record; clients read it as a failure.
    error: record.error && record.status !== 'SUCCEEDED' ? { errorType: record.error.errorType, errorMessage: record.error.errorMessage } : null,
  };
}

/**
 * How far a record has come: each attempt runs (RUNNING) and then, if it
 * failed with retries left, waits again (QUEUED with the same attempt count);
 * a final status ends it. Strictly increasing along one record's life.
 */
function progress(record: InvocationRecordView): number {
  if (FINAL.has(record.status)) return Number.POSITIVE_INFINITY;
  return record.attempts * 3 + (record.status === 'RUNNING' ? 1 : 2);
}
