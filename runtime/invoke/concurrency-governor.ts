import type { ThrottleReason } from '../errors/index.js';

/**
 * Counts running invocations per function and host-wide, and says whether
 * one more may start, as Lambda splits an account's concurrency: a function
 * with reserved concurrency always has its slots, and only those; the others
 * share what is left of the host's limit (the unreserved pool). Sync callers
 * are throttled on a refusal; the async dispatcher leaves the event queued.
 */
export class ConcurrencyGovernor {
  readonly #limit: number;
  /** Sum of every function's reserved concurrency now (PutFunctionConcurrency changes it at run time). */
  readonly #reservedTotal: () => number;
  readonly #running = new Map<string, number>();
  #total = 0;
  /** Running invocations of functions without a reservation. */
  #unreserved = 0;
  /** Highest host-wide concurrency seen. */
  peak = 0;
  readonly #peakByFunction = new Map<string, number>();
  readonly #idleWaiters: Array<() => void> = [];

  constructor(hostLimit: number, reservedTotal: () => number = () => 0) {
    this.#limit = hostLimit;
    this.#reservedTotal = reservedTotal;
  }

  /** Takes a slot, or returns why not. `reserved` undefined = unreserved. */
  tryAcquire(functionName: string, reserved: number | undefined): ThrottleReason | undefined {
    const running = this.#running.get(functionName) ?? 0;
    if (reserved !== undefined) {
      if (running >= reserved) return 'ReservedFunctionConcurrentInvocationLimitExceeded';
    } else if (this.#unreserved >= this.#unreservedPool()) return 'ConcurrentInvocationLimitExceeded';
    // The host's limit holds whatever the pools say: runs started under a reservation since lowered or
    // removed still run, outside the pool that has just grown by it (PutFunctionConcurrency at run time).
    if (this.#total >= this.#limit) return 'ConcurrentInvocationLimitExceeded';
    if (reserved === undefined) this.#unreserved++;
    this.#running.set(functionName, running + 1);
    this.#total++;
    if (this.#total > this.peak) this.peak = this.#total;
    if (running + 1 > (this.#peakByFunction.get(functionName) ?? 0)) this.#peakByFunction.set(functionName, running + 1);
    return undefined;
  }

  /** Whether a slot is free now, without taking it. */
  canAcquire(functionName: string, reserved: number | undefined): boolean {
    if (this.#total >= this.#limit) return false;
    if (reserved !== undefined) return (this.#running.get(functionName) ?? 0) < reserved;
    return this.#unreserved < this.#unreservedPool();
  }

  /**
   * Gives a slot back. `reserved` as it was when the slot was taken (a reservation
   * set or removed meanwhile must not move the slot to the other pool).
   */
  release(functionName: string, reserved: number | undefined): void {
    this.#running.set(functionName, (this.#running.get(functionName) ?? 1) - 1);
    if (reserved === undefined) this.#unreserved--;
    this.#total--;
    if (this.#total === 0 && this.#idleWaiters.length > 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  /** Resolves when nothing is running (graceful close waits on it). */
  whenIdle(): Promise<void> {
    if (this.#total === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  running(functionName?: string): number {
    return functionName === undefined ? this.#total : (this.#running.get(functionName) ?? 0);
  }

  /** What the functions without a reservation share. */
  #unreservedPool(): number {
    return Math.max(0, this.#limit - this.#reservedTotal());
  }

  peakOf(functionName: string): number {
    return this.#peakByFunction.get(functionName) ?? 0;
  }
}
