import type { ResolvedConfig } from './config/index.js';
import type { ConcurrencyGovernor, FunctionRegistry } from './invoke/index.js';
import type { ObservedFunction, ObservedHost } from './observe/index.js';

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
