import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExecutionEnvironment } from '../../../runtime/environment/execution-environment.js';
import { FunctionPool, type PoolBinding } from '../../../runtime/environment/function-pool.js';
import type { SpareEnvironments } from '../../../runtime/environment/spare-environments.js';

/** An environment whose init and invocations finish when the test says so. */
class FakeEnvironment {
  static count = 0;
  readonly id = `env-${++FakeEnvironment.count}`;
  state = 'idle';
  retired = false;
  initSucceeded = false;
  invocations = 0;
  createdAt = Date.now();
  lastUsedAt = Date.now();
  finishInit: () => void = () => undefined;
  readonly #exits: Array<() => void> = [];
  bind(): void {}
  onExit(listener: () => void): void {
    this.#exits.push(listener);
  }
  initialise(): Promise<{ initDurationMs: number; logs: string }> {
    this.state = 'booting';
    return new Promise((resolve) => {
      this.finishInit = () => {
        this.state = 'idle';
        this.initSucceeded = true;
        resolve({ initDurationMs: 1, logs: '' });
      };
    });
  }
  invoke(): Promise<{ durationMs: number; logs: string; environmentId: string }> {
    this.state = 'busy';
    this.invocations++;
    this.state = 'idle';
    return Promise.resolve({ durationMs: 1, logs: '', environmentId: this.id });
  }
  terminate(): Promise<void> {
    if (this.state !== 'dead') {
      this.state = 'dead';
      queueMicrotask(() => this.#exits.forEach((exit) => exit()));
    }
    return Promise.resolve();
  }
}

/** A pool whose environments `make` builds (each kept in `made`), with these binding settings. */
function poolOf<E>(make: () => E, settings: Partial<PoolBinding>): { pool: FunctionPool; made: E[] } {
  const made: E[] = [];
  const spares = {
    prepare: () => undefined,
    take: () => {
      const env = make();
      made.push(env);
      return env as unknown as ExecutionEnvironment;
    },
  } as unknown as SpareEnvironments;
  const binding = { init: { functionName: 'f', memoryMB: 128, env: {} }, tmpRoot: '/tmp/neolith-pool-test', ...settings } as unknown as PoolBinding;
  return { pool: new FunctionPool(binding, spares), made };
}

function pool(provisionedConcurrency: number, maxEnvironments: number): { pool: FunctionPool; made: FakeEnvironment[] } {
  return poolOf(() => new FakeEnvironment(), { provisionedConcurrency, maxEnvironments });
}

const request = (requestId: string) => ({ requestId, payload: '{}', timeoutMs: 1000 }) as never;

describe('FunctionPool with maxEnvironments', () => {
  it('hands a provisioned environment that finishes booting to a call queued at the cap', async () => {
    const { pool: p, made } = pool(1, 1);
    const first = p.provision();
    made[0]!.finishInit();
    await first;
    // Code changed: the provisioned environment is replaced; the replacement boots while a call arrives.
    p.recycle();
    await Promise.resolve();
    expect(made).toHaveLength(2);
    const call = p.run(request('queued'));
    made[1]!.finishInit();
    await expect(call).resolves.toMatchObject({ environmentId: made[1]!.id });
    expect(p.stats()).toMatchObject({ environments: 1, idle: 1 });
    await p.close();
  });

  it('never provisions past the cap', async () => {
    const { pool: p, made } = pool(3, 2);
    const provisioned = p.provision();
    for (const env of made) env.finishInit();
    await provisioned;
    expect(made).toHaveLength(2);
    expect(p.stats().environments).toBe(2);
    await p.close();
  });

  it('sweeping idle environments keeps the provisioned ones', async () => {
    const { pool: p, made } = pool(1, Number.POSITIVE_INFINITY);
    const provisioned = p.provision();
    made[0]!.finishInit();
    await provisioned;
    // A burst: three at once, so two more environments.
    await Promise.all([1, 2, 3].map((n) => p.run(request(`burst-${n}`))));
    expect(p.stats().environments).toBe(3);
    p.sweep(Date.now() + 1);
    await Promise.resolve();
    expect(made.filter((env) => env.state !== 'dead')).toHaveLength(1);
    expect(p.stats().environments).toBe(1);
    await p.close();
  });
});

/** An environment whose calls each take as long as the test says (on vitest's fake clock). */
class TimedEnvironment extends FakeEnvironment {
  initialised = false;
  readonly timing: { initMs: number; callMs: number };
  constructor(timing: { initMs: number; callMs: number }) {
    super();
    this.timing = { ...timing };
  }
  /** Ends the running call as a crash would: its caller gets an error, the environment exits. */
  crash: () => void = () => undefined;
  override invoke(): Promise<{ durationMs: number; logs: string; environmentId: string; initDurationMs?: number }> {
    this.state = 'busy';
    this.invocations++;
    const initMs = this.initialised ? 0 : this.timing.initMs;
    this.initialised = true;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.state = 'idle';
        resolve({ durationMs: this.timing.callMs, logs: '', environmentId: this.id, ...(initMs > 0 && { initDurationMs: initMs }) });
      }, initMs + this.timing.callMs);
      this.crash = () => {
        clearTimeout(timer);
        void this.terminate();
        reject(new Error('environment crashed'));
      };
    });
  }
}

function timedPool(scaleOut: 'lambda' | 'warm-first', timing: { initMs: number; callMs: number }, cores = 1): { pool: FunctionPool; made: TimedEnvironment[] } {
  return poolOf(() => new TimedEnvironment(timing), { provisionedConcurrency: 0, maxEnvironments: Number.POSITIVE_INFINITY, scaleOut, cores });
}

/** Runs `calls` at once and lets the fake clock run until they have all answered. */
async function burst(p: FunctionPool, calls: number, tag: string): Promise<string[]> {
  const all = Promise.all(Array.from({ length: calls }, (_, n) => p.run(request(`${tag}-${n}`))));
  await vi.runAllTimersAsync();
  return (await all).map((result) => result.environmentId);
}

describe('FunctionPool scale-out', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lambda: a call that finds every environment busy gets a new one, however short the calls', async () => {
    const { pool: p, made } = timedPool('lambda', { initMs: 100, callMs: 1 });
    await burst(p, 1, 'first');
    await burst(p, 1, 'warm');
    await burst(p, 4, 'load');
    expect(made).toHaveLength(4);
    await p.close();
  });

  it('warm-first: short calls past one busy environment per core wait for it rather than start cold ones', async () => {
    const { pool: p, made } = timedPool('warm-first', { initMs: 100, callMs: 1 });
    await burst(p, 1, 'first');
    await burst(p, 1, 'warm');
    const served = await burst(p, 4, 'load');
    expect(made).toHaveLength(1);
    expect(new Set(served)).toEqual(new Set([made[0]!.id]));
    await p.close();
  });

  it('warm-first: with two cores, two environments serve a burst of short calls', async () => {
    const { pool: p, made } = timedPool('warm-first', { initMs: 100, callMs: 1 }, 2);
    await burst(p, 2, 'first');
    await burst(p, 2, 'warm');
    await burst(p, 8, 'load');
    expect(made).toHaveLength(2);
    await p.close();
  });

  it('warm-first: a call that must start now (a claimed async event) takes an idle or a new environment, never waits', async () => {
    const { pool: p, made } = timedPool('warm-first', { initMs: 100, callMs: 1 });
    await burst(p, 1, 'first');
    await burst(p, 1, 'warm');
    const calls = [1, 2, 3].map((n) => p.run({ requestId: `event-${n}`, payload: '{}', timeoutMs: 1000, startNow: true } as never));
    expect(made).toHaveLength(3);
    await vi.runAllTimersAsync();
    await Promise.all(calls);
    await p.close();
  });

  it('warm-first: calls longer than a cold start (waiting on I/O) scale out as Lambda does', async () => {
    const { pool: p, made } = timedPool('warm-first', { initMs: 10, callMs: 200 });
    await burst(p, 1, 'first');
    await burst(p, 1, 'warm');
    await burst(p, 3, 'load');
    expect(made).toHaveLength(3);
    await p.close();
  });

  it('warm-first: a call waits no longer than a cold start takes, then starts its own environment', async () => {
    const { pool: p, made } = timedPool('warm-first', { initMs: 100, callMs: 1 });
    await burst(p, 1, 'first');
    await burst(p, 1, 'warm');
    // The environment becomes slow: the waiting call should have been served within ~100 ms, and is not.
    made[0]!.timing.callMs = 1000;
    const slow = p.run(request('slow'));
    const waiting = p.run(request('waiting'));
    let answeredAt: number | undefined;
    void waiting.then(() => (answeredAt = performance.now()), () => undefined);
    const start = performance.now();
    await vi.advanceTimersByTimeAsync(150);
    expect(made).toHaveLength(2);
    await vi.runAllTimersAsync();
    const [, result] = await Promise.all([slow, waiting]);
    // It ran in the new environment (~100 ms waited, 100 ms init) rather than after the slow call.
    expect(result.environmentId).toBe(made[1]!.id);
    expect(answeredAt! - start).toBeLessThan(300);
    await p.close();
  });

  it('warm-first: a call waiting for the only busy environment starts its own at once when that one crashes', async () => {
    const { pool: p, made } = timedPool('warm-first', { initMs: 300, callMs: 2 });
    await burst(p, 1, 'first');
    await burst(p, 1, 'warm');
    made[0]!.timing.callMs = 1000;
    const crashing = p.run(request('crashing'));
    const waiting = p.run(request('waiting'));
    let answeredAt: number | undefined;
    void waiting.then(() => (answeredAt = performance.now()), () => undefined);
    const start = performance.now();
    await vi.advanceTimersByTimeAsync(10);
    made[0]!.crash();
    await expect(crashing).rejects.toThrow('environment crashed');
    await vi.advanceTimersByTimeAsync(400);
    // Served by a new environment (300 ms init) right after the crash, not after the 300 ms patience too.
    expect(made).toHaveLength(2);
    expect(answeredAt! - start).toBeLessThan(400);
    await p.close();
  });

  it('warm-first: a waiting call that is aborted leaves the queue and starts nothing', async () => {
    const { pool: p, made } = timedPool('warm-first', { initMs: 100, callMs: 1 });
    await burst(p, 1, 'first');
    await burst(p, 1, 'warm');
    made[0]!.timing.callMs = 50;
    const busy = p.run(request('busy'));
    const controller = new AbortController();
    const aborted = p.run({ requestId: 'aborted', payload: '{}', timeoutMs: 1000, signal: controller.signal } as never);
    controller.abort(new Error('caller went away'));
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    await vi.runAllTimersAsync();
    await busy;
    expect(made).toHaveLength(1);
    expect(made[0]!.invocations).toBe(3);
    await p.close();
  });
});
