import type { Backend } from './backend/index.js';
import type { ResolvedConfig } from './config/index.js';
import type { ConcurrencyGovernor, FunctionRegistry } from './invoke/index.js';
import type { ObservedFunction, ObservedHost, QueueSnapshot } from './observe/index.js';

/** The host's parts as metrics read them at scrape time (observe/ knows none of these classes). */
export function observedHost(parts: { config: ResolvedConfig; registry: FunctionRegistry; governor: ConcurrencyGovernor }): ObservedHost {
  const { config, registry, governor } = parts;
  const cache = new WeakMap<object, ObservedFunction>();
  return {
    layout: config.layout,
    backend: config.backend,
    *functions() {
      for (const fn of registry.list()) {
        let observed = cache.get(fn);
        if (!observed) {
          const spec = fn.spec;
          observed = {
            name: spec.name,
            config: {
              kind: spec.kind, jobs: Object.keys(spec.jobs), memoryMB: spec.memoryMB, timeoutMs: spec.timeoutMs,
              reservedConcurrency: spec.reservedConcurrency, provisionedConcurrency: spec.provisionedConcurrency,
            },
            environments: () => fn.pool.stats(),
            running: () => governor.running(spec.name),
            peak: () => governor.peakOf(spec.name),
          };
          cache.set(fn, observed);
        }
        yield observed;
      }
    },
    concurrency: () => ({ running: governor.running(), peak: governor.peak, limit: config.concurrencyLimit }),
  };
}

/** Dead letters counted per scrape at most; beyond it the gauge reads this many. */
const DEAD_LETTER_COUNT_CAP = 1000;

/**
 * The backend's queue gauges, with the dead-letter count. Until the backend's
 * `stats()` reports `deadLetters` itself, they are counted by listing (capped
 * at {@link DEAD_LETTER_COUNT_CAP}), which is cheap while dead letters are few.
 */
export async function queueSnapshot(backend: Pick<Backend, 'stats' | 'listDeadLetters'>): Promise<QueueSnapshot> {
  const stats: QueueSnapshot = await backend.stats();
  if (stats.deadLetters !== undefined) return stats;
  const deadLetters = (await backend.listDeadLetters({ limit: DEAD_LETTER_COUNT_CAP })).length;
  return { queued: stats.queued, running: stats.running, oldestQueuedAgeMs: stats.oldestQueuedAgeMs, deadLetters };
}
