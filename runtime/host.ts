import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  findConfigFile, loadConfigFile, resolveConfig, type ConfigOverrides, type NeolithConfig, type ResolvedConfig,
} from './config/index.js';
import { FunctionPackager, SpareEnvironments } from './environment/index.js';
import { ConcurrencyGovernor, FunctionRegistry, Invoker, type InvokeOptions, type InvokeResult } from './invoke/index.js';
import { InvocationLog } from './observe/index.js';
import { HttpServer, lambdaApi } from './http/index.js';
import { SourceWatcher } from './source-watcher.js';

/** How to build a host. */
export interface HostOptions {
  /** A config object, or the path of a config file. @defaultValue the config file in `rootDir`, else {} */
  config?: NeolithConfig | string;
  /** Folder relative paths are resolved against. @defaultValue the config file's folder, else process.cwd() */
  rootDir?: string;
  /** Command-line overrides (`--layout`, `--port`, …). */
  overrides?: ConfigOverrides;
  /** Rebuild and recycle a function when its source files change. @defaultValue false */
  watch?: boolean;
}

/**
 * A running neolith host: functions packaged, pools ready, invoker open.
 * Built in order (config → packages → environments → invoker), closed in
 * reverse.
 */
export class Host {
  readonly config: ResolvedConfig;
  readonly invoker: Invoker;
  readonly registry: FunctionRegistry;
  readonly governor: ConcurrencyGovernor;
  readonly log: InvocationLog;
  readonly spares: SpareEnvironments;
  readonly #packager: FunctionPackager;
  readonly #sweeper: NodeJS.Timeout;
  #watcher: SourceWatcher | undefined;
  readonly #closers: Array<() => Promise<void> | void> = [];
  #closed: Promise<void> | undefined;

  private constructor(config: ResolvedConfig, packager: FunctionPackager, registry: FunctionRegistry, spares: SpareEnvironments) {
    this.config = config;
    this.#packager = packager;
    this.registry = registry;
    this.spares = spares;
    this.governor = new ConcurrencyGovernor(config.concurrencyLimit);
    this.log = new InvocationLog();
    this.invoker = new Invoker({ registry, governor: this.governor, log: this.log, limits: config.payloadLimits });
    const every = Math.max(50, Math.min(config.idleTimeoutMs / 2, 10_000));
    this.#sweeper = setInterval(() => {
      const cutoff = Date.now() - config.idleTimeoutMs;
      for (const fn of registry.list()) fn.pool.sweep(cutoff);
    }, every).unref();
  }

  /** Loads, validates and packages the config, then starts provisioned environments. */
  static async create(options: HostOptions = {}): Promise<Host> {
    const { raw, rootDir } = await readConfig(options);
    const config = resolveConfig(raw, rootDir, options.overrides);
    mkdirSync(config.stateDir, { recursive: true });
    removeStaleTmp(join(config.stateDir, 'tmp'));
    const packager = new FunctionPackager(config.rootDir);
    let packages;
    try {
      packages = await packager.packageAll(config.functions);
    } catch (error) {
      packager.close();
      throw error;
    }
    const spares = new SpareEnvironments(config.spareEnvironments);
    const registry = new FunctionRegistry(config, packages, spares);
    const host = new Host(config, packager, registry, spares);
    await registry.provisionAll();
    if (options.watch) host.#watcher = new SourceWatcher(host.registry, packager);
    return host;
  }

  /** The `--watch` file watcher, when watching. */
  get watcher(): SourceWatcher | undefined {
    return this.#watcher;
  }

  /** Invokes a function (see `Invoker.invoke`). */
  invoke(name: string, payload?: unknown, options?: InvokeOptions): Promise<InvokeResult> {
    return this.invoker.invoke(name, payload, options);
  }

  /** The HTTP server, once `listen` was called. */
  http: HttpServer | undefined;

  /**
   * Serves the host's HTTP surface (Lambda API, health, and whatever other
   * parts add with `host.http.use`) on the configured or given port.
   */
  async listen(options: { port?: number; host?: string } = {}): Promise<{ url: string; port: number; host: string }> {
    if (this.http) throw new Error('this host is already listening');
    const limits = this.config.payloadLimits;
    const server = new HttpServer({ port: options.port ?? this.config.port, host: options.host ?? this.config.host });
    server.use(lambdaApi({
      invoker: this.invoker,
      registry: this.registry,
      maxBodyBytes: Math.max(limits.syncRequestBytes, limits.asyncEventBytes),
    }));
    this.http = server;
    this.onClose(() => server.close());
    return server.listen();
  }

  /** Registers cleanup run at close, before the environments stop (servers, dispatchers). */
  onClose(closer: () => Promise<void> | void): void {
    this.#closers.push(closer);
  }

  /**
   * Stops accepting, closes what was added with `onClose` (last first), lets
   * running invocations finish for up to `drainTimeoutMs`, then stops every
   * environment. Idempotent.
   */
  close(options: { drainTimeoutMs?: number } = {}): Promise<void> {
    this.#closed ??= (async () => {
      this.invoker.stopAccepting();
      clearInterval(this.#sweeper);
      const drain = async () => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, options.drainTimeoutMs ?? 10_000).unref();
        });
        await Promise.race([this.governor.whenIdle(), timeout]);
        clearTimeout(timer);
      };
      const steps: Array<() => Promise<void> | void> = [
        ...this.#closers.reverse(),
        drain,
        () => this.#watcher?.close(),
        () => this.registry.close(),
        () => this.spares.close(),
        () => this.#packager.close(),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          // One failing step must not skip the rest; report it.
          process.emitWarning(`neolith: a close step failed: ${(error as Error).message}`);
        }
      }
    })();
    return this.#closed;
  }
}

/** Builds and starts a host. */
export function createHost(options?: HostOptions): Promise<Host> {
  return Host.create(options);
}

async function readConfig(options: HostOptions): Promise<{ raw: unknown; rootDir: string }> {
  if (typeof options.config === 'object') return { raw: options.config, rootDir: resolve(options.rootDir ?? process.cwd()) };
  const file = typeof options.config === 'string'
    ? resolve(options.rootDir ?? process.cwd(), options.config)
    : findConfigFile(resolve(options.rootDir ?? process.cwd()));
  if (!file) return { raw: {}, rootDir: resolve(options.rootDir ?? process.cwd()) };
  return { raw: await loadConfigFile(file), rootDir: options.rootDir ? resolve(options.rootDir) : dirname(file) };
}

/** /tmp folders left by a host that was killed belong to no environment now. */
function removeStaleTmp(tmpRoot: string): void {
  if (!existsSync(tmpRoot)) return;
  for (const entry of readdirSync(tmpRoot)) {
    const pid = Number(/^env-(\d+)-/.exec(entry)?.[1]);
    if (pid && pid !== process.pid && !isAlive(pid)) rmSync(join(tmpRoot, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
