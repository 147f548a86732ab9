/**
 * A host double for in-process gateway tests: jobs are plain functions run
 * in this process, every invoke call is recorded (the exact batches), and
 * records live in memory with a change feed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createClient as createWsClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll } from 'vitest';
import type { GatewayHost, GraphqlGateway, InvocationRecordView } from '../../../runtime/graphql/index.js';
import type { InvokeOptions, InvokeResult } from '../../../runtime/invoke/index.js';
import type { ResolvedCors } from '../../../runtime/config/index.js';
import { ResourceNotFoundError } from '../../../runtime/errors/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fake jobs type their own events
export type FakeJob = (event: any, options: InvokeOptions) => unknown;

export interface InvokeCall {
  name: string;
  /** What the job got: with a batch's shared fields added to each item. */
  payload: unknown;
  /** What the gateway sent. */
  sent: unknown;
  options: InvokeOptions;
}

export class FakeGatewayHost implements GatewayHost {
  readonly config: GatewayHost['config'];
  readonly calls: InvokeCall[] = [];
  readonly records = new Map<string, InvocationRecordView>();
  readonly #listeners = new Set<(r: InvocationRecordView) => void>();
  readonly registry: GatewayHost['registry'];
  invocations: GatewayHost['invocations'];

  constructor(readonly jobs: Record<string, FakeJob>, options: { withRecords?: boolean; cors?: ResolvedCors } = {}) {
    this.config = { rootDir: tmpdir(), layout: 'micro', ...(options.cors && { http: { cors: options.cors } }) };
    this.registry = {
      resolve: (name: string) => {
        if (!this.jobs[name]) throw new ResourceNotFoundError(`Function not found: ${name}`);
        return {};
      },
    };
    this.invocations = options.withRecords === false ? undefined : {
      get: async (id) => this.records.get(id),
      watch: (listener) => {
        this.#listeners.add(listener);
        return () => this.#listeners.delete(listener);
      },
    };
  }

  async invoke(name: string, sent: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    // What the job gets, as the host builds it: each item with the batch's shared fields.
    const payload = options.batchShared && Array.isArray(sent) ? sent.map((item: object) => ({ ...item, ...options.batchShared })) : sent;
    this.calls.push({ name, payload, sent, options });
    const job = this.jobs[name];
    if (!job) throw new ResourceNotFoundError(`Function not found: ${name}`);
    const base = { requestId: randomUUID(), functionName: name.split('/')[0]!, executedVersion: '$LATEST' };
    if (options.type === 'Event') {
      const now = Date.now();
      this.update({ id: base.requestId, functionName: base.functionName, job: name, status: 'QUEUED', attempts: 0, createdAt: now, updatedAt: now, identity: options.identity });
      return { ...base, statusCode: 202 };
    }
    try {
      if (PER_ITEM in job && options.batch && Array.isArray(payload)) {
        // As the environment runs a job that is not batch aware: item by item, naming the items that threw.
        const itemErrors: number[] = [];
        const results = await Promise.all(payload.map(async (item: unknown, i: number) => {
          try {
            return await job(item, options);
          } catch (error) {
            if (!(error instanceof FunctionFailure)) throw error;
            itemErrors.push(i);
            return { errorType: error.errorType, errorMessage: error.message };
          }
        }));
        return { ...base, statusCode: 200, payload: JSON.stringify(results), itemErrors: itemErrors.sort((a, b) => a - b) };
      }
      const result = await job(payload, options);
      return { ...base, statusCode: 200, payload: JSON.stringify(result ?? null) };
    } catch (error) {
      if (!(error instanceof FunctionFailure)) throw error;
      const e = { errorType: error.errorType, errorMessage: error.message, trace: [] };
      return { ...base, statusCode: 200, functionError: 'Unhandled', error: e, payload: JSON.stringify(e) };
    }
  }

  /** Stores a record change and tells every watcher (the backend's change feed). */
  update(record: InvocationRecordView): void {
    this.records.set(record.id, record);
    for (const listener of this.#listeners) listener(record);
  }

  get watchers(): number {
    return this.#listeners.size;
  }
}

const PER_ITEM = Symbol('per item');

/** A job that is not batch aware: the host runs a batch's items one by one, each its own handler call. */
export function perItem(handler: (event: any) => unknown): FakeJob {
  return Object.assign((event: any) => handler(event), { [PER_ITEM]: true });
}

/** Thrown by a fake job to make the invocation fail as a function error (not a host refusal). */
export class FunctionFailure extends Error {
  constructor(readonly errorType: string, message: string) {
    super(message);
  }
}

/** Writes SDL files into a fresh temp folder and returns it. */
export function schemaDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'neolith-schema-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  schemaDirs.push(dir);
  return dir;
}
const schemaDirs: string[] = [];
// Registered as the test file imports this module: its schema folders go once its tests have run.
afterAll(() => {
  for (const dir of schemaDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** POSTs a GraphQL operation to a yoga instance in-process. */
export async function gql(
  yoga: { fetch: (url: string, init: RequestInit) => Promise<Response> | Response },
  query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {},
): Promise<{ status: number; body: { data?: any; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }> } }> {
  const response = await yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: await response.json() as any };
}

/**
 * Serves a gateway on a free port with its graphql-ws socket and connects a
 * client; `close` ends the client, the gateway and the server.
 */
export async function overWebSocket(gateway: GraphqlGateway): Promise<{ ws: Client; close: () => Promise<void> }> {
  const server = createServer(gateway.yoga);
  gateway.attachWebSocket(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const ws = createWsClient({ url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
  return {
    ws,
    close: async () => {
      await ws.dispose();
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
