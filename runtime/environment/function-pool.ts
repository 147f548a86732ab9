import { join } from 'node:path';
import type { ExecutionEnvironment } from './execution-environment.js';
import type { EnvironmentRequest, EnvironmentResult } from './invocation-result.js';
import type { HostCallHandler, InitSpec } from './protocol.js';
import type { SpareEnvironments } from './spare-environments.js';

/** What a pool needs to know to bind environments to its function. */
export interface PoolBinding {
  /** Everything of the init spec but the per-environment parts. */
  init: Omit<InitSpec, 'tmpDir' | 'logStreamName' | 'env'> & { env: Record<string, string> };
  /** Folder under which each environment gets its own /tmp. */
  tmpRoot: string;
  provisionedConcurrency: number;
  /** Serves the sources client's operations in-process (else the client calls the host over HTTP). */
  hostCall?: HostCallHandler;
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
    const missing = this.#binding.provisionedConcurrency - this.#all.size;
    const fresh = Array.from({ length: Math.max(0, missing) }, () => this.#create());
    await Promise.all(fresh.map(async (env) => {
      const done = await env.initialise();
      if (done.error) void env.terminate();
      else this.#idle.push(env);
    }));
  }

  /** Runs one invocation in a warm environment, or a cold one when none is idle. */
  run(request: EnvironmentRequest): Promise<EnvironmentResult> {
    let env = this.#idle.pop();
    while (env && env.state === 'dead') env = this.#idle.pop();
    const chosen = env ?? this.#create();
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
    void this.provision();
  }

  /** Terminates environments idle since before `cutoff`, keeping the provisioned ones. */
  sweep(cutoff: number): void {
    const keep = this.#binding.provisionedConcurrency;
    // #idle is LIFO: the oldest idle environments sit at the front.
    while (this.#idle.length > 0 && this.#all.size > keep && this.#idle[0]!.lastUsedAt < cutoff) {
      void this.#idle.shift()!.terminate();
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
    const all = [...this.#all];
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.allSettled(all.map((env) => env.terminate()));
  }

  #create(): ExecutionEnvironment {
    const env = this.#spares.take(this.#binding.init.memoryMB);
    const { init, tmpRoot } = this.#binding;
    const tmpDir = join(tmpRoot, env.id);
    env.bind({
      ...init,
      tmpDir,
      logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${env.id}`,
      env: { ...init.env, TMPDIR: tmpDir },
    }, this.#binding.hostCall);
    this.#created++;
    this.#all.add(env);
    env.onExit(() => {
      this.#all.delete(env);
      const at = this.#idle.indexOf(env);
      if (at >= 0) this.#idle.splice(at, 1);
      // Lambda keeps provisioned environments up: replace one that died.
      if (!this.#closed && this.#all.size < this.#binding.provisionedConcurrency) void this.provision();
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
  }
}
