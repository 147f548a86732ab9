import { describe, expect, it } from 'vitest';
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

function pool(provisionedConcurrency: number, maxEnvironments: number): { pool: FunctionPool; made: FakeEnvironment[] } {
  const made: FakeEnvironment[] = [];
  const spares = {
    prepare: () => undefined,
    take: () => {
      const env = new FakeEnvironment();
      made.push(env);
      return env as unknown as ExecutionEnvironment;
    },
  } as unknown as SpareEnvironments;
  const binding = {
    init: { functionName: 'f', memoryMB: 128, env: {} },
    tmpRoot: '/tmp/neolith-pool-test',
    provisionedConcurrency,
    maxEnvironments,
  } as unknown as PoolBinding;
  return { pool: new FunctionPool(binding, spares), made };
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
