import type { Backend } from './backend.js';
import type { BackendOptions } from './backend-options.js';
import { RedisBackend } from './redis/redis-backend.js';
import { SqliteBackend } from './sqlite/sqlite-backend.js';

/**
 * Pick the backend named by `options.kind`. The returned backend opens its
 * connections at once; await `waitUntilReady()` before relying on it.
 *
 * @example
 * const backend = createBackend({ kind: 'sqlite', stateDir: '.neolith' });
 * await backend.waitUntilReady();
 */
export function createBackend(options: BackendOptions): Backend {
  switch (options.kind) {
    case 'sqlite':
      return new SqliteBackend(options);
    case 'redis':
      return new RedisBackend(options);
    default: {
      const kind: unknown = (options as { kind?: unknown }).kind;
      throw new TypeError(`backend.kind must be 'sqlite' or 'redis' (got ${JSON.stringify(kind)})`);
    }
  }
}
