/**
 * The GraphQL bench's floor: the reference app's jobs in a few plain worker
 * threads (`fixtures/graphql-job-worker.mjs`), each running one call at a
 * time, calls past them queued here first come, first served. A batch goes
 * over as JSON text and comes back as JSON text, as it does to and from a
 * neolith environment — and nothing else does: what isolating the jobs in
 * threads costs on this machine, before any of neolith's own work.
 */
import { Worker } from 'node:worker_threads';
import type { HostCall, HostCallFunction, HostReplyMessage } from '../dist/runtime/environment/protocol.js';

interface Call { job: string; payload: string; resolve: (results: unknown[]) => void; reject: (error: Error) => void }
interface Thread { worker: Worker; busy: Call | undefined }

/** Main thread → worker: a batch of one job's events, or the answer to a write the worker asked for. */
export type ToJobWorker = { id: number; job: string; payload: string } | { hostCallId: number; reply: HostReplyMessage };
/** Worker → main thread: a batch's answers (or why it failed), or a write to serve. */
export type FromJobWorker = { id: number; payload: string } | { id: number; error: string } | { hostCallId: number; call: HostCall };

/** Where the worker finds what it needs: the repository, the table-read code, the tables. */
export interface JobWorkerData { rootUrl: string; openTableReadsUrl: string; stateDir: string; tables: unknown }

/** Plain worker threads running the jobs, one call at a time each (see the file's head). */
export class GraphqlJobWorkers {
  readonly #threads: Thread[];
  readonly #queue: Call[] = [];
  #nextId = 0;
  #closed = false;

  /** `hostCall` serves the jobs' writes (the reference app's seed): rare, so over the same channel. */
  constructor(count: number, data: JobWorkerData, hostCall: HostCallFunction) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`the floor needs 1 or more worker threads (got ${count})`);
    this.#threads = Array.from({ length: count }, () => {
      const thread: Thread = { worker: new Worker(new URL('./fixtures/graphql-job-worker.mjs', import.meta.url), { workerData: data }), busy: undefined };
      thread.worker.on('message', (message: FromJobWorker) => {
        if ('hostCallId' in message) return this.#serveHostCall(thread, message, hostCall);
        this.#answered(thread, message);
      });
      thread.worker.on('error', (error) => this.#lost(thread, error));
      thread.worker.on('exit', (code) => this.#lost(thread, new Error(`a floor worker thread exited (code ${code})`)));
      return thread;
    });
  }

  /** Runs one batch of `job` in the first free thread (the lowest free index: the same few stay hot). */
  call(job: string, events: readonly unknown[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      if (this.#closed || this.#threads.length === 0) return reject(new Error('the floor has no worker thread left'));
      const call: Call = { job, payload: JSON.stringify(events), resolve, reject };
      const free = this.#threads.find((thread) => !thread.busy);
      if (free) this.#start(free, call);
      else this.#queue.push(call);
    });
  }

  #start(thread: Thread, call: Call): void {
    thread.busy = call;
    thread.worker.postMessage({ id: ++this.#nextId, job: call.job, payload: call.payload } satisfies ToJobWorker);
  }

  #answered(thread: Thread, message: { payload: string } | { error: string }): void {
    const call = thread.busy;
    if (!call) return;
    thread.busy = undefined;
    const next = this.#queue.shift();
    if (next) this.#start(thread, next);
    if ('error' in message) call.reject(new Error(`${call.job} failed in its worker: ${message.error}`));
    else call.resolve(JSON.parse(message.payload) as unknown[]);
  }

  #serveHostCall(thread: Thread, message: { hostCallId: number; call: HostCall }, hostCall: HostCallFunction): void {
    const { hostCallId } = message;
    const answer = (reply: HostReplyMessage): void => thread.worker.postMessage({ hostCallId, reply } satisfies ToJobWorker);
    hostCall(message.call).then(answer, (error: unknown) => answer({
      kind: 'host-reply', id: 0, error: { type: 'ServiceException', message: (error as Error)?.message ?? String(error) },
    }));
  }

  /** A thread died: its call fails, and once none is left, so do the queued ones. */
  #lost(thread: Thread, error: Error): void {
    const at = this.#threads.indexOf(thread);
    if (at < 0) return;
    this.#threads.splice(at, 1);
    thread.busy?.reject(error);
    thread.busy = undefined;
    if (this.#threads.length === 0) for (const call of this.#queue.splice(0)) call.reject(error);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#threads.map((thread) => thread.worker.terminate()));
  }
}
