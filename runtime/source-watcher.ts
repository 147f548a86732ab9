import { watch, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FunctionPackager } from './environment/index.js';
import type { FunctionRegistry } from './invoke/index.js';
import type { HostLogger } from './observe/index.js';

/**
 * `serve --watch`: when a source file changes, rebuilds only the functions
 * built from it and recycles only their environments; every other function
 * stays warm.
 */
export class SourceWatcher {
  readonly #watchers: FSWatcher[] = [];
  readonly #registry: FunctionRegistry;
  readonly #packager: FunctionPackager;
  readonly #logger: HostLogger;
  #pending = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  /** Resolves after each rebuild (tests await it). */
  #rebuilt: Array<(functions: string[]) => void> = [];

  constructor(registry: FunctionRegistry, packager: FunctionPackager, logger: HostLogger) {
    this.#registry = registry;
    this.#packager = packager;
    this.#logger = logger;
    const dirs = new Set<string>();
    for (const fn of registry.list()) for (const input of fn.package.inputs) dirs.add(dirname(input));
    for (const dir of dirs) {
      const watcher = watch(dir, (_event, file) => {
        if (file) this.#changed(join(dir, file.toString()));
      });
      watcher.unref();
      this.#watchers.push(watcher);
    }
  }

  /** Resolves with the names of the functions rebuilt by the next change. */
  nextRebuild(): Promise<string[]> {
    return new Promise((resolve) => this.#rebuilt.push(resolve));
  }

  #changed(file: string): void {
    for (const fn of this.#registry.list()) if (fn.package.inputs.includes(file)) this.#pending.add(fn.spec.name);
    if (this.#pending.size === 0) return;
    // Editors write a file in several steps: wait for the burst to end.
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#rebuild(), 50);
  }

  async #rebuild(): Promise<void> {
    const names = [...this.#pending];
    this.#pending.clear();
    const rebuilt: string[] = [];
    for (const name of names) {
      const fn = this.#registry.get(name)!;
      try {
        this.#registry.replacePackage(name, await this.#packager.package(fn.spec));
        rebuilt.push(name);
      } catch (error) {
        // Keep serving the last good build; say why the new one was refused.
        this.#logger.warn({ function: name, err: error }, `--watch: ${name} was not reloaded: ${(error as Error).message}`);
      }
    }
    // Said at the default level: a user editing code wants to see the change was taken.
    if (rebuilt.length > 0) this.#logger.info({ functions: rebuilt }, `--watch: reloaded ${rebuilt.join(', ')} (their environments start afresh)`);
    const waiters = this.#rebuilt.splice(0);
    for (const resolve of waiters) resolve(rebuilt);
  }

  close(): void {
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers) watcher.close();
  }
}
