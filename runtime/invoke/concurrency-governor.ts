import type { ThrottleReason } from '../errors/index.js';

/**
 * Counts running invocations per function and host-wide, and says whether
 * one more may start. Sync callers are throttled on a refusal; the async
 * dispatcher leaves the event queued instead.
 */
export class ConcurrencyGovernor {
  readonly #limit: number;
  readonly #running = new Map<string, number>();
  #total = 0;
  /** Highest host-wide concurrency seen. */
  peak = 0;
  readonly #peakByFunction = new Map<string, number>();
  readonly #idleWaiters: Array<() => void> = [];

  constructor(hostLimit: number) {
    this.#limit = hostLimit;
  }

  /** Takes a slot, or returns why not. `reserved` undefined = unreserved. */
  tryAcquire(functionName: string, reserved: number | undefined): ThrottleReason | undefined {
    const running = this.#running.get(functionName) ?? 0;
    if (reserved !== undefined && running >= reserved) return 'ReservedFunctionConcurrentInvocationLimitExceeded';
    if (this.#total >= this.#limit) return 'ConcurrentInvocationLimitExceeded';
    this.#running.set(functionName, running + 1);
    this.#total++;
    if (this.#total > this.peak) this.peak = this.#total;
    if (running + 1 > (this.#peakByFunction.get(functionName) ?? 0)) this.#peakByFunction.set(functionName, running + 1);
    return undefined;
  }

  /** Whether a slot is free now, without taking it. */
  canAcquire(functionName: string, reserved: number | undefined): boolean {
    const running = this.#running.get(functionName) ?? 0;
    return (reserved === undefined || running < reserved) && this.#total < this.#limit;
  }

  release(functionName: string): void {
    this.#running.set(functionName, (this.#running.get(functionName) ?? 1) - 1);
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

  peakOf(functionName: string): number {
    return this.#peakByFunction.get(functionName) ?? 0;
  }
}
