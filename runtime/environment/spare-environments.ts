import { ExecutionEnvironment } from './execution-environment.js';

/**
 * Generic environments booted ahead of need, one stock per memory size (the
 * heap limit is fixed when a thread starts). A cold start takes one and only
 * pays for importing the function's module, not for starting a thread.
 */
export class SpareEnvironments {
  readonly #target: number;
  readonly #stock = new Map<number, ExecutionEnvironment[]>();
  #closed = false;
  /** Threads spawned here so far (cold-start accounting). */
  spawned = 0;
  /** A module every spare spawned from now on loads while it boots, off any caller's path (the host's table reads). */
  preload: string | undefined;

  constructor(target: number) {
    this.#target = target;
  }

  /** Keeps `target` spares of this memory size ready from now on. */
  prepare(memoryMB: number): void {
    if (!this.#stock.has(memoryMB)) this.#stock.set(memoryMB, []);
    this.#refill(memoryMB);
  }

  /** A booted environment of this memory size: a spare if one is ready, else a new one. */
  take(memoryMB: number): ExecutionEnvironment {
    const stock = this.#stock.get(memoryMB);
    const spare = stock?.pop();
    if (stock) {
      // Refill off the caller's path: spawning costs the main thread a few ms.
      setImmediate(() => this.#refill(memoryMB));
    }
    if (spare && spare.state !== 'dead') return spare;
    this.spawned++;
    // No preload: this thread is on a caller's path, which should not wait for a module its function may never use.
    return new ExecutionEnvironment(memoryMB);
  }

  get size(): number {
    let total = 0;
    for (const stock of this.#stock.values()) total += stock.length;
    return total;
  }

  #refill(memoryMB: number): void {
    const stock = this.#stock.get(memoryMB);
    if (!stock || this.#closed) return;
    while (stock.length < this.#target) {
      const env = new ExecutionEnvironment(memoryMB, this.preload);
      this.spawned++;
      env.onExit(() => {
        const at = stock.indexOf(env);
        if (at >= 0) stock.splice(at, 1);
      });
      stock.push(env);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#stock.values()].flat();
    this.#stock.clear();
    await Promise.allSettled(all.map((env) => env.terminate()));
  }
}
