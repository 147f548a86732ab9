/**
 * The GraphQL bench's floor: the reference app's jobs in a few plain worker
 * threads (`fixtures/graphql-job-worker.mjs`), each running one call at a
 * time, calls past them queued here first come, first served. A batch goes
 * over as JSON text and comes back as JSON text, as it does to and from a
 * neolith environment — and nothing else does: what isolating the jobs in
 * threads costs on this machine, before any of neolith's own work.
 */
import { Worker } from 'node:worker_threads';
import type { HostCallFunction } from '../dist/runtime/environment/protocol.js';

interface Call { job: string; payload: string; resolve: (results: unknown[]) => void; reject: (error: Error) => void }
interface Thread { worker: Worker; busy: Call | undefined }

export class GraphqlJobWorkers {
  readonly #threads: Thread[];
  readonly #queue: Call[] = [];
  #nextId = 0;

  /** `hostCall` serves the jobs' writes (the reference app's seed): rare, so over the same channel. */
  constructor(count: number, data: { rootUrl: string; openTableReadsUrl: string; stateDir: string; tables: unknown }, hostCall: HostCallFunction) {
    this.#threads = Array.from({ length: count }, () => {
      const thread: Thread = { worker: new Worker(new URL('./fixtures/graphql-job-worker.mjs', import.meta.url), { workerData: data }), busy: undefined };
      thread.worker.on('message', (message: { payload?: string; error?: string; hostCallId?: number; call?: Parameters<HostCallFunction>[0] }) => {
        if (message.hostCallId === undefined) return this.#answered(thread, message);
        const { hostCallId } = message;
        void hostCall(message.call!).then((reply) => thread.worker.postMessage({ hostCallId, reply }));
      });
      thread.worker.on('error', (error) => {
        thread.busy?.reject(error);
        thread.busy = undefined;
      });
      return thread;
    });
  }

  /** Runs one batch of `job` in the first free thread (the lowest free index: the same few stay hot). */
  call(job: string, events: readonly unknown[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      const call: Call = { job, payload: JSON.stringify(events), resolve, reject };
      const free = this.#threads.find((thread) => !thread.busy);
      if (free) this.#start(free, call);
      else this.#queue.push(call);
    });
  }

  #start(thread: Thread, call: Call): void {
    thread.busy = call;
    thread.worker.postMessage({ id: ++this.#nextId, job: call.job, payload: call.payload });
  }

  #answered(thread: Thread, message: { payload?: string; error?: string }): void {
    const call = thread.busy!;
    thread.busy = undefined;
    const next = this.#queue.shift();
    if (next) this.#start(thread, next);
    if (message.error !== undefined) call.reject(new Error(`${call.job} failed in its worker: ${message.error}`));
    else call.resolve(JSON.parse(message.payload!) as unknown[]);
  }

  async close(): Promise<void> {
    await Promise.all(this.#threads.map((thread) => thread.worker.terminate()));
  }
}
