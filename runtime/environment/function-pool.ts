import { join } from 'node:path';
import { AbortedError } from '../errors/index.js';
import type { ExecutionEnvironment } from './execution-environment.js';
import type { EnvironmentRequest, EnvironmentResult } from './invocation-result.js';
import type { HostCallHandler, InitSpec, TableReadsSpec } from './protocol.js';
import type { SpareEnvironments } from './spare-environments.js';
import { usableCores } from './usable-cores.js';

/**
 * How a pool grows when a call finds every environment of its function busy.
 * `lambda`: start another one, as Lambda scales out. `warm-first`: wait for a
 * busy one when it is expected to be free and serve the call sooner than a
 * cold start would, else start another (see `FunctionPool#patienceMs`).
 */
export type ScaleOut = 'lambda' | 'warm-first';

/** What a pool needs to know to bind environments to its function. */
export interface PoolBinding {
  /** Everything of the init spec but the per-environment parts. */
  init: Omit<InitSpec, 'tmpDir' | 'logStreamName' | 'env'> & { env: Record<string, string> };
  /** Folder under which each environment gets its own /tmp. */
  tmpRoot: string;
  provisionedConcurrency: number;
  /** Most environments at once; a call past it waits for one to be free. Infinity: no cap. */
  maxEnvironments: number;
  /** @defaultValue 'lambda' */
  scaleOut?: ScaleOut;
  /** Cores the environments share (warm-first keeps up to one busy per core). @defaultValue the cores this process can use (a cgroup CPU quota counted) */
  cores?: number;
  /** Serves the sources client's operations in-process (else the client calls the host over HTTP). */
  hostCall?: HostCallHandler;
  /** The table reads an environment may do itself, when the host offers them (read as each environment starts). */
  tableReads?: () => TableReadsSpec | undefined;
}

/** A call waiting for an environment: at the cap, or (warm-first) for a busy one to be free. */
interface Waiter {
  resolve(env: ExecutionEnvironment): void;
  reject(error: unknown): void;
  /** Set while the call waits by choice under the cap: when it fires, the call starts an environment of its own. */
  patience?: NodeJS.Timeout;
}

/** Weight of the newest call in the smoothed warm and cold call times. */
const SMOOTHING = 0.2;

/** Longest a call waits by choice, whatever the estimates say (one cold call that ran a long job, say). */
const MAX_PATIENCE_MS = 1000;

/**
 * warm-first uses environments freely up to one busy per core: below that,
 * another adds CPU the busy ones cannot use. Past it, another only adds a
 * thread competing for the same cores.
 */
const MACHINE_CORES = usableCores();

/**
 * warm-first, before the function's first call has answered (nothing
 * measured): how long a call past one environment per core waits for a busy
 * one before starting its own. Short calls are served by the first
 * environments; a slow first burst pays this once.
 */
const FIRST_CALLS_PATIENCE_MS = 50;

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
  /** A provisioned environment's init succeeded last time one was tried: lost ones are replaced. */
  #provisionedInitOk = false;
  /** Smoothed wall time of a warm call and of a cold one (init included), ms; undefined until one is seen. */
  #warmMs: number | undefined;
  #coldMs: number | undefined;

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
    // Short of the environments that can still serve; never past the cap, which threads still exiting
    // hold too (provisioned environments count against it like any other).
    const missing = Math.min(this.#binding.provisionedConcurrency - this.#live(), this.#binding.maxEnvironments - this.#all.size);
    const fresh = Array.from({ length: Math.max(0, missing) }, () => this.#create('provisioned-concurrency'));
    await Promise.all(fresh.map(async (env) => {
      const done = await env.initialise();
      // Code changed (recycle) or the pool closed while it booted: it must not serve.
      if (done.error || env.retired || this.#closed) {
        // Lambda reports a failing provisioned init without retrying in a loop; the first call will show the error.
        if (done.error) {
          this.#provisionedInitOk = false;
          process.emitWarning(`neolith: provisioned environment of ${this.functionName} failed init: ${done.error.errorType}: ${done.error.errorMessage}`);
        }
        void env.terminate();
        return;
      }
      this.#provisionedInitOk = true;
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
   * idle; at `maxEnvironments`, waits for one to be free. warm-first: with an
   * environment per core busy, a short call waits for one of them instead
   * (see `#patienceMs`).
   */
  run(request: EnvironmentRequest): Promise<EnvironmentResult> {
    const patienceMs = request.startNow ? undefined : this.#patienceMs();
    if (patienceMs !== undefined) return this.#waitForEnvironment(request, patienceMs).then((env) => this.#runOn(env, request));
    const idle = this.#popIdle();
    if (idle) return this.#runOn(idle, request);
    if (this.#all.size < this.#binding.maxEnvironments) return this.#runOn(this.#create(), request);
    return this.#waitForEnvironment(request).then((free) => this.#runOn(free, request));
  }

  /**
   * Whether a call started now would run at once rather than queue at the cap.
   * The async dispatcher asks before claiming an event, so events past the cap
   * wait in the queue (status QUEUED, their age counted there) instead of here.
   * Under the cap there is room: a call waiting there for a busy environment
   * (warm-first) starts its own once that would be faster.
   */
  hasRoom(): boolean {
    if (this.#all.size < this.#binding.maxEnvironments) return true;
    if (this.#waiting.length > 0) return false;
    return this.#idle.some((env) => env.state !== 'dead');
  }

  /** The most recently used idle environment (LIFO keeps a few hot). */
  #popIdle(): ExecutionEnvironment | undefined {
    let env = this.#idle.pop();
    while (env && env.state === 'dead') env = this.#idle.pop();
    return env;
  }

  /**
   * warm-first: how long a call waits for a busy environment rather than
   * take an idle one or start one, or undefined not to wait. It waits only
   * with an environment per core already busy, and only when one of them is
   * expected to be free, and done with this call, before a cold start would
   * be (the calls queued ahead of it counted): another environment then adds
   * a thread competing for the same cores, with its own JIT, caches and heap
   * to keep warm, and serves no sooner. Calls that wait on I/O take longer
   * than a cold start and never wait. A call that has waited as long as a
   * cold start takes stops waiting (`#outwaited`).
   */
  #patienceMs(position = this.#waiting.length): number | undefined {
    if (this.#binding.scaleOut !== 'warm-first') return undefined;
    const busy = this.#busy();
    if (busy < (this.#binding.cores ?? MACHINE_CORES)) return undefined;
    const warmMs = this.#warmMs;
    const coldMs = this.#coldMs;
    // Nothing measured yet: a first burst waits a little for the first calls, unless an idle environment is there.
    if (warmMs === undefined || coldMs === undefined) return this.#idle.length > 0 ? undefined : FIRST_CALLS_PATIENCE_MS;
    const expectedWaitMs = (warmMs * (position + 1)) / busy;
    if (expectedWaitMs + warmMs >= coldMs) return undefined;
    return Math.max(1, Math.min(coldMs - warmMs, MAX_PATIENCE_MS));
  }

  /** Environments running a call (or booting for one); not those dead or retired, which serve no one again. */
  #busy(): number {
    let gone = 0;
    for (const env of this.#all) if (env.state === 'dead' || env.retired) gone++;
    return this.#all.size - this.#idle.length - gone;
  }

  /** Folds one call's wall time into the warm or cold estimate (failed calls, timeouts among them, are left out). */
  #learn(cold: boolean, ms: number, result: EnvironmentResult): void {
    if (result.error) return;
    const smooth = (estimate: number | undefined, sample: number) => (estimate === undefined ? sample : estimate + SMOOTHING * (sample - estimate));
    if (cold) this.#coldMs = smooth(this.#coldMs, ms);
    else this.#warmMs = smooth(this.#warmMs, ms);
  }

  /** Calls queued on a guess (or an older estimate) that should not wait after all start their own now. */
  #reconsider(): void {
    for (let i = 0; i < this.#waiting.length; i++) {
      const waiter = this.#waiting[i]!;
      if (waiter.patience !== undefined && this.#patienceMs(i) === undefined && this.#outwaited(waiter)) i--;
    }
  }

  /**
   * Queues a call (first come, first served); its abort takes it out of the
   * queue. `patienceMs`: it waits by choice, under the cap, at most that long.
   */
  #waitForEnvironment(request: EnvironmentRequest, patienceMs?: number): Promise<ExecutionEnvironment> {
    if (this.#closed) return Promise.reject(new AbortedError(`invocation ${request.requestId}: the function's environments are closed`));
    if (request.signal?.aborted) {
      return Promise.reject(new AbortedError(`invocation ${request.requestId} was aborted by its caller`, { cause: request.signal.reason }));
    }
    return new Promise((resolve, reject) => {
      const signal = request.signal;
      const onAbort = (): void => {
        const at = this.#waiting.indexOf(waiter);
        if (at >= 0) this.#waiting.splice(at, 1);
        clearTimeout(waiter.patience);
        reject(new AbortedError(`invocation ${request.requestId} was aborted by its caller`, { cause: signal?.reason }));
      };
      const waiter: Waiter = {
        resolve: (env) => {
          signal?.removeEventListener('abort', onAbort);
          clearTimeout(waiter.patience);
          resolve(env);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          clearTimeout(waiter.patience);
          reject(error);
        },
      };
      // Not unref'd: a waiting call is pending work (at most MAX_PATIENCE_MS).
      if (patienceMs !== undefined) waiter.patience = setTimeout(() => this.#outwaited(waiter), patienceMs);
      this.#waiting.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * A call waited as long as a cold start takes (or should not wait after
   * all): it gets a new environment if there is room, else waits on at the
   * cap. Returns whether it left the queue.
   */
  #outwaited(waiter: Waiter): boolean {
    clearTimeout(waiter.patience);
    waiter.patience = undefined;
    const at = this.#waiting.indexOf(waiter);
    if (at < 0 || this.#closed) return false;
    let env = this.#popIdle();
    if (!env && this.#all.size >= this.#binding.maxEnvironments) return false;
    this.#waiting.splice(at, 1);
    try {
      env ??= this.#create();
    } catch (error) {
      waiter.reject(error);
      return true;
    }
    waiter.resolve(env);
    return true;
  }

  /**
   * Hands free environments to queued calls, oldest first, and room under the
   * cap to calls that wait there because of it; a call waiting by choice
   * (warm-first) is served by a free one once fewer than one per core are
   * busy or, when its patience runs out, by an idle or a new one.
   */
  #serveWaiting(): void {
    while (this.#waiting.length > 0 && !this.#closed) {
      const patient = this.#waiting[0]!.patience !== undefined;
      // A call waiting by choice takes an environment once fewer than one per core are busy.
      if (patient && this.#busy() >= (this.#binding.cores ?? MACHINE_CORES)) return;
      let env = this.#popIdle();
      if (!env) {
        // Fewer than one per core busy (one died, say) and none idle: a call waiting by choice starts one, as run() would.
        if (this.#all.size >= this.#binding.maxEnvironments) return;
        try {
          env = this.#create();
        } catch (error) {
          // A new environment could not be made (its /tmp): that call fails, not the one releasing.
          this.#waiting.shift()!.reject(error);
          continue;
        }
      }
      this.#waiting.shift()!.resolve(env);
    }
  }

  #runOn(chosen: ExecutionEnvironment, request: EnvironmentRequest): Promise<EnvironmentResult> {
    const cold = !chosen.initialised;
    const started = performance.now();
    return chosen.invoke(request).then(
      (result) => {
        this.#learn(cold, performance.now() - started, result);
        this.#release(chosen);
        if (this.#waiting.length > 0) this.#reconsider();
        return result;
      },
      (error: unknown) => {
        this.#release(chosen);
        // The environment may be gone: a call waiting for it by choice may start its own (#serveWaiting).
        if (this.#waiting.length > 0) this.#serveWaiting();
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

  /** A new environment; `initializationType` as Lambda tells the function (AWS_LAMBDA_INITIALIZATION_TYPE). */
  #create(initializationType: 'on-demand' | 'provisioned-concurrency' = 'on-demand'): ExecutionEnvironment {
    const env = this.#spares.take(this.#binding.init.memoryMB);
    const { init, tmpRoot } = this.#binding;
    const tmpDir = join(tmpRoot, env.id);
    const tableReads = this.#binding.tableReads?.();
    const logStreamName = `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${env.id}`;
    try {
      env.bind({
        ...init,
        ...(tableReads && { tableReads }),
        tmpDir,
        logStreamName,
        env: { ...init.env, TMPDIR: tmpDir, AWS_LAMBDA_LOG_STREAM_NAME: logStreamName, AWS_LAMBDA_INITIALIZATION_TYPE: initializationType },
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
      // Lambda keeps provisioned environments up: whichever environment died (one whose cold call timed
      // out in init too), top them up while a provisioned init succeeds (a failing one is not retried in a loop).
      if (!this.#closed && this.#provisionedInitOk && this.#live() < this.#binding.provisionedConcurrency) this.#provisionInBackground();
    });
    return env;
  }

  /** Environments that can still serve: neither dead nor retired (a retired one ends after its run). */
  #live(): number {
    let live = 0;
    for (const env of this.#all) if (env.state !== 'dead' && !env.retired) live++;
    return live;
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
