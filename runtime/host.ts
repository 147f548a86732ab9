import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  findConfigFile, loadConfigFile, resolveConfig, type ConfigOverrides, type NeolithConfig, type ResolvedConfig,
} from './config/index.js';
import { FunctionPackager, SpareEnvironments } from './environment/index.js';
import { createBackend, makeDirectory, type Backend } from './backend/index.js';
import {
  AsyncDispatcher, ConcurrencyGovernor, FunctionRegistry, InvocationRecords, Invoker, parseDestination,
  type InvokeOptions, type InvokeResult,
} from './invoke/index.js';
import { ConfigError, StateDirError } from './errors/index.js';
import {
  createHostLogger, HostMetrics, InvocationLog, LogsEndpoint, metricsRoute, type HostLogger, type HostLoggerOptions,
} from './observe/index.js';
import { dashboardRoute } from './dashboard/index.js';
import { observedHost } from './host-metrics-sources.js';
import { assertSafeBind, createApiSurface, crossSiteWriteGuard, HttpServer, invocationsApi, type ApiSurface } from './http/index.js';
import { SourceWatcher } from './source-watcher.js';
import { EventSources, sourcesApi, sourcesMaxBodyBytes } from './sources/index.js';
import { sourcesCall } from './sources/sources-api.js';

/** The module an environment loads to read the tables itself; under vitest the sources are .ts, so the built copy (threads run plain JS). */
const TABLE_READS_URL = import.meta.url.endsWith('.ts')
  ? new URL('../dist/runtime/sources/client/direct-table-reads.js', import.meta.url).href
  : new URL('./sources/client/direct-table-reads.js', import.meta.url).href;

/**
 * Paths of the host's own surfaces (the Lambda API's versions, records, logs,
 * the dashboard, metrics, sources): no writes from other sites' pages. The
 * REST routes and GraphQL, which serve browser apps, have CORS instead.
 */
const HOST_SURFACE_PREFIXES = [
  '/2015-03-31/', '/2016-08-19/', '/2017-10-31/', '/2019-09-25/', '/2019-09-30/', '/2021-11-15/',
  '/invocations', '/dead-letters', '/logs', '/dashboard', '/metrics', '/buckets', '/topics', '/streams', '/tables',
] as const;

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
  /** Count invocations for `/metrics` and the dashboard; false leaves the counters at zero (gauges still read). @defaultValue true */
  metrics?: boolean;
  /**
   * The host's own structured log (pino JSON lines on stderr; function output never goes there):
   * its options, or a pino logger to use. @defaultValue level from NEOLITH_LOG_LEVEL, else "info"
   */
  logger?: HostLoggerOptions | HostLogger;
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
  /** Durable state: the async queue, invocation records, dead letters. */
  readonly backend: Backend;
  /** Event invocations: accepted into the backend, claimed, run, routed. */
  readonly dispatcher: AsyncDispatcher;
  /** Async invocation records and dead letters. */
  readonly invocations: InvocationRecords;
  /** Prometheus metrics (`/metrics`) and the dashboard's snapshot. */
  readonly metrics: HostMetrics;
  /** The host's structured log (pino). */
  readonly logger: HostLogger;
  /** Buckets, topics (push), streams, tables and their event source mappings (pull). */
  sources!: EventSources;
  readonly #packager: FunctionPackager;
  readonly #sweeper: NodeJS.Timeout;
  #watcher: SourceWatcher | undefined;
  readonly #closers: Array<() => Promise<void> | void> = [];
  #closed: Promise<void> | undefined;

  private constructor(config: ResolvedConfig, packager: FunctionPackager, registry: FunctionRegistry, spares: SpareEnvironments, backend: Backend, observe: { logger: HostLogger; metrics: boolean }) {
    this.config = config;
    this.backend = backend;
    this.invocations = new InvocationRecords(backend, (name) => registry.get(name)?.spec.async);
    this.#packager = packager;
    this.registry = registry;
    this.spares = spares;
    this.governor = new ConcurrencyGovernor(config.concurrencyLimit, () => registry.reservedTotal());
    this.log = new InvocationLog();
    this.invoker = new Invoker({ registry, governor: this.governor, log: this.log, limits: config.payloadLimits });
    this.dispatcher = new AsyncDispatcher({ backend, invoker: this.invoker, registry, governor: this.governor });
    this.invoker.setEventQueue(this.dispatcher);
    this.logger = observe.logger;
    this.metrics = new HostMetrics(observedHost(this), { onSourceError: (err) => this.logger.warn({ err }, 'a metrics source failed') });
    // The backend counts dead letters too: a scrape reads no letter.
    this.metrics.useQueue(() => backend.stats());
    if (observe.metrics) {
      this.invoker.onOutcome(this.metrics.record);
      this.invoker.onThrottle(this.metrics.recordThrottle);
    }
    if (this.logger.isLevelEnabled('debug')) {
      const logger = this.logger;
      this.invoker.onOutcome((o) => logger.debug({
        requestId: o.requestId, function: o.functionName, job: o.job, type: o.type, durationMs: o.durationMs,
        initDurationMs: o.initDurationMs, errorType: o.error?.errorType, environmentId: o.environmentId,
      }, 'invocation'));
      this.invoker.onThrottle((t) => logger.debug({ requestId: t.requestId, function: t.functionName, type: t.type, reason: t.reason }, 'throttled'));
    }
    const every = Math.max(50, Math.min(config.idleTimeoutMs / 2, 10_000));
    this.#sweeper = setInterval(() => {
      const cutoff = Date.now() - config.idleTimeoutMs;
      for (const fn of registry.list()) fn.pool.sweep(cutoff);
    }, every).unref();
  }

  /** Loads, validates and packages the config, then starts provisioned environments. */
  static async create(options: HostOptions = {}): Promise<Host> {
    checkHostOptions(options);
    const { raw, rootDir } = await readConfig(options);
    const config = resolveConfig(raw, rootDir, options.overrides);
    checkDestinations(config);
    try {
      makeDirectory(config.stateDir);
    } catch (error) {
      throw new StateDirError(`cannot create the state directory ${config.stateDir} (--state or stateDir): ${(error as Error).message}`, { cause: error });
    }
    removeStaleTmp(join(config.stateDir, 'tmp'));
    const packager = new FunctionPackager(config.rootDir);
    let packages;
    try {
      packages = await packager.packageAll(config.functions);
    } catch (error) {
      packager.close();
      throw error;
    }
    const backend = createBackend(config.backend === 'redis'
      ? {
          kind: 'redis', redisUrl: config.redisUrl, prefix: config.redisPrefix, retentionSeconds: config.recordRetentionSeconds,
          deadLetterRetentionSeconds: config.deadLetterRetentionSeconds,
          lockDurationMs: config.asyncLeaseMs, stalledIntervalMs: config.asyncLeaseMs,
        }
      : { kind: 'sqlite', stateDir: config.stateDir, retentionSeconds: config.recordRetentionSeconds,
          deadLetterRetentionSeconds: config.deadLetterRetentionSeconds, leaseMs: config.asyncLeaseMs });
    try {
      await backend.waitUntilReady();
    } catch (error) {
      packager.close();
      await backend.close();
      throw error;
    }
    const spares = new SpareEnvironments(config.spareEnvironments);
    // Spare threads boot with the table reads loaded, so a function's first read does not pay ~30 ms for them.
    if (config.backend === 'sqlite' && Object.keys(config.sources.tables).length > 0) spares.preload = TABLE_READS_URL;
    let registry: FunctionRegistry;
    try {
      registry = new FunctionRegistry(config, packages, spares);
    } catch (error) {
      await spares.close();
      packager.close();
      await backend.close();
      throw error;
    }
    const logger = isLogger(options.logger) ? options.logger : createHostLogger(options.logger);
    const host = new Host(config, packager, registry, spares, backend, { logger, metrics: options.metrics ?? true });
    for (const fn of config.functions) {
      const tz = fn.environment.TZ;
      // Lambda applies a function's TZ; threads share the process's time zone, so it only shows in process.env.
      if (tz !== undefined && !/^:?(UTC|Etc\/UTC)$/.test(tz)) {
        logger.warn({ function: fn.name, TZ: tz }, `functions.${fn.name}.environment.TZ is ${JSON.stringify(tz)}, but environments are threads of the host and share its time zone (UTC under the neolith CLI): Date in this function will not use it`);
      }
    }
    // Before any environment starts, so each may read the tables itself (connecting on its first read).
    if (config.backend === 'sqlite') registry.tableReads = { moduleUrl: TABLE_READS_URL, stateDir: config.stateDir, tables: config.sources.tables };
    // From here the host owns everything: a failure closes it whole.
    try {
      await registry.provisionAll();
      await host.dispatcher.start();
      host.sources = await EventSources.create({
        config, invoke: (name, payload, o) => host.invoke(name, payload, o), functionArn: (name) => registry.resolve(name).fn.arn,
        resolveTarget: (name) => {
          const target = registry.resolve(name);
          return { functionName: target.fn.spec.name, ...(target.job !== undefined && { job: target.job }) };
        },
        onError: (err) => logger.warn({ err }, 'event source error'),
      });
    } catch (error) {
      await host.close();
      throw error;
    }
    registry.hostCall = sourcesCall(host.sources); // handlers' sources client: in-process, over their environment's channel
    host.metrics.addIteratorAgeSource(() => host.sources.mappings.iteratorAges());
    host.dispatcher.setPublisher((topic, message) => host.sources.publish(topic, message));
    if (options.watch) host.#watcher = new SourceWatcher(host.registry, packager, logger);
    logger.info({ functions: config.functions.length, layout: config.layout, backend: config.backend, stateDir: config.stateDir }, 'host ready');
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

  /** The Lambda API, REST routes and their shared auth (`api.access`), once `listen` was called. */
  api: ApiSurface | undefined;

  /**
   * Serves the host's HTTP surface (Lambda API, health, and whatever other
   * parts add with `host.http.use`) on the configured or given port.
   */
  async listen(options: { port?: number; host?: string; insecure?: boolean } = {}): Promise<{ url: string; port: number; host: string }> {
    if (this.http) throw new Error('this host is already listening');
    const bindHost = options.host ?? this.config.host;
    // Before anything binds: a host reachable from other machines needs auth (or --insecure).
    assertSafeBind(bindHost, this.config.http.auth, options.insecure ?? false);
    const server = new HttpServer({
      port: options.port ?? this.config.port, host: bindHost, allowedHosts: this.config.http.allowedHosts, requestTimeoutMs: this.config.http.requestTimeoutMs,
    });
    server.use(crossSiteWriteGuard(HOST_SURFACE_PREFIXES));
    const api = createApiSurface({ config: this.config, invoker: this.invoker, registry: this.registry });
    this.api = api;
    for (const route of api.routes) server.use(route);
    server.use(api.guard(invocationsApi(this.invocations, { resolveFunction: (name) => this.registry.resolve(name).fn.spec.name }), ['/invocations', '/dead-letters']));
    server.use(metricsRoute(this.metrics));
    const logs = new LogsEndpoint({ log: this.log, resolveFunction: (name) => this.registry.resolve(name).fn.spec.name });
    // Function output (logs, the dashboard's log tails) is read like invocation records: signed callers when auth is on.
    server.use(api.guard(logs.route, ['/logs']));
    server.use(api.guard(dashboardRoute({ metrics: this.metrics, log: this.log }), ['/dashboard/state']));
    this.http = server;
    this.onClose(() => server.close());
    this.onClose(() => logs.close()); // before server.close: open follow streams would hold it
    server.use(api.guard(sourcesApi(this.sources), ['/buckets', '/topics', '/streams', '/tables', '/2015-03-31/event-source-mappings'], sourcesMaxBodyBytes(this.sources)));
    // Loaded here, not at the top: graphql-yoga and its kin take ~1 s to load, which a CLI invoke or a
    // host that never listens need not pay.
    const { createGatewayRoute } = await import('./graphql/index.js');
    server.use(await createGatewayRoute(this, server)); // after server.close is registered: the gateway ends its streams first
    const address = await server.listen();
    this.registry.hostUrl = address.url; // environments bound from now on reach the sources API (NEOLITH_HOST_URL)
    this.logger.info({ url: address.url }, 'listening');
    if (this.config.graphql?.auth?.anonymous === false && !this.config.http.auth) {
      // The Invoke API hands a job any event, identity included: GraphQL's sign-in guards nothing then.
      this.logger.warn('graphql.auth.anonymous is false but http.auth is not set: anyone who reaches this port can call jobs through the Lambda Invoke API with any identity');
    }
    return address;
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
        // Stop claiming events first; running attempts finish, the rest stay queued for the next start.
        () => this.dispatcher.close({ drainTimeoutMs: options.drainTimeoutMs ?? 10_000 }),
        drain,
        // After the drain: running handlers still reach their tables and buckets, and
        // destinations routed during it can still publish. Absent if create failed before it.
        () => (this.sources as EventSources | undefined)?.close(),
        () => this.#watcher?.close(),
        () => this.registry.close(),
        () => this.spares.close(),
        () => this.backend.close(),
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
      this.logger.info('host closed');
    })();
    return this.#closed;
  }
}

/** Builds and starts a host. */
export function createHost(options?: HostOptions): Promise<Host> {
  return Host.create(options);
}

const HOST_OPTION_KEYS: ReadonlySet<string> = new Set(['config', 'rootDir', 'overrides', 'watch', 'metrics', 'logger']);

/** A misspelt or misplaced option (`createHost({ stateDir })`) is an error, not silently the default. */
function checkHostOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError([`createHost options must be an object (got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options})`]);
  }
  const unknown = Object.keys(options).filter((key) => !HOST_OPTION_KEYS.has(key));
  if (unknown.length > 0) {
    throw new ConfigError([
      `createHost options has no ${unknown.map((k) => JSON.stringify(k.slice(0, 64))).join(', ')} (it takes ${[...HOST_OPTION_KEYS].join(', ')}; ` +
      'config settings such as stateDir go in `config`, or in `overrides` for those the command line sets)',
    ]);
  }
}

async function readConfig(options: HostOptions): Promise<{ raw: unknown; rootDir: string }> {
  if (typeof options.config === 'object') return { raw: options.config, rootDir: resolve(options.rootDir ?? process.cwd()) };
  const file = typeof options.config === 'string'
    ? resolve(options.rootDir ?? process.cwd(), options.config)
    : findConfigFile(resolve(options.rootDir ?? process.cwd()));
  if (!file) return { raw: {}, rootDir: resolve(options.rootDir ?? process.cwd()) };
  return { raw: await loadConfigFile(file), rootDir: options.rootDir ? resolve(options.rootDir) : dirname(file) };
}

function isLogger(value: HostLoggerOptions | HostLogger | undefined): value is HostLogger {
  return typeof (value as HostLogger | undefined)?.child === 'function';
}

/** Every async destination must name a function of this layout, a topic of the config, or "dlq". */
function checkDestinations(config: ResolvedConfig): void {
  const names = new Set([...config.functions.map((f) => f.name), ...Object.keys(config.jobToFunction)]);
  const problems: string[] = [];
  for (const fn of config.functions) {
    for (const key of ['onSuccess', 'onFailure'] as const) {
      const value = fn.async[key];
      if (value === undefined) continue;
      const destination = parseDestination(value);
      if (destination.kind === 'function' && !names.has(destination.name)) {
        problems.push(`functions.${fn.name}.async.${key} must be "dlq", "topic:<name>" or a function of this layout (got ${JSON.stringify(value)})`);
      }
      // A destination that cannot take the record would drop the event it reports.
      if (destination.kind === 'topic' && !Object.hasOwn(config.sources.topics, destination.name)) {
        problems.push(`functions.${fn.name}.async.${key} must name a topic of this config's topics section (got ${JSON.stringify(value)})`);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
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
