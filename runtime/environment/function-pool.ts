import { join } from 'node:path';
import { AbortedError } from '../errors/index.js';
import type { ExecutionEnvironment } from './execution-environment.js';
import type { EnvironmentRequest, EnvironmentResult } from './invocation-result.js';
import type { HostCallHandler, InitSpec, TableReadsSpec } from './protocol.js';
import type { SpareEnvironments } from './spare-environments.js';

/** What a pool needs to know to bind environments to its function. */
export interface PoolBinding {
  /** Everything of the init spec but the per-environment parts. */
  init: Omit<InitSpec, 'tmpDir' | 'logStreamName' | 'env'> & { env: Record<string, string> };
  /** Folder under which each environment gets its own /tmp. */
  tmpRoot: string;
  provisionedConcurrency: number;
  /** Most environments at once; a call past it waits for one to be free. Infinity: no cap. */
  maxEnvironments: number;
  /** Serves the sources client's operations in-process (else the client calls the host over HTTP). */
  hostCall?: HostCallHandler;
  /** The table reads an environment may do itself, when the host offers them (read as each environment starts). */
  tableReads?: () => TableReadsSpec | undefined;
}

/** A call waiting for an environment at the cap. */
interface Waiter {
  resolve(env: ExecutionEnvironment): void;
  reject(error: unknown): void;
}

/** Environments of one function, by state. */
export interface PoolStats {
  environments: number;
  idle: number;
  busy: number;
  booting: number;
  /** Environments created since start (= cold starts, provisioned ones included). */
  created: number;
}

/**
 * The warm environments of one function. Acquire takes the most recently
 * used idle one (LIFO keeps a few environments hot and lets the rest age out
 * to the idle timeout), or binds a new one from the spares. Concurrency is
 * the governor's job; a pool never refuses.
 */
export class FunctionPool {
  readonly #idle: ExecutionEnvironment[] = [];
  /** Calls waiting for an environment at `maxEnvironments`, oldest first. */
  readonly #waiting: Waiter[] = [];
  readonly #all = new Set<ExecutionEnvironment>();
  readonly #spares: SpareEnvironments;
  #binding: PoolBinding;
  #created = 0;
  #closed = false;

  constructor(binding: PoolBinding, spares: SpareEnvironments) {
    this.#binding = binding;
    this.#spares = spares;
    spares.prepare(binding.init.memoryMB);
  }

  get functionName(): string {
    return this.#binding.init.functionName;
  }

  /** Starts and initialises the provisioned environments. */
  async provision(): Promise<void> {
    if (this.#closed) return;
    // Never past the cap: provisioned environments count against it like any other.
    const missing = Math.min(this.#binding.provisionedConcurrency, this.#binding.maxEnvironments) - this.#all.size;
    const fresh = Array.from({ length: Math.max(0, missing) }, () => this.#create());
    await Promise.all(fresh.map(async (env) => {
      const done = await env.initialise();
      // Code changed (recycle) or the pool closed while it booted: it must not serve.
      if (done.error || env.retired || this.#closed) {
        void env.terminate();
        // Lambda reports a failing provisioned init without retrying in a loop; the first call will show the error.
        if (done.error) process.emitWarning(`neolith: provisioned environment of ${this.functionName} failed init: ${done.error.errorType}: ${done.error.errorMessage}`);
        return;
      }
      this.#idle.push(env);
      // A call may have queued at the cap while it booted (a replacement after recycle or a crash).
      this.#serveWaiting();
    }));
  }

  /** `provision` from a callback: its failure is reported, not left unhandled. */
  #provisionInBackground(): void {
    this.provision().catch((error: unknown) => process.emitWarning(`neolith: provisioning ${this.functionName} failed: ${(error as Error)?.message ?? String(error)}`));
  }

  /**
   * Runs one invocation in a warm environment, or a cold one when none is
   * idle; at `maxEnvironments`, waits for one to be free.
   */
  run(request: EnvironmentRequest): Promise<EnvironmentResult> {
    const env = this.#take();
    if (env) return this.#runOn(env, request);
    return this.#waitForEnvironment(request).then((free) => this.#runOn(free, request));
  }

  /**
   * Whether a call started now would run at once rather than queue at the cap.
   * The async dispatcher asks before claiming an event, so events past the cap
   * wait in the queue (status QUEUED, their age counted there) instead of here.
   */
  hasRoom(): boolean {
    if (this.#waiting.length > 0) return false;
    if (this.#all.size < this.#binding.maxEnvironments) return true;
    return this.#idle.some((env) => env.state !== 'dead');
  }

  /** The most recently used idle environment, else a new one while under the cap. */
  #take(): ExecutionEnvironment | undefined {
    let env = this.#idle.pop();
    while (env && env.state === 'dead') env = this.#idle.pop();
    if (env) return env;
    return this.#all.size < this.#binding.maxEnvironments ? this.#create() : undefined;
  }

  /** Queues a call at the cap (first come, first served); its abort takes it out of the queue. */
  #waitForEnvironment(request: EnvironmentRequest): Promise<ExecutionEnvironment> {
    if (this.#closed) return Promise.reject(new AbortedError(`invocation ${request.requestId}: the function's environments are closed`));
    if (request.signal?.aborted) {
      return Promise.reject(new AbortedError(`invocation ${request.requestId} was aborted by its caller`, { cause: request.signal.reason }));
    }
    return new Promise((resolve, reject) => {
      const signal = request.signal;
      const onAbort = (): void => {
        const at = this.#waiting.indexOf(waiter);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(new AbortedError(`invocation ${request.requestId} was aborted by its caller`, { cause: signal?.reason }));
      };
      const waiter: Waiter = {
        resolve: (env) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(env);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.#waiting.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hands free environments (or room for new ones) to queued calls, oldest first. */
  #serveWaiting(): void {
    while (this.#waiting.length > 0 && !this.#closed) {
      let env: ExecutionEnvironment | undefined;
      try {
        env = this.#take();
      } catch (error) {
        // A new environment could not be made (its /tmp): that call fails, not the one releasing.
        this.#waiting.shift()!.reject(error);
        continue;
      }
      if (!env) return;
      this.#waiting.shift()!.resolve(env);
    }
  }

  #runOn(chosen: ExecutionEnvironment, request: EnvironmentRequest): Promise<EnvironmentResult> {
    return chosen.invoke(request).then(
      (result) => {
        this.#release(chosen);
        return result;
      },
      (error: unknown) => {
        this.#release(chosen);
        throw error;
      },
    );
  }

  /** Recycles every environment (code changed): busy ones finish first. */
  recycle(binding?: PoolBinding): void {
    if (binding) this.#binding = binding;
    const idle = this.#idle.splice(0);
    for (const env of idle) {
      this.#all.delete(env);
      void env.terminate();
    }
    for (const env of this.#all) env.retired = true;
    this.#provisionInBackground();
  }

  /** Terminates environments idle since before `cutoff`, keeping the provisioned ones. */
  sweep(cutoff: number): void {
    const keep = this.#binding.provisionedConcurrency;
    // #all shrinks only when a thread has exited: count the ones stopped here, or the provisioned go too.
    let live = this.#all.size;
    // #idle is LIFO: the oldest idle environments sit at the front.
    while (this.#idle.length > 0 && live > keep && this.#idle[0]!.lastUsedAt < cutoff) {
      void this.#idle.shift()!.terminate();
      live--;
    }
  }

  stats(): PoolStats {
    let busy = 0;
    let booting = 0;
    for (const env of this.#all) {
      if (env.state === 'busy') busy++;
      else if (env.state === 'booting') booting++;
    }
    return { environments: this.#all.size, idle: this.#idle.length, busy, booting, created: this.#created };
  }

  /** Ids and states of live environments (for the API and dashboard). */
  environments(): Array<{ id: string; state: string; invocations: number; createdAt: number; lastUsedAt: number }> {
    return [...this.#all].map((env) => ({
      id: env.id, state: env.state, invocations: env.invocations, createdAt: env.createdAt, lastUsedAt: env.lastUsedAt,
    }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new AbortedError('the function\'s environments closed before the invocation started'));
    const all = [...this.#all];
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.allSettled(all.map((env) => env.terminate()));
  }

  #create(): ExecutionEnvironment {
    const env = this.#spares.take(this.#binding.init.memoryMB);
    const { init, tmpRoot } = this.#binding;
    const tmpDir = join(tmpRoot, env.id);
    const tableReads = this.#binding.tableReads?.();
    try {
      env.bind({
        ...init,
        ...(tableReads && { tableReads }),
        tmpDir,
        logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${env.id}`,
        env: { ...init.env, TMPDIR: tmpDir },
      }, this.#binding.hostCall);
    } catch (error) {
      // Its /tmp could not be made: the thread belongs to no pool now, so stop it here.
      void env.terminate();
      throw error;
    }
    this.#created++;
    this.#all.add(env);
    env.onExit(() => {
      this.#all.delete(env);
      const at = this.#idle.indexOf(env);
      if (at >= 0) this.#idle.splice(at, 1);
      // Room under the cap for a queued call.
      this.#serveWaiting();
      // Lambda keeps provisioned environments up: replace one that died after a good init
      // (one that failed init is not retried in a loop).
      if (!this.#closed && env.initSucceeded && this.#all.size < this.#binding.provisionedConcurrency) this.#provisionInBackground();
    });
    return env;
  }

  #release(env: ExecutionEnvironment): void {
    if (env.state === 'dead') return;
    if (this.#closed || env.retired) {
      void env.terminate();
      return;
    }
    this.#idle.push(env);
    this.#serveWaiting();
  }
}
